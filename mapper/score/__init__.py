"""Score stage: indicators, the composite score, rank stability, diagnosis and change over time.

* :mod:`.indicators`: the registry (each indicator a numerator count over a denominator
  count), computing shares, totals that sum counts before dividing.
* :mod:`.composite`: normalisation, weighted score, ranks and tiers within a frame.
* :mod:`.stability`: Monte Carlo rank stability.
* :mod:`.diagnosis`: infrastructure / inclusion sub-indices and funding routes.
* :mod:`.change`: comparing two releases of one level (counts).
"""

from .composite import FRAME_LABELS, INSUFFICIENT, assign_tiers, composite, normalise, score_areas
from .indicators import (
    BDUK, IMD, INDICATORS, OFCOM, OFCOM_MOBILE, OFCOM_NONRES, OFCOM_TAKEUP, Indicator, available_indicators,
    compute_indicators, present_indicators, totals,
)

__all__ = [
    "FRAME_LABELS", "INSUFFICIENT", "assign_tiers", "composite", "normalise", "score_areas", "BDUK", "IMD",
    "INDICATORS", "OFCOM", "OFCOM_MOBILE", "OFCOM_NONRES", "OFCOM_TAKEUP", "Indicator", "available_indicators",
    "compute_indicators", "present_indicators", "totals",
]
