"""Exercise checker: right answers pass, wrong ones get a hint that never gives the answer away."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from flowkit import exercises
from flowkit.errors import ExerciseError

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    "action log-status pkt-srcaddr pkt-dstaddr tcp-flags"
)
INSTANCE = "eni-0aaaaaaaaaaaaaaa1"
NAT = "eni-0bbbbbbbbbbbbbbb2"
LINES = [
    f"5 111122223333 {INSTANCE} 10.32.1.10 52.94.1.5 40001 443 6 12 3000 1700000000 1700000060 ACCEPT OK "
    "10.32.1.10 52.94.1.5 3",
    f"5 111122223333 {NAT} 10.32.0.5 52.94.1.5 40001 443 6 12 3000 1700000000 1700000060 ACCEPT OK "
    "10.32.1.10 52.94.1.5 3",
    f"5 111122223333 {INSTANCE} 10.32.1.10 198.51.100.7 40002 22 6 1 60 1700000000 1700000060 ACCEPT OK "
    "10.32.1.10 198.51.100.7 2",
    f"5 111122223333 {INSTANCE} 10.32.1.10 198.51.100.8 40003 23 6 1 60 1700000000 1700000060 REJECT OK "
    "10.32.1.10 198.51.100.8 2",
    f"5 111122223333 {INSTANCE} - - - - - - - 1700000060 1700000120 - NODATA - - -",
    f"5 111122223333 {NAT} - - - - - - - 1700000060 1700000120 - SKIPDATA - - -",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    day = root / "AWSLogs" / "111122223333" / "vpcflowlogs" / "us-east-1" / "2023" / "11" / "14"
    day.mkdir(parents=True)
    (day / "a.log").write_text("\n".join([HEADER, *LINES[:3]]) + "\n")
    (day / "b.log").write_text("\n".join([HEADER, *LINES[3:]]) + "\n")
    pd.DataFrame(
        {
            "srcaddr": ["10.32.1.10", "10.32.1.10"],
            "dstaddr": ["52.94.1.5", "198.51.100.7"],
            "dstport": [443, 22],
            "protocol": [6, 6],
            "label": ["expected:api", "anomaly:ssh-out"],
        }
    ).to_csv(root / "labels.csv", index=False)
    return root


@pytest.mark.parametrize(
    ("exercise_id", "right", "wrong", "wrong_says"),
    [
        pytest.param("00.1", 6, 7, "7 is not it", id="records"),
        pytest.param("00.2", 2, 1, "1 is not it", id="interfaces"),
        pytest.param("00.3", 2, 3, "3 is not it", id="files"),
        pytest.param("02.1", 2, 1, "1 is not it", id="nodata"),
        pytest.param("02.2", 3, 5, "5 is not it", id="tcp-flags-version"),
        pytest.param("02.3", [NAT], [INSTANCE, NAT], "should not be there", id="forwarding-eni"),
        pytest.param("02.4", 2, 3, "3 is not it", id="syn-only"),
    ],
)
def test_right_and_wrong_answers(data, exercise_id, right, wrong, wrong_says):
    good = exercises.check(exercise_id, right, data=data)
    bad = exercises.check(exercise_id, wrong, data=data)
    assert good.correct and bool(good)
    assert not bad.correct and wrong_says in bad.message
    assert "Hint:" in bad.message
    # never "too high" / "too low" / "close": a count must not be findable by bisection
    assert not re.search(r"too (high|low)|close|higher|lower", bad.message, re.IGNORECASE)


def test_a_count_cannot_be_found_by_bisection(data):
    """Every wrong count gets the same kind of answer: nothing tells a guess below from one above."""
    below, above = (exercises.check("00.1", n, data=data).message for n in (1, 1000))
    assert below.replace("1 is", "N is") == above.replace("1,000 is", "N is")


def test_counts_are_read_as_people_write_them(data):
    for written in ("6", " 6 ", "6.0", 6.0):
        assert exercises.check("00.1", written, data=data).correct, written
    assert exercises.check("00.1", "1,000", data=data).message.startswith("1,000 is not it")


def test_answers_are_computed_from_the_data(data, tmp_path):
    fewer = tmp_path / "one.log"
    fewer.write_text("\n".join([HEADER, LINES[0]]) + "\n")
    assert exercises.expected("00.1", data) == 6
    assert exercises.expected("00.1", fewer) == 1
    assert exercises.check("00.1", 1, data=fewer).correct


def test_the_message_never_contains_the_expected_answer(data):
    for exercise_id in ("00.1", "02.1", "02.3"):
        want = exercises.expected(exercise_id, data)
        values = want if isinstance(want, list) else [want]
        for answer in (None, 0, ["eni-0cccccccccccccc3"], "x"):
            message = exercises.check(exercise_id, answer, data=data).message
            leaked = [v for v in values if re.search(rf"(?<![\w.-]){re.escape(str(v))}(?![\w.-])", message)]
            assert not leaked, (exercise_id, answer, message)


def test_answers_in_notebook_shapes_are_accepted(data):
    table = pd.DataFrame({"interface_id": [NAT]})
    assert exercises.check("02.3", table, data=data).correct
    assert exercises.check("02.3", pd.Series([NAT, NAT]), data=data).correct
    assert exercises.check("02.3", NAT.upper(), data=data).correct  # one value, any case
    assert exercises.check("00.1", pd.DataFrame({"n": [6]}), data=data).correct  # a one-cell query result
    assert exercises.check("00.1", 6.0, data=data).correct


def test_wrong_shapes_get_a_hint_not_an_error(data):
    no_answer = exercises.check("00.1", None, data=data)
    assert not no_answer.correct and not no_answer.answered and "replace `None`" in no_answer.message
    assert repr(no_answer).startswith("00.1 ✏️ your turn: ")
    table = exercises.check("00.1", pd.DataFrame({"a": [1, 2], "b": [3, 4]}), data=data)
    assert not table.correct and "pass one value" in table.message
    text = exercises.check("00.1", "six", data=data)
    assert not text.correct and "whole number" in text.message
    assert "whole number" in exercises.check("00.1", 6.5, data=data).message
    two_columns = exercises.check("02.3", pd.DataFrame({"a": [NAT], "b": [1]}), data=data)
    assert "one column" in two_columns.message


def test_unknown_exercise_suggests_the_closest(data):
    with pytest.raises(ExerciseError, match=r"no exercise '02\.9'.*02\.") as info:
        exercises.check("02.9", 1, data=data)
    assert "list_exercises" in str(info.value)


def test_missing_data_and_missing_field_are_clear_errors(data, tmp_path):
    with pytest.raises(ExerciseError, match="no such file or folder"):
        exercises.check("00.1", 1, data=tmp_path / "nope")
    v2 = tmp_path / "v2.log"
    v2.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
        "action log-status\n2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000000 1700000060 ACCEPT OK\n"
    )
    with pytest.raises(ExerciseError, match="`pkt_srcaddr` field"):
        exercises.check("02.3", ["eni-1"], data=v2)


def test_every_exercise_is_listed_with_its_question_and_no_answer():
    table = exercises.list_exercises()
    assert list(table.columns) == ["id", "kind", "question"]
    assert table["id"].is_unique and table["question"].str.endswith("?").all()
    assert set(exercises.list_exercises("02")["id"]) >= {"02.1", "02.2", "02.3", "02.4"}


def test_result_displays_as_one_line_in_a_notebook(data):
    result = exercises.check("00.2", 2, data=data)
    assert result._repr_markdown_().startswith("**00.2** ✅ **right**")
    assert repr(exercises.check("00.2", 3, data=data)).startswith("00.2 ❌ not yet")
