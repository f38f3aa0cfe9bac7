"""Parse numeric text cells the way official spreadsheets export them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ValueProblem

#: Cell texts that mean "withheld / not available" rather than a number.
SUPPRESSION_MARKERS = frozenset({"", "*", "**", "-", "..", ":", "x", "c", "n/a", "na", "null", "none", "#n/a"})
_LESS_THAN = re.compile(r"^<\s*\d+(\.\d+)?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_numeric(values: pd.Series, *, path: str | Path, column: str, first_row: int = 2) -> tuple[pd.Series, pd.Series]:
    """Turn a column of cell texts into floats.

    Returns ``(numbers, suppressed)`` where ``numbers`` is float64 with NaN for
    suppressed or blank cells and ``suppressed`` is a boolean mask of those
    cells. Thousands separators (``"29,199"``) are accepted. Any other text
    raises :class:`ValueProblem` naming the file, the line and the column.
    ``first_row`` is the file line of ``values.iloc[0]`` (2 when the header is
    line 1).
    """
    text = values.astype("string").fillna("").str.strip()
    lowered = text.str.lower()
    suppressed = lowered.isin(SUPPRESSION_MARKERS) | lowered.str.match(_LESS_THAN)
    cleaned = text.where(~text.str.match(_THOUSANDS), text.str.replace(",", "", regex=False))
    numbers = pd.to_numeric(cleaned.where(~suppressed, None), errors="coerce")
    bad = numbers.isna() & ~suppressed
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueProblem(
            f"{path}: line {first_row + pos}, column '{column}': {text.iloc[pos]!r} is not a number; "
            f"fix the cell or mark it as suppressed ('*' or blank) ({int(bad.sum())} such cell(s) in this column)"
        )
    return numbers.astype("float64"), suppressed.astype(bool)
