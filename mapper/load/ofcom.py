"""One loader for every Ofcom Connected Nations file this project reads.

:func:`load_ofcom` detects, from the file itself,

* the **product**: fixed broadband coverage, full-fibre take-up, mobile
  coverage by local authority, the multi-level 4G/5G mobile summary, or the
  long-format UK and nations benchmarks (read by :mod:`mapper.load.national`);
* the **level**: ``output_area``, ``postcode``, ``laua`` (local authority) or
  ``parl_const`` (Westminster constituency, including the 2019 release that has
  names but no codes);
* the **variant** (``all`` or ``residential`` premises) and the **release**
  (``YYYYMM`` and revision) from the file name;
* the text encoding (UTF-8, UTF-8 with BOM, cp1252) and line ends.

Headers are mapped to canonical names through ``ofcom_aliases.yaml``; columns
are read by name, never by position. Counts stay counts (``*_n``, nullable
integers); rates stay rates (``*_pct``). Postcode files carry only rates and are
flagged ``rates_only`` so that nothing sums them. Suppressed or blank cells
become missing and are counted per column in ``meta["suppressed"]``.

Anything the loader read correctly but a person should know about (suppressed
cells, thousands separators, unknown columns, HTML-like names, empty trailing
columns from a spreadsheet) is also recorded as a one-line notice in
:mod:`mapper.load.notices`. Anything that would make a number wrong (a renamed
measure column, counts above the premises total, percentages outside 0-100, a
header with no rows, a truncated row, a 10,000-character name) raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import load_yaml
from ..errors import SchemaError, ValueProblem
from .csvfile import first_line, header_key, read_rows
from .notices import notice
from .values import parse_numeric, text_problems, thousands_cells

PCT_TOLERANCE = 0.05  # Ofcom rounds percentages to 1 or 2 decimals

_MOBILE_GROUP = re.compile(
    r"^(?P<group>(2G|3G|4G|Voice|5G(_SA)?_(high|very_high)_confidence)_(prem|geo|abrd|mway|mway_ard)_(in|out))_(?P<ops>\d)$",
    re.IGNORECASE,
)
_MOBILE_COUNTS = ("prem_count", "pixel_count", "ab_rd_count", "mway_count", "mway_ard_count")
_4G5G = re.compile(r"^4G5G_(105|95)_(prem|geo)_out_(at_least_one|all)$", re.IGNORECASE)
#: Unknown headers that look like a coverage measure (a renamed column, not a notes column).
_MEASURE_LIKE = re.compile(r"%|premises|availab|mbit|gigabit|fibre|broadband|\bcount\b|number of|take-?up", re.IGNORECASE)
#: Longest area name accepted (the longest real one is under 60 characters).
MAX_NAME_LENGTH = 200


@lru_cache(maxsize=1)
def aliases() -> dict:
    """The alias table from ``ofcom_aliases.yaml`` (parsed once)."""
    text = resources.files(__package__).joinpath("ofcom_aliases.yaml").read_text("utf-8")
    return load_yaml(text)


@lru_cache(maxsize=1)
def _header_index() -> dict[str, str]:
    """Normalised header spelling -> canonical column name."""
    table = aliases()
    index: dict[str, str] = {}
    for canonical, spellings in table["premises"].items():
        for s in spellings:
            index[header_key(s)] = canonical
    for group in ("fixed_measures", "takeup_measures"):
        for measure, spec in table[group].items():
            for kind in ("pct", "n"):
                for s in spec.get(kind, []):
                    index[header_key(s)] = f"{measure}_{kind}"
    return index


@dataclass
class OfcomTable:
    """A loaded Ofcom file: a tidy frame plus what was learnt about the file."""

    data: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def level(self) -> str:
        return self.meta["level"]


def parse_file_name(name: str) -> dict:
    """Release, revision and variant from an Ofcom file name.

    >>> parse_file_name("202209_fixed_pcon_res_coverage_r02.csv")
    {'release': '202209', 'release_date': '2022-09', 'revision': 'r02', 'variant': 'residential'}
    """
    stem = Path(name).stem
    match = re.match(r"^((?:19|20)\d{2})(0[1-9]|1[0-2])(?=_|$)", stem)
    release = f"{match.group(1)}{match.group(2)}" if match else None
    rev = re.search(r"_r(\d+)(?=_|$)", stem)
    tokens = stem.lower().split("_")
    return {
        "release": release,
        "release_date": f"{release[:4]}-{release[4:]}" if release else None,
        "revision": f"r{int(rev.group(1)):02d}" if rev else None,
        "variant": "residential" if ("res" in tokens or "residential" in tokens) else "all",
    }


def _detect_identifiers(header: list[str]) -> tuple[str | None, str | None, str | None, list[str]]:
    """Return (level, code column, name column, other identifier columns)."""
    normed = {header_key(h): h for h in header}
    ids = aliases()["identifiers"]
    for level in ("laua", "parl_const", "output_area", "postcode"):
        spec = ids[level]
        code = next((normed[header_key(s)] for s in spec["code"] if header_key(s) in normed), None)
        name = next((normed[header_key(s)] for s in spec["name"] if header_key(s) in normed), None)
        extra = [normed[header_key(s)] for s in spec.get("extra", []) if header_key(s) in normed]
        if code:
            return level, code, name, [c for c in extra if c not in (code, name)]
        if level == "parl_const" and name:
            return level, None, name, []  # the 2019 release: names only
    return None, None, None, []


def load_ofcom(path: str | Path) -> OfcomTable:
    """Load any Ofcom Connected Nations CSV this project knows.

    Raises :class:`SchemaError` naming the file and the missing columns when the
    layout is unknown, and :class:`ValueProblem` for impossible values.
    """
    path = Path(path)
    rows = read_rows(path)
    header, body, encoding, line_ends = rows.header, rows.body, rows.encoding, rows.line_ends
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise SchemaError(f"{path}: duplicated column(s) {dupes}; remove the repeats and try again")
    meta = {"file": path.name, "encoding": encoding, "line_ends": line_ends, **parse_file_name(path.name)}
    raw = pd.DataFrame(body, columns=header, dtype="string")

    normed = {header_key(h) for h in header}
    if {"location", "premise type", "rurality", "speed"} <= normed:
        from .national import read_fixed_benchmarks  # UK and nations benchmarks (long format)

        return read_fixed_benchmarks(path)
    if {"location", "technology", "coverage type", "mno"} <= normed:
        from .national import read_mobile_benchmarks

        return read_mobile_benchmarks(path)
    if {"level", "location code"} <= normed and any(_4G5G.match(h) for h in header):
        return _load_4g5g(path, raw, header, meta)
    if any(_MOBILE_GROUP.match(h) for h in header):
        return _load_mobile(path, raw, header, meta)
    return _load_fixed_or_takeup(path, raw, header, meta)


def _identifier_frame(path: Path, raw: pd.DataFrame, header: list[str], meta: dict) -> tuple[pd.DataFrame, list[str]]:
    level, code_col, name_col, extra = _detect_identifiers(header)
    if level is None:
        known = sorted({s for spec in aliases()["identifiers"].values() for s in spec["code"]}
                       | {"parliamentary_constituency_name"})
        raise SchemaError(
            f"{path}: cannot tell the geography: none of the identifier columns {known} is present "
            f"(first columns found: {header[:4]}); is this an Ofcom Connected Nations file? "
            "If so, give its area code column one of those headings"
        )
    out = pd.DataFrame(index=raw.index)
    out["code"] = raw[code_col].str.strip() if code_col else pd.Series(pd.NA, index=raw.index, dtype="string")
    out["name"] = raw[name_col].str.strip() if name_col else pd.Series(pd.NA, index=raw.index, dtype="string")
    if code_col:
        blank = out["code"].fillna("") == ""
        if blank.any():
            line = int(np.flatnonzero(blank.to_numpy())[0]) + 2
            raise SchemaError(f"{path}: line {line}: the area code column '{code_col}' is blank; every row needs a code")
        dup = out["code"].duplicated(keep=False)
        if dup.any():
            codes = sorted(out.loc[dup, "code"].unique())[:5]
            line = int(np.flatnonzero(out["code"].duplicated().to_numpy())[0]) + 2
            raise SchemaError(
                f"{path}: area code(s) {codes} appear more than once in '{code_col}' (first repeat on line {line}); "
                "remove the duplicate rows"
            )
    markup = 0
    if name_col:
        markup = text_problems(out["name"], path=path, column=name_col, max_length=MAX_NAME_LENGTH)
        if markup:
            notice(path, f"{markup} name(s) in '{name_col}' contain '<' or '>' (HTML?); they are shown as plain text")
    meta.update(level=level, code_column=code_col, name_column=name_col, name_only=code_col is None,
                names_with_markup=markup)
    return out, [c for c in (code_col, name_col, *extra) if c]


def _load_fixed_or_takeup(path: Path, raw: pd.DataFrame, header: list[str], meta: dict) -> OfcomTable:
    out, id_cols = _identifier_frame(path, raw, header, meta)
    index = _header_index()
    mapped: dict[str, str] = {}
    unmapped: list[str] = []
    for h in header:
        if h in id_cols:
            continue
        canonical = index.get(header_key(h))
        if canonical is None:
            unmapped.append(h)
        elif canonical in mapped:
            raise SchemaError(f"{path}: columns '{mapped[canonical]}' and '{h}' are both {canonical}; keep one")
        else:
            mapped[canonical] = h

    takeup = aliases()["takeup_measures"]
    is_takeup = any(c.removesuffix("_pct") in takeup for c in mapped)
    product = "full_fibre_takeup" if is_takeup else "fixed_coverage"
    if not mapped:
        raise SchemaError(
            f"{path}: no known Ofcom measure columns found (unrecognised: {unmapped[:6]}...); "
            "add the new spellings to mapper/load/ofcom_aliases.yaml"
        )
    needs_premises = product == "fixed_coverage" and meta["level"] != "postcode"
    missing = [s for s in ("premises",) if needs_premises and s not in mapped]
    if missing:
        raise SchemaError(
            f"{path}: missing required column(s) {['All Premises' for _ in missing]} for a {meta['level']} coverage file; "
            "counts cannot be aggregated without the premises total: restore the column from the original Ofcom file"
        )
    _check_renamed_measures(path, mapped, unmapped)
    for measure, target in (aliases().get("release_overrides", {}).get(meta.get("release") or "", {}) or {}).items():
        for kind in ("pct", "n"):
            if f"{measure}_{kind}" in mapped:
                mapped[f"{target}_{kind}"] = mapped.pop(f"{measure}_{kind}")
        meta.setdefault("release_overrides", {})[measure] = target

    suppressed: dict[str, int] = {}
    thousands: dict[str, int] = {}
    for canonical in sorted(mapped, key=lambda c: header.index(mapped[c])):
        col = mapped[canonical]
        values, supp = parse_numeric(raw[col], path=path, column=col)
        if supp.any():
            suppressed[canonical] = int(supp.sum())
        n_thousands = thousands_cells(raw[col])
        if n_thousands:
            thousands[canonical] = n_thousands
        out[canonical] = values
    if suppressed:
        notice(path, f"{sum(suppressed.values())} suppressed or blank cell(s) read as missing: {suppressed}")
    if thousands:
        notice(path, f"{sum(thousands.values())} number(s) written with thousands separators were read as plain numbers")
    if unmapped:
        notice(path, f"ignored {len(unmapped)} column(s) with headings this tool does not know: {unmapped[:6]}")

    count_cols = [c for c in out.columns if c.endswith("_n") or c in ("premises", "matched_premises")]
    pct_cols = [c for c in out.columns if c.endswith("_pct")]
    _check_values(path, out, count_cols, pct_cols, mapped)
    for c in count_cols:
        out[c] = out[c].round().astype("Int64")

    measures = sorted({c.rsplit("_", 1)[0] for c in count_cols + pct_cols if c not in ("premises", "matched_premises")})
    meta.update(
        product=product,
        rows=len(out),
        premises=int(out["premises"].sum()) if "premises" in out else None,
        measures=measures,
        count_measures=sorted(c.removesuffix("_n") for c in count_cols if c.endswith("_n")),
        rate_measures=sorted(c.removesuffix("_pct") for c in pct_cols),
        rates_only=not any(c.endswith("_n") for c in count_cols),
        columns={c: mapped[c] for c in sorted(mapped)},
        unmapped_columns=unmapped,
        suppressed=suppressed,
        thousands_separators=thousands,
    )
    return OfcomTable(out, meta)


def _check_renamed_measures(path: Path, mapped: dict[str, str], unmapped: list[str]) -> None:
    """Stop when an unknown, measure-like heading sits beside a measure that lost its count or its %.

    That pattern is a renamed column (an edited export or a new release's
    spelling). Reading on would silently drop the measure, so the user is told
    which heading to add to the alias table. An unknown column with no such
    gap (a notes column, a measure this tool does not use) is only reported.
    """
    suspicious = [h for h in unmapped if _MEASURE_LIKE.search(h)]
    if not suspicious:
        return
    both = [m for m, spec in aliases()["fixed_measures"].items() if spec.get("pct") and spec.get("n")]
    half = [m for m in both if (f"{m}_n" in mapped) != (f"{m}_pct" in mapped)]
    if not any(c.endswith("_n") for c in mapped):
        return  # a rates-only file (postcode level): no count/percentage pairs to compare
    if half:
        gaps = [f"{m} has no {'percentage' if f'{m}_n' in mapped else 'count'} column" for m in half]
        raise SchemaError(
            f"{path}: column(s) {suspicious[:3]} are not known Ofcom headings and {'; '.join(gaps[:3])}; "
            "if a column was renamed, restore its Ofcom heading or add the new spelling to "
            "mapper/load/ofcom_aliases.yaml (fixed_measures.<measure>.pct or .n)"
        )


#: More premises than any area of the UK could hold (the whole UK has about 32 million): a broken cell.
MAX_AREA_PREMISES = 50_000_000


def _check_values(path: Path, df: pd.DataFrame, count_cols: list[str], pct_cols: list[str], mapped: dict[str, str]) -> None:
    problems: list[str] = []
    for c in count_cols:
        huge = df[c] > MAX_AREA_PREMISES
        if huge.any():
            v = float(df[c][huge].iloc[0])
            problems.append(f"line {first_line(huge)}, column '{mapped[c]}': {v:,.0f} premises" if v < 1e12 else
                            f"line {first_line(huge)}, column '{mapped[c]}': {v:.3g} premises")
            problems[-1] += " is more than any area can hold (the UK has about 32 million)"
            continue
        neg = df[c] < 0
        if neg.any():
            problems.append(f"line {first_line(neg)}, column '{mapped[c]}': negative count")
        frac = (df[c] - df[c].round()).abs() > 1e-9
        if frac.any():
            problems.append(f"line {first_line(frac)}, column '{mapped[c]}': a premises count must be a whole number")
        if c != "premises" and "premises" in df:
            over = df[c] > df["premises"]
            if over.any():
                problems.append(f"line {first_line(over)}, column '{mapped[c]}': count is larger than All Premises")
    for c in pct_cols:
        out_of_range = (df[c] < -PCT_TOLERANCE) | (df[c] > 100 + PCT_TOLERANCE)
        if out_of_range.any():
            problems.append(f"line {first_line(out_of_range)}, column '{mapped[c]}': percentage outside 0-100")
    if problems:
        raise ValueProblem(
            f"{path}: " + "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
            + "; these values cannot be right: check the cells against the original Ofcom file"
        )


def _load_mobile(path: Path, raw: pd.DataFrame, header: list[str], meta: dict) -> OfcomTable:
    """Mobile coverage by local authority: % of premises/landmass/roads by number of operators.

    Within each ``<tech>_<what>_<in|out>`` group the ``_0`` ... ``_4`` shares sum
    to 100. A blank cell inside a group that has other values means 0 %; a group
    that is blank in every column does not apply to that area (no motorway) and
    stays missing.
    """
    out, id_cols = _identifier_frame(path, raw, header, meta)
    groups: dict[str, list[str]] = {}
    unmapped: list[str] = []
    counts: list[str] = []
    for h in header:
        if h in id_cols:
            continue
        m = _MOBILE_GROUP.match(h)
        if m:
            groups.setdefault(m.group("group"), []).append(h)
        elif header_key(h) in _MOBILE_COUNTS:
            counts.append(h)
        else:
            unmapped.append(h)
    for h in counts:
        values, _ = parse_numeric(raw[h], path=path, column=h)
        out[header_key(h)] = values.round().astype("Int64")
    blank_cells_filled = 0
    groups_not_applicable = 0
    shares: dict[str, pd.Series] = {}
    for group, cols in groups.items():
        block = pd.DataFrame({c: parse_numeric(raw[c], path=path, column=c)[0] for c in cols})
        all_blank = block.isna().all(axis=1)
        filled = block.isna() & ~all_blank.to_numpy()[:, None]
        blank_cells_filled += int(filled.to_numpy().sum())
        groups_not_applicable += int(all_blank.sum())
        block = block.mask(filled, 0.0)
        total = block.sum(axis=1, min_count=1)
        bad = (~all_blank) & ((total - 100).abs() > 0.1)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueProblem(
                f"{path}: line {i + 2} ({out['name'].iloc[i]}), group '{group}': shares sum to {total.iloc[i]:.2f}, "
                "not 100 (±0.1); check the row was not truncated or edited"
            )
        for c in cols:
            shares[f"{c}_pct"] = block[c]
    out = pd.concat([out, pd.DataFrame(shares, index=out.index)], axis=1)
    meta.update(
        product="mobile_coverage",
        rows=len(out),
        premises=int(out["prem_count"].sum()) if "prem_count" in out else None,
        measures=sorted(groups),
        count_measures=sorted(header_key(h) for h in counts),
        rate_measures=sorted(groups),
        rates_only=True,
        unmapped_columns=unmapped,
        suppressed={},
        blank_handling={
            "blank_cells_in_partly_filled_groups_set_to_0": blank_cells_filled,
            "group_rows_entirely_blank_left_missing": groups_not_applicable,
        },
    )
    return OfcomTable(out, meta)


def _load_4g5g(path: Path, raw: pd.DataFrame, header: list[str], meta: dict) -> OfcomTable:
    """The multi-level 4G+5G summary: keep only its ``Local authority`` rows."""
    normed = {header_key(h): h for h in header}
    level_col, code_col, name_col = normed["level"], normed["location code"], normed.get("location")
    levels = raw[level_col].str.strip()
    found = sorted(levels.unique())
    keep = levels.str.casefold() == "local authority"
    raw = raw.loc[keep].reset_index(drop=True)
    out = pd.DataFrame({"code": raw[code_col].str.strip(), "name": raw[name_col].str.strip() if name_col else pd.NA})
    measures, unmapped = [], []
    for h in header:
        if h in (level_col, code_col, name_col):
            continue
        if _4G5G.match(h):
            out[f"{h}_pct"] = parse_numeric(raw[h], path=path, column=h)[0]
            measures.append(h)
        else:
            unmapped.append(h)
    meta.update(
        product="mobile_4g5g",
        level="laua",
        code_column=code_col,
        name_column=name_col,
        name_only=False,
        levels_found=found,
        rows=len(out),
        premises=None,
        measures=measures,
        count_measures=[],
        rate_measures=measures,
        rates_only=True,
        unmapped_columns=unmapped,
        suppressed={},
    )
    return OfcomTable(out, meta)


def inspect_summary(table: OfcomTable) -> dict:
    """The JSON-ready summary printed by ``python -m mapper inspect``."""
    keys = (
        "file", "product", "level", "variant", "release", "release_date", "revision", "encoding", "line_ends",
        "rows", "premises", "measures", "count_measures", "rate_measures", "rates_only", "name_only",
        "unmapped_columns", "suppressed", "thousands_separators", "names_with_markup",
    )
    summary = {k: table.meta.get(k) for k in keys}
    for extra in ("blank_handling", "levels_found"):
        if extra in table.meta:
            summary[extra] = table.meta[extra]
    return summary
