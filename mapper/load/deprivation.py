"""English Indices of Deprivation 2025 (MHCLG) on LSOA 2021: the need layer.

Two readers, both through :func:`mapper.load.tables.read_table` (columns by
name, through the ``iod2025`` and ``iod2025_subdomains`` schemas in
``table_schemas.yaml``):

* :func:`read_iod2025`: the IMD and its seven domains (decile, rank and score
  of each), File 7 headings.
* :func:`read_iod2025_subdomains`: the six sub-domains (children and young
  people, adult skills, geographical barriers, wider barriers, indoors,
  outdoors). ``geographical_barriers`` is road distance to services, the
  sub-domain closest to rural connectivity.

**There are no population denominators in IoD 2025 as shipped here** (the
source package drops File 7's population columns), so, unlike IoD 2019 File 6,
nothing here can be turned into a count of people. Deciles and ranks are
positions among all 33,755 LSOAs in England (1 = most deprived); they are
ordinal labels of an area, never summed or averaged across areas. An analysis
that needs "people in the most deprived LSOAs" must bring its own LSOA21
population (e.g. ONS mid-year estimates).

Checks (each failure is one :class:`~mapper.errors.ValueProblem` naming the
file, line and column): every LSOA code appears once; deciles are whole
numbers 1-10; ranks are whole numbers 1-33,755; each decile agrees with its
rank (decile = ceil(rank x 10 / 33,755), which holds for every LSOA and every
domain in the published release). A blank cell stays missing and is reported
as a notice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ValueProblem
from .csvfile import header_key, read_rows
from .notices import notice
from .tables import read_table, schemas

#: LSOA 2021 in England: the population that IoD 2025 ranks and deciles are positions in.
IOD2025_LSOAS = 33_755

DOMAINS = ("imd", "income", "employment", "education", "health", "crime", "barriers", "living_environment")
SUBDOMAINS = ("children_young_people", "adult_skills", "geographical_barriers", "wider_barriers", "indoors", "outdoors")


def read_iod2025(path: str | Path) -> pd.DataFrame:
    """IoD 2025 File 7, IMD and domains: one row per LSOA21.

    Columns: ``lsoa21_code`` and, for each of :data:`DOMAINS`, ``<domain>_decile``,
    ``<domain>_rank`` (nullable integers; 1 = most deprived) and ``<domain>_score``
    (float; income and employment scores are rates, the others are scores on
    their own scales, some negative). No population columns: IoD 2025 here has
    no population denominators.
    """
    return _read(path, "iod2025", DOMAINS)


def read_iod2025_subdomains(path: str | Path) -> pd.DataFrame:
    """IoD 2025 File 7 sub-domains: ``lsoa21_code`` and ``<sub-domain>_score/_rank/_decile``
    for each of :data:`SUBDOMAINS`. No population denominators (see the module notes)."""
    return _read(path, "iod2025_subdomains", SUBDOMAINS)


def _read(path: str | Path, schema: str, groups: tuple[str, ...]) -> pd.DataFrame:
    path = Path(path)
    frame = read_table(path, schema, key="lsoa21_code")
    blank: dict[str, int] = {}
    for group in groups:
        rank, decile = f"{group}_rank", f"{group}_decile"
        for col, low, high in ((rank, 1, IOD2025_LSOAS), (decile, 1, 10)):
            values = frame[col]
            bad = values.notna() & ((values < low) | (values > high) | (values != values.round()))
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueProblem(
                    f"{path}: line {i + 2}, column '{_heading(path, schema, col)}': {values.iloc[i]:g} is not a whole "
                    "number from "
                    f"{low} to {high:,}; IoD 2025 {'deciles' if col == decile else 'ranks'} run {low}-{high:,} "
                    "(check the file is the LSOA 2021 IoD 2025, not an older release)"
                )
        both = frame[rank].notna() & frame[decile].notna()
        expected = np.ceil(frame[rank] * 10 / IOD2025_LSOAS)
        wrong = both & (expected != frame[decile])
        if wrong.any():
            i = int(np.flatnonzero(wrong.to_numpy())[0])
            raise ValueProblem(
                f"{path}: line {i + 2}: '{_heading(path, schema, decile)}' is {int(frame[decile].iloc[i])} but rank "
                f"{int(frame[rank].iloc[i]):,} of {IOD2025_LSOAS:,} is decile {int(expected.iloc[i])}; "
                "the columns are shifted or from different releases: export them again from File 7"
            )
        for col in (rank, decile, f"{group}_score"):
            n = int(frame[col].isna().sum())
            if n:
                blank[col] = n
        frame[rank] = frame[rank].round().astype("Int64")
        frame[decile] = frame[decile].round().astype("Int64")
    if blank:
        notice(path, f"{sum(blank.values())} blank or suppressed cell(s) read as missing: {blank}")
    frame.attrs["source"] = str(path)
    frame.attrs["population_denominators"] = False
    return frame


def _heading(path: Path, schema: str, canonical: str) -> str:
    """The heading this file uses for ``canonical`` (read again only to word an error)."""
    normed = {header_key(h): h for h in read_rows(path).header}
    spellings = schemas()[schema]["columns"][canonical]
    return next((normed[header_key(s)] for s in spellings if header_key(s) in normed), canonical)
