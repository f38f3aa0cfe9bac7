"""What the map page needs, and nothing more: views, colour classes and compact features.

A *view* is one way to colour the single area layer (score, tier, rank
stability, diagnosis, each indicator share, change over time). Views exist only
when their columns are in the level's frame; nothing is made up when a column is
missing. Colour classes are computed here, once per level, so per-area split
files share one legend.

Feature properties use short keys to keep large layers small:

* ``c`` code, ``n`` name, ``k`` rural/urban class, ``r`` region, ``p`` premises,
  ``g`` split group (when split), ``rk``/``rc`` rank overall/in class,
* ``v``: one value per view (numbers rounded; categories as an index into the
  view's ``cats``), ``nd``: ``[numerator, denominator]`` per indicator,
* ``x``: extra details for the click popup (rank interval, diagnosis, change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formatting import count, number, percent, signed
from ..score.classify import quantile_bounds
from ..score import INDICATORS, INSUFFICIENT, Indicator, present_indicators

#: ColorBrewer sequential palettes (9 classes), colour-blind safe; darker = more.
RDPU9 = ["#fff7f3", "#fde0dd", "#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e", "#7a0177", "#49006a"]
YLGNBU9 = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"]
PURPLES9 = ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#54278f", "#3f007d"]
#: Okabe-Ito qualitative colours (distinguishable with the common colour-vision deficiencies).
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "purple": "#CC79A7", "green": "#009E73",
             "vermillion": "#D55E00", "sky": "#56B4E9", "grey": "#E8E8E8"}
NO_DATA = "#bdbdbd"

DIAGNOSES = ("Infrastructure bid", "Digital-inclusion bid", "Both", "Neither")
DIAGNOSIS_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["purple"], OKABE_ITO["grey"])
CHANGE_COLUMNS = {
    "gigabit_gain_n": ("Premises that gained gigabit", "more premises gained gigabit"),
    "below_uso_change_n": ("Change in premises below the USO", "more premises fell below the USO"),
    "unable_30_change_n": ("Change in premises unable to get 30 Mbit/s", "more premises unable to get 30 Mbit/s"),
}
#: Columns the click popup shows when present (added by the stability and diagnosis stages).
DETAIL_COLUMNS = ("rank_median", "rank_p05", "rank_p95", "top_tier_share", "stability", "infra_need",
                  "inclusion_need", "diagnosis", "diagnosis_reason")


def sample_palette(palette: list[str], k: int) -> list[str]:
    """``k`` colours from a 9-class palette, skipping the near-white first class.

    >>> sample_palette(RDPU9, 3)
    ['#fcc5c0', '#dd3497', '#49006a']
    """
    idx = np.round(np.linspace(2 if k <= 5 else 1, 8, k)).astype(int)
    return [palette[i] for i in idx]


def tier_colours(k: int) -> list[str]:
    """Colours for tiers 1..k (tier 1 darkest)."""
    return sample_palette(RDPU9, k)[::-1]


def _present(frame: pd.DataFrame, col: str) -> bool:
    return col in frame.columns and frame[col].notna().any()


def _num(x, digits: int):
    if x is None or x is pd.NA:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(x):
        return None
    return int(round(x)) if digits == 0 else round(x, digits)


def _fmt(x: float, fmt: str, decimals: int = 1) -> str:
    if fmt == "pct":
        return percent(x, decimals)
    if fmt == "prob":
        return percent(x, 0)
    if fmt == "int":
        return count(x)
    return number(x, decimals)


def _decimals(edges: list[float], fmt: str) -> int:
    """Fewest decimals (1-4) that keep every class edge label distinct (small shares need more)."""
    for d in (1, 2, 3, 4):
        labels = [_fmt(e, fmt, d) for e in edges]
        if len(set(labels)) == len(set(edges)):
            return d
    return 4


@dataclass
class View:
    key: str
    label: str
    note: str
    fmt: str = "score"                 # pct | prob | int | score (numeric views)
    column: str | None = None          # column of the area table holding the value
    digits: int = 1
    breaks: list[float] | None = None  # upper bounds of all classes but the last
    colours: list[str] | None = None
    legend: list[str] | None = None
    cats: list[str] | None = None      # categorical view: labels, values are indexes
    ind: int | None = None             # index into the page's indicator list
    estimate: bool = False

    def spec(self) -> dict:
        out = {"key": self.key, "label": self.label, "note": self.note, "fmt": self.fmt,
               "colours": self.colours, "legend": self.legend}
        if self.cats is not None:
            out["cats"] = self.cats
        else:
            out["breaks"] = self.breaks
        if self.ind is not None:
            out["ind"] = self.ind
        if self.estimate:
            out["estimate"] = True
        return out


def _numeric_view(key, label, note, values: pd.Series, palette, k, fmt, digits, *, fixed=None, column=None, **kw) -> View:
    """Quantile classes (the same classifier as the tiers, :mod:`mapper.score.classify`) or ``fixed`` breaks."""
    x = values.astype("float64").dropna().to_numpy()
    if fixed is not None:
        breaks = list(fixed)
    elif len(x) == 0:
        breaks = []
    else:
        qs = quantile_bounds(x, k)[:-1]  # the tiers' classifier; the last bound is the maximum
        breaks = sorted({round(float(q), digits + (2 if fmt in ("pct", "prob") else 0)) for q in qs})
        breaks = [b for b in breaks if b < x.max()]
    colours = sample_palette(palette, len(breaks) + 1)
    lo = float(x.min()) if len(x) else 0.0
    hi = float(x.max()) if len(x) else 0.0
    edges = [lo] + breaks + [hi]
    d = _decimals(edges if fixed is None else breaks, fmt)
    legend = []
    for i in range(len(breaks) + 1):
        a, b = edges[i], edges[i + 1]
        if fixed is not None:
            lab = f"{_fmt(a, fmt, d)} to {_fmt(b, fmt, d)}" if i else f"up to {_fmt(b, fmt, d)}"
            if i == len(breaks):
                lab = f"over {_fmt(a, fmt, d)}"
        else:
            lab = f"{_fmt(a, fmt, d)} to {_fmt(b, fmt, d)}" if i == 0 else f"over {_fmt(a, fmt, d)} to {_fmt(b, fmt, d)}"
            if i == 0 and a == b:
                lab = _fmt(a, fmt, 0 if a == 0 else d)
        legend.append(lab)
    return View(key, label, note, fmt=fmt, column=column or key, digits=digits, breaks=breaks,
                colours=colours, legend=legend, **kw)


def _span(low: float, up: float) -> str:
    return signed(up) if low == up else f"{signed(low)} to {signed(up)}"


def _diverging_view(key, label, note, values: pd.Series, column: str) -> View:
    """Counts that can fall or rise: up to three quantile classes each side of "no change" (ColorBrewer PuOr).

    Falls are orange (darkest = largest fall), rises purple (darkest = largest rise).
    """
    x = values.astype("float64").dropna().to_numpy()
    neg, pos = np.sort(x[x < 0]), np.sort(x[x > 0])
    classes = []  # (upper bound, colour, label), ascending
    if len(neg):
        cuts = sorted({float(round(q)) for q in np.quantile(neg, [1 / 3, 2 / 3]) if neg.min() <= round(q) <= -1})
        uppers = [c for c in cuts if c < -1] + [-1.0]
        uppers = sorted(set(uppers))
        ramp = {1: ["#f1a340"], 2: ["#b35806", "#fee0b6"], 3: ["#b35806", "#f1a340", "#fee0b6"]}[len(uppers)]
        low = float(neg.min())
        for up, colour in zip(uppers, ramp):
            classes.append((up + 0.5 if up == -1.0 else up, colour, _span(low, up)))
            low = up + 1
    if (x == 0).any() or (len(neg) and len(pos)):
        classes.append((0.0, "#f7f7f7", "no change"))
    if len(pos):
        cuts = sorted({float(round(q)) for q in np.quantile(pos, [1 / 3, 2 / 3]) if 1 <= round(q) < pos.max()})
        uppers = cuts + [float(pos.max())]
        ramp = {1: ["#998ec3"], 2: ["#d8daeb", "#542788"], 3: ["#d8daeb", "#998ec3", "#542788"]}[len(uppers)]
        low = float(pos.min())
        for up, colour in zip(uppers, ramp):
            classes.append((up, colour, _span(low, up)))
            low = up + 1
    breaks = [c[0] for c in classes[:-1]]
    return View(key, label, note, fmt="int", column=column, digits=0, breaks=breaks,
                colours=[c[1] for c in classes], legend=[c[2] for c in classes])


def area_table(level, indicators: dict[str, Indicator] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The level's frame without geometry, and the indicators whose ``<ind>_num/_den/_share`` columns it carries."""
    frame = pd.DataFrame(level.frame.drop(columns="geometry"))
    return frame, present_indicators(frame, indicators or INDICATORS)


def estimate_label(ind: Indicator) -> str:
    """The indicator's label, with "(estimate)" when its numerator is derived from percentages."""
    return ind.label if not ind.derived or "estimate" in ind.label else f"{ind.label} (estimate)"


def build_views(table: pd.DataFrame, names: list[str], registry: dict[str, Indicator], *, k_tiers: int,
                classes: int, scored: set[str]) -> list[View]:
    """Every view the level's columns allow, in menu order."""
    views = []
    if _present(table, "score"):
        views.append(_numeric_view("score", "Priority score (0-100)", "Darker = more need (higher priority)",
                                   table["score"], RDPU9, 5, "score", 1, fixed=[20, 40, 60, 80]))
    if "tier" in table.columns:
        cats = [f"Tier {t}" + (" (highest priority)" if t == 1 else " (lowest)" if t == k_tiers else "")
                for t in range(1, k_tiers + 1)] + [INSUFFICIENT]
        views.append(View("tier", "Priority tier", "Darker = higher priority tier", column="tier",
                          cats=cats, colours=tier_colours(k_tiers) + [NO_DATA], legend=cats))
    if _present(table, "stability"):
        views.append(View("stability", "Rank stability", "How firm the rank is when the inputs are resampled",
                          column="stability", cats=["Stable", "Volatile"],
                          colours=[OKABE_ITO["blue"], OKABE_ITO["orange"]], legend=["Stable rank", "Volatile rank"]))
    if _present(table, "top_tier_share"):
        views.append(_numeric_view("top_tier_share", "Chance of being in tier 1", "Darker = more often in the top tier",
                                   table["top_tier_share"], PURPLES9, 5, "prob", 2, fixed=[0.2, 0.4, 0.6, 0.8]))
    if _present(table, "diagnosis"):
        views.append(View("diagnosis", "Intervention diagnosis", "What kind of bid the figures point to",
                          column="diagnosis", cats=list(DIAGNOSES), colours=list(DIAGNOSIS_COLOURS), legend=list(DIAGNOSES)))
    for col, label in (("infra_need", "Infrastructure need (0-100)"), ("inclusion_need", "Digital-inclusion need (0-100)")):
        if _present(table, col):
            views.append(_numeric_view(col, label, "Darker = more need", table[col], RDPU9, 5, "score", 1,
                                       fixed=[20, 40, 60, 80]))
    for i, n in enumerate(names):
        ind = registry[n]
        label = estimate_label(ind) + (" *" if n in scored else "")
        views.append(_numeric_view(n, label, "Darker = larger share = more need", table[f"{n}_share"], YLGNBU9,
                                   classes, "pct", 4, column=f"{n}_share", ind=i, estimate=ind.derived))
    since = None
    if _present(table, "change_from_release"):
        since = str(table["change_from_release"].dropna().iloc[0])
    for col, (label, more) in CHANGE_COLUMNS.items():
        if _present(table, col):
            text = f"{label} since {since}" if since else label
            views.append(_diverging_view(col, text + " (count)", f"Purple = {more}", table[col], col))
    return views


def value_of(view: View, row) -> object:
    """The compact value of one area for one view (number, category index or None)."""
    x = row.get(view.column)
    if view.cats is not None:
        if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
            return None
        if view.key == "tier":
            t = int(x)
            return t - 1 if t > 0 else len(view.cats) - 1
        s = str(x).strip().lower()
        for i, c in enumerate(view.cats):
            if c.lower() == s or c.lower().startswith(s):
                return i
        return None
    return _num(x, view.digits)


def area_properties(row, views: list[View], names: list[str], class_col: str, group_col: str | None) -> dict:
    """Compact properties of one area (see the module docstring for the keys)."""
    props = {
        "c": str(row["code"]),
        "n": str(row["name"]) if row.get("name") is not None and row.get("name") is not pd.NA else str(row["code"]),
        "k": None if row.get(class_col) is None or row.get(class_col) is pd.NA else str(row.get(class_col)),
        "r": None if row.get("region_name") is None or row.get("region_name") is pd.NA else str(row.get("region_name")),
        "p": _num(row.get("premises"), 0),
        "rk": _num(row.get("rank"), 0),
        "rc": _num(row.get("rank_in_class"), 0),
        "v": [value_of(v, row) for v in views],
        "nd": [[_num(row.get(f"{n}_num"), 0), _num(row.get(f"{n}_den"), 0)] for n in names],
    }
    if group_col:
        props["g"] = str(row.get(group_col))
    extra = {}
    for col in DETAIL_COLUMNS:
        val = row.get(col)
        if val is None or val is pd.NA or (isinstance(val, float) and math.isnan(val)):
            continue
        extra[col] = _num(val, 2) if isinstance(val, (int, float, np.integer, np.floating)) else str(val)
    for col in CHANGE_COLUMNS:
        val = _num(row.get(col), 0)
        if val is not None:
            extra[col] = val
    if extra:
        props["x"] = extra
    return props
