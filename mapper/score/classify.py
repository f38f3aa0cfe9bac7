"""Class breaks by name: one classifier for the priority tiers and the map legends.

A registry of schemes (:data:`SCHEMES`), each ``f(values, k) -> upper bounds``:

* ``quantiles``: equal numbers of values per class. Computed with NumPy exactly as
  ``mapclassify.Quantiles`` does (scipy's ``scoreatpercentile`` at 100/k, 200/k, ...
  100 percent, repeated bounds merged), so importing the tool does not import
  mapclassify, scipy and matplotlib.
* ``natural_breaks``: Fisher-Jenks, the breaks of ``mapclassify.FisherJenks`` computed
  with NumPy (a test compares the two).
* ``natural_breaks_sampled``: Fisher-Jenks on evenly spaced quantiles of a large
  layer (deterministic; for the map legends of thousands of areas).

:func:`classify` puts each value in the class whose bounds hold it: class ``i``
is ``(bounds[i-1], bounds[i]]`` (the first class is everything up to
``bounds[0]``), as mapclassify's ``bin1d``. An unknown scheme name fails with the
list of valid names.
"""

from __future__ import annotations

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


def _fisher_jenks(x: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` Fisher-Jenks classes of the sorted float64 values ``x`` (the last is the maximum).

    The dynamic programme of Fisher (1958) as Jenks used it: for every prefix of
    the sorted values and every number of classes, the least total squared
    deviation within classes. The sums run in float32 with the same order of
    operations and the same tie rule (the lowest class start among equal costs)
    as ``mapclassify.FisherJenks``, so the breaks are the same as mapclassify's
    (a test compares them), with the inner loop over class starts vectorised.
    """
    n = len(x)
    f32 = np.float32
    start = np.zeros((n + 1, k + 1), dtype=np.int64)  # 1-based start of the last class of the best split
    cost = np.zeros((n + 1, k + 1), dtype=f32)
    start[1, 1:] = 1
    cost[2:, 1:] = np.inf
    xs = x.astype(f32)
    for end in range(2, n + 1):
        tail = xs[end - 1::-1]  # the values of the last class, added from its end backwards (m = 1 .. end)
        s1 = np.cumsum(tail, dtype=f32)
        s2 = np.cumsum(tail * tail, dtype=f32)
        w = np.arange(1, end + 1, dtype=f32)
        v = s2 - (s1 * s1) / w  # within-class squared deviation of x[end-m .. end-1], m = 1 .. end
        within = v[:-1]  # last class starts at end, end - 1, .. 2 (1-based): value 1 stays in an earlier class
        before = end - 1 - np.arange(end - 1)  # length of the prefix before the last class
        for j in range(2, k + 1):
            cand = within + cost[before, j - 1]
            # the least cost; among equal costs the lowest start wins (mapclassify's sequential '>=' update)
            i = len(cand) - 1 - int(np.argmin(cand[::-1]))
            start[end, j] = end - i
            cost[end, j] = cand[i]
        start[end, 1] = 1
        cost[end, 1] = v[-1]
    bounds = np.zeros(k + 1, dtype=x.dtype)
    bounds[k] = x[n - 1]
    bounds[0] = x[0]
    row = n
    for c in range(k, 1, -1):
        pivot = int(start[row, c])
        bounds[c - 1] = x[pivot - 2]
        row = pivot - 1
    return bounds[1:]


def natural_breaks_bounds(values, k: int) -> np.ndarray:
    """Upper bounds of ``k`` Fisher-Jenks classes, the same breaks as ``mapclassify.FisherJenks(values, k).bins``.

    Computed here in NumPy (:func:`_fisher_jenks`) so that a build does not import
    mapclassify (and scipy with it). Like mapclassify, fewer distinct values than
    ``k`` is a ValueError; callers ask for at most the number of distinct values.

    >>> natural_breaks_bounds([1, 2, 3, 10, 11, 12, 30], 3).tolist()
    [3.0, 12.0, 30.0]
    """
    y = np.asarray(values).ravel()
    distinct = len(np.unique(y))
    if distinct < k:
        raise ValueError(f"Fewer unique values ({distinct}) than specified classes ({k}).")
    return _fisher_jenks(np.sort(y).astype("float64"), k)


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
