"""Errors and warnings that negsim raises on purpose.

Every error a user can cause derives from :class:`NegsimError`, so a script can catch
them all in one place and the command line can print them as one line without a
traceback.
"""

from __future__ import annotations

__all__ = ["NegsimError", "GameError", "ScenarioError", "SolverError", "NegsimWarning"]


class NegsimError(Exception):
    """Base class of all errors negsim raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, in one line.
    source : str, optional
        The file (or other source) the error is about.
    line : int, optional
        The 1-based line in ``source`` where the problem was found.
    key : str, optional
        A key path such as ``agents[1].preconditions[0]``.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.key = key
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = str(self.source)
            if self.line is not None:
                where += f":{self.line}"
        elif self.line is not None:
            where = f"line {self.line}"
        parts = [p for p in (where, self.key) if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __reduce__(self):  # keep keyword arguments when pickled (process pools)
        return (
            _rebuild,
            (type(self), self.message, self.source, self.line, self.key),
        )


def _rebuild(cls, message, source, line, key):
    return cls(message, source=source, line=line, key=key)


class GameError(NegsimError):
    """A game is malformed: bad structure, probabilities, payoffs or file contents."""


class ScenarioError(NegsimError):
    """A scenario file or negotiation model is invalid."""


class SolverError(NegsimError):
    """A solver cannot be applied to a game, or failed."""


class NegsimWarning(UserWarning):
    """Something was accepted but changed or approximated (for example renormalized)."""
