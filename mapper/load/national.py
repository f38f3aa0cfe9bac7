"""Ofcom Connected Nations "UK and nations" files: the England and UK benchmarks.

Two long-format files (one row per combination of labels), read by name
through the ``ofcom_nations_fixed`` / ``ofcom_nations_mobile`` schemas in
``table_schemas.yaml``:

* :func:`read_fixed_benchmarks` reads ``<release>_fixed_coverage_UK_and_nations_r01.csv``
  (``Location,Premise type,Rurality,Speed,% Premises,Premises,Date``) into a
  tidy table of premises **counts** per location (UK, England, Scotland, Wales,
  Northern Ireland), premise type (All / Residential / Commercial), rurality
  (Total / Urban / Rural) and measure. :func:`benchmark_counts` returns one
  block as ``{measure: count}`` so a caller can sum and divide (a share is
  always count / ``premises``; the published ``% Premises`` is kept only for
  checking).
* :func:`read_mobile_benchmarks` reads ``<release>_mobile_coverage_UK_and_nations_r01.csv``;
  :func:`mobile_benchmark_counts` gives the counts behind the mobile not-spot
  indicators.

**The ``Speed`` labels and this project's measures** (:data:`SPEED_MEASURES`).
Each mapping below was checked on July 2025: the England and UK counts equal
the sums over the English (and all) rows of Ofcom's national local-authority
file of the same release.

* ``Premise Base`` -> ``premises`` (All Premises)
* ``Full Fibre`` -> ``full_fibre_n``; ``Gigabit capable`` -> ``gigabit_n``
* ``>=30 Mbit/s`` -> ``sfbb_n``; ``>=100 Mbit/s`` -> ``ufbb100_n``; ``>=300 Mbit/s`` -> ``ufbb_n``
* ``<2 Mbit/s`` -> ``unable_2_n``
* ``Unclassified`` -> ``unclassified_n`` (All Premises - All Matched Premises)
* ``>=10 Mbit/s`` -> ``at_least_10_n`` and ``>=24 Mbit/s`` -> ``at_least_24_n``
  (matched premises able to get that download speed; no LA-file column)
* ``<10 Mbit/s DL or <1 Mbit/s UL`` -> ``below_10down_or_1up_n``: under the USO
  *speed* on fixed lines. **Not** ``below_uso_n``.

``below_uso_n`` in the LA and constituency files is "below the USO": no decent
broadband from fixed lines **or fixed wireless**. The national row
``<10 Mbit/s DL or <1 Mbit/s UL`` ignores fixed wireless and is ten times larger
(England July 2025: 245,367 against 25,769 summed over the English local
authorities), so it must not be used as the USO benchmark; sum
``below_uso_n`` over a nation's local authorities instead
(:func:`la_totals_by_nation`).

Three counts the local files carry are derived exactly from the rows above
(identities that hold in every row of the LA files) and added by
:func:`benchmark_counts`: ``matched_premises`` = premises - unclassified,
``unable_10_n`` = matched - at least 10 Mbit/s, ``unable_30_n`` = matched -
superfast.

Checks (each failure is one line naming the file, line and column): the
header by name; counts are whole, non-negative and no larger than the block's
``Premise Base``; every block has one ``Premise Base``; each ``% Premises``
equals ``Premises / Premise Base`` within 0.05 points; no label combination
appears twice. Unknown ``Speed`` labels are left out and reported as a notice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SchemaError, ValueProblem
from .csvfile import first_line, header_key, read_rows
from .notices import notice
from .ofcom import OfcomTable, load_ofcom, parse_file_name
from .tables import read_table
from .values import parse_numeric

#: Ofcom rounds ``% Premises`` to one decimal: half a unit of the last place, plus float slack.
PCT_TOLERANCE = 0.05 + 1e-9
#: ``Coverage percentage`` in the mobile file has two decimals.
MOBILE_PCT_TOLERANCE = 0.005 + 1e-9

#: ``Speed`` label -> measure name (see the module notes for how each was checked).
SPEED_MEASURES = {
    "Premise Base": "premises",
    "Unclassified": "unclassified_n",
    "<2 Mbit/s": "unable_2_n",
    "<10 Mbit/s DL or <1 Mbit/s UL": "below_10down_or_1up_n",
    ">=10 Mbit/s": "at_least_10_n",
    ">=24 Mbit/s": "at_least_24_n",
    ">=30 Mbit/s": "sfbb_n",
    ">=100 Mbit/s": "ufbb100_n",
    ">=300 Mbit/s": "ufbb_n",
    "Full Fibre": "full_fibre_n",
    "Gigabit capable": "gigabit_n",
}
#: Excel error values written into cells; read as missing and reported.
EXCEL_ERRORS = frozenset({"#value!", "#ref!", "#div/0!", "#n/a", "#num!", "#name?", "#null!"})
#: First letter of a GSS code -> nation (for :func:`la_totals_by_nation`).
NATIONS = {"E": "England", "S": "Scotland", "W": "Wales", "N": "Northern Ireland"}


_SPEED_INDEX = {header_key(k): v for k, v in SPEED_MEASURES.items()}


def _counts(path: Path, values: pd.Series, column: str, *, allow_excel_errors: bool = False) -> tuple[pd.Series, pd.Series]:
    """Whole, non-negative counts (nullable Int64) and the mask of cells read as missing."""
    text = values.astype("string").fillna("").str.strip()
    excel = text.str.casefold().isin(EXCEL_ERRORS) if allow_excel_errors else pd.Series(False, index=text.index)
    numbers, suppressed = parse_numeric(text.mask(excel, ""), path=path, column=column)
    bad = numbers.notna() & ((numbers < 0) | ((numbers - numbers.round()).abs() > 1e-9))
    if bad.any():
        raise ValueProblem(
            f"{path}: line {first_line(bad)}, column '{column}': {text[bad].iloc[0]!r} is not a whole, non-negative "
            "number of premises; check the cell against the original Ofcom file"
        )
    return numbers.round().astype("Int64"), suppressed | excel


def _percent(path: Path, values: pd.Series, column: str, *, allow_excel_errors: bool = False) -> tuple[pd.Series, pd.Series]:
    text = values.astype("string").fillna("").str.strip()
    excel = text.str.casefold().isin(EXCEL_ERRORS) if allow_excel_errors else pd.Series(False, index=text.index)
    numbers, suppressed = parse_numeric(text.mask(excel, ""), path=path, column=column)
    bad = numbers.notna() & ((numbers < 0) | (numbers > 100))
    if bad.any():
        raise ValueProblem(f"{path}: line {first_line(bad)}, column '{column}': percentage {numbers[bad].iloc[0]:g} "
                           "is outside 0-100")
    return numbers, suppressed | excel


def _file_meta(path: Path, product: str) -> dict:
    """The parts of the metadata ``python -m mapper inspect`` shows for every Ofcom file."""
    rows = read_rows(path)
    return {
        "file": path.name, "product": product, "level": "nation", **parse_file_name(path.name),
        "encoding": rows.encoding, "line_ends": rows.line_ends,
        "rates_only": False, "name_only": False, "unmapped_columns": [], "premises": None,
    }


def _no_repeats(path: Path, frame: pd.DataFrame, labels: list[str], what: str) -> None:
    dup = frame.duplicated(labels)
    if dup.any():
        row = frame.loc[dup, labels].iloc[0].tolist()
        raise SchemaError(
            f"{path}: line {first_line(dup)}: the combination {row} ({what}) appears twice; remove the repeated row"
        )


def read_fixed_benchmarks(path: str | Path) -> OfcomTable:
    """The fixed-coverage UK and nations file as a tidy table of counts.

    ``data`` columns: ``location``, ``premise_type``, ``rurality``, ``speed`` (Ofcom's
    label), ``measure`` (see :data:`SPEED_MEASURES`), ``count`` (nullable Int64,
    premises; missing if the cell was blank or suppressed), ``pct_published``
    (Ofcom's rounded percentage, kept only for checking) and ``line`` (file
    line). Rows whose ``Speed`` is unknown are left out and named in a notice
    and in ``meta["dropped_speeds"]``.
    """
    path = Path(path)
    raw = read_table(path, "ofcom_nations_fixed")
    labels = ["location", "premise_type", "rurality"]
    frame = raw[labels + ["speed"]].copy()
    frame["line"] = np.arange(len(frame)) + 2
    frame["measure"] = raw["speed"].map(lambda s: _SPEED_INDEX.get(header_key(s))).astype("string")
    frame["count"], missing_count = _counts(path, raw["count"], "Premises")
    frame["pct_published"], missing_pct = _percent(path, raw["pct"], "% Premises")
    _no_repeats(path, frame, labels + ["speed"], "Location, Premise type, Rurality, Speed")

    base = frame[frame["measure"] == "premises"].set_index(labels)["count"]
    blocks = frame[labels].drop_duplicates()
    no_base = blocks[~pd.MultiIndex.from_frame(blocks).isin(base.index)]
    if len(no_base):
        raise SchemaError(
            f"{path}: no 'Premise Base' row for {no_base.iloc[0].tolist()} (Location, Premise type, Rurality); "
            "every block needs its premises total: restore the row from the original Ofcom file"
        )
    denom = pd.Series(base.reindex(pd.MultiIndex.from_frame(frame[labels])).to_numpy(), index=frame.index)
    over = frame["count"].notna() & denom.notna() & (frame["count"] > denom)
    if over.any():
        raise ValueProblem(
            f"{path}: line {first_line(over)}, column 'Premises': {int(frame['count'][over].iloc[0]):,} is larger than "
            f"the block's Premise Base ({int(denom[over].iloc[0]):,}); check the row against the original Ofcom file"
        )
    _check_published_pct(path, frame["count"], denom, frame["pct_published"], PCT_TOLERANCE, decimals=2,
                         what="column '% Premises'", ratio="Premises / Premise Base",
                         advice="the count or the percentage was changed: check the row against Ofcom's file")

    dropped = sorted(raw.loc[frame["measure"].isna(), "speed"].unique())
    if dropped:
        notice(path, f"left out {int(frame['measure'].isna().sum())} row(s) with Speed label(s) this tool does not "
                     f"know: {dropped[:6]}")
    missing = int((missing_count | missing_pct).sum())
    if missing:
        notice(path, f"{missing} row(s) with a blank or suppressed Premises or % Premises cell: read as missing")
    data = frame[frame["measure"].notna()].reset_index(drop=True)
    data = data[["location", "premise_type", "rurality", "speed", "measure", "count", "pct_published", "line"]]
    meta = {
        **_file_meta(path, "fixed_benchmarks"),
        "rows": len(data), "locations": list(dict.fromkeys(data["location"])),
        "measures": list(dict.fromkeys(data["measure"])), "count_measures": list(dict.fromkeys(data["measure"])),
        "rate_measures": [], "dates": sorted(raw["date"].dropna().unique()),
        "dropped_speeds": dropped, "missing_cells": missing,
    }
    return OfcomTable(data, meta)


def benchmark_counts(table: OfcomTable, location: str = "England", premise_type: str = "All",
                     rurality: str = "Total") -> dict[str, int | None]:
    """One block of the fixed benchmarks as ``{measure: premises count}`` (missing -> ``None``).

    Adds the exact derived counts ``matched_premises``, ``unable_10_n`` and
    ``unable_30_n`` (see the module notes). Labels match case-insensitively.
    A share is ``counts[m] / counts["premises"]``. Raises
    :class:`~mapper.errors.SchemaError` naming the labels the file has when
    the block is not in it.
    """
    d = table.data
    pick = d[(d["location"].map(header_key) == header_key(location))
             & (d["premise_type"].map(header_key) == header_key(premise_type))
             & (d["rurality"].map(header_key) == header_key(rurality))]
    if pick.empty:
        raise SchemaError(
            f"{table.meta['file']}: no benchmark rows for {location!r}, {premise_type!r}, {rurality!r}; the file has "
            f"locations {sorted(d['location'].unique())}, premise types {sorted(d['premise_type'].unique())} and "
            f"rurality {sorted(d['rurality'].unique())}"
        )
    out: dict[str, int | None] = {m: (None if pd.isna(c) else int(c)) for m, c in zip(pick["measure"], pick["count"])}

    def minus(a: str, b: str) -> int | None:
        return out[a] - out[b] if out.get(a) is not None and out.get(b) is not None else None

    out["matched_premises"] = minus("premises", "unclassified_n")
    out["unable_10_n"] = minus("matched_premises", "at_least_10_n")
    out["unable_30_n"] = minus("matched_premises", "sfbb_n")
    return out


def benchmark_wide(table: OfcomTable) -> pd.DataFrame:
    """Every block as one row (``location``, ``premise_type``, ``rurality``) and one count column per measure."""
    wide = table.data.pivot(index=["location", "premise_type", "rurality"], columns="measure", values="count")
    wide.columns.name = None
    order = [m for m in SPEED_MEASURES.values() if m in wide.columns]
    return wide[order].reset_index()


def england_benchmark(path: str | Path) -> dict[str, int | None]:
    """``benchmark_counts`` for England, all premises, urban and rural together."""
    return benchmark_counts(read_fixed_benchmarks(path), "England", "All", "Total")


def uk_benchmark(path: str | Path) -> dict[str, int | None]:
    """``benchmark_counts`` for the UK, all premises, urban and rural together."""
    return benchmark_counts(read_fixed_benchmarks(path), "UK", "All", "Total")


def la_totals_by_nation(path: str | Path) -> pd.DataFrame:
    """Sum every count column of a national local-authority fixed-coverage file by nation.

    One row per nation (from the first letter of the GSS code: England,
    Scotland, Wales, Northern Ireland) plus ``UK``; count columns only
    (``premises``, ``matched_premises``, ``*_n``), never the percentages. The
    way to get an England ``below_uso_n`` benchmark (see the module notes).
    A code that does not start with E, S, W or N is an error.
    """
    table = load_ofcom(path)
    d = table.data
    counts = [c for c in d.columns if c in ("premises", "matched_premises") or c.endswith("_n")]
    nation = d["code"].str[:1].map(NATIONS)
    if nation.isna().any():
        i = int(np.flatnonzero(nation.isna().to_numpy())[0])
        raise SchemaError(
            f"{path}: line {i + 2}: code {d['code'].iloc[i]!r} is not an England/Scotland/Wales/Northern Ireland "
            "GSS code; this needs a national local-authority file"
        )
    by = d[counts].groupby(nation).sum(min_count=1)
    by.loc["UK"] = d[counts].sum(min_count=1)
    by.index.name = "location"
    return by.reset_index()


# --- mobile -------------------------------------------------------------------------------------


def read_mobile_benchmarks(path: str | Path) -> OfcomTable:
    """The mobile-coverage UK and nations file as a tidy table.

    ``data`` columns: ``location``, ``technology`` (``4G``, ``5G High Confidence`` ...),
    ``coverage_type`` (``Premises (Indoor)``, ``Premises (Outdoor)``, ``Geographic``),
    ``rurality``, ``mno`` (``All`` = all four operators, ``At least one``, ``None``,
    or an operator), ``coverage_pct`` (as published), ``volume`` (nullable
    Int64: premises for the premises types; for ``Geographic`` an area whose
    unit the file does not state) and ``line``.

    Excel error cells (``#VALUE!``) and ``null`` are read as missing and
    reported as a notice (the July 2025 file has one such pair, Scotland 4G
    outdoor urban ``None``). Checks: header by name, volumes whole and
    non-negative, percentages 0-100, no repeated label combination, and each
    percentage = volume / (``At least one`` + ``None``) within 0.005 points.
    """
    path = Path(path)
    raw = read_table(path, "ofcom_nations_mobile")
    labels = ["location", "technology", "coverage_type", "rurality", "mno"]
    frame = raw[labels].copy()
    frame["coverage_pct"], missing_pct = _percent(path, raw["pct"], "Coverage percentage", allow_excel_errors=True)
    frame["volume"], missing_vol = _counts(path, raw["volume"], "Coverage volume", allow_excel_errors=True)
    frame["line"] = np.arange(len(frame)) + 2
    _no_repeats(path, frame, labels, "Location, Technology, Coverage type, Rurality, MNO")

    group = ["location", "technology", "coverage_type", "rurality"]
    mno = frame["mno"].map(header_key)
    base_rows = frame[mno.isin(["at least one", "none"])]
    complete = base_rows.groupby(group)["volume"].agg(lambda v: len(v) == 2 and v.notna().all())
    base = base_rows.groupby(group)["volume"].sum(min_count=2).where(complete)
    denom = pd.Series(base.reindex(pd.MultiIndex.from_frame(frame[group])).to_numpy(), index=frame.index)
    _check_published_pct(path, frame["volume"], denom, frame["coverage_pct"], MOBILE_PCT_TOLERANCE, decimals=3,
                         what="column 'Coverage percentage'", ratio="volume / (At least one + None)",
                         advice="check the row against the original Ofcom file")
    missing = missing_pct | missing_vol
    if missing.any():
        lines = frame.loc[missing, "line"].tolist()
        notice(path, f"{int(missing.sum())} row(s) with an Excel error (#VALUE!), 'null' or blank cell read as missing "
                     f"(line(s) {lines[:5]})")
    measures = sorted({f"{t} {c}" for t, c in zip(frame["technology"], frame["coverage_type"])})
    meta = {
        **_file_meta(path, "mobile_benchmarks"),
        "rows": len(frame), "locations": list(dict.fromkeys(frame["location"])),
        "measures": measures, "count_measures": measures, "rate_measures": measures,
        "missing_lines": frame.loc[missing, "line"].tolist(),
    }
    return OfcomTable(frame[labels + ["coverage_pct", "volume", "line"]], meta)


_VOLUME_KEYS = ("location", "technology", "coverage_type", "mno", "rurality")


def mobile_volume_index(table: OfcomTable) -> dict[tuple, object]:
    """Each row's ``Coverage volume`` keyed by its labels (compared as :func:`header_key`); the first row wins."""
    d = table.data
    index: dict[tuple, object] = {}
    for key, vol in zip(zip(*(d[c].map(header_key) for c in _VOLUME_KEYS)), d["volume"]):
        index.setdefault(key, vol)
    return index


def mobile_volume(table: OfcomTable, location: str, technology: str, coverage_type: str, mno: str,
                  rurality: str = "Total", *, index: dict[tuple, object] | None = None) -> int | None:
    """One ``Coverage volume`` (``None`` when missing); a :class:`SchemaError` if the row is absent.

    ``index`` is :func:`mobile_volume_index` of ``table`` when the caller looks up several figures.
    """
    index = mobile_volume_index(table) if index is None else index
    key = tuple(header_key(x) for x in (location, technology, coverage_type, mno, rurality))
    if key not in index:
        d = table.data
        raise SchemaError(
            f"{table.meta['file']}: no row for {location}, {technology}, {coverage_type}, {rurality}, MNO {mno}; "
            f"the file has locations {sorted(d['location'].unique())} and technologies {sorted(d['technology'].unique())}"
        )
    v = index[key]
    return None if pd.isna(v) else int(v)


def mobile_benchmark_counts(table: OfcomTable, location: str = "England", rurality: str = "Total") -> dict[str, int | None]:
    """The counts behind the mobile not-spot indicators for one location.

    Keys follow the local-authority estimates in :mod:`mapper.join.companion_counts`,
    but these are Ofcom's published volumes, not estimates:

    * ``mobile_premises``: premises in the 4G indoor figures (``At least one`` + ``None``);
    * ``no_indoor_4g``: 4G, Premises (Indoor), ``None``;
    * ``not_all_4g_indoor``: ``mobile_premises`` - 4G, Premises (Indoor), ``All``;
    * ``no_outdoor_5g``: 5G High Confidence, Premises (Outdoor), ``None``
      (its base, ``mobile_premises_5g``, is the same premises count in the July 2025 file);
    * ``land`` and ``no_outdoor_4g_land``: 4G Geographic ``At least one`` + ``None``, and ``None``
      (unit not stated by Ofcom; use only as a share).
    """
    index = mobile_volume_index(table)  # the rows keyed once for the figures below

    def v(tech, kind, mno):
        return mobile_volume(table, location, tech, kind, mno, rurality, index=index)

    def add(*xs):
        return None if any(x is None for x in xs) else sum(xs)

    indoor_all, indoor_none = v("4G", "Premises (Indoor)", "All"), v("4G", "Premises (Indoor)", "None")
    premises = add(v("4G", "Premises (Indoor)", "At least one"), indoor_none)
    return {
        "mobile_premises": premises,
        "no_indoor_4g": indoor_none,
        "not_all_4g_indoor": None if premises is None or indoor_all is None else premises - indoor_all,
        "mobile_premises_5g": add(v("5G High Confidence", "Premises (Outdoor)", "At least one"),
                                  v("5G High Confidence", "Premises (Outdoor)", "None")),
        "no_outdoor_5g": v("5G High Confidence", "Premises (Outdoor)", "None"),
        "land": add(v("4G", "Geographic", "At least one"), v("4G", "Geographic", "None")),
        "no_outdoor_4g_land": v("4G", "Geographic", "None"),
    }


def _check_published_pct(path, count: pd.Series, denom: pd.Series, published: pd.Series, tolerance: float, *,
                         decimals: int, what: str, ratio: str, advice: str) -> None:
    """Stop with one line at the first row whose published percentage disagrees with count / denominator."""
    both = count.notna() & published.notna() & denom.notna() & (denom > 0)
    share = count.astype("Float64") / denom.astype("Float64") * 100
    off = both & ((share - published).abs() > tolerance)
    if off.any():
        i = off.to_numpy().nonzero()[0][0]
        raise ValueProblem(f"{path}: line {i + 2}, {what}: {published.iloc[i]:g} but {ratio} "
                           f"= {float(share.iloc[i]):.{decimals}f}%; {advice}")
