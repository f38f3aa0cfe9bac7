"""The numbers a pack publishes, taken from the same frames and table as the maps.

Nothing here recomputes an area's figures: :func:`pack_table` is
:func:`mapper.publish.tables.table_frame` (the published CSV) plus, when the lead stage
has added them to ``level.frame``, the rank-interval, diagnosis and change
columns. Comparison shares for a region or the Midlands come from
``level.totals`` (counts summed, then divided); for a rural/urban class they are
made the same way with :func:`mapper.score.totals` over the areas of that class.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from ..publish.tables import table_frame
from ..score import IMD, INDICATORS, OFCOM, OFCOM_MOBILE, OFCOM_NONRES, OFCOM_TAKEUP, totals
from ..score.indicators import IMD2025

#: Columns the lead stage may add to ``level.frame`` (used when present, never invented).
STABILITY_COLUMNS = ("rank_median", "rank_p05", "rank_p95", "top_tier_share", "stability")
DIAGNOSIS_COLUMNS = ("infra_need", "inclusion_need", "diagnosis", "diagnosis_reason")
CHANGE_COLUMNS = ("change_from_release", "gigabit_gain_n", "below_uso_change_n", "unable_30_change_n")
#: Rankings by the depth (shares) and the size (counts) of the gap (issue 14), beside the headline score.
RATE_COUNT_COLUMNS = ("score_rate", "rank_rate", "tier_rate", "score_count", "rank_count", "tier_count")
LEAD_COLUMNS = STABILITY_COLUMNS + DIAGNOSIS_COLUMNS + CHANGE_COLUMNS + RATE_COUNT_COLUMNS
#: Per-area national ranks (issue 15): ``england_rank_<indicator>``, 1 = highest need among English areas.
ENGLAND_RANK_PREFIX = "england_rank_"

#: Which input file each indicator source comes from, per level (for its release).
SOURCE_INPUTS = {
    OFCOM: {"la": "la_coverage", "pcon": "pcon_coverage", "pcon10": "pcon10_coverage"},
    OFCOM_NONRES: {"la": "la_coverage_residential", "pcon": "pcon_coverage_residential",
                   "pcon10": "pcon10_coverage_residential"},
    OFCOM_MOBILE: {"la": "la_mobile"},
    OFCOM_TAKEUP: {"la": "la_takeup"},
    IMD: {"la": "imd", "pcon": "imd", "pcon10": "imd"},
    IMD2025: {"la": "imd2025", "pcon": "imd2025", "pcon10": "imd2025"},
}
#: Short citations used in sentences ("(Ofcom Connected Nations, July 2025)").
SHORT_SOURCE = {
    OFCOM: "Ofcom Connected Nations",
    OFCOM_NONRES: "Ofcom Connected Nations, all premises minus residential",
    OFCOM_MOBILE: "Ofcom Connected Nations mobile coverage",
    OFCOM_TAKEUP: "Ofcom Connected Nations full-fibre take-up",
    IMD: "English Indices of Deprivation 2019, MHCLG",
    IMD2025: "English Indices of Deprivation 2025, MHCLG",
}

LEVEL_NOUN = {"la": ("local authority", "local authorities"), "pcon": ("constituency", "constituencies")}


def level_noun(key: str, plural: bool = False) -> str:
    """'local authority' / 'constituencies' for a level key (any constituency level: 'pcon...')."""
    nouns = LEVEL_NOUN.get(key) or LEVEL_NOUN["pcon" if str(key).startswith("pcon") else "la"]
    return nouns[1 if plural else 0]


def level_release(level) -> str | None:
    """The release month (YYYY-MM) of a level's coverage file."""
    return level.coverage.meta.get("release_date")


def benchmark_row(level, area: str = "England") -> dict | None:
    """The ``level.benchmarks`` row of ``area`` (England) as a plain dict, or None when no national file is loaded."""
    bench = getattr(level, "benchmarks", None)
    if bench is None or len(bench) == 0 or "area" not in bench.columns:
        return None
    rows = bench[bench["area"].astype(str) == area]
    if rows.empty:
        return None
    return {k: _clean(v) for k, v in rows.iloc[0].to_dict().items()}


def pack_table(level, cfg) -> pd.DataFrame:
    """The published table (``table_frame``, canonical column names) plus any lead-stage columns in ``level.frame``.

    Estimated indicators keep their ``<indicator>_num`` / ``_share`` names here so the pack reads one set of
    names; every sheet and CSV written from it is renamed with :func:`mapper.publish.tables.published_names`.
    """
    table = table_frame(level, cfg, estimate_names=False)
    extra = [c for c in LEAD_COLUMNS if c in level.frame.columns and c not in table.columns]
    extra += sorted(c for c in level.frame.columns if c.startswith(ENGLAND_RANK_PREFIX) and c not in table.columns)
    if extra:
        add = pd.DataFrame(level.frame[["code", *extra]])
        table = table.merge(add, on="code", how="left", validate="one_to_one")
    return table


def release_text(release: str | None) -> str:
    """'July 2025 (202507, r01)' -> 'July 2025'.

    >>> release_text("July 2025 (202507, r01)")
    'July 2025'
    """
    if not release:
        return "release unknown"
    return re.sub(r"\s*\(.*\)\s*$", "", str(release)).strip() or str(release)


def _record_for(cfg, frames, key: str) -> dict | None:
    path = cfg.inputs.get(key)
    if path is None:
        return None
    try:
        rel = path.resolve().relative_to(cfg.root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return next((r for r in frames.sources if r["file"] == rel), None)


def citation(level, cfg, frames, indicator: str) -> str:
    """'Ofcom Connected Nations, July 2025': short source name and release of an indicator."""
    ind = INDICATORS[indicator]
    key = SOURCE_INPUTS.get(ind.source, {}).get(level.key)
    record = _record_for(cfg, frames, key) if key else None
    release = release_text(record["release"]) if record else (level.coverage.meta.get("release_date") or "release unknown")
    return f"{SHORT_SOURCE.get(ind.source, ind.source)}, {release}"


def data_release(frames) -> str:
    """The release date (YYYY-MM) of the local-authority coverage file: the pack's date."""
    return frames.la.coverage.meta.get("release_date") or "2000-01"


def class_totals(level) -> pd.DataFrame:
    """Counts summed per rural/urban class (``level.class_col``), shares recomputed from the sums."""
    frame = pd.DataFrame(level.frame.drop(columns="geometry"))
    cols = [c for n in level.indicators for c in (f"{n}_num", f"{n}_den")]
    out = totals(frame, cols, by=level.class_col)
    sizes = frame.groupby(level.class_col).size()
    out["areas"] = out["area"].map(sizes)
    return out


def exact_share(row: dict, name: str) -> float | None:
    """``num / den`` from the row's counts (the published share is rounded to 6 decimals, which can tip a
    percentage printed with 2 decimals); the row's share when a count is missing."""
    num, den = row.get(f"{name}_num"), row.get(f"{name}_den")
    if num is not None and den:
        return float(num) / float(den)
    return row.get(f"{name}_share")


def _clean(value):
    """pandas/numpy scalar -> plain Python (None for missing)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


@dataclass
class Figure:
    """One indicator for one area, with the comparison shares a narrative quotes."""

    name: str
    label: str
    unit: str
    derived: bool
    num: int | None
    den: int | None
    share: float | None
    citation: str
    region_share: float | None = None
    class_share: float | None = None
    midlands_share: float | None = None
    england_share: float | None = None
    england_rank: int | None = None
    england_areas: int | None = None      # English areas of this level ranked on this indicator (issue 15)


@dataclass
class AreaFacts:
    """Every number the narrative of one area uses, all read from the pack tables."""

    level: str
    code: str
    name: str
    level_title: str
    region: str | None
    area_class: str | None
    class_label: str
    class_areas: int | None
    n_scored: int
    n_class_scored: int | None
    k: int
    row: dict
    figures: dict[str, Figure] = field(default_factory=dict)
    release: str | None = None            # YYYY-MM of the level's coverage file
    has_england: bool = False             # a national (England) benchmark is loaded for this level
    bduk: dict | None = None              # BDUK premises-in-plans counts of the area, when fetched
    bduk_release: str | None = None
    bduk_elsewhere: bool = False          # BDUK counts exist for another level (local authorities) only


def area_facts(level, cfg, frames, code: str, table: pd.DataFrame | None = None,
               class_tot: pd.DataFrame | None = None) -> AreaFacts:
    """Collect the area's row from :func:`pack_table` and its comparison shares."""
    table = pack_table(level, cfg) if table is None else table
    class_tot = class_totals(level) if class_tot is None else class_tot
    match = table[table["code"] == code]
    if len(match) != 1:
        raise KeyError(code)
    row = {k: _clean(v) for k, v in match.iloc[0].to_dict().items()}
    region = row.get("region_name")
    area_class = row.get(level.class_col)
    tot = level.totals.set_index("area")
    ctot = class_tot.set_index("area")
    scored = table["score"].notna()
    n_class_scored = int((scored & (table[level.class_col] == area_class)).sum()) if area_class is not None else None
    facts = AreaFacts(
        level=level.key, code=code, name=str(row["name"]), level_title=level.title, region=region,
        area_class=area_class, class_label=level.class_label,
        class_areas=int(ctot.loc[area_class, "areas"]) if area_class in ctot.index else None,
        n_scored=int(scored.sum()), n_class_scored=n_class_scored, k=cfg.score.tiers.k, row=row,
        release=level_release(level),
    )
    england = benchmark_row(level)
    facts.has_england = england is not None
    ranked = getattr(level, "england_areas", None) or {}
    bduk = {c.removeprefix("bduk_"): row.get(c) for c in row if c.startswith("bduk_") and c.endswith("_n")}
    if bduk and bduk.get("no_gigabit_now_n") is not None:
        facts.bduk = bduk
        rec = next((s for s in (level.sources or []) if str(s.get("source", "")).startswith("bduk")
                    or "bduk" in str(s.get("file", "")).lower()), None)
        facts.bduk_release = release_text(rec["release"]) if rec else None
    elif frames is not None and any(c.startswith("bduk_") for c in frames.la.frame.columns) and level.key != "la":
        facts.bduk_elsewhere = True
    for name in level.indicators:
        ind = INDICATORS[name]
        fig = Figure(name, ind.label, ind.unit, ind.derived, row.get(f"{name}_num"), row.get(f"{name}_den"),
                     exact_share(row, name), citation(level, cfg, frames, name))
        col = f"{name}_share"
        if col in tot.columns:
            if region is not None and region in tot.index:
                fig.region_share = _clean(tot.loc[region, col])
            fig.midlands_share = _clean(tot.iloc[-1][col])
        if area_class is not None and area_class in ctot.index and col in ctot.columns:
            fig.class_share = _clean(ctot.loc[area_class, col])
        if england is not None:
            fig.england_share = england.get(col)
        rank = row.get(f"{ENGLAND_RANK_PREFIX}{name}")
        fig.england_rank = int(rank) if rank is not None else None
        fig.england_areas = ranked.get(name)
        facts.figures[name] = fig
    return facts


# --- the Midlands as a whole ------------------------------------------------

#: How many priority local authorities the Midlands narrative lists.
MIDLANDS_TOP = 10

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def month_text(release) -> str:
    """'2020-09' -> 'September 2020' (anything else is returned unchanged).

    >>> month_text("2020-09"), month_text("2024"), month_text("2020-13")
    ('September 2020', '2024', '2020-13')
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(release).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return str(release)
    return f"{_MONTHS[int(m.group(2)) - 1]} {m.group(1)}"


@dataclass
class MidlandsFacts:
    """Every number the Midlands narrative uses, read from totals (counts summed, then divided) and pack tables.

    ``whole``, ``regions`` and ``classes`` are local-authority level (``level.totals`` and
    :func:`class_totals`); ``change`` is the constituency Midlands total, the level the earlier
    Ofcom release is compared on. ``top`` holds the highest-priority rows of the LA pack table.
    """

    whole: AreaFacts
    regions: list[AreaFacts]
    classes: list[AreaFacts]
    top: list[dict]
    diagnoses: dict[str, list[tuple[str, int]]]
    n_areas: dict[str, int]
    change: AreaFacts | None


def _totals_facts(level, cfg, frames, row: dict, *, name: str, code: str, n_scored: int,
                  area_class: str | None = None, class_areas: int | None = None) -> AreaFacts:
    """An :class:`AreaFacts` for a summed area (the Midlands, a region or a class) from one totals row."""
    facts = AreaFacts(level=level.key, code=code, name=name, level_title=level.title, region=None,
                      area_class=area_class, class_label=level.class_label, class_areas=class_areas,
                      n_scored=n_scored, n_class_scored=None, k=cfg.score.tiers.k, row=row,
                      release=level_release(level))
    england = benchmark_row(level)
    facts.has_england = england is not None
    for n in level.indicators:
        if f"{n}_num" not in row:
            continue
        ind = INDICATORS[n]
        facts.figures[n] = Figure(n, ind.label, ind.unit, ind.derived, row.get(f"{n}_num"), row.get(f"{n}_den"),
                                  exact_share(row, n), citation(level, cfg, frames, n),
                                  england_share=england.get(f"{n}_share") if england else None)
    return facts


#: Order diagnosis labels are listed in (as on the map legend); other labels follow alphabetically.
DIAGNOSIS_ORDER = ("Infrastructure bid", "Digital-inclusion bid", "Both", "Neither")


def _homes_figure(level, cfg, frames, table: pd.DataFrame) -> Figure | None:
    """Residential premises without gigabit: (all - non-residential) counts, summed over areas that have both."""
    need = ["no_gigabit_num", "no_gigabit_den", "nonres_no_gigabit_num", "nonres_no_gigabit_den"]
    if not set(need) <= set(table.columns):
        return None
    both = table[need].dropna().astype("float64")
    if both.empty:
        return None
    num = round((both["no_gigabit_num"] - both["nonres_no_gigabit_num"]).sum())
    den = round((both["no_gigabit_den"] - both["nonres_no_gigabit_den"]).sum())
    record = _record_for(cfg, frames, SOURCE_INPUTS[OFCOM_NONRES].get(level.key, ""))
    release = release_text(record["release"]) if record else "release unknown"
    return Figure("homes_no_gigabit", "Homes (residential premises) without gigabit-capable broadband",
                  "residential premises", False, num, den, num / den if den > 0 else None,
                  f"Ofcom Connected Nations, residential premises, {release}")


def _diagnosis_counts(table: pd.DataFrame) -> list[tuple[str, int]]:
    """(label, number of areas) in the diagnosis module's label order, then any other label alphabetically."""
    if "diagnosis" not in table.columns:
        return []
    counts = table["diagnosis"].dropna().astype(str).value_counts()
    order = [lb for lb in DIAGNOSIS_ORDER if lb in counts.index] + sorted(set(counts.index) - set(DIAGNOSIS_ORDER))
    return [(lb, int(counts[lb])) for lb in order]


def midlands_facts(la, pcon, cfg, frames, tables: dict[str, pd.DataFrame] | None = None,
                   class_tot: pd.DataFrame | None = None, *, top: int = MIDLANDS_TOP) -> MidlandsFacts:
    """Collect the Midlands-wide figures: LA totals, region and class rows, top LAs, diagnoses, constituency change."""
    tables = tables or {}
    la_table = tables.get("la") if tables.get("la") is not None else pack_table(la, cfg)
    class_tot = class_totals(la) if class_tot is None else class_tot
    n_scored = int(la_table["score"].notna().sum())
    rows = [{k: _clean(v) for k, v in r.items()} for r in la.totals.to_dict("records")]
    whole = _totals_facts(la, cfg, frames, rows[-1], name="the Midlands", code="Midlands", n_scored=n_scored)
    homes = _homes_figure(la, cfg, frames, la_table)
    if homes is not None:
        whole.figures[homes.name] = homes
    regions, classes = [], []
    for r in rows[:-1]:
        g = _totals_facts(la, cfg, frames, r, name=str(r["area"]), code=str(r["area"]), n_scored=n_scored)
        regions.append(g)
        part = _homes_figure(la, cfg, frames, la_table[la_table["region_name"] == g.name]) \
            if homes is not None and "region_name" in la_table.columns else None
        if part is not None:
            g.figures[part.name] = part
    for r in class_tot.iloc[:-1].to_dict("records"):
        r = {k: _clean(v) for k, v in r.items()}
        g = _totals_facts(la, cfg, frames, r, name=str(r["area"]), code=str(r["area"]), n_scored=n_scored,
                          area_class=str(r["area"]), class_areas=_clean(r.get("areas")))
        classes.append(g)
        part = _homes_figure(la, cfg, frames, la_table[la_table[la.class_col] == g.name]) if homes is not None else None
        if part is not None:
            g.figures[part.name] = part
    ranked = la_table[la_table["rank"].notna()].sort_values(["rank", "code"]).head(top)
    top_rows = [{k: _clean(v) for k, v in r.items()} for r in ranked.to_dict("records")]
    diagnoses = {"la": _diagnosis_counts(la_table)}
    n_areas = {"la": len(la_table)}
    change = None
    if pcon is not None:
        pcon_table = tables.get("pcon") if tables.get("pcon") is not None else pack_table(pcon, cfg)
        diagnoses["pcon"] = _diagnosis_counts(pcon_table)
        n_areas["pcon"] = len(pcon_table)
    # Change over time: the level that carries it (the 2010-2024 seats; the 2024 seats have one release so far).
    for lv in (getattr(frames, "pcon10", None), pcon, la):
        if lv is None or "gigabit_gain_n" not in lv.frame.columns:
            continue
        lv_table = pack_table(lv, cfg)
        prow = {k: _clean(v) for k, v in lv.totals.iloc[-1].to_dict().items()}
        since = sorted(set(lv_table["change_from_release"].dropna().astype(str)))
        if len(since) == 1 and prow.get("gigabit_gain_n") is not None:
            prow["change_from_release"] = since[0]
            change = _totals_facts(lv, cfg, frames, prow, name="the Midlands", code="Midlands",
                                   n_scored=int(lv_table["score"].notna().sum()))
            n_areas.setdefault("change", len(lv_table))
            break
    return MidlandsFacts(whole, regions, classes, top_rows, diagnoses, n_areas, change)
