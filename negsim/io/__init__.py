"""Reading and writing games: Gambit ``.efg``/``.nfg`` files and the OpenSpiel bridge."""

from __future__ import annotations

from pathlib import Path

from negsim.errors import GameError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.io.gambit import read_efg, read_nfg, write_efg, write_nfg
from negsim.io.openspiel import from_openspiel

__all__ = ["read_efg", "write_efg", "read_nfg", "write_nfg", "from_openspiel", "load_game"]


def load_game(spec: str | Path) -> ExtensiveFormGame | NormalFormGame:
    """A game from a ``.efg``/``.nfg`` path or a library game's name.

    Parameters
    ----------
    spec : str or Path
        A path ending in ``.efg`` or ``.nfg`` (read with :func:`read_efg` /
        :func:`read_nfg`), or a name known to :func:`negsim.games.library.get`.

    Raises
    ------
    GameError
        If the file is malformed or no library game has that name.
    FileNotFoundError
        If ``spec`` looks like a path but the file does not exist.

    Examples
    --------
    >>> load_game("kuhn-poker").num_terminals
    30
    """
    from negsim.games import library

    text = str(spec)
    suffix = Path(text).suffix.lower()
    if suffix == ".efg":
        return read_efg(Path(text))
    if suffix == ".nfg":
        return read_nfg(Path(text))
    if Path(text).exists() and Path(text).is_file():
        head = Path(text).read_bytes()[:16].lstrip()
        if head.startswith(b"EFG"):
            return read_efg(Path(text))
        if head.startswith(b"NFG"):
            return read_nfg(Path(text))
        raise GameError(f"{text}: not a Gambit .efg or .nfg file")
    return library.get(text)
