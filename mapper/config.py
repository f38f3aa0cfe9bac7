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

from ._io import MAX_CONFIG_BYTES, check_input_file
from .errors import ConfigError, InputFileError

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
STAGE_SECTIONS = ("fetch", "pack", "map")
#: Reference frames: the set of areas an area is normalised, ranked and tiered against.
FRAMES = ("study_area", "region", "group", "all")
OPTIONAL_INPUT_KEYS = (
    "la_coverage_residential", "pcon_coverage_residential", "la_mobile", "la_takeup",
    "pcon_coverage_previous", "la_coverage_previous", "area_groups", "postcode_points",
)


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
    frame: str = "study_area"


@dataclass(frozen=True)
class StabilityConfig:
    """Monte Carlo rank stability: how the method is varied in each draw."""

    draws: int = 1000
    seed: int = 20250701
    weight_spread: float = 0.25          # each weight x U(1 - s, 1 + s), then rescaled to sum to 1
    normalisations: tuple[str, ...] = NORMALISATIONS  # each draw picks one at random
    stable_share: float = 0.8            # stable when the draws agree with the published tier this often


@dataclass(frozen=True)
class DiagnosisConfig:
    """Which kind of help an area needs: two sub-indices and a threshold."""

    infrastructure: tuple[IndicatorChoice, ...] = ()
    inclusion: tuple[IndicatorChoice, ...] = ()
    threshold: float = 60.0              # sub-index (0-100) at or above this = high need
    route_threshold: float = 80.0        # percentile (0-100) for the mobile / business route flags


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
    stability: StabilityConfig = field(default_factory=StabilityConfig)
    diagnosis: DiagnosisConfig = field(default_factory=DiagnosisConfig)
    #: Raw mappings of the sections owned by other stages (``fetch``, ``pack``,
    #: ``map``); each stage validates its own section (see mapper/fetch, mapper/pack, mapper/render).
    sections: dict = field(default_factory=dict)


def reject_unknown_keys(where: str, data: dict, allowed) -> None:
    """:class:`ConfigError` for the first key of ``data`` not in ``allowed``, with a did-you-mean hint.

    ``where`` is the dotted prefix of the section (``"score."``); every stage validates its own
    section with this, so all config errors read the same.
    """
    allowed = tuple(allowed)
    for key in data:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
            raise ConfigError(f"config: unknown key '{where}{key}'{extra}")


_unknown = reject_unknown_keys


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
        check_input_file(path, what="config file", max_bytes=MAX_CONFIG_BYTES,
                         hint="run from the repository root or pass --config FILE")
        raw_bytes = path.read_bytes()
    except InputFileError as exc:
        raise ConfigError(f"config: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config: {path}: cannot read ({exc.strerror}); check its permissions") from None
    try:
        data = yaml.safe_load(raw_bytes) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config: {path} is not valid YAML{where}; check indentation and colons") from None
    data = _mapping(str(path), data)
    _unknown("", data, ("title", "outputs_dir", "regions", "inputs", "boundary_fields", "score", "joins",
                        "stability", "diagnosis") + STAGE_SECTIONS)
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
    _unknown("score.", score_raw, ("indicators", "normalisation", "tiers", "min_premises", "frame"))
    choices = _indicator_choices("score.indicators", score_raw.get("indicators", {}), known_indicators)
    if not choices:
        raise ConfigError("config: 'score.indicators' must list at least one indicator")
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

    frame = score_raw.get("frame", "study_area")
    if frame not in FRAMES:
        hint = difflib.get_close_matches(str(frame), FRAMES, n=1)
        raise ConfigError(f"config: 'score.frame' is {frame!r}; choose one of {', '.join(FRAMES)}"
                          + (f" (did you mean '{hint[0]}'?)" if hint else ""))
    if frame == "group" and "area_groups" not in inputs_raw:
        raise ConfigError("config: 'score.frame: group' needs 'inputs.area_groups', a CSV of local authority code -> "
                          "county or combined authority (columns LAD24CD, group_code, group_name)")
    stability = _stability(_mapping("stability", data.get("stability") or {}))
    diagnosis = _diagnosis(_mapping("diagnosis", data.get("diagnosis") or {}), known_indicators)

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
        score=ScoreConfig(tuple(choices), norm, TierConfig(scheme, k, thresholds), min_premises, frame),
        max_unmatched=max_unmatched,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        stability=stability,
        diagnosis=diagnosis,
        sections={k: _mapping(k, data[k]) for k in STAGE_SECTIONS if data.get(k) is not None},
    )


def _indicator_choices(where: str, raw: Any, known: tuple[str, ...] | None, *, directions: bool = True) -> tuple[IndicatorChoice, ...]:
    """``{name: {weight: w, direction: need|reverse}}`` -> validated choices (a bare number is a weight)."""
    raw = _mapping(where, raw if raw is not None else {})
    choices = []
    for name, spec in raw.items():
        if known is not None and name not in known:
            hint = difflib.get_close_matches(str(name), known, n=1)
            raise ConfigError(
                f"config: unknown indicator '{where}.{name}'"
                + (f"; did you mean '{hint[0]}'?" if hint else f"; valid: {', '.join(known)}")
            )
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            spec = {"weight": spec}
        spec = _mapping(f"{where}.{name}", spec)
        _unknown(f"{where}.{name}.", spec, ("weight", "direction") if directions else ("weight",))
        weight = _number(f"{where}.{name}.weight", spec.get("weight", 1))
        if weight < 0:
            raise ConfigError(f"config: '{where}.{name}.weight' is negative ({weight}); weights must be >= 0")
        direction = spec.get("direction", "need")
        if direction not in ("need", "reverse"):
            raise ConfigError(f"config: '{where}.{name}.direction' must be 'need' or 'reverse', not {direction!r}")
        choices.append(IndicatorChoice(str(name), weight, direction))
    return tuple(choices)


def _stability(raw: dict) -> StabilityConfig:
    _unknown("stability.", raw, ("draws", "seed", "weight_spread", "normalisations", "stable_share"))
    d = StabilityConfig()
    draws = raw.get("draws", d.draws)
    if isinstance(draws, bool) or not isinstance(draws, int) or not 0 <= draws <= 100_000:
        raise ConfigError("config: 'stability.draws' must be a whole number from 0 (off) to 100000")
    seed = raw.get("seed", d.seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError("config: 'stability.seed' must be a whole number >= 0")
    spread = _number("stability.weight_spread", raw.get("weight_spread", d.weight_spread))
    if not 0 <= spread < 1:
        raise ConfigError("config: 'stability.weight_spread' must be at least 0 and below 1 (0.25 = each weight varies by up to 25%)")
    norms = raw.get("normalisations", list(d.normalisations))
    if not (isinstance(norms, list) and norms and all(n in NORMALISATIONS for n in norms)):
        raise ConfigError(f"config: 'stability.normalisations' must be a non-empty list from {', '.join(NORMALISATIONS)}")
    share = _number("stability.stable_share", raw.get("stable_share", d.stable_share))
    if not 0.5 <= share <= 1:
        raise ConfigError("config: 'stability.stable_share' must be between 0.5 and 1")
    return StabilityConfig(draws, seed, spread, tuple(dict.fromkeys(norms)), share)


def _diagnosis(raw: dict, known: tuple[str, ...] | None) -> DiagnosisConfig:
    _unknown("diagnosis.", raw, ("infrastructure", "inclusion", "threshold", "route_threshold"))
    d = DiagnosisConfig()
    infra = _indicator_choices("diagnosis.infrastructure", raw.get("infrastructure"), known, directions=False)
    incl = _indicator_choices("diagnosis.inclusion", raw.get("inclusion"), known, directions=False)
    for where, group in (("infrastructure", infra), ("inclusion", incl)):
        if group and sum(c.weight for c in group) <= 0:
            raise ConfigError(f"config: every weight in 'diagnosis.{where}' is zero; give at least one a positive weight")
    out = []
    for key, default in (("threshold", d.threshold), ("route_threshold", d.route_threshold)):
        v = _number(f"diagnosis.{key}", raw.get(key, default))
        if not 0 <= v <= 100:
            raise ConfigError(f"config: 'diagnosis.{key}' must be between 0 and 100")
        out.append(v)
    return DiagnosisConfig(infra, incl, out[0], out[1])
