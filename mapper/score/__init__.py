"""Score stage: indicators, the composite score, rank stability, diagnosis and change over time.

* :mod:`.indicators`: the registry (each indicator a numerator count over a denominator
  count), computing shares, totals that sum counts before dividing.
* :mod:`.classify`: class breaks by name (quantiles, natural breaks) for tiers and legends.
* :mod:`.composite`: normalisation, weighted score, ranks and tiers within a frame.
* :mod:`.stability`: Monte Carlo rank stability.
* :mod:`.diagnosis`: infrastructure / inclusion sub-indices and funding routes.
* :mod:`.change`: comparing two releases of one level (counts).

Names below are imported from their module on first use, so ``import mapper.score.indicators``
(the registry, which the config check needs) does not pull in NumPy and pandas.
"""

import importlib

_LAZY = {
    **dict.fromkeys(("FRAME_LABELS", "INSUFFICIENT", "assign_tiers", "composite", "normalise", "normalise_matrix",
                     "score_areas"), "composite"),
    **dict.fromkeys(("BDUK", "IMD", "INDICATORS", "OFCOM", "OFCOM_MOBILE", "OFCOM_NONRES", "OFCOM_TAKEUP", "Indicator",
                     "available_indicators", "compute_indicators", "present_indicators", "totals"), "indicators"),
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
