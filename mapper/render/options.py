"""The ``map:`` section of ``config.yaml``: how maps are simplified, split and drawn.

Validated here (the renderer owns the section): unknown keys fail with a
did-you-mean hint, wrong types name the key and what is expected.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import reject_unknown_keys
from ..errors import ConfigError


@dataclass(frozen=True)
class MapOptions:
    #: Coverage simplification tolerance in metres (0 = keep every vertex; coordinates are still rounded).
    simplify_tolerance_m: float = 50.0
    #: A layer with more polygons than this is written as one map per group plus an overview.
    split_above: int = 20000
    #: Column that groups areas into the per-file split (the LSOA level has ``lad_code``).
    split_by: str = "lad_code"
    #: Add an OpenStreetMap tile basemap (needs a network; the map still works without it).
    basemap: bool = False
    #: Number of colour classes for shares and counts (quantile breaks).
    classes: int = 5


KEYS = tuple(MapOptions.__dataclass_fields__)


def map_options(cfg) -> MapOptions:
    """Read and validate ``cfg.sections['map']`` (missing section = defaults).

    >>> map_options(type("C", (), {"sections": {"map": {"split_above": 100}}})()).split_above
    100
    """
    raw = (getattr(cfg, "sections", None) or {}).get("map") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config: 'map' must be a mapping of keys to values, not {type(raw).__name__}")
    reject_unknown_keys("map.", raw, KEYS)
    out = {}
    if "simplify_tolerance_m" in raw:
        v = raw["simplify_tolerance_m"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or v > 5000:
            raise ConfigError(f"config: 'map.simplify_tolerance_m' must be a number of metres from 0 to 5000, not {v!r}")
        out["simplify_tolerance_m"] = float(v)
    for key, lo, hi in (("split_above", 1, 10_000_000), ("classes", 3, 9)):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ConfigError(f"config: 'map.{key}' must be a whole number from {lo} to {hi}, not {v!r}")
            out[key] = v
    if "split_by" in raw:
        if not isinstance(raw["split_by"], str) or not raw["split_by"]:
            raise ConfigError(f"config: 'map.split_by' must be a column name such as lad_code, not {raw['split_by']!r}")
        out["split_by"] = raw["split_by"]
    if "basemap" in raw:
        if not isinstance(raw["basemap"], bool):
            raise ConfigError(f"config: 'map.basemap' must be true or false, not {raw['basemap']!r}")
        out["basemap"] = raw["basemap"]
    return MapOptions(**out)
