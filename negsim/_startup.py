"""Keep the ``negsim`` command free of tracebacks while the package is still importing.

``negsim.cli.main`` turns Ctrl-C and running out of memory into one line, but only once it
runs: before that, importing numpy and scipy takes a noticeable moment in which Ctrl-C
would print Python's traceback. When the process is the ``negsim`` command (the console
script or ``python -m negsim``), this module, imported first by the package, installs an
exception hook that prints one line for those two instead. A library user's process is
left alone.
"""

from __future__ import annotations

import os
import sys

__all__ = ["is_command", "startup_hook"]


def is_command(argv: list[str] | None = None) -> bool:
    """True if the running process is the ``negsim`` command line.

    >>> is_command(["/usr/bin/python3", "-m", "negsim", "run"]), is_command(["python", "script.py"])
    (True, False)
    """
    argv = list(getattr(sys, "orig_argv", sys.argv) if argv is None else argv)
    if any(a == "-m" and b == "negsim" for a, b in zip(argv, argv[1:], strict=False)):
        return True
    return any(os.path.basename(a) in ("negsim", "negsim.exe") for a in argv[:2])


def startup_hook(kind: type[BaseException], value: BaseException, traceback: object) -> None:
    """``sys.excepthook`` for the command: one line for Ctrl-C and MemoryError, the usual report otherwise."""
    if issubclass(kind, KeyboardInterrupt):
        print("negsim: interrupted", file=sys.stderr)
        sys.stderr.flush()
        os._exit(130)  # the documented exit status of an interrupted command
    if issubclass(kind, MemoryError):
        print("negsim: error: out of memory while starting", file=sys.stderr)
        sys.stderr.flush()
        os._exit(2)
    sys.__excepthook__(kind, value, traceback)


if is_command():
    sys.excepthook = startup_hook
