"""Moved to :mod:`negsim.bargaining` (bargaining works on utility sets, not games); kept importable."""

from negsim.bargaining import *  # noqa: F403
from negsim.bargaining import __all__  # noqa: F401
