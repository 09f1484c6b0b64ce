"""Design matrices from one formula per utility, read with ``formulaic``.

Each estimated utility is a linear index ``x'beta`` whose right-hand side is written as in
R: ``"x1 + x2"`` has an intercept, ``"x1 - 1"`` has none, ``"1"`` is a constant only, and
``"0"`` fixes the utility at 0. String (and categorical) columns are expanded with
treatment coding, the first level being the base. Rows with a missing value in any
variable a formula uses, or in the outcome, are dropped from all equations (complete
cases, as R's ``na.omit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import NegsimError

__all__ = ["Design", "design_matrices", "require_extra"]


def require_extra() -> None:
    """Raise a clear error when the optional dependencies of :mod:`negsim.estimate` are missing.

    Examples
    --------
    >>> require_extra()   # nothing happens when pandas, statsmodels and formulaic are installed
    """
    missing = []
    for name in ("pandas", "statsmodels", "formulaic"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise NegsimError(
            f"strategic estimation needs {', '.join(missing)}: install the extra with "
            "`python -m pip install 'negsim[estimate]'`"
        )


@dataclass(frozen=True)
class Design:
    """The design of a strategic model: one block of columns per estimated utility.

    Attributes
    ----------
    exog : ndarray, shape (N, K)
        All blocks side by side.
    names : list of str
        ``"<utility>:<column>"`` for every column, e.g. ``"u14:regime1[T.dem]"``.
    blocks : list of int
        For every estimated utility, its first column (the blocks are contiguous).
    utilities : list of str
        The names of the estimated utilities (those not fixed at 0), in order.
    specs : list
        formulaic model specs, to build the same columns from new data.
    rows : ndarray of bool
        Which rows of the data were used (complete cases).
    """

    exog: np.ndarray
    names: list[str]
    blocks: list[int]
    utilities: list[str]
    specs: list[Any]
    rows: np.ndarray

    def transform(self, data: Any) -> np.ndarray:
        """The design matrix for new data (rows with missing values give NaN rows)."""
        import pandas as pd

        frame = pd.DataFrame(data)
        parts = [np.asarray(spec.get_model_matrix(frame, na_action="ignore"), dtype=float) for spec in self.specs]
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))


def _is_zero(formula: str) -> bool:
    return formula.replace(" ", "") in ("0", "-1", "0-1", "~0")


def design_matrices(
    formulas: Sequence[str], utility_names: Sequence[str], data: Any, outcome_columns: Sequence[str] = ()
) -> Design:
    """Build the design of a strategic model from formula strings.

    Parameters
    ----------
    formulas : sequence of str
        One right-hand side per utility, in the order of ``utility_names``.
    utility_names : sequence of str
        Names of the utilities (``"u11"``, ...).
    data : pandas.DataFrame or mapping of columns
    outcome_columns : sequence of str
        Columns of ``data`` that hold the outcome (complete cases need them too).

    Returns
    -------
    Design

    Raises
    ------
    NegsimError
        If the number of formulas is wrong, a formula cannot be read, or a variable is not
        in the data.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.0, 2.0, None, 4.0], "g": ["a", "b", "a", "c"]})
    >>> d = design_matrices(["x", "0", "g - 1"], ["u1", "u2", "u3"], df)
    >>> d.names
    ['u1:Intercept', 'u1:x', 'u3:g[a]', 'u3:g[b]', 'u3:g[c]']
    >>> d.exog.shape, d.rows.tolist()
    ((3, 5), [True, True, False, True])
    """
    require_extra()
    import pandas as pd
    from formulaic import Formula

    if len(formulas) != len(utility_names):
        raise NegsimError(
            f"expected {len(utility_names)} formulas (one per utility: {', '.join(utility_names)}), got {len(formulas)}"
        )
    frame = pd.DataFrame(data)
    parsed: list[tuple[str, Any]] = []
    needed = list(outcome_columns)
    for name, text in zip(utility_names, formulas, strict=True):
        if not isinstance(text, str):
            raise NegsimError(f"the formula of {name} must be a string, got {type(text).__name__}")
        if _is_zero(text):
            continue
        try:
            formula = Formula(text)
        except Exception as exc:  # formulaic raises several kinds of parse errors
            raise NegsimError(f"cannot read the formula of {name} {text!r}: {exc}") from None
        missing = sorted(v for v in formula.required_variables if str(v) not in frame.columns)
        if missing:
            raise NegsimError(
                f"the formula of {name} {text!r} uses {', '.join(map(str, missing))}, not in the data "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
        needed += [str(v) for v in formula.required_variables]
        parsed.append((name, formula))
    rows = ~frame[sorted(set(needed))].isna().any(axis=1).to_numpy() if needed else np.ones(len(frame), bool)
    complete = frame.loc[rows]
    mats, names, blocks, specs, used = [], [], [], [], []
    for name, formula in parsed:
        mm = formula.get_model_matrix(complete)
        blocks.append(sum(m.shape[1] for m in mats))
        mats.append(np.asarray(mm, dtype=float))
        names += [f"{name}:{col}" for col in mm.columns]
        specs.append(mm.model_spec)
        used.append(name)
    exog = np.hstack(mats) if mats else np.zeros((int(rows.sum()), 0))
    return Design(exog, names, blocks, used, specs, rows)
