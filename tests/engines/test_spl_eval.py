"""The SPL-subset evaluator against the examples of Splunk's documentation (each test names the
page it comes from)."""
import pytest

from translator.engines.spl_eval import SplError, parse, parse_eval, evaluate, run

SEARCH_EXAMPLES = "https://help.splunk.com/splunk-enterprise/search/spl2-search-reference/search-command/search-command-examples"
SEARCH_REF = "https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/search"
CONDITIONAL = "https://help.splunk.com/splunk-cloud-platform/spl-search-reference/9.3.2408/evaluation-functions/comparison-and-conditional-functions"
MULTIVALUE = "https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/evaluation-functions/multivalue-eval-functions"
EVAL_FUNCTIONS = "https://help.splunk.com/en/splunk-enterprise/spl-search-reference/9.4/evaluation-functions"
CASE_TERM = "https://help.splunk.com/splunk-enterprise/search/search-manual/9.0/search-primer/use-case-and-term-to-match-phrases"


def ids(rows, key="id"):
    return sorted(r[key] for r in rows)


def ev(text, **row):
    return evaluate(parse_eval(text), row)


# --------------------------------------------------------------------------- search
def test_field_value_wildcard_and_or():
    # SEARCH_EXAMPLES 1: | search src="10.9.165.*" OR dst="10.9.165.8"
    events = [{"id": 1, "src": "10.9.165.20"}, {"id": 2, "dst": "10.9.165.8"},
              {"id": 3, "src": "10.9.166.1", "dst": "10.9.165.80"}]
    rows = run('search src="10.9.165.*" OR dst="10.9.165.8" | table id', events)
    assert ids(rows) == ["1", "2"]


def test_comparison_and_in_are_equivalent():
    # SEARCH_EXAMPLES 2: (code=10 OR code=29 OR code=43) host!="localhost" xqp>5 and the IN form
    events = [{"id": 1, "code": 10, "host": "web", "xqp": 6},
              {"id": 2, "code": 29, "host": "localhost", "xqp": 9},
              {"id": 3, "code": 43, "host": "db", "xqp": 5},
              {"id": 4, "code": 11, "host": "db", "xqp": 50},
              {"id": 5, "code": 43, "xqp": 7}]
    a = run('search (code=10 OR code=29 OR code=43) host!="localhost" xqp>5 | table id', events)
    b = run('search code IN(10, 29, 43) host!="localhost" xqp>5 | table id', events)
    assert ids(a) == ids(b) == ["1"]  # 5 has no host: != needs the field


def test_wildcards_in_in_list():
    # SEARCH_EXAMPLES 3: host=webserver* (status=4* OR status=5*) == host=webserver* status IN(4*, 5*)
    events = [{"id": 1, "host": "webserver01", "status": 404}, {"id": 2, "host": "webserver02",
              "status": 200}, {"id": 3, "host": "db01", "status": 503},
              {"id": 4, "host": "WEBSERVER03", "status": 500}]
    a = run("search host=webserver* (status=4* OR status=5*) | table id", events)
    b = run("search host=webserver* status IN(4*, 5*) | table id", events)
    assert ids(a) == ids(b) == ["1", "4"]  # values match case-insensitively


def test_not_versus_not_equal():
    # SEARCH_EXAMPLES 5: "Searching with the boolean NOT comparison operator is not the same as
    # using the != comparison": NOT keeps events without the field, != does not.
    events = [{"id": 1, "fieldA": "Value1"}, {"id": 2, "fieldA": "Value2"}, {"id": 3}]
    assert ids(run("search NOT fieldA=Value2 | table id", events)) == ["1", "3"]
    assert ids(run("search fieldA!=Value2 | table id", events)) == ["1"]


def test_action_in_list():
    # SEARCH_EXAMPLES 4: sourcetype=access_combined_wcookie action IN (addtocart, purchase)
    events = [{"id": 1, "sourcetype": "access_combined_wcookie", "action": "purchase"},
              {"id": 2, "sourcetype": "access_combined_wcookie", "action": "view"},
              {"id": 3, "sourcetype": "other", "action": "addtocart"}]
    rows = run("search sourcetype=access_combined_wcookie action IN (addtocart, purchase) "
               "| table id", events)
    assert ids(rows) == ["1"]


def test_field_values_case_insensitive_field_names_case_sensitive():
    # CASE_TERM: "By default, searches are case-insensitive" (CASE() makes them sensitive);
    # SEARCH_REF: field names are case sensitive.
    events = [{"id": 1, "host": "LOCALHOST"}, {"id": 2, "Host": "localhost"}]
    assert ids(run("search host=localhost | table id", events)) == ["1"]


def test_multivalue_field_matches_any_value():
    # Search Manual, "Evaluate and manipulate fields with multiple values": a search on a
    # multivalue field matches when one of its values does.
    events = [{"id": 1, "to": ["a@x.com", "b@y.com"]}, {"id": 2, "to": ["c@x.com"]}]
    assert ids(run('search to="b@y.com" | table id', events)) == ["1"]


def test_quoted_values_escape_quotes_and_backslashes():
    # SEARCH_REF, "Quotes and escaping characters": \" and \\ inside quoted values
    events = [{"id": 1, "path": 'C:\\dir\\"x"'}]
    assert ids(run('search path="C:\\\\dir\\\\\\"x\\"" | table id', events)) == ["1"]


# --------------------------------------------------------------------------- eval functions
def test_cidrmatch_in_if():
    # EVAL_FUNCTIONS, nested functions: eval isLocal=if(cidrmatch("123.132.32.0/25",ip), "local", "not local")
    q = 'search x=* | eval isLocal=if(cidrmatch("123.132.32.0/25",ip), "local", "not local") | table isLocal'
    rows = run(q, [{"x": 1, "ip": "123.132.32.5"}, {"x": 1, "ip": "123.132.32.200"}])
    assert [r["isLocal"] for r in rows] == ["local", "not local"]


def test_coalesce_and_null():
    # CONDITIONAL, coalesce: coalesce(null(), "Returned value", null()) returns "Returned value"
    assert ev('coalesce(null(), "Returned value", null())') == "Returned value"


def test_if_with_null_predicate_takes_false_branch():
    # CONDITIONAL, if: "If the predicate expression evaluates to TRUE, returns the true_value,
    # otherwise the function returns the false_value" (NULL is not TRUE)
    assert ev('if(missing=="x", "yes", "no")') == "no"


def test_in_function():
    # CONDITIONAL, in: ... | where in(status, "400", "401", "403", "404")
    assert ev('in(status, "400", "401", "403", "404")', status="403") is True
    assert ev('in(status, "400", "401", "403", "404")', status="200") is False


def test_like_wildcards():
    # CONDITIONAL, like: % matches any characters, _ one character: like(field, "addr%")
    assert ev('like(field, "addr%")', field="address") is True
    assert ev('like(ip, "198._.%")', ip="198.7.1.1") is True
    assert ev('like(field, "addr%")', field="ADDRESS") is False  # case-sensitive


def test_match_searches_any_substring():
    # CONDITIONAL, match: "Returns TRUE if the regex finds a match against any substring"
    rx = '"^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$"'
    assert ev(f"match(ip, {rx})", ip="10.1.2.3") is True
    assert ev(f"match(ip, {rx})", ip="host 10.1.2.3") is False
    assert ev('match(s, "b")', s="abc") is True


def test_comparison_with_null_is_null_and_where_drops_it():
    # Search Reference "where": events for which the expression is not TRUE are dropped
    rows = run('search x=* | where y=="a" | table x', [{"x": 1}, {"x": 2, "y": "a"}])
    assert ids(rows, "x") == ["2"]
    rows = run('search x=* | where NOT y=="a" | table x', [{"x": 1}, {"x": 2, "y": "b"}])
    assert ids(rows, "x") == ["2"]  # NOT NULL is NULL: the event without y is dropped


def test_mvappend_and_mvcount():
    # MULTIVALUE, mvappend: eval fullName=mvappend("localhost", srcip); mvcount counts values
    assert ev('mvcount(mvappend("localhost", srcip))', srcip="10.0.0.1") == 2
    assert ev('mvcount(mvappend("localhost", srcip))') == 1
    assert ev("mvcount(nothing)") is None


def test_mvfilter_example():
    # MULTIVALUE, mvfilter: eval n=mvfilter(match(email, "\.net$") OR match(email, "\.org$"))
    got = ev('mvfilter(match(email, "\\.net$") OR match(email, "\\.org$"))',
             email=["a@b.net", "c@d.com", "e@f.org"])
    assert got == ["a@b.net", "e@f.org"]
    with pytest.raises(SplError):
        ev('mvfilter(a=="x" OR b=="y")', a="x", b="y")  # one field only


def test_mvfind_example():
    # MULTIVALUE, mvfind: eval n=mvfind(mymvfield, "err\d+") -> index of the first match
    assert ev('mvfind(mymvfield, "err\\d+")', mymvfield=["abc", "err123", "err9"]) == 1
    assert ev('mvfind(mymvfield, "err\\d+")', mymvfield=["abc"]) is None


def test_mvindex_example():
    # MULTIVALUE, mvindex: mvindex(multifield, 2) and negative indexes from the end
    mv = ["a", "b", "c", "d"]
    assert ev("mvindex(multifield, 2)", multifield=mv) == "c"
    assert ev("mvindex(multifield, -1)", multifield=mv) == "d"
    assert ev("mvindex(multifield, 2, 3)", multifield=mv) == ["c", "d"]
    assert ev("mvindex(multifield, 9)", multifield=mv) is None


def test_split_example():
    # MULTIVALUE, split: split(foo, ";")
    assert ev('split(foo, ";")', foo="a;b;c") == ["a", "b", "c"]


def test_tonumber_example():
    # EVAL_FUNCTIONS, Conversion: tonumber("0A4",16) returns 164; a non-number gives NULL
    assert ev('tonumber("0A4",16)') == 164
    assert ev('tonumber("abc")') is None
    assert ev('tonumber("12.5")') == 12.5


def test_text_functions():
    # EVAL_FUNCTIONS, Text: trim("   ZZZZabcZZ ", " Z") returns "abc"; lower, upper, len,
    # urldecode("http%3A%2F%2Fwww.splunk.com%2Fdownload%3Fr%3Dheader")
    assert ev('trim("   ZZZZabcZZ ", " Z")') == "abc"
    assert ev('lower("ABC") . upper("def")') == "abcDEF"
    assert ev('len("hello")') == 5
    assert ev('urldecode("http%3A%2F%2Fwww.splunk.com%2Fdownload%3Fr%3Dheader")') == \
        "http://www.splunk.com/download?r=header"


def test_isnull_isnotnull():
    # EVAL_FUNCTIONS, Informational: isnull(field) / isnotnull(field)
    assert ev("isnull(x)") is True and ev("isnotnull(x)", x="") is True


def test_spath_function():
    # EVAL_FUNCTIONS, Text: spath(X, Y) extracts the value at path Y from JSON X; {} for arrays
    raw = '{"a": {"b": [{"c": 1}, {"c": 2}], "d": null}}'
    assert ev('spath(_raw, "a.b{}.c")', _raw=raw) == ["1", "2"]
    assert ev('spath(_raw, "a.d")', _raw=raw) is None
    assert ev('spath(_raw, "a.b{}")', _raw=raw) == ['{"c":1}', '{"c":2}']


def test_numeric_comparison_of_text_field():
    # Evaluation functions usage: numeric fields compare as numbers with number literals
    assert ev("x > 9", x="10") is True
    assert ev('x > "9"', x="10") is False  # text against text: lexicographic


# --------------------------------------------------------------------------- stats, table
def test_stats_count_by_and_threshold():
    # Search Reference "stats": count by a field; events without the by-field are not counted
    events = [{"u": "a"}, {"u": "a"}, {"u": "b"}, {}]
    rows = run("search u=* OR NOT u=* | stats count by u | where count >= 2", events)
    assert rows == [{"u": "a", "count": 2}]


def test_table_keeps_listed_fields():
    rows = run("search a=1 | table a, c", [{"a": 1, "b": 2, "c": 3}])
    assert rows == [{"a": "1", "c": "3"}]


# --------------------------------------------------------------------------- grammar
@pytest.mark.parametrize("query", [
    'search a="x', "where a==1", "search a=1 | frobnicate", "search a=1 | where nofunc(a)",
    "search a=1 | where (a==1", "search a=1 | eval 1=2", "search a=1 | where a==",
])
def test_grammar_errors(query):
    with pytest.raises(SplError):
        parse(query)


# ---------------------------------------------------------------- multi-event commands
EVENTS = [{"s": "0", "_time": "100", "k": "a"}, {"s": "1", "_time": "160", "k": "a"},
          {"s": "1", "_time": "170", "k": "b"}, {"s": "0", "_time": "50"}]


def test_multisearch_runs_each_subsearch_over_all_events():
    rows = run('| multisearch [search s="0" | eval step="A"] [search k="a" | eval step="B"] '
               '| stats count by step', EVENTS)
    assert rows == [{"step": "A", "count": 2}, {"step": "B", "count": 2}]


def test_multisearch_must_come_first_with_two_subsearches():
    with pytest.raises(SplError):
        run('search s="0" | multisearch [search s="0"] [search s="1"]', EVENTS)
    with pytest.raises(SplError):
        run('| multisearch [search s="0"]', EVENTS)


def test_join_inner_unlimited_skips_rows_without_the_field():
    rows = run('search s="0" | eval T0=_time | join type=inner max=0 k '
               '[search s="1" | eval T1=_time | fields T1, k] | where T1 >= T0', EVENTS)
    assert [(r["k"], r["T0"], r["T1"]) for r in rows] == [("a", "100", "160")]
    with pytest.raises(SplError):
        run('search s="0" | join type=outer k [search s="1"]', EVENTS)


def test_stats_sum_and_no_by_over_no_events():
    assert run('search s="0" | eval m=if(k="a", 1, 0) | stats sum(m) as m', EVENTS) == [{"m": 1}]
    # without a by clause stats answers one row even over no events: count 0, sum empty
    assert run('search s="9" | eval m=1 | stats sum(m) as m count', EVENTS) == [{"count": 0}]


def test_addition_with_a_zero_operand():
    assert run('search s="0" k="a" | eval x=1 + 0', EVENTS)[0]["x"] == 1


def test_time_is_a_number():
    # Search Reference "Use default fields": _time is the event's timestamp in UNIX time, so
    # times copied by eval compare as numbers ("60" would sort after "120" as text)
    events = [{"s": "0", "k": "a", "_time": 120}, {"s": "1", "k": "a", "_time": 60},
              {"s": "1", "k": "a", "_time": 900}]
    rows = run('search s="0" | eval T0=_time | fields T0, k | join type=inner max=0 k '
               '[search s="1" | eval T1=_time | fields T1, k] | where T1 >= T0', events)
    assert [r["T1"] for r in rows] == [900]
