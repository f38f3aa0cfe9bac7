"""Class breaks by name: one classifier for the priority tiers and the map legends.

A registry of schemes (:data:`SCHEMES`), each ``f(values, k) -> upper bounds``:

* ``quantiles``: equal numbers of values per class. Computed with NumPy exactly as
  ``mapclassify.Quantiles`` does (scipy's ``scoreatpercentile`` at 100/k, 200/k, ...
  100 percent, repeated bounds merged), so importing the tool does not import
  mapclassify, scipy and matplotlib.
* ``natural_breaks``: Fisher-Jenks (``mapclassify.FisherJenks``, imported when used).
* ``natural_breaks_sampled``: Fisher-Jenks on evenly spaced quantiles of a large
  layer (deterministic; for the map legends of thousands of areas).

:func:`classify` puts each value in the class whose bounds hold it: class ``i``
is ``(bounds[i-1], bounds[i]]`` (the first class is everything up to
``bounds[0]``), as mapclassify's ``bin1d``. An unknown scheme name fails with the
list of valid names.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from ..errors import ConfigError


def _score_at_percentile(sorted_values: np.ndarray, per: float) -> float:
    """Linear interpolation between the two nearest ranks ('fraction'), as scipy.stats.scoreatpercentile."""
    idx = per / 100.0 * (len(sorted_values) - 1)
    i = int(idx)
    if i == idx:
        return float(sorted_values[i])
    j = i + 1
    weights = np.array([(j - idx), (idx - i)], float)
    return float(np.add.reduce(sorted_values[i:i + 2] * weights) / weights.sum())


def quantile_bounds(values, k: int) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes (fewer when ties merge bounds); the last bound is the maximum.

    >>> quantile_bounds(np.arange(1000), 4).tolist()
    [249.75, 499.5, 749.25, 999.0]
    >>> quantile_bounds([1, 1, 1, 2], 4).tolist()  # ties: three classes
    [1.0, 1.25, 2.0]
    """
    y = np.sort(np.asarray(values, dtype="float64").ravel())
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    return np.unique(np.array([_score_at_percentile(y, pct) for pct in p]))


def natural_breaks_bounds(values, k: int) -> np.ndarray:
    """Upper bounds of ``k`` Fisher-Jenks classes (mapclassify, imported on first use)."""
    import mapclassify

    with warnings.catch_warnings():  # ties may merge classes; mapclassify warns, callers handle fewer classes
        warnings.simplefilter("ignore", UserWarning)
        return np.asarray(mapclassify.FisherJenks(np.asarray(values, dtype="float64"), k=k).bins, dtype="float64")


#: Most values Fisher-Jenks sees at once in :func:`natural_breaks_sampled_bounds` (its cost grows with n squared).
SAMPLE_SIZE = 400


def natural_breaks_sampled_bounds(values, k: int) -> np.ndarray:
    """Fisher-Jenks on at most :data:`SAMPLE_SIZE` evenly spaced quantiles of ``values`` (deterministic).

    Exact Fisher-Jenks costs minutes on thousands of values (mapclassify without
    numba); the evenly spaced order statistics keep the shape of the distribution,
    with no random sample. The last bound is the maximum, as for every scheme.

    >>> natural_breaks_sampled_bounds(np.r_[np.zeros(1000), np.full(10, 5.0)], 2).tolist()
    [0.0, 5.0]
    """
    x = np.sort(np.asarray(values, dtype="float64").ravel())
    if len(x) > SAMPLE_SIZE:
        x = x[np.round(np.linspace(0, len(x) - 1, SAMPLE_SIZE)).astype(int)]
    out = natural_breaks_bounds(x, k)
    out[-1] = float(np.max(values))
    return out


#: Scheme name -> function (values, k) -> class upper bounds.
SCHEMES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "quantiles": quantile_bounds,
    "natural_breaks": natural_breaks_bounds,
    "natural_breaks_sampled": natural_breaks_sampled_bounds,
}


def bounds(values, k: int, scheme: str = "quantiles") -> np.ndarray:
    """Class upper bounds of ``values`` by ``scheme`` (see :data:`SCHEMES`)."""
    try:
        fn = SCHEMES[scheme]
    except KeyError:
        raise ConfigError(f"unknown classification scheme {scheme!r}; choose one of {', '.join(SCHEMES)}") from None
    return fn(values, k)


def classify(values, upper_bounds) -> np.ndarray:
    """Class index (0 = lowest) of each value: class ``i`` holds ``(bounds[i-1], bounds[i]]``.

    >>> classify([0, 25, 26, 100], [25, 74, 100]).tolist()
    [0, 0, 1, 2]
    """
    return np.searchsorted(np.asarray(upper_bounds, dtype="float64"), np.asarray(values, dtype="float64"), side="left")
