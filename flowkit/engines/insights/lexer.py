"""Tokens of the Logs Insights language, read on demand.

The lexer is driven by the parser because one character means two things: ``/`` starts a regex
literal where an operand is expected (``like /x/``) and divides elsewhere (``bytes / 1024``). The
parser says which it wants with ``regex_ok``.

``#`` starts a comment that runs to the end of the line, except inside a string, a regex or a
backtick name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowkit.engines.insights.errors import InsightsSyntaxError

#: Canonical time units, keyed by every spelling Logs Insights accepts (plurals included).
TIME_UNITS: dict[str, str] = {}
for _canon, _spellings in {
    "ms": ("ms", "msec", "msecs", "millisecond", "milliseconds"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "d": ("d", "day", "days"),
    "w": ("w", "week", "weeks"),
    "mo": ("mo", "mon", "mons", "month", "months"),
    "q": ("q", "qtr", "qtrs", "quarter", "quarters"),
    "y": ("y", "yr", "yrs", "year", "years"),
}.items():
    for _spelling in _spellings:
        TIME_UNITS[_spelling] = _canon

_PLAIN_NAME = re.compile(r"[A-Za-z_@][A-Za-z0-9_@.]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_EXPONENT = re.compile(r"[eE][+-]?\d+")
_LETTERS = re.compile(r"[A-Za-z]+")
_OPERATORS = (
    "!=",
    "==",
    "=~",
    "!~",
    "<=",
    ">=",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "^",
    "%",
    "(",
    ")",
    "[",
    "]",
    ",",
    "|",
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is NAME, QNAME (backtick name), STRING, NUMBER, DURATION, REGEX, OP or EOF."""

    kind: str
    value: object
    start: int
    end: int

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind == "EOF":
            return "the end of the query"
        return repr(self.value) if self.kind != "DURATION" else repr(f"{self.value[0]}{self.value[1]}")

    def is_word(self, *words: str) -> bool:
        """Whether this is a bare word equal (case-insensitively) to one of ``words``."""
        return self.kind == "NAME" and str(self.value).lower() in words


class Lexer:
    """Reads tokens from ``text`` at a given offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._cache: dict[tuple[int, bool], Token] = {}

    def skip(self, pos: int) -> int:
        """The offset of the next significant character at or after ``pos``."""
        text = self.text
        while pos < len(text):
            char = text[pos]
            if char.isspace():
                pos += 1
            elif char == "#":
                newline = text.find("\n", pos)
                pos = len(text) if newline == -1 else newline + 1
            else:
                break
        return pos

    def token(self, pos: int, regex_ok: bool = False) -> Token:
        """The token starting at the first significant character at or after ``pos``."""
        key = (pos, regex_ok)
        if key not in self._cache:
            self._cache[key] = self._read(self.skip(pos), regex_ok)
        return self._cache[key]

    def _read(self, pos: int, regex_ok: bool) -> Token:
        text = self.text
        if pos >= len(text):
            return Token("EOF", None, pos, pos)
        char = text[pos]
        if char in "\"'":
            value, end = self._quoted(pos, char, "a closing " + char)
            return Token("STRING", value, pos, end)
        if char == "`":
            value, end = self._quoted(pos, "`", "a closing backtick")
            return Token("QNAME", value, pos, end)
        if char == "/" and regex_ok:
            return self._regex(pos)
        if char.isdigit():
            return self._number(pos)
        match = _PLAIN_NAME.match(text, pos)
        if match:
            return Token("NAME", match.group(), pos, match.end())
        for op in _OPERATORS:
            if text.startswith(op, pos):
                return Token("OP", op, pos, pos + len(op))
        raise InsightsSyntaxError(text, pos, "a field, value or operator", repr(char))

    def _quoted(self, pos: int, quote: str, expected: str) -> tuple[str, int]:
        text = self.text
        out: list[str] = []
        i = pos + 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if quote == "`":
                    out.append(nxt if nxt == "`" else "\\" + nxt)
                else:
                    out.append(_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                continue
            if char == quote:
                return "".join(out), i + 1
            out.append(char)
            i += 1
        raise InsightsSyntaxError(text, pos, expected + " for the literal that starts here")

    def _regex(self, pos: int) -> Token:
        text = self.text
        out: list[str] = []
        i = pos + 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                out.append("/" if text[i + 1] == "/" else text[i : i + 2])
                i += 2
                continue
            if char == "/":
                return Token("REGEX", "".join(out), pos, i + 1)
            out.append(char)
            i += 1
        raise InsightsSyntaxError(text, pos, "a closing / for the regex that starts here")

    def _number(self, pos: int) -> Token:
        text = self.text
        match = _NUMBER.match(text, pos)
        assert match is not None
        end = match.end()
        digits = match.group()
        letters = _LETTERS.match(text, end)
        if letters:
            exponent = _EXPONENT.match(text, end)
            if letters.group().lower() in TIME_UNITS and "." not in digits:
                return Token("DURATION", (int(digits), letters.group()), pos, letters.end())
            if exponent:
                return Token("NUMBER", float(text[pos : exponent.end()]), pos, exponent.end())
            raise InsightsSyntaxError(
                text, end, "a time unit (ms, s, m, h, d, w, mo, q, y) or a space", repr(letters.group())
            )
        value: int | float = float(digits) if "." in digits else int(digits)
        return Token("NUMBER", value, pos, end)
