"""Change over time between two releases of the same Ofcom level.

Only counts are compared: premises gaining gigabit, and the change in premises
below the USO and unable to get 30 Mbit/s (negative = fewer premises in the
gap). Shares are recomputed from the counts of each release, never
differenced from published percentages.

Before comparing, :func:`check_compatible` makes sure the two releases
describe the same areas: the same product, level and premises variant, and the
same area codes for the areas compared (constituency files from 2020 to 2024
all use the 2010 boundaries, E14000xxx codes; a release on the 2024 boundaries,
E14001xxx, cannot be compared area by area and is refused with a clear error).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import MapperError
from ..load.ofcom import OfcomTable

#: (output column, measure column, sign): gain = new - old for availability, change = new - old for gaps.
MEASURES = (
    ("gigabit_gain_n", "gigabit_n"),
    ("below_uso_change_n", "below_uso_n"),
    ("unable_30_change_n", "unable_30_n"),
    ("premises_change_n", "premises"),
)
COLUMNS = tuple(m[0] for m in MEASURES) + ("change_from_release",)


class ChangeError(MapperError):
    """Two releases cannot be compared area by area."""


def check_compatible(old: OfcomTable, new: OfcomTable, codes: set[str]) -> None:
    """Raise :class:`ChangeError` unless ``old`` and ``new`` can be compared for ``codes``."""
    o, n = old.meta, new.meta
    where = f"{o['file']} -> {n['file']}"
    for key in ("product", "level", "variant"):
        if o[key] != n[key]:
            raise ChangeError(f"{where}: cannot compare a {o[key]} file with a {n[key]} file ({key} differs); "
                              "point inputs.*_previous at the same kind of file")
    if o["release"] and n["release"] and o["release"] >= n["release"]:
        raise ChangeError(f"{where}: the previous release {o['release']} is not older than {n['release']}; swap them")
    old_codes = set(old.data["code"].dropna())
    missing = sorted(codes - old_codes)
    if missing:
        raise ChangeError(
            f"{where}: {len(missing)} of {len(codes)} areas have no row in the previous release "
            f"(e.g. {', '.join(missing[:5])}); the boundaries differ, so areas cannot be compared one to one"
        )


def compare(old: OfcomTable, new: OfcomTable, codes: set[str]) -> pd.DataFrame:
    """One row per code in ``codes``: count changes from ``old`` to ``new`` (both are counts: extensive).

    >>> import pandas as pd
    >>> meta = dict(product="fixed_coverage", level="parl_const", variant="all", file="x")
    >>> a = OfcomTable(pd.DataFrame({"code": ["E1"], "premises": [100], "gigabit_n": [40],
    ...                              "below_uso_n": [5], "unable_30_n": [9]}), dict(meta, release="202209", release_date="2022-09"))
    >>> b = OfcomTable(pd.DataFrame({"code": ["E1"], "premises": [104], "gigabit_n": [70],
    ...                              "below_uso_n": [2], "unable_30_n": [6]}), dict(meta, release="202401", release_date="2024-01"))
    >>> compare(a, b, {"E1"})[["gigabit_gain_n", "below_uso_change_n", "premises_change_n"]].values.tolist()
    [[30, -3, 4]]
    """
    check_compatible(old, new, codes)
    keep = sorted(codes)
    o = old.data.set_index("code").reindex(keep)
    n = new.data.set_index("code").reindex(keep)
    out = pd.DataFrame({"code": keep})
    for col, measure in MEASURES:
        if measure in o.columns and measure in n.columns:
            out[col] = (n[measure].astype("Int64") - o[measure].astype("Int64")).to_numpy()
    out["change_from_release"] = old.meta.get("release_date") or old.meta.get("release")
    return out


def study_codes(cfg, table: OfcomTable) -> set[str]:
    """The study area's codes for the level of ``table`` (local authorities or 2010 constituencies)."""
    from ..load.geo import read_boundaries
    from ..load.tables import study_lads

    if table.level == "laua":
        return set(study_lads(cfg.inputs["lad_region_lookup"], cfg.regions)["lad_code"])
    if table.level == "parl_const":
        code_f, name_f = cfg.boundary_fields["pcon"]
        return set(read_boundaries(cfg.inputs["pcon_boundaries"], code_f, name_f)["code"])
    raise ChangeError(f"{table.meta['file']}: change over time works on local-authority or constituency files, "
                      f"not level '{table.level}'")


#: BDUK premises-in-plans counts compared per local authority (see mapper.join.lsoa.BDUK_COUNTS).
BDUK_MEASURES = ("premises_n", "no_gigabit_now_n", "contract_n", "commercial_n", "residual_n")


def compare_bduk(old_lad: pd.DataFrame, new_lad: pd.DataFrame, codes: set[str], *, old_label: str, new_label: str) -> pd.DataFrame:
    """Per local authority, the change in BDUK counts between two releases (new - old; counts, extensive).

    ``old_lad`` / ``new_lad`` are :func:`mapper.join.lsoa.bduk_aggregate` LAD tables. A study-area LAD
    missing from either release is an error: the releases do not cover the same places.

    >>> a = pd.DataFrame({"lad_code": ["E1"], "premises_n": [10], "no_gigabit_now_n": [6], "contract_n": [1],
    ...                   "commercial_n": [2], "residual_n": [3]})
    >>> b = a.assign(no_gigabit_now_n=[4], contract_n=[2], residual_n=[0], commercial_n=[2])
    >>> compare_bduk(a, b, {"E1"}, old_label="old", new_label="new")[["residual_change_n", "contract_change_n"]].values.tolist()
    [[-3, 1]]
    """
    for label, table in ((old_label, old_lad), (new_label, new_lad)):
        missing = sorted(codes - set(table["lad_code"]))
        if missing:
            raise ChangeError(f"{label}: no BDUK premises for {len(missing)} study-area local authorities "
                              f"(e.g. {', '.join(missing[:5])}); compare releases that cover the same areas")
    keep = sorted(codes)
    o, n = old_lad.set_index("lad_code").reindex(keep), new_lad.set_index("lad_code").reindex(keep)
    out = pd.DataFrame({"code": keep})
    for m in BDUK_MEASURES:
        out[m.removesuffix("_n") + "_change_n"] = (n[m].astype("int64") - o[m].astype("int64")).to_numpy()
    out["change_from_release"] = old_label
    return out


def _bduk_release(path: Path, audit) -> pd.DataFrame:
    """LAD counts of one BDUK release: a folder of per-LA CSVs (as extracted by make fetch)."""
    from ..join.lsoa import bduk_aggregate

    files = sorted(Path(path).rglob("*.csv"))
    if not files:
        raise ChangeError(f"{path}: no CSV files; give a folder holding one BDUK release (one CSV per local authority)")
    return bduk_aggregate(files, None, audit=audit).lad


def compare_files(cfg, old_path, new_path) -> tuple[pd.DataFrame, dict]:
    """Compare any two releases of one level for the study area: (per-area table, study-area totals).

    Two Ofcom coverage CSVs of the same level, or two folders each holding a BDUK premises-in-plans
    release (compared per local authority).
    """
    from ..load.ofcom import load_ofcom

    if Path(old_path).is_dir() or Path(new_path).is_dir():
        if not (Path(old_path).is_dir() and Path(new_path).is_dir()):
            raise ChangeError(f"{old_path} -> {new_path}: give two Ofcom CSV files, or two folders of BDUK releases")
        from ..join.audit import Audit
        from ..load.tables import study_lads

        lads = study_lads(cfg.inputs["lad_region_lookup"], cfg.regions)
        codes = set(lads["lad_code"])
        old_lad, new_lad = _bduk_release(old_path, Audit()), _bduk_release(new_path, Audit())
        codes &= set(old_lad["lad_code"]) | set(new_lad["lad_code"])
        table = compare_bduk(old_lad, new_lad, codes, old_label=Path(old_path).name, new_label=Path(new_path).name)
        table.insert(1, "name", table["code"].map(lads.set_index("lad_code")["lad_name"]))
        totals = {c: int(table[c].sum()) for c in table.columns if c.endswith("_change_n")}
        totals.update(areas=len(table), from_release=Path(old_path).name, to_release=Path(new_path).name)
        return table, totals
    old, new = load_ofcom(old_path), load_ofcom(new_path)
    codes = study_codes(cfg, new) & set(new.data["code"].dropna())
    table = compare(old, new, codes)
    names = new.data.drop_duplicates("code").set_index("code")["name"] if "name" in new.data else None
    if names is not None:
        table.insert(1, "name", table["code"].map(names))
    totals = {col: int(table[col].sum()) for col, _ in MEASURES if col in table}
    totals.update(areas=len(table), from_release=old.meta.get("release_date"), to_release=new.meta.get("release_date"))
    return table, totals
