"""What the map page needs, and nothing more: views, colour classes and compact features.

A *view* is one way to colour the single area layer (score, tier, rank
stability, diagnosis, each indicator share, change over time). Views exist only
when their columns are in the level's frame; nothing is made up when a column is
missing. Colour classes are computed here, once per level, so per-area split
files share one legend.

Classes fit each measure:

* the priority score is coloured by **tier** (the tiers' own classes, so a tier-1
  area is always drawn in the tier-1 colour); the legend gives each tier's score range;
* indicator shares use the project's classifier (:mod:`mapper.score.classify`):
  quantiles when the values are roughly symmetric, Fisher-Jenks natural breaks
  when they are skewed (``|skewness| > 1``), so a handful of outliers do not put a
  fifth of the areas in the darkest class;
* 0-100 need indices use fixed 20-point bands closed at the left, so the
  diagnosis threshold (60) starts a class;
* change views diverge around "no change" with one convention in every view:
  blue-green = better, brown = worse.

Every numeric view has one display precision (``dec``): the legend, the ranking
table, the area card and the table page all show the same number of decimals,
and values are rounded to it before they are classed, so a value shown as
"0.35%" is always in the class whose label ends at "0.35%".

Feature properties use short keys to keep large layers small:

* ``c`` code, ``n`` name, ``k`` rural/urban class, ``r`` region, ``p`` premises,
  ``g`` split group (when split), ``rk``/``rc`` rank overall/in class, ``cy``
  county index (into the payload's ``counties``), ``lp`` label point [lon, lat],
* ``v``: one value per view (numbers rounded; categories as an index into the
  view's ``cats``), ``nd``: ``[numerator, denominator]`` per indicator,
* ``x``: extra details for the area card (rank interval, diagnosis, routes,
  change, rate/count rankings, England ranks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..formatting import labels, number, percent, signed
from ..score import INDICATORS, INSUFFICIENT, Indicator, present_indicators
from ..score.classify import bounds as class_bounds

#: ColorBrewer sequential palettes (9 classes), colour-blind safe; darker = more.
RDPU9 = ["#fff7f3", "#fde0dd", "#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e", "#7a0177", "#49006a"]
YLGNBU9 = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"]
PURPLES9 = ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#54278f", "#3f007d"]
#: ColorBrewer BrBG ends: brown = worse, blue-green = better (every change view).
WORSE = ["#f6e8c3", "#d8b365", "#8c510a"]
BETTER = ["#c7eae5", "#5ab4ac", "#01665e"]
NEUTRAL = "#f5f5f5"
#: Okabe-Ito qualitative colours (distinguishable with the common colour-vision deficiencies).
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "purple": "#CC79A7", "green": "#009E73",
             "vermillion": "#D55E00", "sky": "#56B4E9", "grey": "#E8E8E8"}
NO_DATA = "#bdbdbd"

DIAGNOSES = ("Infrastructure bid", "Digital-inclusion bid", "Both", "Neither")
DIAGNOSIS_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["purple"], OKABE_ITO["grey"])
#: Change columns: (label, what a rise means: "better" or "worse").
CHANGE_COLUMNS = {
    "gigabit_gain_n": ("Premises that gained gigabit", "better"),
    "below_uso_change_n": ("Change in premises below the USO", "worse"),
    "unable_30_change_n": ("Change in premises unable to get 30 Mbit/s", "worse"),
}
CHANGE_SHORT = {"gigabit_gain_n": "Gained gigabit", "below_uso_change_n": "Change below the USO",
                "unable_30_change_n": "Change under 30 Mbit/s"}
#: Columns the area card shows when present (stability, diagnosis and the rate/count rankings).
DETAIL_COLUMNS = ("rank_median", "rank_p05", "rank_p95", "top_tier_share", "stability", "infra_need",
                  "inclusion_need", "diagnosis", "diagnosis_reason", "routes",
                  "score_rate", "rank_rate", "tier_rate", "score_count", "rank_count", "tier_count")

#: View menu groups, in menu order.
VIEW_GROUPS = (("score", "Score, tiers and diagnosis"), ("fixed", "Fixed broadband"), ("business", "Business premises"),
               ("mobile", "Mobile (estimates)"), ("adoption", "Adoption (estimate)"), ("need", "Need (deprivation and age)"),
               ("change", "Change over time"))
#: Short menu labels (the legend and card keep the full label).
SHORT_LABELS: dict[str, str] = labels("menu_labels")
#: How the area card's headline says what an indicator's share counts ("40.1% of its premises ...").
HEADLINE_PHRASES = {
    "no_gigabit": "cannot get gigabit-capable broadband", "below_uso": "are below the broadband USO (no decent broadband)",
    "unable_30": "cannot get 30 Mbit/s", "no_full_fibre": "cannot get full fibre",
    "no_superfast": "cannot get superfast broadband",
    "bduk_residual": "have no gigabit and no funded plan",
}
#: Indicator group by source (see :data:`mapper.score.INDICATORS`).
SOURCE_GROUPS = (("non-residential", "business"), ("all premises minus residential", "business"),
                 ("mobile", "mobile"), ("take-up", "adoption"), ("BDUK", "fixed"), ("Deprivation", "need"),
                 ("fixed coverage", "fixed"))


def indicator_group(ind: Indicator) -> str:
    """The card section / menu group of an indicator, from its source."""
    src = ind.source
    for needle, group in SOURCE_GROUPS:
        if needle.lower() in src.lower():
            return group
    return "need" if ind.unit == "people" else "fixed"


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


def fmt_value(x, fmt: str, dec: int) -> str:
    """A view value as text (the JS ``fmtVal`` writes the same)."""
    if fmt == "pct" or fmt == "prob":
        return percent(x, dec)
    if fmt == "int":
        return signed(x)
    return number(x, dec)


def _value_digits(fmt: str, dec: int) -> int:
    """Digits a value is rounded to so that it is exactly what ``dec`` decimals show."""
    return dec + 2 if fmt in ("pct", "prob") else (0 if fmt == "int" else dec)


@dataclass
class View:
    key: str
    label: str
    note: str
    fmt: str = "score"                 # pct | prob | int | score (numeric views)
    column: str | None = None          # column of the area table holding the value
    dec: int = 1                       # decimals shown (legend, tables, card)
    breaks: list[float] | None = None  # class bounds (see ``side``)
    colours: list[str] | None = None
    legend: list[str] | None = None
    cats: list[str] | None = None      # categorical view: labels, values are indexes
    ind: int | None = None             # index into the page's indicator list
    estimate: bool = False
    group: str = "score"
    short: str | None = None
    side: str = "right"                # "right": class i holds (b[i-1], b[i]]; "left": [b[i-1], b[i])
    tier_colour: bool = False          # colour by the area's tier (the score view)
    better: str | None = None          # change views: what a rise means ("better" / "worse")
    scheme: str | None = None          # how the classes were made (for the legend)
    extra: dict = field(default_factory=dict)

    @property
    def digits(self) -> int:
        return _value_digits(self.fmt, self.dec)

    def spec(self) -> dict:
        out = {"key": self.key, "label": self.label, "short": self.short or self.label, "group": self.group,
               "note": self.note, "fmt": self.fmt, "dec": self.dec, "colours": self.colours, "legend": self.legend}
        if self.cats is not None:
            out["cats"] = self.cats
        else:
            out["breaks"] = self.breaks
        if self.side != "right":
            out["side"] = self.side
        if self.tier_colour:
            out["tc"] = True
        if self.ind is not None:
            out["ind"] = self.ind
        if self.estimate:
            out["estimate"] = True
        if self.better:
            out["better"] = self.better
        if self.scheme:
            out["scheme"] = self.scheme
        return out


def _skewness(x: np.ndarray) -> float:
    """Sample skewness (Fisher-Pearson, biased), 0 when the values do not vary."""
    sd = x.std()
    return 0.0 if sd == 0 or len(x) < 3 else float(np.mean((x - x.mean()) ** 3) / sd ** 3)


def choose_scheme(x: np.ndarray) -> str:
    """``quantiles`` for roughly symmetric values, Fisher-Jenks when ``|skewness| > 1`` (sampled above 400 values).

    >>> choose_scheme(np.arange(100.0)), choose_scheme(np.r_[np.zeros(90), np.arange(10.0) ** 3])
    ('quantiles', 'natural_breaks')
    """
    if abs(_skewness(x)) <= 1:
        return "quantiles"
    return "natural_breaks" if len(x) <= 400 else "natural_breaks_sampled"


SCHEME_NOTES = {
    "quantiles": "Classes: quantiles (about equal numbers of areas per class)",
    "natural_breaks": "Classes: natural breaks (Fisher-Jenks), as the values are skewed",
    "natural_breaks_sampled": "Classes: natural breaks (Fisher-Jenks), as the values are skewed",
}


def class_breaks(values: pd.Series, k: int, fmt: str, *, max_dec: int = 3) -> tuple[list[float], int, str]:
    """(breaks, decimals, scheme): class bounds rounded to the fewest decimals (1..``max_dec``) that keep them distinct.

    Values equal to a break belong to the class below it. Breaks at or above the
    largest value are dropped, so no class is empty at the top.

    >>> class_breaks(pd.Series([0.001, 0.002, 0.003, 0.004, 0.02, 0.5]), 3, "pct")[1]
    1
    """
    x = values.astype("float64").dropna().to_numpy()
    if len(x) == 0:
        return [], 1, "quantiles"
    scheme = choose_scheme(x)
    k_eff = max(1, min(k, len(np.unique(x))))
    raw = [float(b) for b in class_bounds(x, k_eff, scheme)[:-1]] if k_eff > 1 else []
    inside = [b for b in raw if x.min() <= b < x.max()]
    for dec in range(1, max_dec + 1):
        digits = _value_digits(fmt, dec)
        lo, hi = float(np.round(x.min(), digits)), float(np.round(x.max(), digits))
        # a rounded break may sit on the smallest value only when the break itself is that value (e.g. a class of zeros)
        rounded = sorted({round(b, digits) for b in inside
                          if lo < round(b, digits) < hi or (b == x.min() and round(b, digits) == lo)})
        if len(rounded) == len(set(inside)) or dec == max_dec:
            return rounded, dec, scheme
    return [], max_dec, scheme  # pragma: no cover - the loop always returns


def _class_index(values: np.ndarray, breaks: list[float], side: str) -> np.ndarray:
    return np.searchsorted(np.asarray(breaks, dtype="float64"), values, side="left" if side == "right" else "right")


def _numeric_view(key, label, note, values: pd.Series, palette, k, fmt, *, fixed=None, dec=None, side="right",
                  column=None, **kw) -> View:
    """Classes that fit the values (:func:`class_breaks`) or ``fixed`` bounds; legend labels with class sizes."""
    if fixed is not None:
        breaks, d, scheme = list(fixed), (1 if dec is None else dec), None
    else:
        breaks, d, scheme = class_breaks(values, k, fmt)
    digits = _value_digits(fmt, d)
    x = np.round(values.astype("float64").dropna().to_numpy(), digits)
    colours = sample_palette(palette, len(breaks) + 1)
    lo = float(x.min()) if len(x) else 0.0
    hi = float(x.max()) if len(x) else 0.0
    sizes = np.bincount(_class_index(x, breaks, side), minlength=len(breaks) + 1) if len(x) else [0] * (len(breaks) + 1)

    def f(v):
        return fmt_value(v, fmt, d)

    legend = []
    for i in range(len(breaks) + 1):
        if side == "left":
            a = breaks[i - 1] if i else None
            b = breaks[i] if i < len(breaks) else None
            lab = (f"under {f(b)}" if a is None else f"{f(a)} and over" if b is None else f"{f(a)} to under {f(b)}")
        else:
            a = breaks[i - 1] if i else lo
            b = breaks[i] if i < len(breaks) else hi
            lab = f"{f(a)} to {f(b)}" if i == 0 else f"over {f(a)} to {f(b)}"
            if i == 0 and a == b:
                lab = f(a)
        n = int(sizes[i])
        legend.append(f"{lab} ({n:,} area{'' if n == 1 else 's'})")
    if scheme:
        note = f"{note}. {SCHEME_NOTES[scheme]}"
    return View(key, label, note, fmt=fmt, column=column or key, dec=d, breaks=breaks, colours=colours, legend=legend,
                side=side, scheme=scheme, **kw)


def _span(low: float, up: float) -> str:
    return signed(up) if low == up else f"{signed(low)} to {signed(up)}"


def _ramp(colours: list[str], n: int) -> list[str]:
    """``n`` of a light-to-dark three-colour ramp: 1 -> the middle, 2 -> the ends, 3 -> all."""
    return {1: [colours[1]], 2: [colours[0], colours[2]], 3: list(colours)}[n]


def _diverging_view(key, label, note, values: pd.Series, column: str, rise: str) -> View:
    """Counts that can fall or rise: up to three quantile classes each side of "no change".

    One convention in every change view: blue-green = better, brown = worse
    (darker = larger). ``rise`` says what a rise in this count means.
    """
    x = values.astype("float64").dropna().round().to_numpy()
    neg, pos = np.sort(x[x < 0]), np.sort(x[x > 0])
    fall = "better" if rise == "worse" else "worse"
    ramps = {"better": BETTER, "worse": WORSE}
    classes = []  # (upper bound, colour, label), ascending
    if len(neg):
        cuts = sorted({float(round(q)) for q in np.quantile(neg, [1 / 3, 2 / 3]) if neg.min() <= round(q) <= -1})
        uppers = sorted(set([c for c in cuts if c < -1] + [-1.0]))
        ramp = _ramp(ramps[fall], len(uppers))[::-1]  # most negative first: darkest first
        low = float(neg.min())
        for up, colour in zip(uppers, ramp):
            classes.append((up + 0.5 if up == -1.0 else up, colour, f"{_span(low, up)} ({fall})"))
            low = up + 1
    if (x == 0).any() or (len(neg) and len(pos)):
        classes.append((0.0, NEUTRAL, "no change"))
    if len(pos):
        cuts = sorted({float(round(q)) for q in np.quantile(pos, [1 / 3, 2 / 3]) if 1 <= round(q) < pos.max()})
        uppers = cuts + [float(pos.max())]
        ramp = _ramp(ramps[rise], len(uppers))
        low = float(pos.min())
        for up, colour in zip(uppers, ramp):
            classes.append((up, colour, f"{_span(low, up)} ({rise})"))
            low = up + 1
    breaks = [c[0] for c in classes[:-1]]
    return View(key, label, note, fmt="int", column=column, dec=0, breaks=breaks, colours=[c[1] for c in classes],
                legend=[c[2] for c in classes], group="change", better=rise)


def area_table(level, indicators: dict[str, Indicator] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The level's frame without geometry, and the indicators whose ``<ind>_num/_den/_share`` columns it carries."""
    frame = pd.DataFrame(level.frame.drop(columns="geometry"))
    return frame, present_indicators(frame, indicators or INDICATORS)


def estimate_label(ind: Indicator) -> str:
    """The indicator's label, with "(estimate)" when its numerator is derived from percentages."""
    return ind.label if not ind.derived or "estimate" in ind.label else f"{ind.label} (estimate)"


def _score_view(table: pd.DataFrame, k_tiers: int, frame_text: str) -> View:
    """The priority score, coloured by tier: the legend gives each tier's score range (rounded as shown)."""
    note = (f"0-100 relative to {frame_text}; higher = more need (not a percentage). "
            "Colours are the priority tiers")
    if "tier" not in table.columns:
        return _numeric_view("score", "Priority score (0-100)", note, table["score"], RDPU9, k_tiers, "score",
                             short="Priority score")
    score = table["score"].astype("float64").round(1)
    tiers = table["tier"].fillna(0).astype(int)
    legend = []
    for t in range(1, k_tiers + 1):
        s = score[tiers == t].dropna()
        rng = f"score {number(s.min())} to {number(s.max())}" if len(s) else "no areas"
        name = f"Tier {t}" + (" (highest priority)" if t == 1 else " (lowest)" if t == k_tiers else "")
        legend.append(f"{name}: {rng} ({len(s):,} area{'' if len(s) == 1 else 's'})")
    legend.append(INSUFFICIENT)
    return View("score", "Priority score (0-100)", note, fmt="score", column="score", dec=1, breaks=[],
                colours=tier_colours(k_tiers) + [NO_DATA], legend=legend, tier_colour=True, short="Priority score")


def build_views(table: pd.DataFrame, names: list[str], registry: dict[str, Indicator], *, k_tiers: int,
                classes: int, scored: set[str], frame_text: str = "the areas of this map") -> list[View]:
    """Every view the level's columns allow, in menu order (grouped, see :data:`VIEW_GROUPS`)."""
    views = []
    if _present(table, "score"):
        views.append(_score_view(table, k_tiers, frame_text))
    if "tier" in table.columns:
        cats = [f"Tier {t}" + (" (highest priority)" if t == 1 else " (lowest)" if t == k_tiers else "")
                for t in range(1, k_tiers + 1)] + [INSUFFICIENT]
        views.append(View("tier", "Priority tier",
                          f"Tier 1 = highest priority; tiers are classes of the score within {frame_text}",
                          column="tier", cats=cats, colours=tier_colours(k_tiers) + [NO_DATA], legend=cats))
    if _present(table, "stability"):
        views.append(View("stability", "Rank stability", "How firm the rank is when the weights and method are varied",
                          column="stability", cats=["Stable", "Volatile"],
                          colours=[OKABE_ITO["blue"], OKABE_ITO["orange"]], legend=["Stable rank", "Volatile rank"]))
    if _present(table, "top_tier_share"):
        views.append(_numeric_view("top_tier_share", "Chance of being in tier 1",
                                   "Share of resampled weightings that put the area in tier 1; darker = more often",
                                   table["top_tier_share"], PURPLES9, 5, "prob", fixed=[0.2, 0.4, 0.6, 0.8], dec=0))
    if _present(table, "diagnosis"):
        views.append(View("diagnosis", "Intervention diagnosis", "What kind of bid the figures point to",
                          column="diagnosis", cats=list(DIAGNOSES), colours=list(DIAGNOSIS_COLOURS), legend=list(DIAGNOSES)))
    for col, label in (("infra_need", "Infrastructure need (0-100)"), ("inclusion_need", "Digital-inclusion need (0-100)")):
        if _present(table, col):
            views.append(_numeric_view(col, label, "Mean percentile rank of its indicators within the frame; darker = more need",
                                       table[col], RDPU9, 5, "score", fixed=[20, 40, 60, 80], dec=0, side="left"))
    for i, n in enumerate(names):
        ind = registry[n]
        label = estimate_label(ind) + (" *" if n in scored else "")
        short = SHORT_LABELS.get(n, estimate_label(ind)) + (" *" if n in scored else "")
        views.append(_numeric_view(n, label, "Darker = larger share = more need", table[f"{n}_share"], YLGNBU9,
                                   classes, "pct", column=f"{n}_share", ind=i, estimate=ind.derived,
                                   group=indicator_group(ind), short=short))
    since = None
    if _present(table, "change_from_release"):
        since = str(table["change_from_release"].dropna().iloc[0])
    for col, (label, rise) in CHANGE_COLUMNS.items():
        if _present(table, col):
            text = f"{label} since {since}" if since else label
            view = _diverging_view(col, text + " (count)", "Blue-green = better, brown = worse (every change view)",
                                   table[col], col, rise)
            view.short = CHANGE_SHORT[col] + (f" since {since}" if since else "")
            views.append(view)
    order = {g: i for i, (g, _) in enumerate(VIEW_GROUPS)}
    return sorted(views, key=lambda v: order.get(v.group, len(order)))  # stable: keeps the order within a group


def value_of(view: View, row) -> object:
    """The compact value of one area for one view (number rounded as shown, category index or None)."""
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


def _detail(val):
    if val is None or val is pd.NA or (isinstance(val, float) and math.isnan(val)):
        return None
    if isinstance(val, (bool, np.bool_)):
        return bool(val)
    if isinstance(val, (int, np.integer)):
        return int(val)
    if isinstance(val, (float, np.floating)):
        return _num(val, 0) if float(val).is_integer() else _num(val, 2)
    text = str(val)
    return text if text else None


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
        val = _detail(row.get(col))
        if val is not None:
            extra[col] = val
    for col in CHANGE_COLUMNS:
        val = _num(row.get(col), 0)
        if val is not None:
            extra[col] = val
    ranks = [_num(row.get(f"england_rank_{n}"), 0) for n in names]
    if any(r is not None for r in ranks):
        extra["er"] = ranks
    if extra:
        props["x"] = extra
    return props
