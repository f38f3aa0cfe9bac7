"""England and UK context: benchmark counts and national ranks for a level's indicators.

From a national coverage file of the same level and release (every UK local
authority, or every UK seat), :func:`national_context` makes

* ``benchmarks``: one row each for **England** and the **United Kingdom**, counts
  summed over the national file's areas (England: codes starting ``E``), every
  share recomputed from the summed counts, never averaged; with the national
  take-up file, the full-fibre take-up estimate too; with the UK and nations
  mobile file, the mobile not-spot counts (Ofcom's published volumes); with the
  UK and nations fixed file, the business (commercial) premises counts;
* ``ranks``: per study-area area, ``england_rank_<indicator>``: its position
  among all English areas of the level by share (1 = the largest share, the most
  need; ties share the best rank), and ``england_areas``, how many English areas
  were ranked.

The England premises total from the national file is checked against Ofcom's
own England total (UK and nations file) when both are given; a mismatch stops
the run. Missing national files leave ``benchmarks`` as None and a note in the
audit, so every comparison can say it is not available rather than vanish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import JoinError, MapperError
from .indicators import INDICATORS, available_indicators, compute_indicators

#: Benchmark rows, in the order they are shown.
BENCHMARK_AREAS = ("England", "United Kingdom")


@dataclass
class NationalContext:
    benchmarks: pd.DataFrame | None = None       # area + counts + <ind>_num/_den/_share for England and the UK
    ranks: pd.DataFrame | None = None            # code + england_rank_<ind> (study-area areas)
    england_areas: dict[str, int] = field(default_factory=dict)   # indicator -> English areas ranked
    input_keys: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def _count_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c in ("premises", "matched_premises") or c.endswith(("_n", "_est"))
            or c in ("nonres_premises", "mobile_premises", "mobile_land_cells")]


def _mobile_counts(table, location: str) -> dict[str, int | None]:
    from ..load.national import mobile_benchmark_counts

    m = mobile_benchmark_counts(table, location)
    return {"mobile_premises": m["mobile_premises"], "no_indoor_4g_est": m["no_indoor_4g"],
            "not_all_4g_indoor_est": m["not_all_4g_indoor"], "no_outdoor_5g_est": m["no_outdoor_5g"],
            "mobile_land_cells": m["land"], "no_outdoor_4g_land_est": m["no_outdoor_4g_land"]}


def _commercial_counts(table, location: str) -> dict[str, int | None]:
    from ..load.national import benchmark_counts

    c = benchmark_counts(table, location, "Commercial", "Total")
    return {"nonres_premises": c.get("premises"), "nonres_gigabit_n": c.get("gigabit_n"),
            "nonres_unable_30_n": c.get("unable_30_n")}


def national_context(cfg, *, level: str, study_codes: set[str], national_key: str, takeup_key: str | None,
                     names: list[str], release: str | None, audit, loaded=None) -> NationalContext:
    """England / UK benchmarks and national ranks from ``cfg.inputs[national_key]`` (see the module docstring).

    ``loaded``: the level's coverage table, used instead of reading the file again when it is the national file.
    """
    from ..join.companion_counts import takeup_counts
    from ..load.ofcom import load_ofcom, parse_file_name

    out = NationalContext()
    path = cfg.inputs.get(national_key)
    if path is None:
        out.notes.append(f"{level}: no national file (inputs.{national_key}); England and UK comparisons and national "
                         "ranks are not available")
        return out
    # The level's own coverage file (already loaded, codes resolved for a name-only release) when it is the national one.
    table = loaded if loaded is not None and loaded.meta.get("file") == path.name else load_ofcom(path)
    if table.meta.get("product") != "fixed_coverage":
        raise MapperError(f"{path}: inputs.{national_key} must be a national fixed coverage file")
    if release and table.meta.get("release_date") and table.meta["release_date"] != release:
        raise MapperError(f"{path}: inputs.{national_key} is release {table.meta['release_date']} but the level's data "
                          f"is {release}; compare like with like: use the national file of the same release")
    data = table.data.copy()
    if not set(study_codes) <= set(data["code"].dropna()):
        missing = sorted(set(study_codes) - set(data["code"].dropna()))
        raise JoinError(f"{path}: inputs.{national_key} lacks {len(missing)} study-area area(s) (e.g. {missing[:3]}); "
                        "it must be the national file of the same geography")
    keys = [national_key]
    if takeup_key and cfg.inputs.get(takeup_key) is not None:
        take = load_ofcom(cfg.inputs[takeup_key])
        data = data.merge(takeup_counts(take.data, data), on="code", how="left")
        keys.append(takeup_key)
    english = data["code"].astype("string").str.startswith("E").fillna(False)
    counts = _count_columns(data)
    # The UK and nations files add mobile and business counts, but only when they are the same release.
    same = {}
    for extra in ("nations_mobile", "nations_fixed"):
        if cfg.inputs.get(extra) is not None:
            rel = parse_file_name(cfg.inputs[extra].name).get("release_date")
            same[extra] = rel == table.meta.get("release_date")
            if same[extra]:
                keys.append(extra)
            else:
                out.notes.append(f"{level}: {cfg.inputs[extra].name} is release {rel}, not {table.meta.get('release_date')}; "
                                 "not used for this level's England figures")
    from ..load.national import read_fixed_benchmarks, read_mobile_benchmarks

    mobile = read_mobile_benchmarks(cfg.inputs["nations_mobile"]) if same.get("nations_mobile") else None
    fixed = read_fixed_benchmarks(cfg.inputs["nations_fixed"]) if same.get("nations_fixed") else None
    rows = []
    for area, mask in (("England", english), ("United Kingdom", pd.Series(True, index=data.index))):
        row = {"area": area, **{c: data.loc[mask, c].astype("Float64").sum(min_count=1) for c in counts}}
        location = "England" if area == "England" else "UK"
        if mobile is not None:
            row.update(_mobile_counts(mobile, location))
        if fixed is not None:
            row.update(_commercial_counts(fixed, location))
        rows.append(row)
    bench = pd.DataFrame(rows)
    if same.get("nations_fixed"):  # Ofcom's own England total must equal the national file's sum
        from ..load.national import benchmark_counts

        published = benchmark_counts(fixed, "England", "All", "Total")["premises"]
        summed = int(bench.loc[0, "premises"])
        audit.totals[f"reconciliation:England:{table.meta['file']}"] = {
            "premises": {"national_file_sum": summed, "ofcom_england_total": published, "equal": summed == published}}
        if summed != published:
            raise JoinError(f"{path}: the English areas' premises sum to {summed:,} but Ofcom's England total in "
                            f"{cfg.inputs['nations_fixed'].name} is {published:,}; the files are not the same release")
    usable = [n for n in names if n in available_indicators(bench)]
    out.benchmarks = compute_indicators(bench, usable)
    nat = compute_indicators(data, [n for n in usable if n in available_indicators(data)])
    ranks = pd.DataFrame({"code": data["code"]})
    eng = nat[english]
    for n in usable:
        col = f"{n}_share"
        if col not in nat.columns:
            continue
        have = eng[col].notna()
        out.england_areas[n] = int(have.sum())
        ranks[f"england_rank_{n}"] = eng[col].rank(ascending=False, method="min").astype("Int64")
    out.ranks = ranks[ranks["code"].isin(study_codes)].reset_index(drop=True)
    out.input_keys = tuple(keys)
    out.notes.append(
        f"{level}: England and UK benchmarks from {table.meta['file']} ({int(english.sum())} English areas of "
        f"{len(data)}); national ranks for {', '.join(out.england_areas) or 'no indicator'}; "
        + ("indicators without national data have no England comparison: "
           + ", ".join(n for n in names if n not in usable) if set(names) - set(usable) else "every indicator compared")
    )
    return out


def benchmark_label(area: str, release_text: str) -> str:
    """'England (Ofcom Connected Nations, July 2025)'."""
    return f"{area} ({release_text})"


__all__ = ["BENCHMARK_AREAS", "INDICATORS", "NationalContext", "benchmark_label", "national_context"]
