"""The indicator registry: every need indicator is a share built from two counts.

Every indicator is a **share built from counts**: a numerator count and a
denominator count, both extensive (they add up across areas), and the share
``numerator / denominator`` is intensive (it never adds up or averages; for a
larger area, sum the counts and divide again). Functions here take a frame and
return a new one; they never change their input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .._io import load_yaml
from ..errors import ConfigError

if TYPE_CHECKING:  # pandas is imported where frames are made, not here: the registry stays light
    import pandas as pd

@dataclass(frozen=True)
class Indicator:
    """A need indicator: numerator / denominator, both counts."""

    name: str
    label: str
    numerator_label: str
    formula: str
    denominator: str
    unit: str
    requires: tuple[str, ...]
    numerator: Callable[[pd.DataFrame], pd.Series]
    source: str
    derived: bool = False  # numerator is an estimate from published percentages, not a published count
    #: For estimates: the step of the published percentage behind them, in percentage points (0.01 for
    #: two decimals, 1 for whole percent); the numerator is then uncertain by +/- denominator x step / 200.
    pct_step: float = 0.0


def _col(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: d[name].astype("Float64")


def _without(have: str, total: str = "premises") -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: d[total].astype("Float64") - d[have].astype("Float64")


OFCOM = "Ofcom Connected Nations fixed coverage"
OFCOM_NONRES = "Ofcom Connected Nations fixed coverage, all premises minus residential premises"
OFCOM_MOBILE = "Ofcom Connected Nations mobile coverage by local authority"
OFCOM_TAKEUP = "Ofcom Connected Nations full-fibre take-up and fixed coverage"
BDUK = "BDUK premises in plans (Project Gigabit), fetched with make fetch"
IMD = "English Indices of Deprivation 2019 (MHCLG), brought to LSOA 2021"
IMD2025 = "English Indices of Deprivation 2025 (MHCLG), LSOA 2021"

def _premises(name: str) -> Indicator:
    """An Ofcom fixed-coverage indicator over all premises, as ``ofcom_indicators.yaml`` defines it: the premises
    counted in ``count``, or (``lacking: true``) the premises *without* what ``count`` counts."""
    spec = _fixed_specs()["premises"][name]
    count = spec["count"]
    numerator = _without(count) if spec["lacking"] else _col(count)
    return Indicator(name, spec["label"], spec["numerator_label"], spec["formula"], "premises", "premises",
                     ("premises", count), numerator, OFCOM)


@lru_cache(maxsize=1)
def _fixed_specs() -> dict:

    return load_yaml(Path(__file__).with_name("ofcom_indicators.yaml").read_text("utf-8"))


def _mobile(name: str) -> Indicator:
    """An Ofcom mobile not-spot indicator, as ``ofcom_indicators.yaml`` defines it: a derived estimate (published
    percentage x premises or land cells, so uncertain by the 0.01 point step of the percentage)."""
    spec = _fixed_specs()["mobile"][name]
    den, unit = ("mobile_land_cells", "landmass cells") if spec["land"] else ("mobile_premises", "premises")
    return Indicator(name, spec["label"], spec["numerator_label"], spec["formula"], den, unit, (den, spec["count"]),
                     _col(spec["count"]), OFCOM_MOBILE, derived=True, pct_step=0.01)


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        _premises("no_gigabit"),
        _premises("below_uso"),
        _premises("unable_30"),
        _premises("unable_10"),
        Indicator("fwa_reliance", "Premises relying on fixed wireless for decent broadband (lower-bound estimate)",
                  "premises relying on fixed wireless (est.)",
                  "max(0, Number of premises unable to receive 10Mbit/s - Number of premises below the USO) / All Premises: "
                  "premises with no decent fixed-line service that still reach the USO, i.e. through fixed wireless",
                  "premises", "premises", ("premises", "unable_10_n", "below_uso_n"),
                  lambda d: (d["unable_10_n"].astype("Float64") - d["below_uso_n"].astype("Float64")).clip(lower=0),
                  OFCOM, derived=True),
        _premises("no_full_fibre"),
        _premises("no_superfast"),
        Indicator("bduk_residual", "Premises with no gigabit and no funded plan (BDUK residual gap)",
                  "premises with no gigabit, no commercial plan and no Project Gigabit contract",
                  "BDUK premises with current_gigabit false, future_gigabit false and bduk_gis false / BDUK premises",
                  "bduk_premises_n", "premises", ("bduk_premises_n", "bduk_residual_n"), _col("bduk_residual_n"), BDUK),
        Indicator("deprived_lsoas", "Neighbourhoods in the 20% most deprived in England (IoD 2025)",
                  "neighbourhoods (LSOAs) in IMD 2025 deciles 1-2",
                  "LSOAs (2021) in IMD 2025 deciles 1-2 / LSOAs (2021) in the area. IoD 2025 publishes no population "
                  "in the files shipped, so neighbourhoods are counted (each LSOA holds 1,000-3,000 residents)",
                  "imd2025_lsoas", "neighbourhoods (LSOAs)", ("imd2025_lsoas", "deprived_lsoas_n"), _col("deprived_lsoas_n"),
                  IMD2025),
        Indicator("education_deprived_lsoas", "Neighbourhoods in the 20% most education-deprived in England (IoD 2025)",
                  "neighbourhoods (LSOAs) in Education, Skills and Training deciles 1-2 (IoD 2025)",
                  "LSOAs (2021) in Education, Skills and Training deciles 1-2 (IoD 2025) / LSOAs (2021) in the area",
                  "imd2025_lsoas", "neighbourhoods (LSOAs)", ("imd2025_lsoas", "education_deprived_lsoas_n"),
                  _col("education_deprived_lsoas_n"), IMD2025),
        Indicator("barriers_deprived_lsoas",
                  "Neighbourhoods in the 20% most deprived for barriers to housing and services (IoD 2025)",
                  "neighbourhoods (LSOAs) in Barriers to Housing and Services deciles 1-2 (IoD 2025)",
                  "LSOAs (2021) in Barriers to Housing and Services deciles 1-2 (IoD 2025; the domain includes road "
                  "distance to services) / LSOAs (2021) in the area",
                  "imd2025_lsoas", "neighbourhoods (LSOAs)", ("imd2025_lsoas", "barriers_deprived_lsoas_n"),
                  _col("barriers_deprived_lsoas_n"), IMD2025),
        Indicator("deprived_population", "People in the 20% most deprived LSOAs (IoD 2019, mid-2015 population)",
                  "people in IMD 2019 deciles 1-2", "population of LSOAs in IMD 2019 deciles 1-2 / population (mid-2015)",
                  "population", "people", ("population", "deprived_population"), _col("deprived_population"), IMD),
        Indicator("education_deprived", "People in the 20% most education-deprived LSOAs (IoD 2019, mid-2015 population)",
                  "people in Education, Skills and Training deciles 1-2 (IoD 2019)",
                  "population of LSOAs in Education, Skills and Training deciles 1-2 (IoD 2019) / population (mid-2015)",
                  "population", "people", ("population", "education_deprived_population"),
                  _col("education_deprived_population"), IMD),
        Indicator("older_population", "People aged 60 and over (mid-2015)", "people aged 60+ (mid-2015)",
                  "Older population aged 60 and over / total population (mid-2015, IoD 2019 File 6)",
                  "population", "people", ("population", "population_60_plus"), _col("population_60_plus"), IMD),
        Indicator("nonres_no_gigabit", "Non-residential premises without gigabit", "non-residential premises without gigabit",
                  "(non-residential premises - non-residential premises with gigabit) / non-residential premises, "
                  "where non-residential = all-premises file - residential file",
                  "nonres_premises", "non-residential premises", ("nonres_premises", "nonres_gigabit_n"),
                  _without("nonres_gigabit_n", "nonres_premises"), OFCOM_NONRES),
        Indicator("nonres_below_uso", "Non-residential premises below the USO", "non-residential premises below the USO",
                  "non-residential premises below the USO / non-residential premises",
                  "nonres_premises", "non-residential premises", ("nonres_premises", "nonres_below_uso_n"),
                  _col("nonres_below_uso_n"), OFCOM_NONRES),
        Indicator("nonres_unable_30", "Non-residential premises unable to get 30 Mbit/s",
                  "non-residential premises unable to get 30 Mbit/s",
                  "non-residential premises unable to receive 30Mbit/s / non-residential premises",
                  "nonres_premises", "non-residential premises", ("nonres_premises", "nonres_unable_30_n"),
                  _col("nonres_unable_30_n"), OFCOM_NONRES),
        _mobile("no_indoor_4g"),
        _mobile("partial_indoor_4g"),
        _mobile("no_outdoor_4g_land"),
        _mobile("no_outdoor_5g"),
        Indicator("ff_low_takeup", "Premises with full fibre available that do not take a full-fibre service (estimate)",
                  "full-fibre premises not taking a full-fibre service (est.; they may use cable or copper)",
                  "Number of premises with Full Fibre availability x (1 - take-up % of full-fibre coverage / 100), "
                  "over premises with full fibre. Ofcom publishes take-up of full fibre only: these premises may "
                  "take gigabit cable or a copper service, so this is adoption of full fibre, not being offline",
                  "full_fibre_n", "premises with full fibre", ("full_fibre_n", "ff_not_taken_up_est"),
                  _col("ff_not_taken_up_est"), OFCOM_TAKEUP, derived=True, pct_step=1.0),
    )
}


def available_indicators(frame: pd.DataFrame, registry: dict[str, Indicator] | None = None) -> list[str]:
    """Indicators whose input columns the frame has, in registry order."""
    return [n for n, ind in (registry or INDICATORS).items() if all(c in frame.columns for c in ind.requires)]


def present_indicators(frame: pd.DataFrame, registry: dict[str, Indicator] | None = None) -> list[str]:
    """Indicators whose ``_num``, ``_den`` and ``_share`` columns the frame already carries, in registry order.

    The pipeline computes every available indicator once per level
    (:func:`compute_indicators`); the tables, maps and pack read these columns.
    """
    return [n for n in (registry or INDICATORS) if all(f"{n}{s}" in frame.columns for s in INDICATOR_SUFFIXES)]


#: The three columns of every indicator: numerator count, denominator count, share (0-1).
INDICATOR_SUFFIXES = ("_num", "_den", "_share")


def compute_indicators(frame: pd.DataFrame, names: list[str] | tuple[str, ...], *, source_label: str = "input",
                       registry: dict[str, Indicator] | None = None) -> pd.DataFrame:
    """Return a copy of ``frame`` with ``<ind>_num``, ``<ind>_den`` and ``<ind>_share`` per indicator.

    Shares are missing where the denominator is 0 or missing, never 0.
    Indicators whose three columns the frame already has are kept as they are
    (the pipeline computes each level's indicators once; stages that also work
    on their own, such as scoring and diagnosis, call this and get them free).
    ``registry`` defaults to :data:`INDICATORS`; ``make bench`` passes an
    extended mapping to score measures that are not part of the product.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"premises": [100, 50], "gigabit_n": [80, 50]})
    >>> compute_indicators(df, ["no_gigabit"])["no_gigabit_share"].tolist()
    [0.2, 0.0]
    """
    out = frame.copy()
    done = set(present_indicators(out, registry))
    for name in names:
        if name in done:
            continue
        ind = (registry or INDICATORS)[name]
        missing = [c for c in ind.requires if c not in out.columns]
        if missing:
            raise ConfigError(
                f"indicator '{name}' needs column(s) {missing}, which {source_label} does not have; "
                "remove it from score.indicators or use a release that publishes it"
            )
        num = ind.numerator(out)
        den = out[ind.denominator].astype("Float64")
        out[f"{name}_num"] = num
        out[f"{name}_den"] = den
        share = (num / den.where(den > 0)).astype("float64")
        out[f"{name}_share"] = share
    return out


def totals(frame: pd.DataFrame, count_cols: list[str], *, by: str | None, label: str = "All areas") -> pd.DataFrame:
    """Sum counts per group (and overall), then recompute every share from the sums.

    Returns one row per group plus a final ``label`` row for the whole frame.
    Shares are never averaged: ``<ind>_share = sum(<ind>_num) / sum(<ind>_den)``.
    """
    import pandas as pd

    pieces = []
    if by is not None:
        grouped = frame.groupby(by, sort=True)[count_cols].sum(min_count=1).reset_index().rename(columns={by: "area"})
        pieces.append(grouped)
    overall = frame[count_cols].sum(min_count=1).to_frame().T
    overall.insert(0, "area", label)
    pieces.append(overall)
    out = pd.concat(pieces, ignore_index=True)
    for c in count_cols:
        if c.endswith("_num"):
            name = c.removesuffix("_num")
            den = out[f"{name}_den"].astype("float64")
            out[f"{name}_share"] = out[c].astype("float64") / den.where(den > 0)
    return out
