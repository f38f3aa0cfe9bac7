"""How numbers are written in every output: maps, table pages, narratives, method statement.

One module so that a count, a share or a score reads the same everywhere. Shares
are 0-1 fractions and are shown as percentages; counts are whole numbers with
thousands separators. ``missing`` is what a missing value (None, NaN, pd.NA)
becomes; it differs by medium (``"n/a"`` in prose, ``""`` in a table cell).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path


def is_missing(x) -> bool:
    """None, NaN and pandas' NA are missing.

    >>> is_missing(None), is_missing(float("nan")), is_missing(0)
    (True, True, False)
    """
    if x is None:
        return True
    try:
        return bool(x != x) or (isinstance(x, float) and math.isnan(x))
    except TypeError:  # pd.NA: comparisons are ambiguous
        return True


def count(x, *, missing: str = "n/a") -> str:
    """A whole number with thousands separators: 12345.0 -> '12,345'.

    >>> count(12345.0), count(None), count(None, missing="")
    ('12,345', 'n/a', '')
    """
    return missing if is_missing(x) else f"{round(float(x)):,}"


def signed(x, *, missing: str = "n/a") -> str:
    """A signed whole number: '+1,234', '-56', '+0'.

    >>> signed(-56), signed(1234)
    ('-56', '+1,234')
    """
    return missing if is_missing(x) else f"{round(float(x)):+,}"


def percent(share, decimals: int = 1, *, missing: str = "n/a") -> str:
    """A 0-1 share as a percentage: 0.12345 -> '12.3%'.

    >>> percent(0.12345), percent(0.12345, 3), percent(0.5, 0)
    ('12.3%', '12.345%', '50%')
    """
    return missing if is_missing(share) else f"{100.0 * float(share):.{decimals}f}%"


def percent_of(num, den, decimals: int = 1, *, missing: str = "") -> str:
    """``num / den`` as a percentage; ``missing`` when either is missing or the denominator is 0.

    >>> percent_of(25, 200), percent_of(1, 0)
    ('12.5%', '')
    """
    if is_missing(num) or is_missing(den) or not den:
        return missing
    return percent(float(num) / float(den), decimals)


def number(x, decimals: int = 1, *, missing: str = "n/a") -> str:
    """A plain number with fixed decimals (scores, sub-indices): 61.25 -> '61.2'.

    >>> number(61.25), number(7, 0)
    ('61.2', '7')
    """
    return missing if is_missing(x) else f"{float(x):.{decimals}f}"


def ordinal(x, *, missing: str = "n/a") -> str:
    """A rank as an English ordinal: 1 -> '1st', 12 -> '12th', 23 -> '23rd'.

    >>> ordinal(1), ordinal(2), ordinal(3), ordinal(11), ordinal(12), ordinal(22), ordinal(101)
    ('1st', '2nd', '3rd', '11th', '12th', '22nd', '101st')
    """
    if is_missing(x):
        return missing
    n = round(float(x))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def distinct_decimals(*shares, decimals: int = 1, most: int = 3) -> int:
    """The fewest decimals (``decimals`` to ``most``) at which shares that differ also print differently.

    Shares that are exactly equal, or missing, do not raise the precision; shares that still
    print alike at ``most`` decimals get ``most``.

    >>> distinct_decimals(0.00127, 0.00083), distinct_decimals(0.346, 0.212), distinct_decimals(0.5, 0.5)
    (2, 1, 1)
    """
    values = sorted({float(s) for s in shares if not is_missing(s)})
    for d in range(decimals, most + 1):
        printed = {percent(v, d) for v in values}
        if len(printed) == len(values):
            return d
    return most


def unique_lines(lines) -> list[str]:
    """Credit and attribution lines, each once: lines that differ only by surrounding spaces or a final full
    stop are the same credit (one may come from the sources register, the other from a map layer).

    >>> unique_lines(["Place names: GeoNames, CC BY 4.0.", "", "Place names: GeoNames, CC BY 4.0", "Contains Ofcom data"])
    ['Place names: GeoNames, CC BY 4.0.', 'Contains Ofcom data']
    """
    seen, out = set(), []
    for line in lines:
        key = line.strip().rstrip(".") if line else ""
        if key and key not in seen:
            seen.add(key)
            out.append(line)
    return out


def labels(section: str) -> dict[str, str]:
    """Reader-facing labels from ``mapper/labels.yaml`` (``workbook_headers`` or ``menu_labels``)."""
    return dict(_labels()[section])


@lru_cache(maxsize=1)
def _labels() -> dict:
    from ._io import load_yaml

    return load_yaml(Path(__file__).with_name("labels.yaml").read_text("utf-8"))
