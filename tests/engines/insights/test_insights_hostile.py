"""Hostile input to the Logs Insights engine: clear errors or the documented behaviour, never a crash,
a hang or SQL built from unescaped query text."""

from __future__ import annotations

import time

import pytest
from insights_data import (
    ROWS,
    connection,
    records,
    run,
)

from flowkit.engines.insights import (
    MAX_ROWS,
    InsightsQueryError,
    InsightsSyntaxError,
    compile_insights,
    parse_insights,
    run_insights,
)
from flowkit.errors import QueryError


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "# just a comment",
        "|",
        "| fields a",
        "fields a ||",
        "\x00",
        "filter ((((x = 1)",
        "stats count(*) by",
        "fields a as",
        "fields 'a' as 1",
    ],
)
def test_malformed_queries_raise_syntax_errors(query):
    with pytest.raises(InsightsSyntaxError):
        parse_insights(query)


def test_a_non_string_query_is_refused():
    with pytest.raises(InsightsSyntaxError, match="a query string"):
        parse_insights(None)  # type: ignore[arg-type]


def test_deep_nesting_fails_cleanly():
    with pytest.raises(QueryError, match="too deeply"):
        compile_insights("filter " + "(" * 5000 + "x = 1" + ")" * 5000)


def test_a_long_flat_condition_runs(con):
    query = "filter " + " or ".join(f"dstPort = {port}" for port in range(2000)) + " | stats count(*) as n"
    assert records(run(con, query)) == [(7,)]  # ports 22, 53 and 443


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("filter isIpv4InSubnet(srcAddr, 5)", "quoted CIDR"),
        ('filter isIpInSubnet(srcAddr, "10.0.0.0/33")', "not a CIDR block"),
        ("stats count(*) by bin(srcAddr)", "time period"),
        ("stats pct(bytes, 200)", "between 0 and 100"),
        ('stats pct(bytes, "p95")', "pct"),
        ("fields datefloor(@timestamp, 0m) as t", "must be positive"),
        ("filter sum(bytes) > 1", "aggregate function: use it in stats"),
        ("stats sum(max(bytes))", "cannot be nested"),
        ("stats srcAddr", "must be inside an aggregate function"),
        ("stats sum(*)", r"only valid as count\(\*\)"),
        ("stats count(*) as a | stats count(*) as b | stats count(*) as c", "at most two stats"),
        ("stats count(*) as n by srcAddr | sort n | stats sum(n)", "after the second one"),
        ("fields x like 'a' as y | fields [1, 2] as z", r"\[list\]"),
        ("fields 5m as x", "time period"),
        ("filter x = /re/", "can only follow like"),
        ("stats count(*) by bin(99999999999999999999d)", "shorter than 2"),
        ("fields dateceil(@timestamp, 200000000000d) as t", "shorter than 2"),
    ],
)
def test_bad_arguments_and_misplaced_commands_raise_query_errors(con, query, message):
    with pytest.raises(InsightsQueryError, match=message):
        run(con, query)


def test_wrong_types_are_null_not_errors(con):
    result = run(
        con,
        'filter srcPort = 40001 | display substr(srcAddr, "abc") as a, abs("abc") as b, '
        "sum_of = bytes + srcAddr as c",
    )
    assert records(result) == [(None, None, 0)]


def test_unknown_fields_are_empty_with_a_note(con):
    result = run(con, "filter nosuch = 1 or srcPort = 40001 | display nosuch, srcPort")
    assert records(result) == [(None, 40001)]
    assert any("`nosuch`" in note for note in result.attrs["notes"])


@pytest.mark.parametrize("limit", [10_001, 999_999_999_999, 10**30])
def test_huge_limits_are_capped(limit):
    many = connection([ROWS[0]] * (MAX_ROWS + 5))
    result = run(many, f"limit {limit}")
    assert len(result) == MAX_ROWS
    assert any("capped" in note for note in result.attrs["notes"])


def test_the_cap_also_applies_without_limit_and_to_stats():
    many = connection([(*ROWS[0][:5], port, *ROWS[0][6:]) for port in range(MAX_ROWS + 5)])
    assert len(run(many, "fields srcPort")) == MAX_ROWS
    assert len(run(many, "stats count(*) by srcPort")) == MAX_ROWS


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "(x+x+)+y", "(.*a){20}"])
def test_catastrophic_regexes_finish_in_linear_time(pattern):
    long = connection([(*ROWS[0][:3], "a" * 50_000 + "!", *ROWS[0][4:])])
    began = time.perf_counter()
    result = run(long, f"filter srcAddr like /{pattern}/ | stats count(*) as n")
    assert time.perf_counter() - began < 5
    assert records(result) in ([(0,)], [(1,)])


@pytest.mark.parametrize("pattern", ["(a)\\1", "a(?=b)", "(?<!a)b"])
def test_regexes_re2_cannot_run_give_a_clear_error(con, pattern):
    with pytest.raises(InsightsQueryError, match="RE2"):
        run(con, f"filter srcAddr like /{pattern}/")


def test_quotes_in_literals_cannot_escape_into_sql(con):
    hostile = "x'; DROP VIEW vpc_flow_logs; --"
    result = run(con, f'filter srcAddr = "{hostile}" or srcAddr like "\'); DROP" | stats count(*) as n')
    assert records(result) == [(0,)]
    assert len(run(con, "stats count(*) as n")) == 1
    sql = compile_insights(f'filter srcAddr = "{hostile}"')
    assert "'x''; DROP VIEW vpc_flow_logs; --'" in sql


def test_odd_names_never_reach_sql(con):
    result = run(con, 'filter srcPort = 40001 | fields 1 as `x"; DROP VIEW vpc_flow_logs; --` | fields `a"b`')
    assert list(result.columns) == ['x"; DROP VIEW vpc_flow_logs; --', 'a"b']
    assert records(result) == [(1, None)]


def test_a_table_name_must_be_an_identifier(con):
    with pytest.raises(InsightsQueryError, match="plain SQL identifier"):
        run_insights(con, "limit 1", table="vpc_flow_logs; DROP VIEW vpc_flow_logs")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("yesterday-ish", None, "not a time"),
        (2_000_000_000, 1_000_000_000, "empty"),
        (True, None, "epoch seconds"),
    ],
)
def test_bad_time_ranges(con, start, end, message):
    with pytest.raises(InsightsQueryError, match=message):
        run(con, "limit 1", start=start, end=end)


def test_mutated_queries_fail_only_with_query_errors(con):
    """Seeded fuzzing: random edits of the spec's example queries either run or raise a QueryError."""
    import random

    from test_insights_spec_corpus import CORPUS

    rng = random.Random(20261128)
    alphabet = "|()[],'\"/`#=!<>~*^%-+ .@abc019\n"
    queries = list(CORPUS.values())
    outcomes = {"ran": 0, "refused": 0}
    for _ in range(400):
        text = list(rng.choice(queries))
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(text) + 1)
            if rng.random() < 0.5 and position < len(text):
                del text[position]
            else:
                text.insert(position, rng.choice(alphabet))
        try:
            run(con, "".join(text))
            outcomes["ran"] += 1
        except QueryError:
            outcomes["refused"] += 1
    assert outcomes["ran"] > 20 and outcomes["refused"] > 20


def test_sorting_by_a_missing_field_keeps_the_rows(con):
    result = run(con, "display interfaceId | sort nosuch desc | limit 20 | dedup interfaceId")
    assert sorted(result["interfaceId"]) == ["eni-aaa", "eni-bbb", "eni-ccc"]


@pytest.mark.parametrize("bound", ["now", "today", "11/02/2023", "2023"])
def test_time_bounds_are_iso_8601_as_on_aws(con, bound):
    # pandas would read these (month-first, the local clock); the AWS engines refuse them
    with pytest.raises(InsightsQueryError, match="is not a time: use ISO 8601"):
        run(con, "stats count(*) as n", start=bound)
