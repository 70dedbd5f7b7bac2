"""rulec command line. Commands live in their own modules and are imported lazily, so that
``rulec --help`` stays fast; register a command by adding one line to COMMANDS."""
from __future__ import annotations

import importlib
import os
import sys

import click

from . import __version__

# name -> ("module:attribute" of a click.Command, one-line help shown by `rulec --help`).
# The help text lives here so that `rulec --help` imports no command module.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("translator.commands.build:build_cmd",
              "Compile rules into Sigma, YARA-L, KQL, SPL and Athena SQL files."),
    "mappings": ("translator.commands.mappings:mappings_cmd",
                 "Show field mappings per log type and target; check a rules tree against them."),
    "verify": ("translator.commands.verify:verify_cmd",
               "Check every rule end to end: Python, model, and each target's engine."),
    "diff": ("translator.commands.diff:diff_cmd",
             "Show how rules and their generated queries changed between two revisions."),
    "coverage": ("translator.commands.coverage:coverage_cmd",
                 "Extract every Python rule's detection and report verdicts, reasons, agreement."),
    "explain": ("translator.commands.explain:explain_cmd",
                "Show a rule's canonical detection, exclusions, indicators, outputs and verdict."),
    "doc": ("translator.commands.doc:doc_cmd",
            "Write the rule catalog: one page per rule, index, ATT&CK heatmap and layer."),
    "test": ("translator.commands.test:test_cmd",
             "Run every rule's Tests on the real Python rule and the canonical model."),
}

EXIT_CODES_HELP = """
\b
Exit codes:
  0  success: everything passed / built
  1  findings: a test failed, a translation is not exact under --strict, a check failed
  2  bad input: unreadable or invalid rule files, bad options
"""


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module, attr = entry[0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, epilog=EXIT_CODES_HELP,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rulec")
def main():
    """rulec compiles Panther detection rules into Sigma, YARA-L 2.0, Sentinel KQL,
    Splunk SPL and Athena SQL, and proves each translation by running the rules' own tests."""


def _runs_a_command(args: list[str]) -> bool:
    """False for `rulec`, `rulec --help`, `rulec build --help`, `rulec --version`: no rule runs,
    so no re-exec (it doubles the start-up time)."""
    return any(a in COMMANDS for a in args) and not any(
        a in ("--help", "-h", "--version") for a in args)


def entry() -> None:
    """The ``rulec`` command. Rule code that iterates over a set runs in an order that depends
    on Python's string-hash seed, and outputs must be the same bytes in every run: rulec runs
    with a fixed seed, re-executing itself once when PYTHONHASHSEED is not 0."""
    if os.environ.get("PYTHONHASHSEED") != "0" and _runs_a_command(sys.argv[1:]):
        os.environ["PYTHONHASHSEED"] = "0"
        try:
            os.execv(sys.executable, [sys.executable, "-m", "translator", *sys.argv[1:]])
        except OSError:  # no re-exec possible (embedded interpreter): run unseeded
            pass
    main(prog_name="rulec")


if __name__ == "__main__":  # pragma: no cover
    entry()
