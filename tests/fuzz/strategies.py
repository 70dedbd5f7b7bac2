"""Hypothesis strategies for hostile inputs: YAML documents built from Panther's own
vocabulary (so mutations reach deep into the loaders), plus raw garbage."""
from hypothesis import strategies as st

RULE_KEYS = ["AnalysisType", "Filename", "RuleID", "DisplayName", "Enabled", "LogTypes",
             "ScheduledQueries", "Tags", "Reports", "Severity", "DedupPeriodMinutes", "Threshold",
             "Description", "Runbook", "Reference", "SummaryAttributes", "Tests", "InlineFilters",
             "Detection", "AlertTitle", "AlertContext", "GroupBy", "DynamicSeverities",
             "CreateAlert", "OutputIds", "Bogus"]
MATCH_KEYS = ["Key", "KeyPath", "DeepKey", "Condition", "Value", "Values", "All", "Any", "OnlyOne",
              "None", "Expressions", "AnyElement", "AllElements", "OnlyOneElement", "NoElement",
              "Absolute"]
CONDITIONS = ["Equals", "DoesNotEqual", "IEquals", "Contains", "IContains", "StartsWith",
              "EndsWith", "IsIn", "IsNotIn", "Exists", "DoesNotExist", "IsNull", "IsNotNull",
              "IsNullOrEmpty", "IsGreaterThan", "IsLessThanOrEqual", "IsIPAddressInCIDR",
              "IsIPAddressPrivate", "AlwaysTrue", "Equal", ""]
CORRELATION_KEYS = ["Group", "Sequence", "Transitions", "ID", "RuleID", "MinMatchCount",
                    "Absence", "MatchCriteria", "LookbackWindowMinutes",
                    "ScheduleIntervalMinutes", "From", "To", "WithinTimeFrameMinutes", "Match",
                    "On", "Same"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["rule", "correlation_rule", "scheduled_rule", "global", "datamodel",
                     "AWS.CloudTrail", "High", "Info", "a.b[0].c", "a[*].b", "x.py", "10.0.0.0/8",
                     "TA0005:T1562", "{a.b}", "[{x[*].y}]", "*", ""] + CONDITIONS),
)


def documents(keys):
    vocab = st.sampled_from(keys + MATCH_KEYS + CORRELATION_KEYS) | st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(vocab, inner, max_size=5),
        max_leaves=25,
    )


rule_documents = st.fixed_dictionaries(
    {"AnalysisType": st.sampled_from(["rule", "correlation_rule", "scheduled_rule", "global",
                                      "datamodel", "policy", "nonsense"])},
    optional={k: documents(RULE_KEYS) for k in RULE_KEYS if k != "AnalysisType"},
)
