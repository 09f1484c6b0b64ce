"""Where each key of a scenario file is: key paths such as ``agents[1].preconditions[0].move`` to line numbers.

:mod:`tomllib` gives values, not positions, so the loader scans the text once more to name
the line of a key in its errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")
_INLINE_KEY = re.compile(r"([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


def key_lines(text: str) -> dict[str, int]:
    """Map key paths such as ``agents[1].preconditions[0].move`` to 1-based line numbers.

    A light scanner of the TOML text (tomllib gives no positions); it understands table
    and array-of-tables headers, dotted keys, one-line inline tables, and skips the body
    of multi-line strings and arrays.
    """
    out: dict[str, int] = {}
    counters: dict[str, int] = {}
    current = ""
    in_string: str | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        if depth > 0:
            depth += _bracket_balance(line)
            continue
        match = _HEADER.match(line)
        if match and not _KEY.match(line):
            double = match.group(1) == "[["
            parts = [p.strip().strip('"') for p in match.group(2).split(".")]
            path = _resolve(parts, counters, double)
            current = path
            out.setdefault(path, number)
            continue
        match = _KEY.match(line)
        if match:
            key = ".".join(p.strip().strip('"') for p in match.group(1).split("."))
            path = f"{current}.{key}" if current else key
            out.setdefault(path, number)
            rest = line[match.end() :]
            for triple in ('"""', "'''"):
                if rest.count(triple) == 1:
                    in_string = triple
            stripped = rest.strip()
            if stripped.startswith("{"):
                for inner in _INLINE_KEY.finditer(stripped):
                    out.setdefault(f"{path}.{inner.group(1).strip(chr(34))}", number)
            if stripped.startswith("["):
                depth = _bracket_balance(rest)
    return out


def _resolve(parts: list[str], counters: dict[str, int], double: bool) -> str:
    path = ""
    for i, part in enumerate(parts):
        base = f"{path}.{part}" if path else part
        last = i == len(parts) - 1
        if last and double:
            index = counters.get(base, -1) + 1
            counters[base] = index
            # A nested array's counter is keyed by its parent's indexed path ("stages[3].moves"),
            # so it restarts with each new parent without any clean-up here (a scan of every
            # counter made reading a long protocol quadratic).
            path = f"{base}[{index}]"
        elif base in counters:
            path = f"{base}[{counters[base]}]"
        else:
            path = base
    return path


def _bracket_balance(text: str) -> int:
    balance, quote = 0, None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch == "[":
            balance += 1
        elif ch == "]":
            balance -= 1
    return balance


def line_of(lines: Mapping[str, int], key: str | None) -> int | None:
    """The line of ``key``, or of the nearest enclosing key or table that has one."""
    if not key:
        return None
    probe = key
    while probe:
        if probe in lines:
            return lines[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        if cut <= 0:
            break
        probe = probe[:cut]
    return None
