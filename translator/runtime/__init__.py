"""Executing real Panther rule code, safely and with Panther's semantics.

* ``event``: ``PantherEvent`` (case-insensitive, immutable; get/deep_get/deep_walk/udm/lookup),
  ``ImmutableCaseInsensitiveDict``, ``ImmutableList``, ``json_encoder``.
* ``data_models``: Panther data model YAMLs -> ``DataModelRegistry`` (by log type, located
  errors); ``build_data_model`` compiles paths and imports methods (child side only).
* ``sandbox``: ``run_isolated`` / ``map_isolated`` / ``imap_isolated``: any function, each
  call in a forked child with time and memory limits, no network, captured output;
  ``Outcome(value | error)``. ``zygote``: the same, forked from a preloaded process.
* ``python_rule_runner``: ``run_rule_tests(RuleJob) -> RuleRunResult`` and
  ``run_many_rule_tests``: a rule's Tests as panther_analysis_tool runs them.
* ``shims/``: ``panther_core`` and ``panther_detection_helpers`` stand-ins, on ``sys.path``
  in children only.
"""
