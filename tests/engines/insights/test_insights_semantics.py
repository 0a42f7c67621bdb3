"""The behaviour chosen where the Logs Insights documentation is silent (the spec's section 12), one
test per choice. docs/insights-semantics.md lists the same choices and names these tests."""

from __future__ import annotations

import pandas as pd
import pytest
from insights_data import (
    T0,
    connection,
    records,
    run,
    synthetic_frame,
)

import flowkit
from flowkit.engines.insights import DEFAULT_SORT_DESCENDING, MAX_ROWS, UnsupportedError, parse_insights


def test_q1_sort_without_direction_is_ascending(con):
    assert DEFAULT_SORT_DESCENDING is False
    assert list(run(con, 'filter interfaceId = "eni-aaa" | sort bytes | display bytes')["bytes"]) == [
        150,
        400,
        1000,
        3000,
    ]


def test_q2_stats_rows_come_ascending_by_group_key_and_by_bin(con):
    assert list(run(con, "stats count(*) by dstPort")["dstPort"].fillna(-1)) == [22, 53, 443, 3389, 8080, -1]
    bins = run(con, "stats count(*) by bin(1h)")["bin(1h)"]
    assert list(bins) == sorted(bins)


def test_q2_non_stats_queries_come_newest_first(con):
    stamps = list(run(con, "fields @timestamp")["@timestamp"])
    assert stamps == sorted(stamps, reverse=True)


def test_q3_timestamp_is_start_in_ms_and_both_time_spellings_exist(con):
    result = run(
        con, "filter srcPort = 40002 | display toMillis(@timestamp) as ms, start, startTime, end, endTime"
    )
    assert records(result) == [((T0 + 60) * 1000, T0 + 60, T0 + 60, T0 + 110, T0 + 110)]


def test_q4_custom_format_fields_are_discovered_in_camel_case():
    engine = flowkit.connect(synthetic_frame(200))
    result = engine.insights("stats count(*) as n by flowDirection | sort flowDirection")
    assert list(result["flowDirection"]) == ["egress", "ingress"]
    assert (
        engine.insights("filter ispresent(pktSrcAddr) and ispresent(tcpFlags) | stats count(*) as n")["n"][0]
        > 0
    )


def test_q5_comparisons_with_a_missing_value_are_false_even_negated(con):
    # the NODATA record has no srcAddr and no dstPort: it passes none of these filters
    for condition in ('srcAddr != "x"', 'srcAddr not like "x"', 'srcAddr not in ["x"]', "dstPort != 1"):
        assert len(run(con, f"filter {condition}")) == 9, condition
    # ... but `not (comparison)` negates the false, so it keeps the record
    assert len(run(con, 'filter not (srcAddr = "x")')) == 10


def test_q5_missing_group_keys_form_a_null_group(con):
    result = run(con, "stats count(*) as n by srcAddr")
    assert records(result)[-1] == (None, 1)


def test_q6_mixed_comparisons_numbers_first_then_natural_string_order(con):
    row = "srcPort = 40001"
    result = run(
        con,
        f'filter {row} | display "200" = 200 as a, "abc" > 5 as b, "a2" < "a10" as c, '
        f'"10" < "9" as d, srcAddr > "10.0.1.10" as e',
    )
    assert records(result) == [(1, 1, 1, 0, 0)]


def test_q7_unaliased_columns_are_named_by_their_source_text(con):
    result = run(con, "stats count(*), sum( bytes ), avg(bytes)   by bin(1h)")
    assert list(result.columns) == ["bin(1h)", "count(*)", "sum( bytes )", "avg(bytes)"]


def test_q8_aggregates_skip_missing_and_non_numeric_values(con):
    assert records(run(con, "stats sum(bytes) as s, avg(packets) as a")) == [(8590, pytest.approx(58 / 9))]
    stars = " ".join(["*"] * 14)
    parsed = run(
        con, f'parse @message "{stars}" as a, b, c, d, e, f, g, h, i, j, k, l, m, n | stats sum(j) as s'
    )
    assert records(parsed) == [(8590,)]  # the NODATA record's "-" is skipped


def test_q9_pct_nearest_rank_stddev_sample_count_distinct_exact(con):
    result = run(con, "stats pct(bytes, 25) as p25, stddev(packets) as sd, count_distinct(srcAddr) as d")
    p25, sd, distinct = records(result)[0]
    assert p25 == 180  # 9 values: rank ceil(0.25 * 9) = 3 -> 180
    assert sd == pytest.approx(pd.Series([10, 20, 5, 2, 1, 3, 4, 6, 7]).std(ddof=1))
    assert distinct == 5


def test_q10_bin_alignment_and_clamping(con):
    result = run(
        con,
        "filter srcPort = 40002 | display datefloor(@timestamp, 1w) as w, datefloor(@timestamp, 1mo) as m",
    )
    assert records(result) == [(pd.Timestamp("2023-11-13", tz="UTC"), pd.Timestamp("2023-11-01", tz="UTC"))]
    clamped = run(con, "stats count(*) by bin(300s)")
    assert list(clamped["count(*)"]) == [1] * 10  # read as bin(60s): every record in its own minute
    assert any("60s" in note for note in clamped.attrs["notes"])


def test_q11_string_escapes_and_the_undocumented_operators(con):
    assert run(con, r'filter srcPort = 40001 | display "a\"b\\c\td" as s')["s"][0] == 'a"b\\c\td'
    equal = run(con, "filter dstPort == 22 | stats count(*) as n")
    assert records(equal) == [(2,)] and any("`==`" in n for n in equal.attrs["notes"])
    negated = run(con, "filter srcAddr !~ /^10\\./ | stats count(*) as n")
    assert records(negated) == [(3,)] and any("`!~`" in n for n in negated.attrs["notes"])


def test_q12_glob_stars_are_lazy_except_a_final_one(con):
    row = "srcPort = 40001"
    result = run(
        con,
        f'filter {row} | fields "x y z" as s, "[a] [b]" as t | parse s "* *" as first, rest '
        '| parse t "[*]" as inner | display first, rest, inner',
    )
    assert records(result) == [("x", "y z", "a")]


def test_q13_tail_is_refused_with_an_alternative():
    with pytest.raises(UnsupportedError, match="sort @timestamp asc"):
        parse_insights("fields @message | tail 5")


def test_missing_values_sort_last_in_both_directions(con):
    assert records(run(con, "sort bytes desc | display bytes | limit 2")) == [(3000,), (2100,)]
    assert records(run(con, "sort bytes asc | display bytes"))[-1] == (None,)


def test_row_cap_is_ten_thousand():
    assert MAX_ROWS == 10_000


def test_system_fields_match_case_insensitively_with_a_note(con):
    result = run(con, "filter @LOGSTREAM = 'eni-aaa-all' | stats count(*) as n")
    assert records(result) == [(4,)]
    assert any("@logStream" in note for note in result.attrs["notes"])


def test_earliest_and_latest_skip_records_without_the_field(con):
    assert records(run(con, 'filter interfaceId = "eni-ccc" | stats latest(dstPort) as p')) == [(443,)]


def test_ingestion_time_log_and_ptr(con):
    result = run(con, "filter srcPort = 40001 | display @ingestionTime, @log, @ptr")
    ingestion, log, ptr = records(result)[0]
    assert ingestion == (T0 + 50) * 1000 and log.endswith(":/aws/vpc/flowlogs") and len(ptr) == 32


def test_boolean_literals(con):
    assert records(run(con, "filter srcPort = 40001 | display true as t, false as f")) == [(1, 0)]


def test_like_an_address_prefix_is_a_substring_test_with_a_note():
    rows = [
        (
            2,
            "123456789012",
            "eni-aaa",
            "10.32.0.10",
            dst,
            40000 + i,
            443,
            6,
            1,
            100,
            T0 + i,
            T0 + i + 5,
            "ACCEPT",
            "OK",
        )
        for i, dst in enumerate(["10.32.1.5", "52.10.32.7", "8.8.8.8"])
    ]
    con = connection(rows)
    result = run(con, "filter dstAddr not like '10.32' | display dstAddr")
    # CloudWatch's meaning: 52.10.32.7 contains '10.32', so it is dropped too
    assert list(result["dstAddr"]) == ["8.8.8.8"]
    (note,) = [n for n in result.attrs["notes"] if "substring" in n]
    assert "isIpv4InSubnet(field, '10.32.0.0/16')" in note
    plain = run(con, "filter interfaceId like 'eni' | display dstAddr")
    assert len(plain) == 3 and not [n for n in plain.attrs.get("notes", []) if "substring" in n]
