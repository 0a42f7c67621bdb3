"""Every supported Logs Insights function, one small case each, on the record with srcPort 40001
(10.0.1.5:40001 -> 52.94.1.10:443, TCP, 10 packets, 1000 bytes, start T0 = 2023-11-14 22:00 UTC)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from insights_data import (
    T0,
    records,
    run,
)

import flowkit.engines.insights
from flowkit.engines.insights import InsightsQueryError, UnsupportedError
from flowkit.engines.insights.functions import AGGREGATES, FUNCTIONS, UNSUPPORTED_FUNCTIONS
from flowkit.engines.insights.functions.registry import Registry


def value(con, expression: str, row: str = "srcPort = 40001"):
    result = run(con, f"filter {row} | fields {expression} as v | display v")
    assert len(result) == 1
    out = result["v"][0]
    return None if pd.isna(out) else out


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('isempty("")', 1),
        ("isempty(noSuchField)", 1),
        ("isempty(srcAddr)", 0),
        ('isblank("  ")', 1),
        ("isblank(srcAddr)", 0),
        ('concat(srcAddr, ":", dstPort)', "10.0.1.5:443"),
        ('ltrim("xyZxyfooxyZ", "xyZ")', "fooxyZ"),
        ('rtrim("xyZfooxyxyZ", "xyZ")', "xyZfoo"),
        ('trim("xyZxyfooxyxyZ", "xyZ")', "foo"),
        ('trim("  a b  ")', "a b"),
        ("strlen(srcAddr)", 8),
        ("toupper('abc')", "ABC"),
        ("tolower(action)", "accept"),
        ('substr("xyZfooxyZ", 3, 3)', "foo"),
        ('substr("abcdef", 2)', "cdef"),
        ('replace("a.b.c", ".", "-")', "a-b-c"),
        ("regexReplace(srcAddr, /[.]/, '_')", "10_0_1_5"),
        ('strcontains(srcAddr, "0.1")', 1),
        ('strcontains(action, "accept")', 0),
        ('strcontains(action, "accept", true)', 1),
        ('startsWith(srcAddr, "10.")', 1),
        ('endsWith(srcAddr, ".6")', 0),
        ("abs(-3)", 3),
        ("ceil(1.2)", 2),
        ("floor(1.8)", 1),
        ("greatest(1, bytes, 5)", 1000),
        ("least(3, 2)", 2),
        ("log(1)", 0),
        ("sqrt(16)", 4),
        ("round(2.567, 2)", 2.57),
        ("round(2.5)", 3),
        ('toNumber("12.5")', 12.5),
        ('toInt("12.7")', 12),
        ('toLong("1e3")', 1000),
        ('toDouble("3")', 3.0),
        ("ispresent(srcAddr)", 1),
        ("ispresent(noSuchField)", 0),
        ("coalesce(noSuchField, srcAddr)", "10.0.1.5"),
        ('if(dstPort = 443, "https", "other")', "https"),
        ('case(dstPort = 22, "ssh", dstPort = 443, "https", "other")', "https"),
        ('case(dstPort = 22, "ssh", "other")', "other"),
        ('isNumeric("12")', 1),
        ("isNumeric(srcAddr)", 0),
        ("toMillis(@timestamp)", T0 * 1000),
        ("isValidIp(srcAddr)", 1),
        ('isValidIp("999.1.1.1")', 0),
        ('isValidIp("2001:db8::1")', 1),
        ('isValidIpV4("2001:db8::1")', 0),
        ('isValidIpV6("2001:db8::1")', 1),
        ('isValidIpV6("10.0.0.1")', 0),
        ('isIpInSubnet(srcAddr, "10.0.0.0/16")', 1),
        ('isIpv4InSubnet(srcAddr, "10.0.2.0/24")', 0),
        ('isIpInSubnet("2001:db8::1", "2001:db8::/32")', 1),
        ('isIpv6InSubnet("2001:db8::1", "2001:db9::/32")', 0),
        ('isIpv4InSubnet("2001:db8::1", "10.0.0.0/8")', 0),
        ('ipv4ToNumber("10.0.1.5")', 167_772_421),
        ("isPrivateIP(srcAddr)", 1),
        ("isPublicIP(dstAddr)", 1),
        ("isPublicIP(srcAddr)", 0),
        ('isReservedIP("240.0.0.1")', 1),
        ("bytes / packets", 100),
        ("bytes % 3", 1),
        ("2 ^ 3", 8),
        ("-packets + 1", -9),
        ("bytes / 0", None),
    ],
)
def test_scalar_function(con, expression, expected):
    got = value(con, expression)
    if isinstance(expected, float):
        assert got == pytest.approx(expected)
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("datefloor(@timestamp, 1h)", "2023-11-14 22:00:00"),
        ("dateceil(@timestamp, 1h)", "2023-11-14 23:00:00"),
        ("datefloor(@timestamp, 1d)", "2023-11-14 00:00:00"),
        ("datefloor(@timestamp, 1w)", "2023-11-13 00:00:00"),
        ("datefloor(@timestamp, 1mo)", "2023-11-01 00:00:00"),
        ("dateceil(@timestamp, 1mo)", "2023-12-01 00:00:00"),
        ("datefloor(@timestamp, 1q)", "2023-10-01 00:00:00"),
        ("datefloor(@timestamp, 1y)", "2023-01-01 00:00:00"),
        ("fromMillis(1700000000000)", "2023-11-14 22:13:20"),
    ],
)
def test_datetime_function(con, expression, expected):
    assert value(con, expression, "srcPort = 40002") == pd.Timestamp(expected, tz="UTC")


def test_now_is_the_query_time_in_seconds(con):
    before = int(time.time())
    assert before <= value(con, "now()") <= int(time.time()) + 1


def test_ip_functions_give_false_on_nodata_records(con):
    result = run(con, 'filter isIpv4InSubnet(srcAddr, "10.0.0.0/8") | stats count(*) as n')
    assert records(result) == [(6,)]
    result = run(
        con, 'filter logStatus = "NODATA" | display isValidIp(srcAddr) as ok, isPrivateIP(srcAddr) as p'
    )
    assert records(result) == [(0, 0)]


def test_boolean_values_are_one_and_zero(con):
    result = run(
        con, 'filter interfaceId = "eni-aaa" | fields dstPort = 443 as https | stats sum(https) as n'
    )
    assert records(result) == [(2,)]


@pytest.mark.parametrize("name", ["jsonParse(@message)", "base64encode(srcAddr)", "parseDate(srcAddr, 'x')"])
def test_unsupported_functions_are_refused_by_name(con, name):
    with pytest.raises(UnsupportedError, match="not supported locally"):
        run(con, f"fields {name} as x")


def test_unknown_function_suggests_the_closest(con):
    with pytest.raises(InsightsQueryError, match="did you mean strlen"):
        run(con, "fields strlenn(srcAddr) as x")


def test_wrong_argument_count(con):
    with pytest.raises(InsightsQueryError, match=r"substr\(\) takes 2 to 3 argument"):
        run(con, "fields substr(srcAddr) as x")


def test_each_aggregate_is_one_registry_entry_and_no_name_is_in_two_tables():
    assert sorted(AGGREGATES) == sorted(
        [
            "count",
            "count_distinct",
            "sum",
            "avg",
            "min",
            "max",
            "stddev",
            "pct",
            "earliest",
            "latest",
            "sortsfirst",
            "sortslast",
        ]
    )
    assert not set(AGGREGATES) & set(FUNCTIONS)
    assert not set(UNSUPPORTED_FUNCTIONS) & (set(FUNCTIONS) | set(AGGREGATES))


def test_a_registry_takes_each_lower_case_name_once():
    registry = Registry("function")
    registry.register("twice")(lambda c, node: None)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("twice")(lambda c, node: None)
    with pytest.raises(ValueError, match="lower case"):
        registry.register("isValidIp")(lambda c, node: None)


def test_importing_only_the_compiler_registers_every_function():
    # The package's __init__ imports run.py, which imports more than the compiler needs; a fresh
    # interpreter replaces the package by an empty one, so the compiler module is imported alone.
    code = textwrap.dedent(
        f"""
        import sys, types
        package = types.ModuleType("flowkit.engines.insights")
        package.__path__ = {list(flowkit.engines.insights.__path__)!r}
        sys.modules["flowkit.engines.insights"] = package
        from flowkit.engines.insights.compiler import Compiler
        from flowkit.engines.insights.parser import parse_insights
        from flowkit.schema import DEFAULT_FIELDS, FIELDS
        assert "flowkit.engines.insights.run" not in sys.modules
        query = "filter isIpv4InSubnet(srcAddr, '10.0.0.0/8') and isPrivateIp(dstAddr) | stats pct(bytes, 50)"
        fields = [FIELDS[name] for name in DEFAULT_FIELDS]
        print(Compiler(query, fields).compile(parse_insights(query)).sql)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    sql = result.stdout.upper()
    assert "BETWEEN 167772160 AND 184549375" in sql and "FLOWKIT_IP_CHECK(" in sql and "QUANTILE_DISC(" in sql
