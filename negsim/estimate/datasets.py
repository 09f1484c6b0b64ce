"""Data sets shipped with negsim for strategic estimation.

``war1800.csv`` is the data set of militarized disputes of the 19th century distributed
with the R package ``games`` (Kenkel & Signorino, "Estimating Extensive Form Games in R",
Journal of Statistical Software 56(8), 2014), copied unchanged from the project's shared
data (313 rows; 282 complete cases for the package's ``egame12`` example).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from negsim.estimate.formulas import require_extra

__all__ = ["load_war1800"]


def load_war1800() -> Any:
    """The war1800 disputes, with an ``outcome`` column for ``egame12``.

    ``esc`` is 1 when the challenger escalates and ``war`` 1 when the target then fights;
    ``outcome`` is ``"sq"``, ``"capit"`` or ``"war"`` accordingly. ``regime1`` and
    ``regime2`` are strings (``autoc``, ``dem``, ``mixed``), missing in some rows.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> df = load_war1800()
    >>> df.shape, df["outcome"].value_counts().to_dict()
    ((313, 22), {'sq': 133, 'war': 94, 'capit': 86})
    """
    require_extra()
    import numpy as np
    import pandas as pd

    with resources.files("negsim.estimate").joinpath("data/war1800.csv").open("rb") as fh:
        frame = pd.read_csv(fh)
    frame["outcome"] = np.where(frame["esc"] == 0, "sq", np.where(frame["war"] == 1, "war", "capit"))
    return frame
