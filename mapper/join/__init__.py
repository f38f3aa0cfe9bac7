"""Join stage: audited merges of coverage, boundaries, lookups and classifications.

* :mod:`.audit`: :func:`audited_merge` and the :class:`Audit` every join reports to;
  codes from names for releases without codes.
* :mod:`.deprivation`: IMD 2019 from LSOA 2011 to LSOA 2021, people counts, LSOA
  points in larger areas.
* :mod:`.companion_counts`: non-residential, mobile and take-up counts from Ofcom's
  companion files.
* :mod:`.lsoa`: fetched output-area, postcode and BDUK files to LSOA 2021 and LAD counts.
"""

from .audit import Audit, JoinReport, audited_merge, normalise_name, resolve_codes_by_name
from .deprivation import (
    DEPRIVED_DECILE_MAX,
    IMD_LSOA_COUNT,
    PEOPLE_COUNTS,
    aggregate_people,
    deprivation_counts,
    lsoa21_deprivation,
    lsoa_points_in_areas,
    rank_to_decile,
)

__all__ = [
    "DEPRIVED_DECILE_MAX",
    "IMD_LSOA_COUNT",
    "PEOPLE_COUNTS",
    "Audit",
    "JoinReport",
    "aggregate_people",
    "audited_merge",
    "deprivation_counts",
    "lsoa21_deprivation",
    "lsoa_points_in_areas",
    "normalise_name",
    "rank_to_decile",
    "resolve_codes_by_name",
]
