"""Files concatenated from several objects (headers mid-file, several gzip members) and blank lines.

AWS writes one header and one gzip member per object ("Each file is compressed into a single Gzip
file", https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html); ``cat a.gz b.gz``
is still one valid gzip file (RFC 1952 §2.2: "A gzip file consists of a series of members"), and
its second header is a header, not a bad record. Fixtures: ``fixtures/README.md``.
"""

from __future__ import annotations

import gzip

import pytest
from reader_fixtures import FIXTURES, check_expected, values

from flowkit import read_flow_logs
from flowkit.errors import RecordParseError
from flowkit.schema import DEFAULT_FIELDS, FIELDS, fields_up_to

HEADER = " ".join(DEFAULT_FIELDS)
GOOD = "2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.25 52.217.12.34 49200 443 6 25 5200 1714817100 1714817158 ACCEPT OK"


@pytest.mark.parametrize("errors", ["raise", "skip"])
def test_two_gzip_members_each_with_a_header_read_as_one_file(errors):
    df = read_flow_logs(FIXTURES / "concat/two-objects.log.gz", errors=errors)
    check_expected(df, "concat/two-objects.log.gz")
    report = df.attrs["report"]
    assert report.rejected_total == 0 and report.headers == 2 and report.lines_read == 5


def test_a_header_mid_file_sets_the_format_of_the_lines_after_it():
    df = read_flow_logs(FIXTURES / "concat/header-mid-file.log")
    check_expected(df, "concat/header-mid-file.log")
    # the union of the columns: the default format's first, then the v5 ones it lacks
    v5 = [f.column for f in fields_up_to(5)]
    assert list(df.columns) == [FIELDS[n].column for n in DEFAULT_FIELDS] + [c for c in v5 if c not in set(
        FIELDS[n].column for n in DEFAULT_FIELDS)]  # fmt: skip
    assert str(df.tcp_flags.dtype) == "int32[pyarrow]" and df.attrs["report"].headers == 2


def test_blank_lines_are_counted_not_rejected():
    df = read_flow_logs(FIXTURES / "concat/blank-lines.log")
    check_expected(df, "concat/blank-lines.log")
    report = df.attrs["report"]
    assert report.blank_lines == 5 and report.rejected_total == 0
    assert "5 blank line(s)" in str(report)


def test_error_line_numbers_are_physical_lines(tmp_path):
    # header, good, blank, blank, a 13-field line: the bad line is physical line 5
    path = tmp_path / "blank-then-bad.log"
    path.write_text("\n".join([HEADER, GOOD, "", "  ", GOOD.rsplit(" ", 1)[0]]) + "\n")
    with pytest.raises(RecordParseError, match=r"blank-then-bad.log, line 5: expected 14 fields"):
        read_flow_logs(path)
    report = read_flow_logs(path, errors="skip").attrs["report"]
    assert report.examples[0][1:3] == (5, "field-count") and report.blank_lines == 2


def test_line_numbers_count_every_header_and_member(tmp_path):
    second = "\n".join([HEADER, GOOD, GOOD.replace(" 443 ", " https ")]) + "\n"
    data = gzip.compress(f"{HEADER}\n{GOOD}\n\n".encode(), mtime=0) + gzip.compress(second.encode(), mtime=0)
    path = tmp_path / "cat.log.gz"
    path.write_bytes(data)
    with pytest.raises(RecordParseError, match=r"cat.log.gz, line 6: field 'dstport'") as info:
        read_flow_logs(path)
    assert info.value.reason == "bad-number"


def test_a_mid_file_header_with_an_unknown_field_is_one_rejected_line(tmp_path):
    path = tmp_path / "h.log"
    path.write_text("\n".join([HEADER, GOOD, HEADER.replace("dstport", "dst-port"), GOOD]) + "\n")
    with pytest.raises(
        RecordParseError, match=r"line 3: a header line with unknown flow-log field 'dst-port'"
    ):
        read_flow_logs(path)
    df = read_flow_logs(path, errors="skip")
    assert len(df) == 2 and df.attrs["report"].rejected == {"bad-header": 1}
    kept = read_flow_logs(path, unknown_fields="keep")
    assert values(kept, "dst_port") == [None, "443"] and values(kept, "dstport") == [443, None]


def test_the_same_header_again_changes_nothing(tmp_path):
    path = tmp_path / "again.log"
    path.write_text("\n".join([HEADER, GOOD, HEADER, GOOD, "", HEADER]) + "\n")
    df = read_flow_logs(path)
    assert len(df) == 2 and list(df.columns) == [FIELDS[n].column for n in DEFAULT_FIELDS]
    assert df.attrs["report"].headers == 3 and df.attrs["report"].blank_lines == 1


def test_a_file_of_blank_lines_only_is_empty(tmp_path):
    path = tmp_path / "blank.log"
    path.write_text("\n\n  \n")
    with pytest.raises(RecordParseError, match="the file is empty"):
        read_flow_logs(path)


@pytest.mark.parametrize(
    ("text", "blank"),
    [
        (f"{HEADER}\n{GOOD}\n\n{GOOD}\n", 1),  # mid-file
        (f"{HEADER}\n{GOOD}\n{GOOD}\n\n\n", 2),  # at the end
        (f"{HEADER}\r\n{GOOD}\r\n\r\n{GOOD}\r\n", 1),  # CRLF lines
        (f"{HEADER}\n{GOOD}\n{GOOD}\n", 0),
    ],
)
def test_a_blank_line_is_never_a_record_of_nulls(tmp_path, text, blank):
    # Arrow's CSV reader turns a blank line into a row of nulls; the fast path must see it and give
    # the file to the exact path, which counts it
    path = tmp_path / "blank.log.gz"
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
    df = read_flow_logs(path)
    assert len(df) == 2 and df["version"].notna().all()
    assert df.attrs["report"].blank_lines == blank
