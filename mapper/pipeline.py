"""Wire the stages together: load -> join -> score -> render / pack / publish, for ``make maps``.

:func:`build_frames` loads, joins and scores every configured geography
(:mod:`mapper.join.geographies`, :mod:`mapper.score`) and adds the England and
UK context (:mod:`mapper.score.context`), without writing anything;
:func:`build` renders every output in memory, then publishes them into
``outputs/`` as one set that switches in one step (:mod:`mapper.publish.files`),
so a failed or killed run leaves the previous outputs as they were.

Levels: local authorities (always); Westminster constituencies on the 2024 seats
(``pcon``, the default constituency level) and on the 2010-2024 seats (``pcon10``,
for change over time) when configured; LSOAs when ``make fetch`` has filled the cache.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import __version__
from ._io import csv_text
from .config import Config
from .errors import JoinError, MapperError
from .join import Audit, audited_merge
from .join.geographies import (
    la_frame,
    lsoa_base,
    lsoa_counts,
    pcon10_frame,
    pcon_frame,
    study_lads,
)
from .load.cache import Fetched, load_fetched
from .load.ofcom import OfcomTable, load_ofcom
from .load.provenance import attributions, describe, load_registry
from .load.tables import read_table
from .score import available_indicators, compute_indicators, present_indicators, score_areas, totals
from .score.change import compare as compare_releases
from .score.context import national_context
from .score.diagnosis import chosen as diagnosis_choices
from .score.diagnosis import diagnose
from .score.stability import rank_stability

log = logging.getLogger(__name__)

#: Count columns carried from the coverage file into every output table.
RECONCILED = ("premises", "gigabit_n", "below_uso_n", "unable_30_n")

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def month_text(release: str | None) -> str:
    """'2025-07' -> 'July 2025' (anything else unchanged).

    >>> month_text("2020-09"), month_text(None)
    ('September 2020', 'release unknown')
    """
    if not release:
        return "release unknown"
    parts = str(release).split("-")
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return str(release)


@dataclass
class Level:
    """One geography, scored, with what the renderers need to describe it."""

    key: str                   # "la", "pcon" (2024 seats), "pcon10" (2010-2024 seats) or "lsoa"
    title: str                 # "Local authorities", "Westminster constituencies (2024 boundaries)"
    frame: gpd.GeoDataFrame    # one row per area, scored
    totals: pd.DataFrame       # regions + study area: counts summed, shares recomputed; columns level and release
    coverage: OfcomTable
    class_col: str
    class_label: str
    input_keys: tuple[str, ...] = ()
    sources: list[dict] | None = None
    attributions: list[str] | None = None
    #: England and United Kingdom rows (counts summed, shares recomputed) or None without national files.
    benchmarks: pd.DataFrame | None = None
    #: indicator -> how many English areas of this level the ``england_rank_<indicator>`` columns rank.
    england_areas: dict[str, int] = field(default_factory=dict)
    #: Set when a newer release of the same kind of figure is in the build: "older than ..." text.
    older_note: str | None = None
    #: The score's indicators this level could compute (config order; the others were dropped and weights rescaled).
    score_indicators: tuple = ()

    @property
    def indicators(self) -> list[str]:
        """The indicators computed for this level (their columns are in ``frame``), in registry order."""
        return present_indicators(self.frame)

    @property
    def release(self) -> str | None:
        """The coverage release, 'YYYY-MM'."""
        return self.coverage.meta.get("release_date") if self.coverage is not None else None

    @property
    def release_text(self) -> str:
        """'Ofcom Connected Nations, July 2025'."""
        return f"Ofcom Connected Nations, {month_text(self.release)}"


@dataclass
class Frames:
    la: Level
    pcon: Level | None
    audit: Audit
    sources: list[dict]
    attributions: list[str]
    lsoa: Level | None = None                  # only when `make fetch` has filled the cache
    bduk_contracts: pd.DataFrame | None = None
    pcon10: Level | None = None                # 2010-2024 seats (change over time), when configured
    places: gpd.GeoDataFrame | None = None     # GeoNames place names (CC BY 4.0), when configured

    @property
    def levels(self) -> list[Level]:
        return [lv for lv in (self.la, self.pcon, self.pcon10, self.lsoa) if lv is not None]


#: Level titles: what the maps, tables and texts call each level (the boundary set is named).
TITLES = {"la": "Local authorities", "pcon": "Westminster constituencies (2024 boundaries)",
          "pcon10": "Westminster constituencies (2010-2024 boundaries)", "lsoa": "LSOAs (2021)"}
#: What each level's rank-in-class ranks within.
CLASS_LABELS = {"urban_rural": "Urban/rural (RUC 2021 two-way flag)",
                "cluster": "Urban-rural (mySociety composite classification)"}


def _lsoa_level(cfg: Config, audit: Audit, lads: pd.DataFrame, lsoa: pd.DataFrame, lsoa_geo: gpd.GeoDataFrame,
                counts: pd.DataFrame, groups: pd.DataFrame | None, fetched: Fetched) -> Level:
    """LSOA21 level from fetched output-area coverage (+ residential, postcode rates, BDUK when fetched)."""
    attrs = lsoa[["lsoa21_code", "lad_code", "ruc_code", "ruc_name", "urban_rural"]].rename(columns={"lsoa21_code": "code"})
    frame = lsoa_geo.rename(columns={"name": "lsoa_name"}).merge(attrs, on="code", how="inner")
    frame = frame.merge(lads[["lad_code", "lad_name", "region_code", "region_name"]], on="lad_code", how="left")
    if groups is not None:
        frame = frame.merge(groups, on="lad_code", how="left")
    per = counts.drop(columns=["rural_lsoas_n", "rural_population"], errors="ignore").rename(columns={"lsoa21_code": "code"})
    frame = frame.merge(per, on="code", how="left")
    oa = fetched.lsoa_counts.rename(columns={"lsoa21_code": "code"})
    frame = audited_merge(
        frame, oa, left_on="code", right_on="code", name="LSOA21 <- output-area coverage (summed counts)",
        left_label="study-area LSOA21s", right_label="LSOA21s with output-area coverage", audit=audit, required="right",
        max_unmatched=cfg.max_unmatched, note="LSOAs without coverage rows are shown as insufficient data",
    )
    for extra, label in ((fetched.postcode_rates, "postcode coverage (UNWEIGHTED mean rates)"),
                         (fetched.bduk_lsoa, "BDUK premises in plans")):
        if extra is not None:
            frame = audited_merge(frame, extra.rename(columns={"lsoa21_code": "code"}), left_on="code", right_on="code",
                                  name=f"LSOA21 <- {label}", left_label="study-area LSOA21s", right_label=f"LSOA21s in {label}",
                                  audit=audit, required="none")
    frame["name"] = frame["lsoa_name"]
    frame = gpd.GeoDataFrame(frame.drop(columns="lsoa_name"), geometry="geometry", crs=lsoa_geo.crs)
    table = fetched.oa
    avail = set(available_indicators(frame))
    usable = tuple(c for c in cfg.score.indicators if c.name in avail)
    dropped = [c.name for c in cfg.score.indicators if c not in usable]
    if not usable:
        raise MapperError(f"{table.meta['file']}: none of the score's indicators can be computed from the output-area file")
    if dropped:
        audit.notes.append(f"LSOA score: {', '.join(dropped)} not published in the output-area files; "
                           "the other indicators' weights are rescaled")
    lsoa_cfg = replace(cfg, score=replace(cfg.score, indicators=usable))
    scored = score_level(lsoa_cfg, audit, frame, table, class_col="urban_rural", label="LSOA", previous_key=None)
    keys = tuple(k for k in ("lsoa_boundaries", "lsoa_lad_lookup", "lsoa_ruc", "imd2025", "lsoa11_lsoa21_lookup", "imd",
                             "imd_domains", "imd_population", "lad_region_lookup", "postcode_points", "area_groups")
                 if k in cfg.inputs)
    return _level(cfg, "lsoa", scored, table, "urban_rural", keys)


#: score.frame -> the column whose values are the reference-frame groups (None = one frame).
FRAME_COLUMNS = {"study_area": None, "all": None, "region": "region_name", "group": "group_name"}


def score_level(cfg: Config, audit: Audit, frame: gpd.GeoDataFrame, table: OfcomTable, *, class_col: str,
                label: str, previous_key: str | None) -> gpd.GeoDataFrame:
    """Indicators (once), scores, rank stability, intervention diagnosis and, with a previous release, change over time."""
    crs = frame.crs
    frame = frame.sort_values("code").reset_index(drop=True)
    avail = available_indicators(frame)
    usable = tuple(c for c in cfg.score.indicators if c.name in avail)
    if not usable:
        raise MapperError(f"{label}: none of score.indicators ({', '.join(c.name for c in cfg.score.indicators)}) can be "
                          f"computed from the inputs of this level; add indicators it has: {', '.join(avail)}")
    if len(usable) < len(cfg.score.indicators):
        dropped = [c.name for c in cfg.score.indicators if c not in usable]
        audit.notes.append(f"{label} score: {', '.join(dropped)} cannot be computed from this level's inputs; "
                           "the other indicators' weights are rescaled")
        cfg = replace(cfg, score=replace(cfg.score, indicators=usable))
    # Every indicator the level's columns allow, computed once (the score's own first, in its order, then the
    # rest in registry order: the column order of the published tables); later stages read these columns.
    avail = available_indicators(frame)
    scored_first = [c.name for c in cfg.score.indicators if c.name in avail]
    frame = compute_indicators(frame, scored_first + [n for n in avail if n not in scored_first],
                               source_label=str(table.meta["file"]))
    frame_col = FRAME_COLUMNS[cfg.score.frame]
    if frame_col is not None and frame_col not in frame.columns:
        raise MapperError(f"score.frame: {cfg.score.frame} needs the column {frame_col!r}, which the {label} level does not "
                          "have; give inputs.area_groups (for group) or choose another frame")
    scored = score_areas(frame, cfg.score, class_col=class_col, frame_col=frame_col, source_label=str(table.meta["file"]))
    _check_scored(scored, label, cfg)
    scored = rank_stability(scored, cfg.score, cfg.stability)
    infra, incl = diagnosis_choices(cfg.diagnosis)
    avail = set(available_indicators(scored))
    missing = [c.name for c in (*infra, *incl) if c.name not in avail]
    if missing:
        audit.notes.append(f"{label} diagnosis: {', '.join(missing)} not available at this level; "
                           "the sub-indices use the other indicators")
    scored = diagnose(scored, cfg.diagnosis, area_noun=label)
    prev_path = cfg.inputs.get(previous_key) if previous_key else None
    if prev_path is not None:
        old = load_ofcom(prev_path)
        if old.meta["name_only"]:
            raise MapperError(f"{prev_path}: inputs.{previous_key} has area names but no codes; "
                              "use a release from 2020 or later for change over time")
        change = compare_releases(old, table, set(scored["code"]))
        scored = scored.merge(change, on="code", how="left")
        audit.notes.append(f"{label} change over time: {old.meta['file']} ({old.meta['release_date']}) -> "
                           f"{table.meta['file']} ({table.meta['release_date']}), {len(change)} areas compared, "
                           "same area codes in both releases")
    return gpd.GeoDataFrame(scored, geometry="geometry", crs=crs)


def _check_scored(scored: pd.DataFrame, label: str, cfg: Config) -> None:
    """Stop rather than publish a ranking that says nothing: no area scored, or every scored area in one tier."""
    n = int(scored["score"].notna().sum())
    if n == 0:
        raise MapperError(f"{label}: no area could be scored (every area has a missing indicator or fewer than "
                          f"score.min_premises = {cfg.score.min_premises:,} premises); check the inputs and score.indicators")
    tiers = set(scored.loc[scored["score"].notna(), "tier"])
    if n > 1 and len(tiers) == 1 and scored["score"].nunique() > 1:
        raise MapperError(f"{label}: every one of the {n} scored areas landed in tier {tiers.pop()}, so the tiers say "
                          "nothing; check score.tiers (thresholds) and the weights")


def _count_columns(frame: pd.DataFrame) -> list[str]:
    from .join.geographies import PEOPLE_COLUMNS

    base = [c for c in frame.columns if c.endswith(("_n", "_est")) or c in (
        "premises", "matched_premises", "nonres_premises", "mobile_premises", "mobile_land_cells", "imd2025_lsoas",
        "lsoa_count")]
    people = [c for c in PEOPLE_COLUMNS if c in frame.columns]
    inds = [c for c in frame.columns if c.endswith(("_num", "_den"))]
    return list(dict.fromkeys(base + people + inds))


def _reconcile(table: OfcomTable, coverage: pd.DataFrame, tot: pd.DataFrame, audit: Audit, area: str) -> None:
    """The study area's totals in the outputs must equal the sums over the raw file's study-area rows exactly."""
    whole = tot.iloc[-1]
    checks = {}
    for col in RECONCILED:
        if col not in coverage:
            continue
        raw_sum = int(coverage[col].sum())
        out_sum = int(whole[col])
        checks[col] = {"raw_file": raw_sum, "outputs": out_sum, "equal": raw_sum == out_sum}
    audit.totals[f"reconciliation:{table.meta['file']}"] = checks
    bad = [c for c, v in checks.items() if not v["equal"]]
    if bad:
        raise JoinError(f"{table.meta['file']}: {area} totals of {bad} differ from the raw file; rows were lost in a join")


def _level(cfg: Config, key: str, scored: gpd.GeoDataFrame, table: OfcomTable, class_col: str,
           input_keys: tuple[str, ...]) -> Level:
    """A :class:`Level` with its totals (regions + the study area), each row naming level and release."""
    tot = totals(scored, _count_columns(scored), by="region_name", label=cfg.study_area.name)
    tot.insert(1, "level", TITLES[key])
    tot.insert(2, "release", table.meta.get("release_date"))
    have = set(present_indicators(scored))
    return Level(key, TITLES[key], scored, tot, table, class_col, CLASS_LABELS.get(class_col, class_col), input_keys,
                 score_indicators=tuple(c for c in cfg.score.indicators if c.name in have))


def _add_context(cfg: Config, level: Level, audit: Audit, *, national_key: str, takeup_key: str | None) -> None:
    ctx = national_context(cfg, level=level.title, study_codes=set(level.frame["code"]), national_key=national_key,
                           takeup_key=takeup_key, names=level.indicators, release=level.release, audit=audit,
                           loaded=level.coverage)
    audit.notes.extend(ctx.notes)
    if ctx.benchmarks is None:
        return
    bench = ctx.benchmarks.copy()
    bench.insert(1, "level", level.title)
    bench.insert(2, "release", level.release)
    level.benchmarks = bench
    level.england_areas = ctx.england_areas
    level.frame = level.frame.merge(ctx.ranks, on="code", how="left")
    level.input_keys = tuple(dict.fromkeys((*level.input_keys, *ctx.input_keys)))


def build_frames(cfg: Config) -> Frames:
    """Load, join and score every configured geography, with England context. Writes nothing."""
    from .load.notices import drain

    drain()  # notices from loads outside this build (earlier runs in the same process) are not this run's
    audit = Audit()
    lads = study_lads(cfg)
    lsoa, lsoa_geo = lsoa_base(cfg, audit, lads)
    counts = lsoa_counts(lsoa) if lsoa is not None else None
    groups = None
    if "area_groups" in cfg.inputs:
        groups = read_table(cfg.inputs["area_groups"], "area_groups", key="lad_code")
        groups = groups[groups["lad_code"].isin(set(lads["lad_code"]))].reset_index(drop=True)
    fetched = load_fetched(cfg, audit, lsoa_geo, set(lsoa["lsoa21_code"])) if lsoa is not None else Fetched()

    joined = la_frame(cfg, audit, lads, lsoa, counts, groups, fetched.bduk_lad)
    scored = score_level(cfg, audit, joined.frame, joined.table, class_col="urban_rural", label="local authorities",
                         previous_key="la_coverage_previous")
    la = _level(cfg, "la", scored, joined.table, "urban_rural", joined.input_keys)
    _reconcile(joined.table, joined.coverage, la.totals, audit, cfg.study_area.name)
    _add_context(cfg, la, audit, national_key="la_coverage_national", takeup_key="la_takeup_national")

    pcon = pcon10 = None
    if "pcon_coverage" in cfg.inputs:
        joined = pcon_frame(cfg, audit, lads, lsoa, counts, groups)
        class_col = "urban_rural" if "urban_rural" in joined.frame.columns else None
        scored = score_level(cfg, audit, joined.frame, joined.table, class_col=class_col, label="constituencies (2024 seats)",
                             previous_key=None)
        pcon = _level(cfg, "pcon", scored, joined.table, class_col, joined.input_keys)
        _reconcile(joined.table, joined.coverage, pcon.totals, audit, cfg.study_area.name)
        _add_context(cfg, pcon, audit, national_key="pcon_coverage", takeup_key=None)
    else:
        audit.notes.append("constituencies (2024 seats): inputs.pcon_coverage not set; no constituency level on the 2024 seats")
    if "pcon10_coverage" in cfg.inputs:
        joined = pcon10_frame(cfg, audit, lads, lsoa, lsoa_geo, counts, groups)
        class_col = joined.frame.attrs.get("class_col", "urban_rural")
        scored = score_level(cfg, audit, joined.frame, joined.table, class_col=class_col,
                             label="constituencies (2010-2024 seats)", previous_key="pcon10_coverage_previous")
        pcon10 = _level(cfg, "pcon10", scored, joined.table, class_col, joined.input_keys)
        _add_context(cfg, pcon10, audit, national_key="pcon10_coverage", takeup_key=None)
    _mark_older(la, pcon, pcon10)
    lsoa_level = (_lsoa_level(cfg, audit, lads, lsoa, lsoa_geo, counts, groups, fetched)
                  if fetched.has_lsoa_level and lsoa is not None else None)
    places = None
    if "places" in cfg.inputs:
        from .load.places import read_places

        places = read_places(cfg.inputs["places"])
        places = places[places["lad_code"].isin(set(lads["lad_code"]))].reset_index(drop=True)
        audit.notes.append(f"places: {len(places)} GeoNames places in the study area (CC BY 4.0) for map labels")

    registry = load_registry(cfg.root)
    records = describe(sorted(cfg.inputs.values()), cfg.root, registry)
    by_path = dict(zip(sorted(cfg.inputs.values()), records))
    for level in (la, pcon, pcon10, lsoa_level):
        if level is None:
            continue
        keys = [*level.input_keys, *(["places"] if places is not None else [])]
        level.sources = [by_path[p] for p in sorted({cfg.inputs[k] for k in keys if k in cfg.inputs})]
        if level.key in ("la", "lsoa"):
            level.sources += [r for r in fetched.sources if level.key == "lsoa" or r["source"].startswith("bduk")]
        level.attributions = attributions(level.sources, registry)
    records = records + fetched.sources
    audit.notes.extend(f"warning {n}" for n in drain())
    audit.inputs = {r["file"]: {k: r[k] for k in ("sha256", "bytes", "release", "licence")} for r in records}
    return Frames(la, pcon, audit, records, attributions(records, registry), lsoa_level, fetched.bduk_contracts,
                  pcon10, places)


def _mark_older(*levels: Level | None) -> None:
    """A level whose coverage is older than the newest in the build says so (one "Midlands" means one thing)."""
    present = [lv for lv in levels if lv is not None and lv.release]
    if not present:
        return
    newest = max(lv.release for lv in present)
    for lv in present:
        if lv.release < newest:
            lv.older_note = (f"{month_text(lv.release)} data: older than the {month_text(newest)} figures of the other "
                             "levels in this build")


def render_outputs(cfg: Config, frames: Frames) -> dict[str, bytes]:
    """Every output file's bytes, keyed by file name. Pure: writes nothing."""
    from .publish.methodology import methodology_markdown
    from .publish.tables import level_table, metadata_json, totals_table
    from .render import render_level

    method = methodology_markdown(cfg, frames)  # once: the file and every map's method panel
    files: dict[str, bytes] = {}
    for level in frames.levels:
        stem = cfg.stem(level.key)
        files[f"{stem}.csv"] = level_table(level, cfg).encode("utf-8")
        files[f"{stem}_totals.csv"] = totals_table(level, cfg).encode("utf-8")
        files[f"{stem}.meta.json"] = metadata_json(level, cfg, frames, stem).encode("utf-8")
        files.update(render_level(level, cfg, frames, stem, method_markdown=method))  # map, table page, splits
    if frames.bduk_contracts is not None:  # who builds where, by when: one row per LAD x contract x supplier x date x status
        contracts = frames.bduk_contracts.sort_values(list(frames.bduk_contracts.columns[:-1]), na_position="first")
        files[f"{cfg.study_area.file_prefix}_bduk_contracts.csv"] = csv_text(contracts).encode("utf-8")
    files["methodology.md"] = method.encode("utf-8")
    audit = frames.audit.as_dict()
    audit["tool_version"] = __version__
    audit["config_sha256"] = cfg.sha256
    files["audit.json"] = (json.dumps(audit, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def write_outputs(files: dict[str, bytes], outputs_dir: Path, *,
                  before_publish: Callable[[Path], None] | None = None) -> list[Path]:
    """Publish every output as one set: staged and fsynced inside ``outputs_dir/.mapper``, then switched in one step.

    Nothing in ``outputs_dir`` changes unless every file was rendered and
    written to the staging folder; the switch from the previous set to this
    one is a single rename, and outputs of the previous set that this one no
    longer makes are removed (see :func:`mapper.publish.files.publish_files`).
    ``before_publish`` is called with the staging folder once every file is
    staged (tests use it to stop a run at that point).
    """
    from .publish.files import publish_files

    return publish_files(files, outputs_dir, before_publish=before_publish)


def build(cfg: Config) -> list[Path]:
    frames = build_frames(cfg)
    files = render_outputs(cfg, frames)
    return write_outputs(files, cfg.outputs_dir)
