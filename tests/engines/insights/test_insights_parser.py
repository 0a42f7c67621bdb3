"""The Logs Insights parser: the syntax tree it builds, and the errors it gives."""

from __future__ import annotations

import pytest

from flowkit.engines.insights import InsightsSyntaxError, UnsupportedError, parse_insights
from flowkit.engines.insights import ast as a


def only(query: str):
    (command,) = parse_insights(query).commands
    return command


def condition(text: str) -> a.Expr:
    return only(f"filter {text}").condition


def test_commands_keywords_and_functions_are_case_insensitive():
    upper = parse_insights(
        'FIELDS @message | FILTER x IN ["a"] | STATS COUNT(*) BY BIN(5m) | SORT x DESC | LIMIT 5'
    )
    assert [type(c).__name__ for c in upper.commands] == ["Fields", "Filter", "Stats", "Sort", "Limit"]
    stats = upper.commands[2]
    assert stats.aggregates[0].expr.name == "count"
    assert stats.by[0].expr == a.Call("bin", (a.Duration(5, "m"),))


def test_field_names_keep_their_case():
    assert condition("srcAddr = 1").left == a.Field("srcAddr")


def test_precedence_of_arithmetic_and_logic():
    tree = condition("a + b * c ^ 2 > 3 or not d and e")
    assert tree.op == "or"
    left, right = tree.left, tree.right
    assert (
        left.op == ">"
        and left.left.op == "+"
        and left.left.right.op == "*"
        and left.left.right.right.op == "^"
    )
    assert right.op == "and" and right.left == a.Unary("not", a.Field("d"))


def test_regex_versus_division():
    assert condition("x like /a\\/b/").right == a.Regex("a/b")
    assert condition("bytes / 1024 > 2").left == a.Binary("/", a.Field("bytes"), a.Literal(1024))


def test_like_in_and_their_negations():
    assert condition("x not like 'a'").op == "not like"
    assert condition("x not in [1, 'b']") == a.Binary(
        "not in", a.Field("x"), a.ListLit((a.Literal(1), a.Literal("b")))
    )
    assert condition("x =~ /y/").op == "=~"
    assert condition("x == 1").op == "=="


def test_string_escapes_and_quotes():
    assert condition('x = "a\\"b"').right == a.Literal('a"b')
    assert condition("x = 'it\\'s'").right == a.Literal("it's")
    assert condition("x = 'a\\\\b'").right == a.Literal("a\\b")


def test_numbers_negative_decimal_and_exponent():
    assert condition("x = -1.5").right == a.Literal(-1.5)
    assert condition("x = 2e3").right == a.Literal(2000.0)


def test_durations_and_units():
    for text, unit in [("5m", "m"), ("1h", "h"), ("30s", "s"), ("2hrs", "h"), ("1mo", "mo"), ("1q", "q")]:
        assert only(f"stats count(*) by bin({text})").by[0].expr.args[0].unit == unit


def test_backtick_and_dotted_names():
    assert only("fields `detail-type`, a.b.0.c").items[0].expr == a.Field("detail-type")
    assert only("fields a.b.0.c").items[0].expr == a.Field("a.b.0.c")


def test_item_names_are_alias_field_or_source_text():
    items = only("stats count(*), sum( bytes ) as b, avg(bytes) by bin(5m) as t, srcAddr").aggregates
    assert [i.name for i in items] == ["count(*)", "b", "avg(bytes)"]


def test_comments_and_trailing_pipes_across_lines():
    query = "filter @type = 'REPORT' |\n  stats count(*) # only counts\n# | filter x\n| limit 3"
    assert [type(c).__name__ for c in parse_insights(query).commands] == ["Filter", "Stats", "Limit"]


def test_hash_inside_strings_and_regexes_is_not_a_comment():
    assert condition("x = 'a#b' and y like /c#d/").right.right == a.Regex("c#d")


def test_sort_forms():
    sort = only("sort by a desc, b, c asc")
    assert [(k.expr.name, k.descending) for k in sort.keys] == [("a", True), ("b", None), ("c", False)]
    assert only("order by a desc").keyword == "order by"


def test_parse_forms():
    glob = only('parse @message "[*] *" as level, text')
    assert (glob.source.name, glob.is_regex, glob.aliases) == ("@message", False, ("level", "text"))
    regex = only("parse url /(?<a>x)(?<b>y)/")
    assert (regex.source.name, regex.is_regex, regex.aliases) == ("url", True, ("a", "b"))
    default = only("parse 'Init Duration: * ms' as initDuration")
    assert default.source.name == "@message"


def test_limit_head_dedup_display_where():
    assert only("limit 5") == a.Limit(5)
    assert only("head 5").keyword == "head"
    assert only("limit any 5").count == 5
    assert only("dedup a, b").fields == (a.Field("a"), a.Field("b"))
    assert only("display a").display
    assert only("where x = 1").keyword == "where"


@pytest.mark.parametrize(
    ("query", "column", "expected"),
    [
        ("filter | stats count(*)", 8, "a field, value or expression"),
        ("stats count(* by x", 15, "',' or ')'"),
        ("fields a,", 10, "a field or expression"),
        ("sorted x", 1, "did you mean 'sort'"),
        ("filter x = 'open", 12, "a closing '"),
        ('parse @message "* *" as a', 16, "as many * in the pattern"),
        ("filter x like /abc", 15, "a closing /"),
        ("limit ten", 7, "a whole number"),
        ("fields a | ", 12, "a command"),
        ("stats count(*) by bin(5 minutes)", 25, "',' or ')'"),
        ("fields a b", 10, "'|' and the next command"),
        ("filter x = 5parsecs", 13, "a time unit"),
    ],
)
def test_syntax_errors_point_at_the_problem(query, column, expected):
    with pytest.raises(InsightsSyntaxError) as info:
        parse_insights(query)
    assert info.value.column == column
    assert expected in str(info.value)
    caret_line = str(info.value).splitlines()[-1]
    assert caret_line.index("^") - 4 == column - 1


def test_error_on_a_later_line_names_the_line():
    with pytest.raises(InsightsSyntaxError) as info:
        parse_insights("fields a\n| filter (b = 1\n| limit 2")
    assert info.value.line == 3
    assert "')' to close" in str(info.value)


@pytest.mark.parametrize(
    "command",
    [
        "pattern @message",
        "diff",
        "unnest x into y",
        "lookup t k OUTPUT v",
        "SOURCE logGroups()",
        "filterIndex a = 1",
        "tail 5",
        "anomaly",
    ],
)
def test_p2_commands_are_refused_by_name(command):
    with pytest.raises(UnsupportedError, match="not supported locally") as info:
        parse_insights(f"fields @message | {command}")
    assert command.split()[0] in str(info.value)
