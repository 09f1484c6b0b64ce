"""What every command shares about its output: exit statuses, one-line messages, JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = [
    "EXIT_OK",
    "EXIT_FAILED_CHECK",
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "MESSAGE_CHARS",
    "print_json",
    "jsonable",
    "say",
]

EXIT_OK = 0
EXIT_FAILED_CHECK = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
MESSAGE_CHARS = 300  # an error echoing a 4,000-character expression is cut to this


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON (NaN and infinity as null).

    Examples
    --------
    >>> print_json({"value": float("nan"), "n": 1})
    {
      "value": null,
      "n": 1
    }
    """
    print(json.dumps(jsonable(data), indent=2))


def jsonable(value: Any) -> Any:
    """``value`` with numpy arrays and scalars as lists and numbers, non-finite floats as None."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def say(message: str) -> None:
    """Print one line on stderr: newlines folded, long echoes of the input cut short."""
    line = " ".join(str(message).split())
    if len(line) > MESSAGE_CHARS:
        line = line[: MESSAGE_CHARS - 5] + " ..."
    print(line, file=sys.stderr)
