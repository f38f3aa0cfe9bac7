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
    cells. Thousands separators (``"29,199"``) are accepted. Any other text, and
    numbers that are not finite (``inf``), raise :class:`ValueProblem` naming the
    file, the line and the column. ``first_row`` is the file line of
    ``values.iloc[0]`` (2 when the header is line 1).

    Fast path: one vectorised ``pd.to_numeric``; only the cells it cannot read
    (blanks, suppression markers, thousands separators, mistakes) get the careful,
    cell-by-cell treatment.
    """
    raw = values.astype("string")
    numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
    odd = numbers.isna().to_numpy() | ~np.isfinite(numbers.to_numpy())
    if not odd.any():
        return numbers, pd.Series(False, index=values.index)
    text = raw[odd].fillna("").str.strip()
    lowered = text.str.lower()
    suppressed_part = lowered.isin(SUPPRESSION_MARKERS) | lowered.str.match(_LESS_THAN)
    cleaned = text.where(~text.str.match(_THOUSANDS), text.str.replace(",", "", regex=False))
    fixed = pd.to_numeric(cleaned.where(~suppressed_part, None), errors="coerce").astype("float64")
    bad = (fixed.isna() | ~np.isfinite(fixed.fillna(0.0))) & ~suppressed_part
    if bad.any():
        pos = int(np.flatnonzero(odd)[np.flatnonzero(bad.to_numpy())[0]])
        cell = raw.iloc[pos]
        what = "is not a finite number" if pd.notna(pd.to_numeric(pd.Series([cell]), errors="coerce").iloc[0]) \
            else "is not a number"
        raise ValueProblem(
            f"{path}: line {first_row + pos}, column '{column}': {str(cell).strip()!r} {what}; "
            f"fix the cell or mark it as suppressed ('*' or blank) ({int(bad.sum())} such cell(s) in this column)"
        )
    numbers = numbers.copy()
    numbers[odd] = fixed.to_numpy()
    suppressed = pd.Series(False, index=values.index)
    suppressed[odd] = suppressed_part.to_numpy()
    return numbers, suppressed.astype(bool)


def thousands_cells(values: pd.Series) -> int:
    """How many cells are written with thousands separators (``"1,234"``), as Excel exports them.

    They are read correctly by :func:`parse_numeric`; the count is reported so a
    reader knows the file went through a spreadsheet.

    >>> thousands_cells(pd.Series(["1,234", "56", "12,345,678.5", None]))
    2
    """
    text = values.astype("string")
    text = text[text.str.contains(",", regex=False, na=False)]  # most columns have none: one quick pass
    if text.empty:
        return 0
    return int(text.str.strip().str.match(_THOUSANDS).sum())


def text_problems(values: pd.Series, *, path: str | Path, column: str, max_length: int = 200,
                  first_row: int = 2, unit: str = "line") -> int:
    """Check a name column: raise on absurdly long cells, return how many hold HTML-like markup.

    A name longer than ``max_length`` characters is a broken export (merged
    cells, a pasted document), so it raises :class:`ValueProblem` naming the
    line. Names holding ``<`` or ``>`` are legal but suspicious; they are
    counted (outputs escape them) so the caller can flag them.
    """
    text = values.astype("string").fillna("")
    too_long = text.str.len() > max_length
    if too_long.any():
        pos = int(np.flatnonzero(too_long.to_numpy())[0])
        raise ValueProblem(
            f"{path}: {unit} {first_row + pos}, column '{column}': the name is {len(text.iloc[pos]):,} characters long "
            f"(limit {max_length}); fix the cell, it is probably a broken export"
        )
    return int(text.str.contains(r"[<>]", regex=True).sum())
