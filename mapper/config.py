"""Read ``config.yaml`` once into a typed, validated object.

Every key is documented in ``config.yaml`` itself. Unknown keys anywhere are
rejected with the dotted path of the key, so that a typo ("wieght") fails loudly
instead of being silently ignored. Stage functions receive values from this
object as arguments; nothing reads the file again.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

NORMALISATIONS = ("minmax", "rank", "zscore")
TIER_SCHEMES = ("quantiles", "natural_breaks", "fixed")
INPUT_KEYS = (
    "la_coverage", "la_boundaries", "lad_region_lookup", "la_ruc",
    "pcon_coverage", "pcon_boundaries", "pcon_rurality",
    "lsoa_boundaries", "lsoa_lad_lookup", "lsoa11_lsoa21_lookup", "lsoa_ruc",
    "imd", "imd_domains", "imd_population",
)
#: Inputs that may be left out (or set to null): their indicators are then not available.
#: Top-level sections validated by the stage that owns them, not here.
STAGE_SECTIONS = ("fetch", "pack", "map", "stability", "diagnosis", "change")
OPTIONAL_INPUT_KEYS = ("la_coverage_residential", "pcon_coverage_residential", "la_mobile", "la_takeup")


@dataclass(frozen=True)
class IndicatorChoice:
    name: str
    weight: float
    direction: str = "need"


@dataclass(frozen=True)
class TierConfig:
    scheme: str = "quantiles"
    k: int = 5
    thresholds: tuple[float, ...] = ()


@dataclass(frozen=True)
class ScoreConfig:
    indicators: tuple[IndicatorChoice, ...]
    normalisation: str = "minmax"
    tiers: TierConfig = field(default_factory=TierConfig)
    min_premises: int = 50


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    title: str
    outputs_dir: Path
    regions: tuple[str, ...]
    inputs: dict[str, Path]
    boundary_fields: dict[str, tuple[str, str]]
    score: ScoreConfig
    max_unmatched: int
    sha256: str
    #: Raw mappings of the sections owned by other stages (``fetch``, ``pack``,
    #: ``map``); each stage validates its own section (see mapper/fetch, mapper/pack, mapper/render).
    sections: dict = field(default_factory=dict)


def _unknown(where: str, data: dict, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
            raise ConfigError(f"config: unknown key '{where}{key}'{extra}")


def _mapping(where: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"config: '{where}' must be a mapping of keys to values, not {type(value).__name__}")
    return value


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"config: '{where}' must be a number, not {value!r}")
    return float(value)


def load_config(path: str | Path = "config.yaml", *, known_indicators: tuple[str, ...] | None = None) -> Config:
    """Parse and validate a config file. Raises :class:`ConfigError` on any problem."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config: {path} not found; run from the repository root or pass --config") from None
    try:
        data = yaml.safe_load(raw_bytes) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config: {path} is not valid YAML{where}; check indentation and colons") from None
    data = _mapping(str(path), data)
    _unknown("", data, ("title", "outputs_dir", "regions", "inputs", "boundary_fields", "score", "joins") + STAGE_SECTIONS)
    root = path.resolve().parent

    inputs_raw = _mapping("inputs", data.get("inputs", {}))
    _unknown("inputs.", inputs_raw, INPUT_KEYS + OPTIONAL_INPUT_KEYS)
    missing = [k for k in INPUT_KEYS if not inputs_raw.get(k)]
    if missing:
        raise ConfigError(f"config: 'inputs' is missing {', '.join(missing)}")
    inputs = {k: (root / str(v)) for k, v in inputs_raw.items() if v}

    fields_raw = _mapping("boundary_fields", data.get("boundary_fields", {}))
    _unknown("boundary_fields.", fields_raw, ("la", "pcon", "lsoa"))
    boundary_fields = {}
    for level in ("la", "pcon", "lsoa"):
        pair = fields_raw.get(level)
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise ConfigError(f"config: 'boundary_fields.{level}' must be [CODE_FIELD, NAME_FIELD]")
        boundary_fields[level] = (pair[0], pair[1])

    regions = data.get("regions", [])
    if not (isinstance(regions, list) and regions and all(isinstance(r, str) for r in regions)):
        raise ConfigError("config: 'regions' must be a non-empty list of ONS region codes such as E12000004")

    score_raw = _mapping("score", data.get("score", {}))
    _unknown("score.", score_raw, ("indicators", "normalisation", "tiers", "min_premises"))
    ind_raw = _mapping("score.indicators", score_raw.get("indicators", {}))
    if not ind_raw:
        raise ConfigError("config: 'score.indicators' must list at least one indicator")
    choices = []
    for name, spec in ind_raw.items():
        if known_indicators is not None and name not in known_indicators:
            hint = difflib.get_close_matches(name, known_indicators, n=1)
            raise ConfigError(
                f"config: unknown indicator 'score.indicators.{name}'"
                + (f"; did you mean '{hint[0]}'?" if hint else f"; valid: {', '.join(known_indicators)}")
            )
        spec = _mapping(f"score.indicators.{name}", spec)
        _unknown(f"score.indicators.{name}.", spec, ("weight", "direction"))
        weight = _number(f"score.indicators.{name}.weight", spec.get("weight", 1))
        if weight < 0:
            raise ConfigError(f"config: 'score.indicators.{name}.weight' is negative ({weight}); weights must be >= 0")
        direction = spec.get("direction", "need")
        if direction not in ("need", "reverse"):
            raise ConfigError(f"config: 'score.indicators.{name}.direction' must be 'need' or 'reverse', not {direction!r}")
        choices.append(IndicatorChoice(name, weight, direction))
    if sum(c.weight for c in choices) <= 0:
        raise ConfigError("config: every weight in 'score.indicators' is zero; give at least one a positive weight")

    norm = score_raw.get("normalisation", "minmax")
    if norm not in NORMALISATIONS:
        raise ConfigError(f"config: 'score.normalisation' is {norm!r}; choose one of {', '.join(NORMALISATIONS)}")
    tiers_raw = _mapping("score.tiers", score_raw.get("tiers", {}))
    _unknown("score.tiers.", tiers_raw, ("scheme", "k", "thresholds"))
    scheme = tiers_raw.get("scheme", "quantiles")
    if scheme not in TIER_SCHEMES:
        raise ConfigError(f"config: 'score.tiers.scheme' is {scheme!r}; choose one of {', '.join(TIER_SCHEMES)}")
    k = tiers_raw.get("k", 5)
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 10:
        raise ConfigError(f"config: 'score.tiers.k' must be a whole number from 2 to 10, not {k!r}")
    thresholds = tuple(_number("score.tiers.thresholds", t) for t in tiers_raw.get("thresholds", []) or [])
    if scheme == "fixed":
        if len(thresholds) != k - 1 or list(thresholds) != sorted(thresholds):
            raise ConfigError(f"config: 'score.tiers.thresholds' must be {k - 1} increasing score cut-offs for k={k}")
    min_premises = score_raw.get("min_premises", 50)
    if isinstance(min_premises, bool) or not isinstance(min_premises, int) or min_premises < 0:
        raise ConfigError("config: 'score.min_premises' must be a whole number >= 0")

    joins_raw = _mapping("joins", data.get("joins", {}))
    _unknown("joins.", joins_raw, ("max_unmatched",))
    max_unmatched = joins_raw.get("max_unmatched", 0)
    if isinstance(max_unmatched, bool) or not isinstance(max_unmatched, int) or max_unmatched < 0:
        raise ConfigError("config: 'joins.max_unmatched' must be a whole number >= 0")

    title = data.get("title", "Midlands connectivity gap")
    if not isinstance(title, str):
        raise ConfigError("config: 'title' must be text")
    return Config(
        path=path,
        root=root,
        title=title,
        outputs_dir=root / str(data.get("outputs_dir", "outputs")),
        regions=tuple(regions),
        inputs=inputs,
        boundary_fields=boundary_fields,
        score=ScoreConfig(tuple(choices), norm, TierConfig(scheme, k, thresholds), min_premises),
        max_unmatched=max_unmatched,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        sections={k: _mapping(k, data[k]) for k in STAGE_SECTIONS if data.get(k) is not None},
    )
