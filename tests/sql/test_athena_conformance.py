"""The local engine answers what Athena answers, and reads nothing but the flow logs.

``conformance.yaml``: one case a line: a query, Athena engine v3's (Trino's) documented answer and
the page that documents it (``source``, a trino.io or docs.aws.amazon.com URL). Values follow the
conventions of the YAML's header: timestamps as Trino prints them, decimals as floats with the
type in ``types``, rows unordered unless ``ordered: true``; an ``error`` is a phrase the message
must contain. ``hostile.yaml``: queries that try to reach past the flow logs (file readers,
``getenv``, ``ATTACH``, ``COPY``, ``SET``, URLs, deep nesting...); each must end in a
:class:`~flowkit.errors.FlowkitError` naming what was refused, never a traceback, a file read or
a file written. Adding a case is one line in a YAML file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from flowkit.engines.local import LocalEngine
from flowkit.errors import FlowkitError

HERE = Path(__file__).parent
CONFORMANCE = yaml.safe_load((HERE / "conformance.yaml").read_text())
HOSTILE = yaml.safe_load((HERE / "hostile.yaml").read_text())
FLOWS = {"srcaddr": ["10.0.0.1"], "dstaddr": ["10.0.0.2"], "dstport": [443], "bytes": [100]}

#: Conformance cases the local engine does not yet answer as Athena does (strict xfail: a fix
#: that makes one pass fails the suite until it is taken off this list).
KNOWN_GAPS: dict[str, str] = {
    "div-decimal-literal": "DECIMAL literals come back as double, not decimal",
    "human-readable-seconds": "refused by name (an Athena function the local engine does not run)",
    "strpos-nth-instance": "refused: sqlglot drops strpos's third argument, so flowkit refuses it",
    "element-at-beyond-length": "element_at past the end fails instead of giving NULL",
    "element-at-negative": "element_at with a negative index fails instead of counting from the end",
    "reserved-end-unquoted": "refused, in flowkit's words ('reserved word'), not Athena's 'mismatched input'",
    "table-function-without-table-keyword": "refused by name, not with Athena's 'mismatched input'",
    "date-trunc-week-date": "date_trunc on a DATE returns a timestamp, not a date",
    "date-plus-interval-day": "DATE + INTERVAL returns a timestamp, not a date",
}


def test_the_suites_are_big_enough_and_cite_their_pages():
    assert len(CONFORMANCE) >= 60 and len(HOSTILE) >= 60
    assert len({c["id"] for c in CONFORMANCE}) == len(CONFORMANCE)
    for case in CONFORMANCE:
        assert re.match(r"https://(trino\.io/docs/|docs\.aws\.amazon\.com/athena/)", case["source"]), case[
            "id"
        ]


# -- conformance ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    with LocalEngine(pd.DataFrame(FLOWS)) as eng:
        yield eng


def _zone(ts: pd.Timestamp) -> str:
    name = str(ts.tz)
    if name in ("UTC", "utc", "Etc/UTC"):
        return "UTC"
    match = re.fullmatch(r"(?:UTC)?([+-]\d\d:\d\d)", name)
    return match.group(1) if match else name


def render(value, type_hint: str | None):
    """One result cell as the YAML writes Athena's answer."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return [render(v, None) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | decimal.Decimal):
        return float(value)
    if isinstance(value, pd.Timedelta | dt.timedelta):
        c = pd.Timedelta(value).components
        return f"{c.days} {c.hours:02d}:{c.minutes:02d}:{c.seconds:02d}.{c.milliseconds:03d}"
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        match = re.match(r"timestamp\((\d+)\)", type_hint or "")
        digits = int(match.group(1)) if match else 3
        fraction = ("." + f"{ts.microsecond:06d}{ts.nanosecond:03d}"[:digits]) if digits else ""
        text = ts.strftime("%Y-%m-%d %H:%M:%S") + fraction
        return f"{text} {_zone(ts)}" if ts.tz is not None else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _family(arrow_type: pa.DataType) -> str:
    checks = [
        (pa.types.is_int8, "tinyint"), (pa.types.is_int16, "smallint"), (pa.types.is_int32, "integer"),
        (pa.types.is_int64, "bigint"), (pa.types.is_float32, "real"), (pa.types.is_float64, "double"),
        (pa.types.is_boolean, "boolean"), (pa.types.is_decimal, "decimal"), (pa.types.is_date, "date"),
        (pa.types.is_string, "varchar"), (pa.types.is_large_string, "varchar"), (pa.types.is_list, "array"),
        (pa.types.is_large_list, "array"), (pa.types.is_duration, "interval"), (pa.types.is_null, "unknown"),
    ]  # fmt: skip
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp"
    return next((family for test, family in checks if test(arrow_type)), str(arrow_type))


def dtype_family(series: pd.Series) -> str:
    """A result column's type family (precision such as timestamp(3) is not visible in a DataFrame)."""
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return _family(dtype.pyarrow_dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamp with time zone"
    if str(dtype).startswith("datetime64"):
        return "timestamp"
    if str(dtype).startswith("timedelta"):
        return "interval"
    if isinstance(dtype, pd.StringDtype):
        return "varchar"
    return str(dtype)


def expected_family(athena_type: str) -> str:
    family = re.sub(r"\s+", " ", re.sub(r"\(.*?\)", "", athena_type.lower())).strip()
    if family == "ipaddress" or family.startswith("interval"):  # their text, as Athena's API returns them
        return "varchar"
    return family


def same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def same_rows(got: list[list], want: list[list], ordered: bool) -> bool:
    if len(got) != len(want):
        return False
    if ordered:
        return all(same(g, w) for g, w in zip(got, want, strict=True))
    remaining = list(want)
    for row in got:
        hit = next((i for i, w in enumerate(remaining) if same(row, w)), None)
        if hit is None:
            return False
        remaining.pop(hit)
    return True


def _params(cases, gaps):
    for case in cases:
        marks = [pytest.mark.xfail(strict=True, reason=gaps[case["id"]])] if case["id"] in gaps else []
        yield pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", list(_params(CONFORMANCE, KNOWN_GAPS)))
def test_conformance(engine, case):
    """``case["source"]`` is the AWS/Trino page documenting the expected answer."""
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(FlowkitError) as info:
            engine.sql(case["query"])
        assert expect["error"].lower() in str(info.value).lower(), (case["source"], str(info.value))
        assert "\n" not in str(info.value).split("\n    ")[0]  # one sentence, then at most the query
        return
    frame = engine.sql(case["query"])
    types = expect.get("types") or []
    rows = [
        [render(v, types[i] if i < len(types) else None) for i, v in enumerate(row)]
        for row in frame.itertuples(index=False, name=None)
    ]
    assert [str(c) for c in frame.columns] == expect["columns"], case["source"]
    assert same_rows(rows, expect["rows"], bool(expect.get("ordered"))), (
        case["source"],
        rows,
        expect["rows"],
    )
    if types and len(set(frame.columns)) == len(frame.columns):
        got = [dtype_family(frame[c]) for c in frame.columns]
        assert got == [expected_family(t) for t in types], case["source"]


# -- hostile queries ----------------------------------------------------------------------------------

TOKEN = "FK-CANARY-7f3a"

#: Hostile cases refused by an earlier rule than the one the case names (still refused, by name).
REFUSED_EARLIER = {
    "read-text-list-of-paths": "lists are DuckDB syntax",
    "postgres-escape-string": "syntax error",
    "dollar-quoted-path": "'$$' parameters are not Athena's",
    "create-secret": "only queries (SELECT, WITH ...) run here, not CREATE",
}


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory):
    """Canary files outside the data, a watched scratch folder, and engines over a frame and over Parquet."""
    root = tmp_path_factory.mktemp("hostile")
    canary_dir = root / "canary"
    canary_dir.mkdir()
    (canary_dir / "fk-canary-secret.txt").write_text(f"{TOKEN}\nroot:x:0:0\n")
    (canary_dir / "fk-canary.json").write_text(f'{{"secret": "{TOKEN}"}}\n')
    pq.write_table(pa.table({"secret": [TOKEN]}), root / "outside.parquet")
    out = root / "out"
    out.mkdir()
    data = root / "data"
    data.mkdir()
    pq.write_table(pa.table({**FLOWS, "start": [1659310225], "end": [1659310285]}), data / "flows.parquet")
    places = {
        "CANARY_JSON": canary_dir / "fk-canary.json",
        "CANARY_DIR": canary_dir,
        "CANARY": canary_dir / "fk-canary-secret.txt",
        "OUTSIDE_PARQUET": root / "outside.parquet",
        "OUT": out,
        "ENV": "FLOWKIT_TEST_CANARY",
    }
    with LocalEngine(pd.DataFrame(FLOWS)) as frame_engine, LocalEngine(data / "flows.parquet") as parquet:
        yield {"root": root, "places": places, "engines": {"frame": frame_engine, "parquet": parquet}}


def expand(query: str, places: dict[str, object]) -> str:
    def macro(match: re.Match[str]) -> str:
        kind, n = match.group(1), int(match.group(2))
        return {
            "PARENS": lambda: "(" * n + "1" + ")" * n,
            "INLIST": lambda: ",".join(str(i) for i in range(n)),
            "SUBQ": lambda: "(SELECT * FROM " * n + "vpc_flow_logs" + ") AS t" * n,
            "LONGSTR": lambda: "x" * n,
        }[kind]()

    query = re.sub(r"\{(PARENS|INLIST|SUBQ|LONGSTR):(\d+)\}", macro, query)
    for name, value in places.items():
        query = query.replace("{" + name + "}", str(value))
    return query


@pytest.mark.parametrize("source", ["frame", "parquet"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in HOSTILE])
def test_hostile_query(hostile_world, monkeypatch, case, source):
    monkeypatch.setenv("FLOWKIT_TEST_CANARY", TOKEN)
    engine = hostile_world["engines"][source]
    root = hostile_world["root"]
    query = expand(case["query"], hostile_world["places"])
    before = {str(p) for p in root.rglob("*")}
    answer, error = None, None
    try:
        answer = engine.sql(query)
    except FlowkitError as exc:
        error = exc
    written = {str(p) for p in root.rglob("*")} - before
    assert not written, f"the query wrote {sorted(written)}"
    if answer is not None:
        shown = repr(answer.to_dict("split"))
        assert TOKEN not in shown and "root:x:0:0" not in shown, shown[:300]
    if case["expect"] == "refuse":
        assert error is not None, f"answered instead of refusing: {answer}"
        message = str(error).split("\n    ")[0]  # the message, not the echoed query
        assert REFUSED_EARLIER.get(case["id"], case["phrase"]).lower() in message.lower(), message
    elif case["expect"] == "allow":
        assert error is None, str(error)
        if "rows" in case:
            assert [list(r) for r in answer.itertuples(index=False, name=None)] == case["rows"]
    assert engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0] == 1  # the engine still works


# -- every result type in every output format -----------------------------------------------------------


@pytest.mark.parametrize("output", ["table", "csv", "json"])
def test_every_result_type_prints_in_every_format(capsys, tmp_path, output):
    from flowkit.cli import main

    pq.write_table(pa.table({**FLOWS, "start": [1659310225], "end": [1659310285]}), tmp_path / "f.parquet")
    query = (
        "SELECT INTERVAL '2' DAY + INTERVAL '3' HOUR AS i, INTERVAL '14' MONTH AS m, IPADDRESS '10.0.0.1' AS a, "
        "ARRAY[1, 2] AS arr, from_unixtime(0) AS t, DATE '2022-07-16' AS d, 7 / 2 AS half, NULL AS n"
    )
    assert main(["sql", query, "--data", str(tmp_path / "f.parquet"), "--output", output]) == 0
    out = capsys.readouterr().out
    assert (
        "2 03:00:00.000" in out and "1-2" in out and "10.0.0.1" in out
    )  # Athena's interval and address text
    if output == "json":
        import json

        row = json.loads(out)
        assert (row["i"], row["m"], row["a"], row["half"], row["n"]) == (
            "2 03:00:00.000",
            "1-2",
            "10.0.0.1",
            3,
            None,
        )
