"""Workshop exercises: check an answer, get a hint, never see the answer.

Every notebook ends with exercises numbered ``"<notebook>.<n>"`` (``"02.1"``). In the notebook::

    answer = ...                      # your answer: a number, a list of values, a word
    flowkit.exercises.check("02.1", answer, data=DATA)

:func:`check` returns a :class:`CheckResult` that displays as *right* or *not yet*, with a hint when it is
not right. It never shows the expected value, and it never says whether a number is too high or too low, or
how close it is: such answers could be found by bisection (about 17 tries for a count of 100,000) without
doing the exercise. What it does say: the exercise's hint (where to look, not what to find), and when an
answer is a known trap (the count the guide's text-matching query gives, a count that forgets NODATA
records, ...) what that answer missed. Answers are read the way people write them: ``'104,745'`` for a
count, ``'14:00'`` for an hour. Expected answers are computed by flowkit from the data the notebook reads
(the bundled sample by default, or notebooks 06 and 07's periods), so they follow the data: re-simulate
with another seed and the exercises still check.
The worked solutions are in ``notebooks/solutions/``; the exercises themselves are defined in
:mod:`flowkit.exercises.bank`, one section per notebook.

Examples:
    >>> sorted(list_exercises()["id"])[:2]
    ['00.1', '00.2']
"""

from __future__ import annotations

import datetime
import difflib
import functools
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from flowkit.errors import ExerciseError
from flowkit.frames import with_flowkit_dtypes

Kind = Literal["count", "number", "hour", "set", "text"]


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    Attributes:
        id: ``"<notebook>.<n>"``, e.g. ``"02.1"``.
        question: the question as the notebook asks it.
        kind: what an answer is: ``count`` (a whole number), ``number`` (within ``tolerance``, relative),
            ``hour`` (of the day, 0 to 23: ``14`` or ``'14:00'``), ``set`` (values, in any order) or ``text``
            (a word or name, case-insensitive).
        solve: computes the expected answer from a :class:`Workbench`.
        hint: where to look, shown with every answer that is not right; never the answer, nor its recipe.
        tolerance: relative tolerance for ``number`` answers.
        traps: computes known wrong answers from a :class:`Workbench`, each with what it missed (the count the
            guide's text-matching query gives, say), shown when an answer is one of them.
    """

    id: str
    question: str
    kind: Kind
    solve: Callable[[Workbench], Any]
    hint: str
    tolerance: float = 0.01
    traps: Callable[[Workbench], dict[Any, str]] | None = None


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer; displays as a one-line message in a notebook.

    Attributes:
        id: the exercise id.
        correct: whether the answer is right.
        message: what to tell the learner (never the expected answer).
    """

    id: str
    correct: bool
    message: str
    answered: bool = True

    def __bool__(self) -> bool:
        return self.correct

    @property
    def verdict(self) -> str:
        """``"right"``, ``"not yet"`` or, before any answer, ``"your turn"``."""
        return "right" if self.correct else "not yet" if self.answered else "your turn"

    def __repr__(self) -> str:
        mark = {"right": "✅", "not yet": "❌", "your turn": "✏️"}[self.verdict]
        return f"{self.id} {mark} {self.verdict}: {self.message}"

    def _repr_markdown_(self) -> str:
        mark = {"right": "✅", "not yet": "❌", "your turn": "✏️"}[self.verdict]
        return f"**{self.id}** {mark} **{self.verdict}**: {self.message}"


class Workbench:
    """The data an exercise is computed from, loaded once per data path.

    Attributes:
        data: the flow-log source (file or folder), or the :class:`~flowkit.notebooks.Periods` of notebooks
            06 and 07 (then ``flows`` is its ``later`` period and ``baseline`` its ``baseline`` period).
    """

    def __init__(self, data: Any) -> None:
        self.periods = data if hasattr(data, "read") and hasattr(data, "periods") else None
        self.data = Path(data) if self.periods is None else None

    @functools.cached_property
    def flows(self) -> pd.DataFrame:
        """The flow records, as :func:`flowkit.read_flow_logs` reads them (or the periods' ``later`` records)."""
        if self.periods is not None:
            return self.periods.read("later")
        from flowkit.read import read_flow_logs

        return read_flow_logs(self.data)

    @functools.cached_property
    def baseline(self) -> pd.DataFrame:
        """The records the allowlist is learned from: the periods' ``baseline``.

        Raises:
            ExerciseError: the exercise was given files, not notebook 06/07's periods.
        """
        if self.periods is None:
            raise ExerciseError("this exercise needs the periods of notebooks 06 and 07: pass data=periods.")
        return self.periods.read("baseline")

    @functools.cached_property
    def labels(self) -> pd.DataFrame:
        """The simulator's ground truth (``labels.csv`` at the data root, or the periods' labels).

        Raises:
            ExerciseError: when the data has no ``labels.csv`` (real data has no ground truth).
        """
        if self.periods is not None:
            if self.periods.labels is None:
                raise ExerciseError("these periods have no ground truth; this exercise needs simulated data.")
            return self.periods.labels
        path = self.data / "labels.csv" if self.data.is_dir() else self.data.parent / "labels.csv"
        if not path.is_file():
            raise ExerciseError(f"{self.data}: no labels.csv here; this exercise needs simulated data.")
        return pd.read_csv(path, dtype={"srcaddr": str, "dstaddr": str})


_REGISTRY: dict[str, Exercise] = {}


def exercise(
    id: str,
    question: str,
    kind: Kind,
    hint: str,
    *,
    tolerance: float = 0.01,
    traps: Callable[[Workbench], dict[Any, str]] | None = None,
):
    """Register the decorated function as the solver of exercise ``id``."""

    def decorate(solve: Callable[[Workbench], Any]) -> Callable[[Workbench], Any]:
        if id in _REGISTRY:
            raise ValueError(f"exercise {id} is defined twice.")
        _REGISTRY[id] = Exercise(id, question, kind, solve, hint, tolerance, traps)
        return solve

    return decorate


def list_exercises(notebook: str | None = None) -> pd.DataFrame:
    """The exercises (id, kind, question), all or one notebook's (``notebook="02"``); no answers."""
    _load_all()
    rows = [
        {"id": e.id, "kind": e.kind, "question": e.question}
        for e in sorted(_REGISTRY.values(), key=lambda e: _sort_key(e.id))
        if notebook is None or e.id.split(".")[0] == notebook
    ]
    return with_flowkit_dtypes(pd.DataFrame(rows, columns=["id", "kind", "question"]))


def get_exercise(id: str) -> Exercise:
    """The exercise with this id.

    Raises:
        ExerciseError: for an unknown id, with the closest known ids.
    """
    _load_all()
    key = str(id).strip()
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, list(_REGISTRY), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ExerciseError(f"no exercise {key!r}.{hint} `flowkit.exercises.list_exercises()` lists them.")
    return _REGISTRY[key]


def expected(id: str, data: Any = None) -> Any:
    """The expected answer of exercise ``id`` on ``data`` (for tests and instructors, not for learners)."""
    return get_exercise(id).solve(_bench(data))


def check(id: str, answer: Any, *, data: Any = None) -> CheckResult:
    """Check an answer to exercise ``id``; say whether it is right and, if not, give a hint.

    Args:
        id: the exercise, e.g. ``"02.1"``.
        answer: your answer: a number for a count, a list (or Series, or one-column table) for a set of
            values, a string for a name. ``None`` means "not answered yet".
        data: the data the notebook reads (its ``DATA`` parameter, or notebook 06 and 07's ``periods``);
            default: the bundled sample.

    Returns:
        A :class:`CheckResult`; it never contains the expected answer.

    Raises:
        ExerciseError: for an unknown exercise id.
    """
    ex = get_exercise(id)
    if answer is None or answer is Ellipsis:
        return CheckResult(ex.id, False, f"replace `None` with your answer. Hint: {ex.hint}", answered=False)
    bench = _bench(data)
    want = ex.solve(bench)
    try:
        verdict = _COMPARE[ex.kind](ex, answer, want)
    except _WrongShape as exc:
        return CheckResult(ex.id, False, f"{exc} Hint: {ex.hint}")
    if verdict is None:
        return CheckResult(ex.id, True, ex.question)
    trap = _trap(ex, bench, answer, want)
    return CheckResult(ex.id, False, f"{verdict}{trap} Hint: {ex.hint}")


def _trap(ex: Exercise, bench: Workbench, answer: Any, want: Any) -> str:
    """What a known wrong answer missed, if the answer is one (never a trap equal to the expected answer)."""
    if ex.traps is None:
        return ""
    try:
        traps = ex.traps(bench)
        key = _norm(_as_count(_scalar(answer))) if ex.kind == "count" else _norm(_scalar(answer))
    except (_WrongShape, ExerciseError, ValueError, TypeError):
        return ""
    wanted = _norm(want) if ex.kind != "set" else None
    for value, why in traps.items():
        if _norm(value) == key and _norm(value) != wanted:
            return f" That is {why}."
    return ""


class _WrongShape(Exception):
    """The answer is not the kind of thing the exercise asks for."""


def _as_count(value: Any) -> Any:
    """A count as people write it: ``104745``, ``104745.0``, ``'104,745'``, ``'104 745'`` or ``'104_745'``."""
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "").replace(" ", "").replace("\u202f", "")
        if text.lstrip("+-").isdigit():
            return int(text)
    return value


def _compare_count(ex: Exercise, answer: Any, want: Any) -> str | None:
    got = _as_count(_scalar(answer))
    try:
        number = float(got)
    except (TypeError, ValueError):
        raise _WrongShape(
            f"this exercise wants a whole number; you gave {type(got).__name__} {got!r}."
        ) from None
    if not number.is_integer():
        raise _WrongShape(f"this exercise wants a whole number; {number} is not one.")
    # right or not: no "too high" / "too low", which would let anyone find the count by bisection
    return None if int(number) == int(want) else f"{int(number):,} is not it."


def _compare_number(ex: Exercise, answer: Any, want: Any) -> str | None:
    got = _as_count(_scalar(answer))
    try:
        number = float(got)
    except (TypeError, ValueError):
        raise _WrongShape(f"this exercise wants a number; you gave {type(got).__name__} {got!r}.") from None
    if math.isclose(number, float(want), rel_tol=ex.tolerance, abs_tol=1e-9):
        return None
    return f"{number:g} is not it."


_HOUR = re.compile(r"(?i)^\s*(\d{1,2})(?:\s*(?::00(?::00)?|h|h00|00))?\s*(?:utc|z)?\s*$")


def _compare_hour(ex: Exercise, answer: Any, want: Any) -> str | None:
    got = _scalar(answer)
    if isinstance(got, pd.Timestamp | datetime.datetime | datetime.time):
        hour = got.hour
    elif isinstance(got, int | float) and float(got).is_integer():
        hour = int(got)
    elif isinstance(got, str) and (match := _HOUR.match(got)):
        hour = int(match.group(1))
    else:
        raise _WrongShape(
            f"this exercise wants an hour of the day, 0 to 23 (14 or '14:00'); you gave {got!r}."
        )
    if not 0 <= hour <= 23:
        raise _WrongShape(f"an hour of the day is 0 to 23, not {hour}.")
    return None if hour == int(want) else f"{hour}:00 is not it."


def _compare_set(ex: Exercise, answer: Any, want: Any) -> str | None:
    got = {_norm(v) for v in _values(answer)}
    expected_set = {_norm(v) for v in want}
    if got == expected_set:
        return None
    extra, missing = got - expected_set, expected_set - got
    parts = []
    if extra:
        parts.append(f"{len(extra)} of your values should not be there")
    if missing:
        parts.append(f"{len(missing)} value(s) are missing")
    return "; ".join(parts) + "."


def _compare_text(ex: Exercise, answer: Any, want: Any) -> str | None:
    got = _scalar(answer)
    if not isinstance(got, str):
        raise _WrongShape(f"this exercise wants a name (a string); you gave {type(got).__name__}.")
    return None if got.strip().lower() == str(want).strip().lower() else f"{got!r} is not it."


_COMPARE: dict[str, Callable[[Exercise, Any, Any], str | None]] = {
    "count": _compare_count,
    "number": _compare_number,
    "hour": _compare_hour,
    "set": _compare_set,
    "text": _compare_text,
}


def _scalar(answer: Any) -> Any:
    """A single value out of an answer: a number, a one-cell table or Series, or the value itself."""
    if isinstance(answer, pd.DataFrame | pd.Series):
        if answer.size != 1:
            shape = "x".join(map(str, answer.shape))
            raise _WrongShape(
                f"you passed a table ({shape}); pass one value (e.g. `len(table)` or `table.iloc[0, 0]`)."
            )
        answer = answer.to_numpy().ravel()[0]
    if isinstance(answer, bool):
        raise _WrongShape("you passed True/False; this exercise wants a value.")
    return answer.item() if hasattr(answer, "item") else answer


def _values(answer: Any) -> list[Any]:
    """The values of a set-like answer: a list, set, Series, Index, one-column table, or a single value."""
    if isinstance(answer, pd.DataFrame):
        if answer.shape[1] != 1:
            raise _WrongShape(
                f"you passed a table with {answer.shape[1]} columns; pass one column of values."
            )
        answer = answer.iloc[:, 0]
    if isinstance(answer, str | int | float):
        return [answer]
    if isinstance(answer, Iterable):
        return [v for v in answer if not pd.isna(v)]
    raise _WrongShape(f"this exercise wants a list of values; you gave {type(answer).__name__}.")


def _norm(value: Any) -> str:
    """Compare 443, 443.0, '443' and ' 443 ' as equal; text case-insensitively."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def _resolve(data: str | os.PathLike | None) -> Path:
    if data is not None:
        path = Path(data)
        if not path.exists():
            raise ExerciseError(f"{data}: no such file or folder (the `data` of the exercise).")
        return path.resolve()
    from flowkit.engines import default_data

    sample = default_data()
    if sample is None:
        raise ExerciseError("no bundled sample (data/sample) found: pass data=PATH to the exercise.")
    return sample.resolve()


@functools.lru_cache(maxsize=4)
def _workbench(path: Path) -> Workbench:
    return Workbench(path)


_PERIOD_BENCHES: dict[int, tuple[Any, Workbench]] = {}


def _bench(data: Any) -> Workbench:
    """The workbench of a path (cached per path) or of notebook 06/07's periods (cached per object)."""
    if hasattr(data, "read") and hasattr(data, "periods"):
        held = _PERIOD_BENCHES.get(id(data))
        if held is None or held[0] is not data:
            held = _PERIOD_BENCHES[id(data)] = (data, Workbench(data))
        return held[1]
    return _workbench(_resolve(data))


def _sort_key(id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in id.split(".") if part.isdigit())


def _load_all() -> None:
    from flowkit.exercises import bank  # noqa: F401  (registers the exercises)
