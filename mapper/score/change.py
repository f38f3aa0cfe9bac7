"""Change over time between two releases of the same Ofcom level.

Only counts are compared: premises gaining gigabit, and the change in premises
below the USO and unable to get 30 Mbit/s (negative = fewer premises in the
gap). Shares are recomputed from the counts of each release, never
differenced from published percentages.

Before comparing, :func:`check_compatible` makes sure the two releases
describe the same areas: the same product, level and premises variant, and the
same areas (constituency files from 2020 to January 2024 use the 2010 seats,
E14000xxx; from July 2025 the 2024 seats, E14001xxx: those cannot be compared
area by area and are refused with a clear error). A release with constituency
names but no codes (2019) is matched to the other release by name, and compared
only when every name matches.

Definitions change too. ``data/measure_definitions.yaml`` records what each
measure meant in each release (below the USO counted fixed-wireless premises until
2019; the 2018 "SFBB" column was the 30-300 Mbit/s band; 2018 has no gigabit
measure). A measure whose definition differs between the two releases is **not
compared**: its change column is left out and the reason is listed, so a
definition change is never reported as premises connected. The premises base is
rebuilt every release; its change is reported with that warning.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from .._io import load_yaml
from ..errors import MapperError
from ..load.ofcom import OfcomTable

#: (output column, measure column): gain = new - old for availability, change = new - old for gaps.
MEASURES = (
    ("gigabit_gain_n", "gigabit_n"),
    ("below_uso_change_n", "below_uso_n"),
    ("unable_30_change_n", "unable_30_n"),
    ("premises_change_n", "premises"),
)
COLUMNS = tuple(m[0] for m in MEASURES) + ("change_from_release", "change_flags")
DEFINITIONS = Path(__file__).resolve().parents[2] / "data" / "measure_definitions.yaml"


class ChangeError(MapperError):
    """Two releases cannot be compared area by area."""


@lru_cache(maxsize=4)
def definitions(path: str | Path = DEFINITIONS) -> dict:
    """Each measure's definition periods (``data/measure_definitions.yaml``)."""
    try:
        return load_yaml(Path(path).read_text("utf-8"))["measures"]
    except FileNotFoundError:
        raise ChangeError(f"{path}: the register of measure definitions is missing; restore it from the repository") from None


def definition(measure: str, release: str | None, defs: dict | None = None) -> dict | None:
    """The definition period of ``measure`` (e.g. ``below_uso``) that covers ``release`` ('YYYY-MM'), or None.

    >>> definition("below_uso", "2019-09")["from"], definition("below_uso", "2024-01")["from"]
    ('2018-09', '2020-09')
    """
    periods = (defs or definitions()).get(measure) or []
    hit = None
    for period in sorted(periods, key=lambda p: p["from"]):
        if release is not None and period["from"] <= release:
            hit = period
    return hit


def comparable(measure: str, old_release: str | None, new_release: str | None, defs: dict | None = None) -> str | None:
    """None when ``measure`` means the same in both releases; else why it cannot be compared.

    >>> comparable("unable_30", "2018-09", "2024-01") is None
    True
    >>> comparable("below_uso", "2019-09", "2020-09").split(":")[0]
    'definition changed between 2019-09 and 2020-09'
    """
    a, b = definition(measure, old_release, defs), definition(measure, new_release, defs)
    if a is None or b is None:
        missing = old_release if a is None else new_release
        return f"no definition recorded for {missing}"
    if a["from"] != b["from"]:
        return f"definition changed between {old_release} and {new_release}: was '{a['definition']}', now '{b['definition']}'"
    return None


def match_names(old: OfcomTable, new: OfcomTable) -> tuple[OfcomTable, OfcomTable]:
    """Give a release with names but no codes the codes of the other release, matching every name.

    Two name-only releases are keyed on their normalised names. Any name without a partner stops
    the comparison with the names listed.
    """
    from ..join.audit import normalise_name

    if not (old.meta.get("name_only") or new.meta.get("name_only")):
        return old, new
    if old.meta.get("name_only") and new.meta.get("name_only"):
        return (OfcomTable(old.data.assign(code=old.data["name"].map(normalise_name)), old.meta),
                OfcomTable(new.data.assign(code=new.data["name"].map(normalise_name)), new.meta))
    named, coded = (old, new) if old.meta.get("name_only") else (new, old)
    lookup = dict(zip(coded.data["name"].map(normalise_name), coded.data["code"]))
    codes = named.data["name"].map(normalise_name).map(lookup)
    if codes.isna().any():
        bad = sorted(named.data.loc[codes.isna(), "name"].astype(str))
        raise ChangeError(f"{old.meta['file']} -> {new.meta['file']}: {len(bad)} constituency name(s) of "
                          f"{named.meta['file']} match no name in {coded.meta['file']} (e.g. {bad[:3]}); the releases "
                          "use different constituencies, so they cannot be compared area by area")
    resolved = OfcomTable(named.data.assign(code=codes.astype("string")), named.meta)
    return (resolved, new) if old is named else (old, resolved)


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


def not_compared(old: OfcomTable, new: OfcomTable, defs: dict | None = None) -> dict[str, str]:
    """Change column -> why it is not compared (a measure missing from a release, or a definition change)."""
    out = {}
    for col, measure in MEASURES:
        key = measure.removesuffix("_n")
        if measure not in old.data.columns or measure not in new.data.columns:
            lacking = old.meta["file"] if measure not in old.data.columns else new.meta["file"]
            out[col] = f"{lacking} has no {key} measure"
            continue
        why = comparable(key, old.meta.get("release_date"), new.meta.get("release_date"), defs)
        if why and not (defs or definitions()).get(key, [{}])[0].get("caveat"):
            out[col] = why
    return out


def compare(old: OfcomTable, new: OfcomTable, codes: set[str], defs: dict | None = None) -> pd.DataFrame:
    """One row per code in ``codes``: count changes from ``old`` to ``new`` (both are counts: extensive).

    Measures whose definition differs between the releases are left out; ``frame.attrs['not_compared']``
    says which and why, and ``change_flags`` carries the warnings every row shares (the premises base).

    >>> import pandas as pd
    >>> meta = dict(product="fixed_coverage", level="parl_const", variant="all", file="x")
    >>> a = OfcomTable(pd.DataFrame({"code": ["E1"], "premises": [100], "gigabit_n": [40],
    ...                              "below_uso_n": [5], "unable_30_n": [9]}),
    ...                dict(meta, release="202209", release_date="2022-09"))
    >>> b = OfcomTable(pd.DataFrame({"code": ["E1"], "premises": [104], "gigabit_n": [70],
    ...                              "below_uso_n": [2], "unable_30_n": [6]}),
    ...                dict(meta, release="202401", release_date="2024-01"))
    >>> compare(a, b, {"E1"})[["gigabit_gain_n", "below_uso_change_n", "premises_change_n"]].values.tolist()
    [[30, -3, 4]]
    """
    old, new = match_names(old, new)
    check_compatible(old, new, codes)
    skipped = not_compared(old, new, defs)
    keep = sorted(codes)
    o = old.data.dropna(subset=["code"]).drop_duplicates("code").set_index("code").reindex(keep)
    n = new.data.dropna(subset=["code"]).drop_duplicates("code").set_index("code").reindex(keep)
    out = pd.DataFrame({"code": keep})
    for col, measure in MEASURES:
        if col not in skipped:
            out[col] = (n[measure].astype("Int64") - o[measure].astype("Int64")).to_numpy()
    out["change_from_release"] = old.meta.get("release_date") or old.meta.get("release")
    out["change_flags"] = ("premises base rebuilt by Ofcom between releases: premises change is not new building; "
                           + ("not compared: " + "; ".join(f"{c} ({why.split(':')[0]})" for c, why in skipped.items())
                              if skipped else "every measure compared"))
    out.attrs["not_compared"] = skipped
    return out


def study_codes(cfg, table: OfcomTable) -> set[str]:
    """The study area's codes for the level of ``table`` (local authorities, or the constituency set it uses)."""
    from ..load.geo import read_boundaries
    from ..load.geography import constituency_set
    from ..load.tables import study_lads

    if table.level == "laua":
        return set(study_lads(cfg.inputs["lad_region_lookup"], cfg.regions)["lad_code"])
    if table.level == "parl_const":
        codes = table.data["code"].dropna()
        key, fields = ("pcon_boundaries", "pcon") if len(codes) and constituency_set(
            codes, source=table.meta["file"]) == "PCON24" else ("pcon10_boundaries", "pcon10")
        if key not in cfg.inputs:
            raise ChangeError(f"{table.meta['file']}: comparing constituencies needs inputs.{key} (the boundaries of "
                              "the seats this release uses)")
        return set(read_boundaries(cfg.inputs[key], *cfg.boundary_fields[fields])["code"])
    raise ChangeError(f"{table.meta['file']}: change over time works on local-authority or constituency files, "
                      f"not level '{table.level}'")


#: BDUK premises-in-plans counts compared per local authority (see mapper.join.lsoa.BDUK_COUNTS).
BDUK_MEASURES = ("premises_n", "no_gigabit_now_n", "contract_n", "commercial_n", "residual_n")


def compare_bduk(old_lad: pd.DataFrame, new_lad: pd.DataFrame, codes: set[str], *, old_label: str,
                 new_label: str) -> pd.DataFrame:
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
    old, new = match_names(load_ofcom(old_path), load_ofcom(new_path))
    ref = new if not new.meta.get("name_only") else old
    if ref.meta.get("name_only"):
        raise ChangeError(f"{old_path} -> {new_path}: both releases have names but no codes; compare one of them with "
                          "a release that has codes")
    codes = study_codes(cfg, ref) & set(new.data["code"].dropna())
    table = compare(old, new, codes)
    names = ref.data.dropna(subset=["code"]).drop_duplicates("code").set_index("code")["name"]
    table.insert(1, "name", table["code"].map(names))
    totals = {col: int(table[col].sum()) for col, _ in MEASURES if col in table}
    totals.update(areas=len(table), from_release=old.meta.get("release_date"), to_release=new.meta.get("release_date"),
                  not_compared=table.attrs.get("not_compared", {}))
    return table, totals
