"""Logs Insights regexes and ``parse`` globs as RE2 patterns for DuckDB.

DuckDB runs regexes with RE2, which spells named groups ``(?P<name>...)``; Logs Insights writes
``(?<name>...)``. A ``parse`` glob such as ``[*] *`` becomes a regex with one group per ``*``.
"""

from __future__ import annotations

import re


def rewrite_groups(pattern: str, named_only: bool = False) -> str:
    """Rewrite a Logs Insights regex for RE2.

    ``(?<name>`` becomes ``(?P<name>``; look-behind ``(?<=``/``(?<!`` and character classes are
    left alone (RE2 then rejects look-behind by name).

    Args:
        pattern: the regex as written in the query.
        named_only: turn unnamed capturing groups into non-capturing ones, so that only the named
            groups are numbered (``parse`` maps groups to fields by position).

    Returns:
        The pattern for DuckDB's RE2.

    Examples:
        >>> print(rewrite_groups("(?<port>[0-9]+)/(tcp|udp)", named_only=True))
        (?P<port>[0-9]+)/(?:tcp|udp)
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("[]", i) or pattern.startswith("[^]", i):
                width = 2 if pattern[i + 1] == "]" else 3
                out.append(pattern[i : i + width])
                i += width
                continue
        elif char == "(":
            if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
                out.append("(?P<")
                i += 3
                continue
            if not pattern.startswith("(?", i) and named_only:
                out.append("(?:")
                i += 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


def glob_to_regex(glob: str) -> str:
    """Translate a ``parse`` glob into a regex.

    Literal text is escaped and each ``*`` becomes a lazy group, except a ``*`` that ends the
    pattern, which takes the rest of the string.

    Args:
        glob: the glob as written after ``parse field``.

    Returns:
        The regex, one capturing group per ``*``.

    Examples:
        >>> print(glob_to_regex("[*] *"))
        \\[(.*?)\\] (.*)
    """
    parts = glob.split("*")
    out = [_escape(parts[0])]
    for index, part in enumerate(parts[1:], start=1):
        last = index == len(parts) - 1
        out.append("(.*)" if last and part == "" else "(.*?)")
        out.append(_escape(part))
    return "".join(out)


def _escape(text: str) -> str:
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


__all__ = ["glob_to_regex", "rewrite_groups"]
