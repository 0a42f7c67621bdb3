"""Every Logs Insights command on a small table, with the rows CloudWatch's rules give."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest
from insights_data import (
    ACCOUNT,
    T0,
    frame,
    records,
    run,
)

import flowkit
from flowkit.engines.insights import InsightsQueryError, run_insights


def ts(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC")


def test_default_output_is_timestamp_and_message_newest_first(con):
    result = run(con, "limit 3")
    assert list(result.columns) == ["@timestamp", "@message"]
    assert list(result["@timestamp"]) == [ts(T0 + 7500), ts(T0 + 7400), ts(T0 + 7300)]
    assert result["@message"][1] == f"2 {ACCOUNT} eni-ccc - - - - - - - {T0 + 7400} {T0 + 7450} - NODATA"


def test_fields_selects_and_accumulates(con):
    one = run(con, 'fields srcAddr, dstPort | filter action = "REJECT"')
    two = run(con, 'fields srcAddr | fields dstPort | filter action = "REJECT"')
    assert list(one.columns) == ["srcAddr", "dstPort"]
    assert records(one) == records(two) == [("198.51.100.4", 22), ("203.0.113.9", 3389)]


def test_fields_expression_with_alias(con):
    result = run(
        con, 'fields bytes / packets as bpp | filter interfaceId = "eni-aaa" | sort bpp desc | display bpp'
    )
    assert list(result["bpp"]) == [150.0, 100.0, 80.0, 75.0]


def test_only_the_last_display_counts(con):
    result = run(con, 'display srcAddr | display dstAddr | filter action = "REJECT"')
    assert list(result.columns) == ["dstAddr"]
    assert list(result["dstAddr"]) == ["10.0.2.7", "10.0.2.7"]


def test_display_expression_alias(con):
    result = run(
        con, 'filter interfaceId = "eni-bbb" | display dstPort, action = "REJECT" as rejected | sort dstPort'
    )
    assert records(result) == [(22, 1), (443, 0), (3389, 1), (8080, 0)]


def test_filter_and_where_alias(con):
    assert records(run(con, "where dstPort = 22 | display srcAddr")) == [("198.51.100.4",), ("10.0.1.5",)]
    assert records(run(con, "filter dstPort = 22 | display srcAddr")) == [("198.51.100.4",), ("10.0.1.5",)]


def test_filter_boolean_logic(con):
    query = 'filter (dstPort = 22 or dstPort = 3389) and not srcAddr like "198." | display srcAddr'
    assert records(run(con, query)) == [("203.0.113.9",), ("10.0.1.5",)]


def test_several_filters_combine_with_and(con):
    query = 'filter interfaceId = "eni-aaa" | filter protocol = 6 | filter bytes > 500 | display bytes'
    assert list(run(con, query)["bytes"]) == [3000, 1000]


def test_stats_count_by_field_sorted_by_key(con):
    result = run(con, "stats count(*) by interfaceId")
    assert list(result.columns) == ["interfaceId", "count(*)"]
    assert records(result) == [("eni-aaa", 4), ("eni-bbb", 4), ("eni-ccc", 2)]


def test_stats_numeric_aggregates(con):
    result = run(con, "stats sum(bytes), avg(bytes), min(bytes), max(bytes) by interfaceId")
    assert list(result.columns) == ["interfaceId", "sum(bytes)", "avg(bytes)", "min(bytes)", "max(bytes)"]
    assert records(result) == [
        ("eni-aaa", 4550, 1137.5, 150, 3000),
        ("eni-bbb", 3140, 785.0, 60, 2100),
        ("eni-ccc", 900, 900.0, 900, 900),
    ]


def test_stats_without_by_gives_one_row_and_count_field_counts_present(con):
    assert records(run(con, "stats count(*) as n, count(srcAddr) as present, count() as c")) == [(10, 9, 10)]


def test_stats_by_bin_counts_per_hour(con):
    result = run(con, "stats count(*) by bin(1h)")
    assert list(result.columns) == ["bin(1h)", "count(*)"]
    assert records(result) == [(ts(T0), 3), (ts(T0 + 3600), 3), (ts(T0 + 7200), 4)]


def test_stats_aliases_on_keys_and_aggregates(con):
    result = run(con, "stats sum(bytes) as b by srcAddr as src | sort b desc | limit 2")
    assert list(result.columns) == ["src", "b"]
    assert records(result) == [("10.0.1.5", 4550), ("10.0.2.7", 2900)]


def test_stats_item_reuses_earlier_alias(con):
    assert records(run(con, "stats max(bytes) as hi, min(bytes) as lo, hi - lo as spread")) == [
        (3000, 60, 2940)
    ]


def test_stats_arithmetic_on_aggregates(con):
    assert records(run(con, "stats sum(bytes) / count(*) as per_record")) == [(859.0,)]


def test_two_stats_and_filter_between(con):
    assert records(
        run(con, "stats count(*) as n by interfaceId | stats max(n) as most, sum(n) as total")
    ) == [(4, 10)]
    query = "stats count(*) as n by interfaceId | filter n > 3 | stats count(*) as busy"
    assert records(run(con, query)) == [(2,)]


def test_count_distinct(con):
    result = run(con, "stats count_distinct(dstAddr) as d by interfaceId")
    assert records(result) == [("eni-aaa", 3), ("eni-bbb", 3), ("eni-ccc", 1)]


def test_pct_is_nearest_rank_and_stddev_is_sample(con):
    values = [60, 150, 180, 400, 800, 900, 1000, 2100, 3000]
    result = run(con, "stats pct(bytes, 50) as p50, pct(bytes, 90) as p90, stddev(bytes) as sd")
    p50, p90, sd = records(result)[0]
    assert (p50, p90) == (800, 3000)
    assert sd == pytest.approx(statistics.stdev(values))


def test_earliest_and_latest(con):
    result = run(con, "stats earliest(dstPort) as first, latest(dstPort) as last by interfaceId")
    assert records(result) == [("eni-aaa", 443, 53), ("eni-bbb", 3389, 443), ("eni-ccc", 443, 443)]


def test_sorts_first_and_last_use_the_natural_order(con):
    result = run(con, "stats sortsFirst(srcAddr) as a, sortsLast(srcAddr) as b, min(srcAddr) as lo")
    assert records(result) == [("10.0.1.5", "2001:db8::1", "10.0.1.5")]


def test_sort_ascending_by_default(con):
    result = run(con, 'filter interfaceId = "eni-bbb" | sort dstPort | display dstPort')
    assert list(result["dstPort"]) == [22, 443, 3389, 8080]


def test_sort_several_keys(con):
    result = run(con, "sort interfaceId desc, bytes asc | display interfaceId, bytes | limit 4")
    assert records(result) == [("eni-ccc", 900), ("eni-ccc", None), ("eni-bbb", 60), ("eni-bbb", 180)]


def test_sort_by_and_order_by(con):
    expected = [("eni-aaa", 4), ("eni-bbb", 4), ("eni-ccc", 2)]
    sorted_by = run(con, "stats count(*) as n by interfaceId | sort by n desc, interfaceId asc")
    ordered = run(con, "stats count(*) as n by interfaceId | order by n desc, interfaceId asc")
    assert records(sorted_by) == records(ordered) == expected
    assert any("order by" in note for note in ordered.attrs["notes"])


def test_sort_strings_naturally(con):
    result = run(con, "stats count(*) by srcAddr | sort srcAddr | display srcAddr")
    assert list(result["srcAddr"].fillna("<missing>")) == [
        "10.0.1.5",
        "10.0.2.7",
        "198.51.100.4",
        "203.0.113.9",
        "2001:db8::1",
        "<missing>",
    ]


def test_limit_keeps_the_first_rows(con):
    result = run(con, "display srcPort | limit 2")
    assert records(result) == [(50005,), (None,)]


def test_head_is_limit_with_a_note(con):
    result = run(con, "display srcPort | head 1")
    assert records(result) == [(50005,)]
    assert any("head" in note for note in result.attrs["notes"])


def test_limit_between_commands_then_filter(con):
    result = run(con, "sort bytes asc | limit 3 | filter bytes > 100 | display bytes")
    assert list(result["bytes"]) == [150, 180]


def test_parse_glob_flow_log_record(con):
    stars = " ".join(["*"] * 14)
    query = (
        f'parse @message "{stars}" as v, acct, eni, src, dst, sp, dp, pr, pk, byt, st, en, ac, ls '
        "| filter dp = 22 | display src, dp"
    )
    assert records(run(con, query)) == [("198.51.100.4", "22"), ("10.0.1.5", "22")]


def test_parse_glob_non_matching_records_keep_no_value(con):
    query = (
        'filter interfaceId = "eni-bbb" | parse srcAddr "10.0.*.*" as third, fourth | display srcAddr, third'
    )
    assert records(run(con, query)) == [
        ("10.0.2.7", "2"),
        ("10.0.2.7", "2"),
        ("198.51.100.4", None),
        ("203.0.113.9", None),
    ]


def test_parse_regex_named_groups(con):
    result = run(con, "parse @message /(?<NetworkInterface>eni-.*?) / | stats count(*) by NetworkInterface")
    assert records(result) == [("eni-aaa", 4), ("eni-bbb", 4), ("eni-ccc", 2)]


def test_parse_chained(con):
    query = (
        'parse @message "* * * * *" as v, acct, eni, src, rest | parse src "*.*.*.*" as a, b, c, d '
        '| filter interfaceId = "eni-aaa" | stats count(*) by a, d'
    )
    assert records(run(con, query)) == [("10", "5", 4)]


def test_parse_result_fields_are_shown_by_default(con):
    result = run(con, 'parse @message "* * * *" as v, acct, eni, rest | limit 1')
    assert list(result.columns) == ["v", "acct", "eni", "rest"]
    assert records(result)[0][:3] == ("2", ACCOUNT, "eni-bbb")


def test_dedup_keeps_the_first_row_per_key(con):
    result = run(con, "display interfaceId, bytes | dedup interfaceId")
    assert records(result) == [("eni-bbb", 2100), ("eni-ccc", None), ("eni-aaa", 150)]


def test_dedup_keeps_every_row_with_a_missing_key(con):
    result = run(con, "display srcAddr | dedup srcAddr")
    assert sorted(result["srcAddr"].fillna("<missing>")) == sorted(
        ["10.0.2.7", "<missing>", "2001:db8::1", "198.51.100.4", "203.0.113.9", "10.0.1.5"]
    )


def test_dedup_after_sort_and_then_limit(con):
    result = run(con, "display interfaceId, bytes | sort bytes asc | dedup interfaceId | limit 2")
    assert records(result) == [("eni-bbb", 60), ("eni-aaa", 150)]


def test_only_limit_may_follow_dedup(con):
    with pytest.raises(InsightsQueryError, match="only limit may follow dedup"):
        run(con, "dedup srcAddr | sort bytes")


def test_time_range_is_inclusive_at_both_ends(con):
    result = run(con, "stats count(*) as n", start=T0 + 3600, end=T0 + 3800)
    assert records(result) == [(3,)]
    iso = run(con, "stats count(*) as n", start="2023-11-14T23:00:00Z", end=pd.Timestamp(T0 + 3800, unit="s"))
    assert records(iso) == [(3,)]


def test_system_fields(con):
    result = run(con, "filter srcPort = 40001 | display @logStream, @log, @ingestionTime, @timestamp, @ptr")
    stream, log, ingestion, timestamp, ptr = records(result)[0]
    assert (stream, log, ingestion, timestamp) == (
        "eni-aaa-all",
        f"{ACCOUNT}:/aws/vpc/flowlogs",
        (T0 + 50) * 1000,
        ts(T0),
    )
    assert len(ptr) == 32


def test_discovered_names_and_time_aliases(con):
    result = run(
        con, "filter srcPort = 40001 | display version, accountId, start, startTime, end, endTime, logStatus"
    )
    assert records(result) == [(2, ACCOUNT, T0, T0, T0 + 50, T0 + 50, "OK")]


def test_log_stream_filter_with_the_full_stream_name(con):
    result = run(con, "filter @logStream = 'eni-ccc-all' | stats count(*) as n")
    assert records(result) == [(2,)]
    assert result.attrs["notes"] == []


def test_fields_default_to_the_view_columns(con):
    result = run_insights(con, "filter srcPort = 40001 | display @message, srcAddr")
    assert records(result) == [
        (f"2 {ACCOUNT} eni-aaa 10.0.1.5 52.94.1.10 40001 443 6 10 1000 {T0} {T0 + 50} ACCEPT OK", "10.0.1.5")
    ]


def test_local_engine_insights(con):
    engine = flowkit.connect(frame())
    assert records(engine.insights("stats count(*) as n by action | sort action")) == [
        ("ACCEPT", 7),
        ("REJECT", 2),
        (None, 1),
    ]


def test_after_stats_an_unaliased_aggregate_names_its_column(con):
    result = run(
        con, "stats count(*) by interfaceId | sort count(*) asc, interfaceId desc | filter count(*) > 1"
    )
    assert records(result) == [("eni-ccc", 2), ("eni-bbb", 4), ("eni-aaa", 4)]


@pytest.mark.parametrize(
    ("condition", "count"),
    [
        (r"srcAddr =~ /^10\.0\.2\./", 2),
        ("action like /(?i)reject/", 2),
        ('action like "REJ"', 2),
        ('action like "rej"', 0),  # a string like is a case-sensitive substring test
        ('dstAddr like "10.32"', 2),  # substring: 10.32.0.7 and 110.32.1.1
        ('dstPort in ["22", 443]', 6),  # numeric-aware whole-value equality
        ('interfaceId not in ["eni-aaa", "eni-bbb"]', 2),
        ("bytes >= 900 and bytes <= 2100", 3),
        ("dstPort != 443", 5),
    ],
)
def test_filter_operators(con, condition, count):
    assert records(run(con, f"filter {condition} | stats count(*) as n")) == [(count,)]
