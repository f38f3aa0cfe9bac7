"""Wire the stages together: load -> join -> score -> render, for ``make maps``.

:func:`build_frames` returns the scored local-authority and constituency
frames plus the audit, without writing anything; :func:`build` renders every
output in memory, then publishes them into ``outputs/`` as one set that
switches in one step (:mod:`mapper.publish.files`), so a failed or killed run
leaves the previous outputs as they were.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import __version__
from ._io import csv_text
from .config import Config
from .errors import ConfigError, JoinError, MapperError
from .join.companion_counts import mobile_counts, non_residential, takeup_counts
from .join import (
    PEOPLE_COUNTS, Audit, aggregate_people, audited_merge, deprivation_counts, lsoa21_deprivation,
    lsoa_points_in_areas, resolve_codes_by_name,
)
from .load.geo import read_boundaries
from .load.ofcom import OfcomTable, load_ofcom
from .load.tables import read_table, study_lads
from .score.change import compare as compare_releases
from .score.diagnosis import chosen as diagnosis_choices, diagnose
from .load.cache import Fetched, load_fetched
from .score import available_indicators, compute_indicators, present_indicators, score_areas, totals
from .score.stability import rank_stability
from .load.provenance import attributions, describe, load_registry

log = logging.getLogger(__name__)

#: Inputs behind the LSOA21 people counts used by every level.
LSOA_INPUTS = ("lsoa_boundaries", "lsoa_lad_lookup", "lsoa11_lsoa21_lookup", "lsoa_ruc", "imd", "imd_domains", "imd_population")

#: Count columns carried from the coverage file into every output table.
RECONCILED = ("premises", "gigabit_n", "below_uso_n", "unable_30_n")


@dataclass
class Level:
    """One geography, scored, with what the renderers need to describe it."""

    key: str                   # "la" or "pcon"
    title: str                 # "Local authorities"
    frame: gpd.GeoDataFrame    # one row per area, scored
    totals: pd.DataFrame       # regions (if known) + Midlands, shares from summed counts
    coverage: OfcomTable
    class_col: str
    class_label: str
    input_keys: tuple[str, ...] = ()
    sources: list[dict] | None = None
    attributions: list[str] | None = None

    @property
    def indicators(self) -> list[str]:
        """The indicators computed for this level (their columns are in ``frame``), in registry order."""
        return present_indicators(self.frame)


@dataclass
class Frames:
    la: Level
    pcon: Level
    audit: Audit
    sources: list[dict]
    attributions: list[str]
    lsoa: Level | None = None                  # only when `make fetch` has filled the cache
    bduk_contracts: pd.DataFrame | None = None

    @property
    def levels(self) -> list[Level]:
        return [lv for lv in (self.la, self.pcon, self.lsoa) if lv is not None]


#: Output file stem of each level.
STEMS = {"la": "midlands_la_priority", "pcon": "midlands_constituency_priority", "lsoa": "midlands_lsoa_priority"}


def _coverage_in_area(table: OfcomTable, wanted: set[str], *, label: str, audit: Audit) -> pd.DataFrame:
    """Keep only the study area's rows of a (possibly national) coverage file, and say so."""
    data = table.data
    keep = data["code"].isin(wanted)
    audit.notes.append(
        f"{label} ({table.meta['file']}): kept {int(keep.sum())} of {len(data)} rows inside the study area; "
        f"{int((~keep).sum())} rows are outside it"
    )
    return data.loc[keep].reset_index(drop=True)


def _load_companion(cfg: Config, key: str, *, product: str, level: str, variant: str | None, main: OfcomTable) -> OfcomTable | None:
    path = cfg.inputs.get(key)
    if path is None:
        return None
    table = load_ofcom(path)
    problems = []
    if table.meta["product"] != product or table.level != level:
        problems.append(f"is {table.meta['product']} at level {table.level}, expected {product} at level {level}")
    if variant and table.meta["variant"] != variant:
        problems.append(f"is the '{table.meta['variant']}' variant, expected '{variant}'")
    if table.meta["release"] and main.meta["release"] and table.meta["release"] != main.meta["release"]:
        problems.append(f"is release {table.meta['release']} but {main.meta['file']} is {main.meta['release']}")
    if problems:
        raise MapperError(f"{path}: inputs.{key} " + "; ".join(problems) + "; point it at the matching file or remove it")
    return table


def _add_companions(cfg: Config, audit: Audit, frame, table: OfcomTable, coverage: pd.DataFrame, wanted: set[str],
                    *, res_key: str, mobile_key: str | None, takeup_key: str | None, label: str):
    """Join the optional companion files' derived counts (non-residential, mobile, take-up)."""
    res = _load_companion(cfg, res_key, product="fixed_coverage", level=table.level, variant="residential", main=table)
    if res is not None:
        rows = _coverage_in_area(res, wanted, label=f"{label} residential coverage", audit=audit)
        nonres = non_residential(coverage, rows, all_file=table.meta["file"], res_file=res.meta["file"])
        frame = audited_merge(frame, nonres, left_on="code", right_on="code", name=f"{label}: non-residential (all - residential)",
                              left_label=f"{label} areas", right_label=f"areas in {res.meta['file']}", audit=audit,
                              required="both", max_unmatched=cfg.max_unmatched)
    else:
        audit.notes.append(f"{label}: no residential companion file; non-residential indicators are not available")
    if mobile_key:
        mob = _load_companion(cfg, mobile_key, product="mobile_coverage", level=table.level, variant=None, main=table)
        if mob is not None:
            rows = _coverage_in_area(mob, wanted, label=f"{label} mobile coverage", audit=audit)
            audit.notes.append(f"{label} mobile coverage blank handling: {mob.meta['blank_handling']}")
            frame = audited_merge(frame, mobile_counts(rows), left_on="code", right_on="code", name=f"{label}: mobile coverage",
                                  left_label=f"{label} areas", right_label=f"areas in {mob.meta['file']}", audit=audit,
                                  required="both", max_unmatched=cfg.max_unmatched)
    if takeup_key:
        take = _load_companion(cfg, takeup_key, product="full_fibre_takeup", level=table.level, variant=None, main=table)
        if take is not None:
            rows = _coverage_in_area(take, wanted, label=f"{label} full-fibre take-up", audit=audit)
            frame = audited_merge(frame, takeup_counts(rows, coverage), left_on="code", right_on="code",
                                  name=f"{label}: full-fibre take-up", left_label=f"{label} areas",
                                  right_label=f"areas in {take.meta['file']}", audit=audit, required="both",
                                  max_unmatched=cfg.max_unmatched)
    return frame


def _study_lads(cfg: Config) -> pd.DataFrame:
    """The LAD -> region lookup rows of the study area's regions (read once per build).

    A region with no local authority in the lookup (a typo, or the Midlands files with another region's
    code) stops the run here with one line, not later with an empty table.
    """
    lads = study_lads(cfg.inputs["lad_region_lookup"], cfg.regions)
    missing = [r for r in cfg.regions if r not in set(lads["region_code"])]
    if missing:
        present = sorted(set(read_table(cfg.inputs["lad_region_lookup"], "lad_region", key="lad_code")["region_code"]))
        raise ConfigError(
            f"no local authority of region(s) {', '.join(missing)} is in {cfg.inputs['lad_region_lookup']} "
            f"(it has {', '.join(present) or 'none'}); fix regions in config.yaml or point "
            "inputs.lad_region_lookup at a lookup that covers them"
        )
    return lads


def _lsoa_frame(cfg: Config, audit: Audit, lad_region: pd.DataFrame) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    study_lads = set(lad_region["lad_code"])
    lsoa_lad = read_table(cfg.inputs["lsoa_lad_lookup"], "lsoa21_lad", key="lsoa21_code")
    lsoa_lad = lsoa_lad[lsoa_lad["lad_code"].isin(study_lads)].reset_index(drop=True)
    code_f, name_f = cfg.boundary_fields["lsoa"]
    geo = read_boundaries(cfg.inputs["lsoa_boundaries"], code_f, name_f)
    ruc = read_table(cfg.inputs["lsoa_ruc"], "ruc21", key="code").rename(columns={"code": "lsoa21_code"})
    lsoa = audited_merge(
        lsoa_lad, geo[["code"]].rename(columns={"code": "lsoa21_code"}).assign(has_boundary=True),
        left_on="lsoa21_code", right_on="lsoa21_code", name="lsoa21 lookup -> lsoa21 boundaries",
        left_label="LSOA21s in the study area's LADs", right_label=f"LSOA21 boundaries ({cfg.inputs['lsoa_boundaries'].name})", audit=audit,
        required="left", max_unmatched=cfg.max_unmatched,
    )
    lsoa = audited_merge(
        lsoa, ruc, left_on="lsoa21_code", right_on="lsoa21_code", name="lsoa21 -> RUC21",
        left_label="study-area LSOA21s", right_label=f"RUC21 LSOA21 rows ({cfg.inputs['lsoa_ruc'].name})", audit=audit, required="left",
        max_unmatched=cfg.max_unmatched,
    )
    lsoa = lsoa21_deprivation(
        lsoa,
        read_table(cfg.inputs["lsoa11_lsoa21_lookup"], "lsoa11_lsoa21"),
        read_table(cfg.inputs["imd"], "imd", key="lsoa11_code"),
        read_table(cfg.inputs["imd_domains"], "imd_domains", key="lsoa11_code"),
        read_table(cfg.inputs["imd_population"], "imd_population", key="lsoa11_code"),
        audit=audit, max_unmatched=cfg.max_unmatched,
    )
    geo = geo[geo["code"].isin(set(lsoa["lsoa21_code"]))]
    return lsoa, geo


def _la_level(cfg: Config, audit: Audit, lad_region: pd.DataFrame, lsoa: pd.DataFrame, people: pd.DataFrame,
              groups: pd.DataFrame | None, fetched: Fetched) -> Level:
    table = load_ofcom(cfg.inputs["la_coverage"])
    if table.level != "laua" or table.meta["product"] != "fixed_coverage":
        raise MapperError(f"{cfg.inputs['la_coverage']}: inputs.la_coverage must be a local-authority fixed coverage file, "
                          f"but this one is {table.meta['product']} at level {table.level}")
    coverage = _coverage_in_area(table, set(lad_region["lad_code"]), label="LA coverage", audit=audit)
    code_f, name_f = cfg.boundary_fields["la"]
    geo = read_boundaries(cfg.inputs["la_boundaries"], code_f, name_f)
    geo = geo[geo["code"].isin(set(lad_region["lad_code"]))]
    frame = audited_merge(
        geo.rename(columns={"name": "boundary_name"}), coverage, left_on="code", right_on="code",
        name="LAD24 boundaries <-> LA coverage", left_label="LAD24 boundaries", right_label=f"coverage rows ({table.meta['file']})",
        audit=audit, required="both", max_unmatched=cfg.max_unmatched,
    )
    frame = _add_companions(cfg, audit, frame, table, coverage, set(lad_region["lad_code"]), res_key="la_coverage_residential",
                            mobile_key="la_mobile", takeup_key="la_takeup", label="LA")
    frame = audited_merge(
        frame, lad_region.rename(columns={"lad_code": "code"})[["code", "region_code", "region_name"]],
        left_on="code", right_on="code", name="LAD24 -> region", left_label="study-area LADs",
        right_label=f"LAD24->region lookup ({cfg.inputs['lad_region_lookup'].name})", audit=audit, required="both",
        max_unmatched=cfg.max_unmatched,
    )
    ruc = read_table(cfg.inputs["la_ruc"], "ruc21", key="code")
    ruc = ruc[ruc["code"].isin(set(frame["code"]))]
    frame = audited_merge(
        frame, ruc, left_on="code", right_on="code", name="LAD24 -> RUC21", left_label="study-area LADs",
        right_label=f"RUC21 LAD24 rows ({cfg.inputs['la_ruc'].name})", audit=audit, required="both",
        max_unmatched=cfg.max_unmatched,
    )
    la_people = aggregate_people(people, lsoa[["lsoa21_code", "lad_code"]], "lad_code").rename(columns={"lad_code": "code"})
    frame = audited_merge(
        frame, la_people, left_on="code", right_on="code", name="LAD24 <- LSOA21 people counts",
        left_label="study-area LADs", right_label="LADs of study-area LSOA21s", audit=audit, required="both",
        max_unmatched=cfg.max_unmatched,
    )
    frame["name"] = frame["name"].fillna(frame["boundary_name"])
    frame = frame.drop(columns=["boundary_name"])
    if fetched.bduk_lad is not None:
        frame = audited_merge(
            frame, fetched.bduk_lad.rename(columns={"lad_code": "code"}), left_on="code", right_on="code",
            name="LAD24 <- BDUK premises in plans", left_label="study-area LADs", right_label="LADs in the fetched BDUK files",
            audit=audit, required="none", note="LADs without BDUK rows have no BDUK figures (not zero)",
        )
    if groups is not None:
        frame = audited_merge(
            frame, groups.rename(columns={"lad_code": "code"}), left_on="code", right_on="code",
            name="LAD24 -> county / combined authority (score.frame: group)", left_label="study-area LADs",
            right_label=f"rows of {cfg.inputs['area_groups'].name}", audit=audit, required="left",
            max_unmatched=cfg.max_unmatched,
        )
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=geo.crs)
    scored = _score_level(cfg, audit, frame, table, class_col="urban_rural", label="LA", previous_key="la_coverage_previous")
    tot = totals(scored, _count_columns(scored), by="region_name")
    _reconcile(table, coverage, tot, audit)
    return Level("la", "Local authorities", scored, tot, table, "urban_rural", "Rural-urban (RUC 2021)",
                 ("la_coverage", "la_boundaries", "lad_region_lookup", "la_ruc", *LSOA_INPUTS,
                  *[k for k in ("la_coverage_residential", "la_mobile", "la_takeup", "la_coverage_previous", "area_groups")
                    if k in cfg.inputs]))


def _pcon_level(cfg: Config, audit: Audit, lad_region: pd.DataFrame, lsoa: pd.DataFrame, lsoa_geo: gpd.GeoDataFrame,
                people: pd.DataFrame, groups: pd.DataFrame | None) -> Level:
    table = load_ofcom(cfg.inputs["pcon_coverage"])
    if table.level != "parl_const" or table.meta["product"] != "fixed_coverage":
        raise MapperError(f"{cfg.inputs['pcon_coverage']}: inputs.pcon_coverage must be a constituency fixed coverage file, "
                          f"but this one is {table.meta['product']} at level {table.level}")
    code_f, name_f = cfg.boundary_fields["pcon"]
    geo = read_boundaries(cfg.inputs["pcon_boundaries"], code_f, name_f)
    data = table.data
    if table.meta["name_only"]:
        data = resolve_codes_by_name(data, geo, audit=audit, label=f"constituency coverage ({table.meta['file']})")
        table = OfcomTable(data, table.meta)
    coverage = _coverage_in_area(table, set(geo["code"]), label="constituency coverage", audit=audit)
    frame = audited_merge(
        geo.rename(columns={"name": "boundary_name"}), coverage, left_on="code", right_on="code",
        name="PCON21 boundaries <-> constituency coverage", left_label="Midlands PCON21 boundaries",
        right_label=f"coverage rows ({table.meta['file']})", audit=audit, required="left", max_unmatched=cfg.max_unmatched,
    )
    frame = _add_companions(cfg, audit, frame, table, coverage, set(geo["code"]), res_key="pcon_coverage_residential",
                            mobile_key=None, takeup_key=None, label="constituency")
    rural = read_table(cfg.inputs["pcon_rurality"], "pcon_rurality", key="code").drop(columns=["name"])
    rural = rural[rural["code"].isin(set(frame["code"]))]
    frame = audited_merge(
        frame, rural, left_on="code", right_on="code", name="PCON21 -> mySociety rurality",
        left_label="Midlands constituencies", right_label=f"mySociety constituency classification ({cfg.inputs['pcon_rurality'].name})", audit=audit,
        required="both", max_unmatched=cfg.max_unmatched,
    )
    assign = lsoa_points_in_areas(lsoa_geo, geo, audit=audit, label="PCON21")
    pcon_people = aggregate_people(people, assign, "area_code").rename(columns={"area_code": "code"})
    frame = audited_merge(
        frame, pcon_people, left_on="code", right_on="code", name="PCON21 <- LSOA21 people counts",
        left_label="Midlands constituencies", right_label="constituencies holding LSOA21 points", audit=audit,
        required="left", max_unmatched=cfg.max_unmatched,
    )
    # Region of each constituency: the region holding most of its (LSOA-point) population.
    pts = assign.merge(lsoa[["lsoa21_code", "lad_code", "population"]], on="lsoa21_code").merge(
        lad_region[["lad_code", "region_name"]], on="lad_code")
    major = (pts.groupby(["area_code", "region_name"])["population"].sum().reset_index()
             .sort_values(["area_code", "population", "region_name"], ascending=[True, False, True])
             .drop_duplicates("area_code").rename(columns={"area_code": "code"})[["code", "region_name"]])
    frame = frame.merge(major, on="code", how="left")
    if groups is not None:  # county / combined authority holding most of the constituency's population
        g = (pts.merge(groups, on="lad_code").groupby(["area_code", "group_code", "group_name"])["population"].sum()
             .reset_index().sort_values(["area_code", "population", "group_code"], ascending=[True, False, True])
             .drop_duplicates("area_code").rename(columns={"area_code": "code"})[["code", "group_code", "group_name"]])
        frame = frame.merge(g, on="code", how="left")
        audit.notes.append(f"constituencies: county / combined authority assigned by majority LSOA population; "
                           f"{int(frame['group_name'].isna().sum())} have none")
    frame["name"] = frame["boundary_name"]  # boundary names are mixed case in every release
    frame = frame.drop(columns=["boundary_name"])
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=geo.crs)
    scored = _score_level(cfg, audit, frame, table, class_col="cluster", label="constituency",
                          previous_key="pcon_coverage_previous")
    tot = totals(scored, _count_columns(scored), by="region_name")
    return Level("pcon", "Westminster constituencies (2010-2024 boundaries)", scored, tot, table, "cluster",
                 "Urban-rural (mySociety composite)",
                 ("pcon_coverage", "pcon_boundaries", "pcon_rurality", "lad_region_lookup", *LSOA_INPUTS,
                  *[k for k in ("pcon_coverage_residential", "pcon_coverage_previous", "area_groups") if k in cfg.inputs]))


def _lsoa_level(cfg: Config, audit: Audit, lad_region: pd.DataFrame, lsoa: pd.DataFrame, lsoa_geo: gpd.GeoDataFrame,
                people: pd.DataFrame, groups: pd.DataFrame | None, fetched: Fetched) -> Level:
    """LSOA21 level from fetched output-area coverage (+ residential, postcode rates, BDUK when fetched)."""
    attrs = lsoa[["lsoa21_code", "lad_code", "ruc_code", "ruc_name", "urban_rural"]].rename(columns={"lsoa21_code": "code"})
    frame = lsoa_geo.rename(columns={"name": "lsoa_name"}).merge(attrs, on="code", how="inner")
    frame = frame.merge(lad_region[["lad_code", "lad_name", "region_code", "region_name"]], on="lad_code", how="left")
    if groups is not None:
        frame = frame.merge(groups, on="lad_code", how="left")
    frame = frame.merge(people.rename(columns={"lsoa21_code": "code"}), on="code", how="left")
    counts = fetched.lsoa_counts.rename(columns={"lsoa21_code": "code"})
    frame = audited_merge(
        frame, counts, left_on="code", right_on="code", name="LSOA21 <- output-area coverage (summed counts)",
        left_label="study-area LSOA21s", right_label="LSOA21s with output-area coverage", audit=audit, required="right",
        max_unmatched=cfg.max_unmatched, note="LSOAs without coverage rows are shown as insufficient data",
    )
    for extra, label in ((fetched.postcode_rates, "postcode coverage (UNWEIGHTED mean rates)"), (fetched.bduk_lsoa, "BDUK premises in plans")):
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
    scored = _score_level(lsoa_cfg, audit, frame, table, class_col="urban_rural", label="LSOA", previous_key=None)
    tot = totals(scored, _count_columns(scored), by="region_name")
    return Level("lsoa", "LSOAs (2021)", scored, tot, table, "urban_rural", "Rural-urban (RUC 2021)",
                 (*LSOA_INPUTS, "lad_region_lookup", *[k for k in ("postcode_points", "area_groups") if k in cfg.inputs]))


#: score.frame -> the column whose values are the reference-frame groups (None = one frame).
FRAME_COLUMNS = {"study_area": None, "all": None, "region": "region_name", "group": "group_name"}


def _score_level(cfg: Config, audit: Audit, frame: gpd.GeoDataFrame, table: OfcomTable, *, class_col: str,
                 label: str, previous_key: str | None) -> gpd.GeoDataFrame:
    """Score, rank stability, intervention diagnosis and (when a previous release is given) change over time."""
    crs = frame.crs
    frame = frame.sort_values("code").reset_index(drop=True)
    # Every indicator the level's columns allow, computed once (the score's own first, in its order, then the
    # rest in registry order: the column order of the published tables); later stages read these columns.
    avail = available_indicators(frame)
    scored_first = [c.name for c in cfg.score.indicators if c.name in avail]
    frame = compute_indicators(frame, scored_first + [n for n in avail if n not in scored_first],
                               source_label=str(table.meta["file"]))
    frame_col = FRAME_COLUMNS[cfg.score.frame]
    scored = score_areas(frame, cfg.score, class_col=class_col, frame_col=frame_col, source_label=str(table.meta["file"]))
    scored = rank_stability(scored, cfg.score, cfg.stability)
    infra, incl = diagnosis_choices(cfg.diagnosis)
    avail = set(available_indicators(scored))
    missing = [c.name for c in (*infra, *incl) if c.name not in avail]
    if missing:
        audit.notes.append(f"{label} diagnosis: {', '.join(missing)} not available at this level; "
                           "the sub-indices use the other indicators")
    scored = diagnose(scored, cfg.diagnosis)
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


def _count_columns(frame: pd.DataFrame) -> list[str]:
    base = [c for c in frame.columns if c.endswith(("_n", "_est")) or c in (
        "premises", "matched_premises", "nonres_premises", "mobile_premises", "mobile_land_cells")]
    people = [c for c in PEOPLE_COUNTS if c in frame.columns]
    inds = [c for c in frame.columns if c.endswith("_num") or c.endswith("_den")]
    return base + people + inds


def _reconcile(table: OfcomTable, coverage: pd.DataFrame, tot: pd.DataFrame, audit: Audit) -> None:
    """Midlands totals in the outputs must equal the sums over the raw file's study-area rows exactly."""
    midlands = tot.iloc[-1]
    checks = {}
    for col in RECONCILED:
        if col not in coverage:
            continue
        raw_sum = int(coverage[col].sum())
        out_sum = int(midlands[col])
        checks[col] = {"raw_file": raw_sum, "outputs": out_sum, "equal": raw_sum == out_sum}
    audit.totals[f"reconciliation:{table.meta['file']}"] = checks
    bad = [c for c, v in checks.items() if not v["equal"]]
    if bad:
        raise JoinError(f"{table.meta['file']}: Midlands totals of {bad} differ from the raw file; rows were lost in a join")


def build_frames(cfg: Config) -> Frames:
    """Load, join and score every geography. Writes nothing."""
    from .load.notices import drain

    drain()  # notices from loads outside this build (earlier runs in the same process) are not this run's
    audit = Audit()
    lad_region = _study_lads(cfg)
    lsoa, lsoa_geo = _lsoa_frame(cfg, audit, lad_region)
    people = deprivation_counts(lsoa)
    groups = None
    if "area_groups" in cfg.inputs:
        groups = read_table(cfg.inputs["area_groups"], "area_groups", key="lad_code")
        groups = groups[groups["lad_code"].isin(set(lad_region["lad_code"]))].reset_index(drop=True)
    fetched = load_fetched(cfg, audit, lsoa_geo, set(lsoa["lsoa21_code"]))
    la = _la_level(cfg, audit, lad_region, lsoa, people, groups, fetched)
    pcon = _pcon_level(cfg, audit, lad_region, lsoa, lsoa_geo, people, groups)
    lsoa_level = _lsoa_level(cfg, audit, lad_region, lsoa, lsoa_geo, people, groups, fetched) if fetched.has_lsoa_level else None
    registry = load_registry(cfg.root)
    records = describe(sorted(cfg.inputs.values()), cfg.root, registry)
    by_path = dict(zip(sorted(cfg.inputs.values()), records))
    for level in (la, pcon, lsoa_level):
        if level is None:
            continue
        level.sources = [by_path[p] for p in sorted({cfg.inputs[k] for k in level.input_keys if k in cfg.inputs})]
        if level.key in ("la", "lsoa"):
            level.sources += [r for r in fetched.sources if level.key == "lsoa" or r["source"].startswith("bduk")]
        level.attributions = attributions(level.sources, registry)
    records = records + fetched.sources
    audit.notes.extend(f"warning {n}" for n in drain())
    audit.inputs = {r["file"]: {k: r[k] for k in ("sha256", "bytes", "release", "licence")} for r in records}
    return Frames(la, pcon, audit, records, attributions(records, registry), lsoa_level, fetched.bduk_contracts)


def render_outputs(cfg: Config, frames: Frames) -> dict[str, bytes]:
    """Every output file's bytes, keyed by file name. Pure: writes nothing."""
    from .render import render_level
    from .publish.tables import level_table, metadata_json, totals_table

    files: dict[str, bytes] = {}
    for level in frames.levels:
        stem = STEMS[level.key]
        files[f"{stem}.csv"] = level_table(level, cfg).encode("utf-8")
        files[f"{stem}_totals.csv"] = totals_table(level, cfg).encode("utf-8")
        files[f"{stem}.meta.json"] = metadata_json(level, cfg, frames, stem).encode("utf-8")
        files.update(render_level(level, cfg, frames, stem))  # map, <stem>_table.html, per-group splits
    if frames.bduk_contracts is not None:  # who builds where, by when: one row per LAD x contract x supplier x date x status
        contracts = frames.bduk_contracts.sort_values(list(frames.bduk_contracts.columns[:-1]), na_position="first")
        files["midlands_bduk_contracts.csv"] = csv_text(contracts).encode("utf-8")
    from .publish.methodology import methodology_markdown

    files["methodology.md"] = methodology_markdown(cfg, frames).encode("utf-8")
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
