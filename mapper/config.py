"""Every setting of ``config.yaml``: one typed schema, validated when the file is read.

:func:`load_config` reads the file once and checks every section at once
(including ``fetch``, ``map`` and ``pack``), so ``python -m mapper check``
rejects a typo anywhere before anything runs. A problem stops with one line
naming the file, the line and the dotted key, and saying what to do::

    config.yaml, line 61: unknown key 'map.split_abov'; did you mean 'split_above'?

The YAML itself is checked too: a key given twice in one mapping (two
``score:`` blocks) is an error, not "the last one wins"; ``.nan``/``.inf`` and
other non-finite numbers are refused. Stage functions get values from the
returned :class:`Config` as arguments; nothing reads the file again.

Settings reference (key, default: meaning). Paths are relative to the config file.

``title``: "Midlands connectivity gap": title on maps, tables and documents.
``outputs_dir``: outputs: folder the build writes (created if missing; not the config's own folder, not an input folder).
``regions``: (required): ONS region codes of the study area, e.g. [E12000004, E12000005].
``study_area.name``: (the regions' names): what the study area is called in headlines, totals rows and texts.
``study_area.file_prefix``: (from the name): start of every output file name, e.g. midlands_la_priority.html.
``inputs``: (la_coverage, la_boundaries, lad_region_lookup, la_ruc required): input files by name (see config.yaml).
``boundary_fields.la`` / ``.pcon`` / ``.pcon10`` / ``.lsoa``: (LAD24, PCON24, PCON21, LSOA21 fields): [CODE_FIELD, NAME_FIELD].
``score.indicators``: (required): indicator -> {weight (>= 0, finite), direction: need | reverse}.
``score.ranking``: combined: what the headline rank answers: rate (deepest gap) | count (biggest gap) | combined.
``score.normalisation``: minmax: how shares are put on one scale: minmax | rank | zscore.
``score.range_floor``: 0.05: minmax only, the smallest range of shares stretched to 0-1 (0-1 share units).
``score.tiers.scheme``: quantiles: quantiles | natural_breaks | fixed.
``score.tiers.k``: 5: number of tiers, 2-10 (tier 1 = highest priority).
``score.tiers.thresholds``: []: k-1 strictly increasing score cut-offs in 0-100 (scheme fixed only).
``score.min_premises``: 50: areas with fewer premises are "Insufficient data" (0-1,000,000).
``score.frame``: study_area: what an area is compared with: study_area | region | group | all.
``stability.draws``: 1000: Monte Carlo draws (0 = off, up to 100,000).
``stability.seed``: 20250701: random seed (whole number >= 0).
``stability.weight_spread``: 0.25: each weight varies by up to this fraction (0 to below 1).
``stability.normalisations``: [minmax, rank, zscore]: normalisations drawn from.
``stability.stable_share``: 0.8: "stable" when draws agree with the tier this often (0.5-1).
``diagnosis.infrastructure`` / ``diagnosis.inclusion``: (built-in sets): indicator -> weight of each sub-index.
``diagnosis.threshold``: 60: sub-index (0-100) at or above which need is high.
``diagnosis.route_threshold``: 80: percentile (0-100) at or above which a route flag is raised.
``diagnosis.floors.<infrastructure|inclusion|mobile|business|takeup>.count`` / ``.share``: (see config.yaml): absolute floors.
``joins.max_unmatched``: 0: required keys that may go unmatched before a join stops the run.
``fetch.cache_dir``: data/cache: downloads, sidecars, extracted files and manifest.json.
``fetch.mirror``: null: base URL; every source is then fetched from <mirror>/<its mirror path>.
``fetch.timeout``: 60: seconds to connect and between bytes (0-86,400).
``fetch.deadline``: 3600: seconds one attempt at a download may take, request to last byte (0-604,800).
``fetch.retries``: 4: extra attempts after the first (backoff 1, 2, 4, 8 s ...; 0-20).
``fetch.page_size``: 2000: ArcGIS records per page (1-100,000).
``fetch.max_member_mb``: 4096: cap on one extracted file, uncompressed (MB).
``fetch.max_total_mb``: 16384: cap on all files extracted from one archive (MB).
``fetch.sources.<name>.url`` / ``.timeout`` / ``.deadline`` / ``.retries`` / ``.enabled`` / ``.where``: per-source overrides.
``map.simplify_tolerance_m``: 50: coverage simplification in metres (0-5000; 0 keeps every vertex).
``map.split_above``: 20000: a layer with more areas is written as one map per group plus an overview.
``map.split_by``: lad_code: column that groups areas for the split.
``map.basemap``: false: add OpenStreetMap tiles (needs a network; the map works without them).
``map.classes``: 5: colour classes for indicator shares (3-9).
``pack.areas``: []: areas for the evidence pack (codes or names); empty = the top ``pack.top`` LAs.
``pack.top``: 5: how many top-priority local authorities when ``pack.areas`` is empty (1-100).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._io import MAX_CONFIG_BYTES, check_input_file
from .errors import ConfigError, InputFileError

NORMALISATIONS = ("minmax", "rank", "zscore")
#: What the headline rank answers: the share (deepest gap), the count (biggest gap) or both.
RANKINGS = ("rate", "count", "combined")
#: Diagnosis parts with absolute floors, and the default (count, share) of each.
FLOOR_DEFAULTS = {"infrastructure": (1000, 0.05), "inclusion": (5, 0.10), "mobile": (250, 0.01),
                  "business": (250, 0.10), "takeup": (5000, 0.40)}
TIER_SCHEMES = ("quantiles", "natural_breaks", "fixed")
#: Reference frames: the set of areas an area is normalised, ranked and tiered against.
FRAMES = ("study_area", "region", "group", "all")
#: Inputs every run needs: the local-authority level.
INPUT_KEYS = ("la_coverage", "la_boundaries", "lad_region_lookup", "la_ruc")
#: Inputs that may be left out (or set to null): the level or the indicators they feed are then
#: not built, and the audit says so. A level needs all the inputs of its group (see LEVEL_INPUTS).
OPTIONAL_INPUT_KEYS = (
    # local authorities: companions, change, county lookup, national context
    "la_coverage_residential", "la_mobile", "la_takeup", "la_coverage_previous", "area_groups",
    "la_coverage_national", "la_takeup_national", "nations_fixed", "nations_mobile",
    # constituencies, 2024 seats (the default constituency level)
    "pcon_coverage", "pcon_boundaries", "pcon_region_lookup", "pcon_lsoa_lookup", "pcon_coverage_residential",
    # constituencies, 2010-2024 seats (a second level, for change over time)
    "pcon10_coverage", "pcon10_boundaries", "pcon10_rurality", "pcon10_coverage_residential", "pcon10_coverage_previous",
    # LSOA 2021: boundaries, lookups, rural-urban class, deprivation (IoD 2025 and/or IoD 2019)
    "lsoa_boundaries", "lsoa_lad_lookup", "lsoa_ruc", "imd2025",
    "lsoa11_lsoa21_lookup", "imd", "imd_domains", "imd_population",
    # points and places
    "postcode_points", "places",
)
#: The inputs a level or indicator group needs together; with some but not all, the run stops and says which.
LEVEL_INPUTS = {
    "constituencies (2024 seats)": ("pcon_coverage", "pcon_boundaries"),
    "constituencies (2010-2024 seats)": ("pcon10_coverage", "pcon10_boundaries"),
    "LSOA 2021 base": ("lsoa_boundaries", "lsoa_lad_lookup", "lsoa_ruc"),
    "IoD 2019 on LSOA 2021": ("lsoa11_lsoa21_lookup", "imd", "imd_domains", "imd_population"),
}
#: Boundary file fields when ``boundary_fields`` does not give them.
DEFAULT_BOUNDARY_FIELDS = {"la": ("LAD24CD", "LAD24NM"), "pcon": ("PCON24CD", "PCON24NM"),
                           "pcon10": ("PCON21CD", "PCON21NM"), "lsoa": ("LSOA21CD", "LSOA21NM")}
#: The keys of every section (the schema); the module docstring documents each one.
SCHEMA = {
    "": ("title", "outputs_dir", "regions", "study_area", "inputs", "boundary_fields", "score", "joins", "stability",
         "diagnosis", "fetch", "map", "pack"),
    "study_area": ("name", "file_prefix"),
    "boundary_fields": ("la", "pcon", "pcon10", "lsoa"),
    "score": ("indicators", "ranking", "normalisation", "range_floor", "tiers", "min_premises", "frame"),
    "score.tiers": ("scheme", "k", "thresholds"),
    "stability": ("draws", "seed", "weight_spread", "normalisations", "stable_share"),
    "diagnosis": ("infrastructure", "inclusion", "threshold", "route_threshold", "floors"),
    "diagnosis.floors": ("infrastructure", "inclusion", "mobile", "business", "takeup"),
    "diagnosis.floors.*": ("count", "share"),
    "joins": ("max_unmatched",),
    "fetch": ("cache_dir", "mirror", "timeout", "deadline", "retries", "page_size", "max_member_mb", "max_total_mb",
              "sources"),
    "fetch.sources.*": ("url", "timeout", "deadline", "retries", "enabled", "where"),
    "map": ("simplify_tolerance_m", "split_above", "split_by", "basemap", "classes"),
    "pack": ("areas", "top"),
}
#: Largest number accepted for a weight: weights are relative, so anything larger is a typo.
MAX_WEIGHT = 1_000_000.0


# ---------------------------------------------------------------------------------------------
# typed settings
# ---------------------------------------------------------------------------------------------

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
    ranking: str = "combined"
    range_floor: float = 0.0             # minmax: smallest range of shares stretched to 0-1 (0 = plain min-max)


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
    #: part -> (minimum count of the indicator's numerator, minimum share) for a flag or a "high need"
    floors: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(FLOOR_DEFAULTS))


@dataclass(frozen=True)
class SourceSettings:
    """One download source (``mapper.fetch.sources``) with its config overrides applied."""

    source: Any                          # mapper.fetch.sources.Source
    url: str | None
    timeout: float
    retries: int
    enabled: bool
    where: str
    deadline: float = 3600.0


@dataclass(frozen=True)
class FetchSettings:
    cache_dir: Path
    mirror: str | None
    timeout: float
    retries: int
    page_size: int
    max_member_bytes: int
    max_total_bytes: int
    sources: dict[str, SourceSettings] = field(default_factory=dict)
    deadline: float = 3600.0


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


@dataclass(frozen=True)
class PackSettings:
    areas: tuple[str, ...] = ()
    top: int = 5


@dataclass(frozen=True)
class StudyArea:
    """What the study area is called, and the start of every output file name."""

    name: str = "Midlands"
    file_prefix: str = "midlands"


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
    fetch: FetchSettings | None = None
    map: MapOptions = field(default_factory=MapOptions)
    pack: PackSettings = field(default_factory=PackSettings)
    study_area: StudyArea = field(default_factory=StudyArea)

    def stem(self, level: str) -> str:
        """Output file stem of a level: ``<file_prefix>_<level noun>_priority``."""
        noun = {"la": "la", "pcon": "constituency", "pcon10": "constituency2010", "lsoa": "lsoa"}.get(level, level)
        return f"{self.study_area.file_prefix}_{noun}_priority"


# ---------------------------------------------------------------------------------------------
# reading YAML with line numbers, refusing duplicate keys
# ---------------------------------------------------------------------------------------------

class _Where:
    """Builds error messages that name the file, the line of a dotted key, and the key."""

    def __init__(self, path: Path, lines: dict[str, int]):
        self.path, self.lines = path, lines

    def error(self, key: str, message: str) -> ConfigError:
        line = None
        probe = key
        while probe and line is None:  # the key's own line, else its nearest parent's
            line = self.lines.get(probe)
            probe = probe.rpartition(".")[0]
        place = f"{self.path.name}, line {line}" if line else f"{self.path.name}"
        return ConfigError(f"{place}: {message}")


def _key_lines(path: Path, text: str) -> dict[str, int]:
    """Dotted key -> 1-based line, from the YAML node tree; a key repeated in one mapping is an error."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path.name}{where}: not valid YAML; check indentation and colons") from None
    lines: dict[str, int] = {}

    def walk(node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                dotted = f"{prefix}{key}"
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ConfigError(
                        f"{path.name}, line {line}: '{dotted}' is given twice (first on line {seen[key]}); "
                        "keep one: YAML would silently use the last one"
                    )
                seen[key] = line
                lines[dotted] = line
                walk(value_node, dotted + ".")
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, prefix)

    if root is not None:
        walk(root, "")
    return lines


# ---------------------------------------------------------------------------------------------
# typed getters (each error names file, line and key)
# ---------------------------------------------------------------------------------------------

class _Section:
    """One mapping of the config, read key by key with the schema's unknown-key check."""

    def __init__(self, where: _Where, dotted: str, raw: Any, allowed: tuple[str, ...] | None):
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise where.error(dotted, f"'{dotted}' must be a mapping of keys to values, not {type(raw).__name__}")
        self.w, self.dotted, self.raw = where, dotted, raw
        self.prefix = f"{dotted}." if dotted else ""
        if allowed is not None:
            for key in raw:
                if str(key) not in allowed:
                    hint = difflib.get_close_matches(str(key), allowed, n=1)
                    extra = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
                    raise where.error(f"{self.prefix}{key}", f"unknown key '{self.prefix}{key}'{extra}")

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, message: str) -> ConfigError:
        return self.w.error(self.key(name), message)

    def has(self, name: str) -> bool:
        return name in self.raw and self.raw[name] is not None

    def get(self, name: str, default: Any = None) -> Any:
        value = self.raw.get(name)
        return default if value is None else value

    def sub(self, name: str, allowed: tuple[str, ...] | None) -> _Section:
        return _Section(self.w, self.key(name), self.raw.get(name), allowed)

    def number(self, name: str, default: float, *, lo: float, hi: float, lo_open: bool = False,
               hi_open: bool = False, what: str = "a number") -> float:
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, f"'{self.key(name)}' must be {what}, not {value!r}")
        if not math.isfinite(value):
            raise self.fail(name, f"'{self.key(name)}' is {value!r}; give a finite number")
        if value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
            lo_t = f"above {lo:g}" if lo_open else f"at least {lo:g}"
            hi_t = f"below {hi:g}" if hi_open else f"at most {hi:g}"
            raise self.fail(name, f"'{self.key(name)}' is {value:g}; it must be {lo_t} and {hi_t}")
        return float(value)

    def integer(self, name: str, default: int, *, lo: int, hi: int) -> int:
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"'{self.key(name)}' must be a whole number from {lo:,} to {hi:,}, not {value!r}")
        if not lo <= value <= hi:
            raise self.fail(name, f"'{self.key(name)}' is {value:,}; it must be a whole number from {lo:,} to {hi:,}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"'{self.key(name)}' must be true or false, not {value!r}")
        return value

    def text(self, name: str, default: str | None = None, *, what: str = "text") -> str:
        value = self.get(name, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"'{self.key(name)}' must be {what}, not {value!r}")
        return value

    def choice(self, name: str, default: str, options: tuple[str, ...]) -> str:
        value = self.get(name, default)
        if value not in options:
            hint = difflib.get_close_matches(str(value), options, n=1)
            raise self.fail(name, f"'{self.key(name)}' is {value!r}; choose one of {', '.join(options)}"
                            + (f" (did you mean '{hint[0]}'?)" if hint else ""))
        return value


def _url(section: _Section, name: str) -> str:
    """An http(s) URL with a host (and a valid port, no spaces); a scheme typo gets a did-you-mean hint."""
    from urllib.parse import urlsplit

    value = section.get(name)
    problem = ""
    if not isinstance(value, str):
        problem = "it is not text"
    else:
        try:
            parts = urlsplit(value.strip())
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
        except ValueError as exc:
            problem = str(exc)
        else:
            if parts.scheme.lower() not in ("http", "https"):
                scheme = value.split(":", 1)[0] if ":" in value else ""
                near = difflib.get_close_matches(scheme.lower(), ["http", "https"], n=1, cutoff=0.7) if scheme else []
                rest = value.split(":", 1)[1].lstrip("/") if near else ""
                problem = (f"did you mean {near[0] + '://' + rest!r}?" if near
                           else "it does not start with http:// or https://")
            elif not parts.hostname or any(c.isspace() for c in value.strip()):
                problem = "it has no host name" if not parts.hostname else "it contains a space"
    if problem:
        raise section.fail(name, f"'{section.key(name)}' must be an http(s) URL such as https://host/path, "
                                 f"not {value!r} ({problem})")
    return value.strip().rstrip("/")


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------

def _indicator_choices(sec: _Section, name: str, known: tuple[str, ...], *, directions: bool = True
                       ) -> tuple[IndicatorChoice, ...]:
    """``{name: {weight: w, direction: need|reverse}}`` -> validated choices (a bare number is a weight)."""
    group = sec.sub(name, None)
    choices = []
    for ind, spec in group.raw.items():
        if ind not in known:
            hint = difflib.get_close_matches(str(ind), known, n=1)
            raise group.fail(ind, f"unknown indicator '{group.key(ind)}'"
                             + (f"; did you mean '{hint[0]}'?" if hint else f"; valid: {', '.join(known)}"))
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            spec = {"weight": spec}
        one = _Section(sec.w, group.key(ind), spec, ("weight", "direction") if directions else ("weight",))
        weight = one.get("weight", 1)
        if isinstance(weight, (int, float)) and not isinstance(weight, bool) and math.isfinite(weight) and weight < 0:
            raise one.fail("weight", f"'{one.key('weight')}' is negative ({weight}); weights must be >= 0")
        weight = one.number("weight", 1, lo=0, hi=MAX_WEIGHT, what="a number")
        direction = one.get("direction", "need")
        if direction not in ("need", "reverse"):
            raise one.fail("direction", f"'{one.key('direction')}' must be 'need' or 'reverse', not {direction!r}")
        choices.append(IndicatorChoice(str(ind), weight, direction))
    return tuple(choices)


def _score(sec: _Section, known: tuple[str, ...], inputs_raw: dict) -> ScoreConfig:
    choices = _indicator_choices(sec, "indicators", known)
    if not choices:
        raise sec.fail("indicators", "'score.indicators' must list at least one indicator")
    if sum(c.weight for c in choices) <= 0:
        raise sec.fail("indicators", "every weight in 'score.indicators' is zero; give at least one a positive weight")
    norm = sec.choice("normalisation", "minmax", NORMALISATIONS)
    ranking = sec.choice("ranking", "combined", RANKINGS)
    range_floor = sec.number("range_floor", 0.0, lo=0, hi=1, what="a share from 0 to 1")
    tiers = sec.sub("tiers", SCHEMA["score.tiers"])
    scheme = tiers.choice("scheme", "quantiles", TIER_SCHEMES)
    k = tiers.integer("k", 5, lo=2, hi=10)
    raw_t = tiers.get("thresholds", [])
    if not isinstance(raw_t, list):
        raise tiers.fail("thresholds", "'score.tiers.thresholds' must be a list of score cut-offs, e.g. [20, 40, 60, 80]")
    thresholds = tuple(_Section(sec.w, tiers.dotted, {"thresholds": t}, None)
                       .number("thresholds", 0, lo=0, hi=100, what="a list of scores from 0 to 100") for t in raw_t)
    if scheme == "fixed" and (len(thresholds) != k - 1 or any(b <= a for a, b in itertools.pairwise(thresholds))):
        raise tiers.fail("thresholds", f"'score.tiers.thresholds' must be {k - 1} increasing score cut-offs for k={k} "
                                       f"(strictly increasing, 0-100), not {list(thresholds)}")
    min_premises = sec.integer("min_premises", 50, lo=0, hi=1_000_000)
    frame = sec.choice("frame", "study_area", FRAMES)
    if frame == "group" and not inputs_raw.get("area_groups"):
        raise sec.fail("frame", "'score.frame: group' needs 'inputs.area_groups', a CSV of local authority code -> "
                                "county or combined authority (columns LAD24CD, group_code, group_name)")
    return ScoreConfig(choices, norm, TierConfig(scheme, k, thresholds), min_premises, frame, ranking, range_floor)


def _stability(sec: _Section) -> StabilityConfig:
    d = StabilityConfig()
    draws = sec.integer("draws", d.draws, lo=0, hi=100_000)
    seed = sec.integer("seed", d.seed, lo=0, hi=2**63 - 1)
    spread = sec.number("weight_spread", d.weight_spread, lo=0, hi=1, hi_open=True)
    norms = sec.get("normalisations", list(d.normalisations))
    if not (isinstance(norms, list) and norms and all(n in NORMALISATIONS for n in norms)):
        raise sec.fail("normalisations", f"'stability.normalisations' must be a non-empty list from {', '.join(NORMALISATIONS)}")
    share = sec.number("stable_share", d.stable_share, lo=0.5, hi=1)
    return StabilityConfig(draws, seed, spread, tuple(dict.fromkeys(norms)), share)


def _diagnosis(sec: _Section, known: tuple[str, ...]) -> DiagnosisConfig:
    d = DiagnosisConfig()
    infra = _indicator_choices(sec, "infrastructure", known, directions=False)
    incl = _indicator_choices(sec, "inclusion", known, directions=False)
    for name, group in (("infrastructure", infra), ("inclusion", incl)):
        if group and sum(c.weight for c in group) <= 0:
            raise sec.fail(name, f"every weight in 'diagnosis.{name}' is zero; give at least one a positive weight")
    threshold = sec.number("threshold", d.threshold, lo=0, hi=100)
    route = sec.number("route_threshold", d.route_threshold, lo=0, hi=100)
    floors_sec = sec.sub("floors", SCHEMA["diagnosis.floors"])
    floors = {}
    for part, (count, share) in FLOOR_DEFAULTS.items():
        one = floors_sec.sub(part, SCHEMA["diagnosis.floors.*"])
        floors[part] = (one.number("count", count, lo=0, hi=10_000_000, what="a number of premises or areas"),
                        one.number("share", share, lo=0, hi=1, what="a share from 0 to 1"))
    return DiagnosisConfig(infra, incl, threshold, route, floors)


def _fetch(sec: _Section, root: Path) -> FetchSettings:
    from .fetch.sources import BY_NAME  # the registry of downloadable sources (plain data, light)

    cache_dir = sec.text("cache_dir", "data/cache", what="a folder path")
    mirror = _url(sec, "mirror") if sec.has("mirror") else None
    timeout = sec.number("timeout", 60, lo=0, hi=86_400, lo_open=True, what="a number of seconds")
    deadline = sec.number("deadline", 3600, lo=0, hi=604_800, lo_open=True, what="a number of seconds")
    retries = sec.integer("retries", 4, lo=0, hi=20)
    page_size = sec.integer("page_size", 2000, lo=1, hi=100_000)
    member_mb = sec.number("max_member_mb", 4096, lo=0, hi=1 << 22, lo_open=True, what="a number of MB")
    total_mb = sec.number("max_total_mb", 16384, lo=0, hi=1 << 22, lo_open=True, what="a number of MB")
    overrides = sec.sub("sources", tuple(BY_NAME))
    sources = {}
    for name, src in BY_NAME.items():
        over = overrides.sub(name, SCHEMA["fetch.sources.*"])
        if over.has("url"):
            url = _url(over, "url")
        elif mirror:
            url = f"{mirror}/{src.mirror_path}"
        else:
            url = src.url
        enabled = over.boolean("enabled", True)
        where = over.text("where", src.where, what='an ArcGIS where clause such as "1=1"')
        if over.has("where") and src.kind != "arcgis":
            raise over.fail("where", f"'{over.key('where')}' applies only to ONS ArcGIS layers")
        sources[name] = SourceSettings(
            source=src, url=url,
            timeout=over.number("timeout", timeout, lo=0, hi=86_400, lo_open=True, what="a number of seconds"),
            retries=over.integer("retries", retries, lo=0, hi=20), enabled=enabled, where=where,
            deadline=over.number("deadline", deadline, lo=0, hi=604_800, lo_open=True, what="a number of seconds"),
        )
    return FetchSettings(
        cache_dir=(root / cache_dir).resolve(), mirror=mirror, timeout=timeout, retries=retries, page_size=page_size,
        max_member_bytes=int(member_mb * (1 << 20)), max_total_bytes=int(total_mb * (1 << 20)), sources=sources,
        deadline=deadline,
    )


def _map(sec: _Section) -> MapOptions:
    d = MapOptions()
    return MapOptions(
        simplify_tolerance_m=sec.number("simplify_tolerance_m", d.simplify_tolerance_m, lo=0, hi=5000,
                                        what="a number of metres from 0 to 5000"),
        split_above=sec.integer("split_above", d.split_above, lo=1, hi=10_000_000),
        split_by=sec.text("split_by", d.split_by, what="a column name such as lad_code"),
        basemap=sec.boolean("basemap", d.basemap),
        classes=sec.integer("classes", d.classes, lo=3, hi=9),
    )


def _pack(sec: _Section) -> PackSettings:
    areas = sec.get("areas", [])
    if not (isinstance(areas, list) and all(isinstance(a, (str, int)) and not isinstance(a, bool) for a in areas)):
        raise sec.fail("areas", "'pack.areas' must be a list of area codes or names, e.g. [E07000142, West Lindsey]")
    return PackSettings(tuple(str(a).strip() for a in areas), sec.integer("top", 5, lo=1, hi=100))


#: Names of England's regions, for a study area's default name.
REGION_NAMES = {
    "E12000001": "North East", "E12000002": "North West", "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands", "E12000005": "West Midlands", "E12000006": "East of England",
    "E12000007": "London", "E12000008": "South East", "E12000009": "South West",
}


def _study_area(sec: _Section, regions: list[str]) -> StudyArea:
    """``study_area.name`` / ``file_prefix``; by default the Midlands for its two regions, else the regions' names."""
    if set(regions) == {"E12000004", "E12000005"}:
        default = "Midlands"
    else:
        default = " and ".join(REGION_NAMES.get(r, r) for r in regions)
    name = sec.text("name", default, what="a name such as Midlands")
    if len(name) > 80:
        raise sec.fail("name", "'study_area.name' must be at most 80 characters")
    slug = "_".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())
    prefix = sec.text("file_prefix", slug or "study_area", what="a file-name prefix such as midlands")
    if not all(ch.isalnum() or ch in "_-" for ch in prefix) or len(prefix) > 60:
        raise sec.fail("file_prefix", f"'study_area.file_prefix' is {prefix!r}; use letters, digits, '-' and '_' only "
                                      "(at most 60 characters)")
    return StudyArea(name, prefix)


def _outputs_dir(sec: _Section, root: Path, inputs: dict[str, Path]) -> Path:
    text = sec.get("outputs_dir", "outputs")
    if not isinstance(text, str) or not text.strip():
        raise sec.fail("outputs_dir", f"'outputs_dir' must be a folder path such as outputs, not {text!r}")
    out = (root / text).resolve()
    if out == root.resolve():
        raise sec.fail("outputs_dir", f"'outputs_dir' is the config's own folder ({out}); give a folder of its own, "
                                      "such as outputs")
    if out.exists() and not out.is_dir():
        raise sec.fail("outputs_dir", f"'outputs_dir' ({out}) is a file, not a folder; choose another path")
    for key, path in inputs.items():
        try:
            path.resolve().relative_to(out)
        except ValueError:
            continue
        raise sec.fail("outputs_dir", f"'outputs_dir' ({out}) holds the input inputs.{key}; outputs never go where "
                                      "inputs live: choose another folder")
    return root / text


# ---------------------------------------------------------------------------------------------
# the entry point
# ---------------------------------------------------------------------------------------------

def load_config(path: str | Path = "config.yaml", *, known_indicators: tuple[str, ...] | None = None) -> Config:
    """Parse and validate a whole config file. Raises :class:`ConfigError` on any problem.

    ``known_indicators`` defaults to the indicator registry (:data:`mapper.score.indicators.INDICATORS`).
    """
    import yaml

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
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: byte {exc.start} is not UTF-8 text; save the config as UTF-8") from None
    where = _Where(path, _key_lines(path, text))
    data = yaml.safe_load(text) or {}
    if known_indicators is None:
        from .score.indicators import INDICATORS

        known_indicators = tuple(INDICATORS)
    top = _Section(where, "", data, SCHEMA[""])
    root = path.resolve().parent

    inputs_sec = top.sub("inputs", INPUT_KEYS + OPTIONAL_INPUT_KEYS)
    missing = [k for k in INPUT_KEYS if not inputs_sec.get(k)]
    if missing:
        raise top.fail("inputs", f"'inputs' is missing {', '.join(missing)}")
    inputs = {}
    for key, value in inputs_sec.raw.items():
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise inputs_sec.fail(key, f"'inputs.{key}' must be a file path, not {value!r}")
        inputs[key] = root / value

    for group, keys in LEVEL_INPUTS.items():
        given = [k for k in keys if k in inputs]
        if given and len(given) < len(keys):
            lacking = [k for k in keys if k not in inputs]
            raise inputs_sec.fail(given[0], f"'inputs' has {', '.join(given)} but not {', '.join(lacking)}: the "
                                            f"{group} need all of {', '.join(keys)}; add the missing ones or remove these")

    fields_sec = top.sub("boundary_fields", SCHEMA["boundary_fields"])
    boundary_fields = {}
    for level, default in DEFAULT_BOUNDARY_FIELDS.items():
        pair = fields_sec.get(level, list(default))
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) and p for p in pair)):
            raise fields_sec.fail(level, f"'boundary_fields.{level}' must be [CODE_FIELD, NAME_FIELD]")
        boundary_fields[level] = (pair[0], pair[1])

    regions = top.get("regions", [])
    if not (isinstance(regions, list) and regions and all(isinstance(r, str) and r.strip() for r in regions)):
        raise top.fail("regions", "'regions' must be a non-empty list of ONS region codes such as E12000004")
    bad = [r for r in regions if not (len(r) == 9 and r[0] in "ENSW" and r[1:].isdigit())]
    if bad:
        raise top.fail("regions", f"'regions' holds {bad[0]!r}, which is not an ONS region code such as E12000004")

    title = top.get("title", "Midlands connectivity gap")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise top.fail("title", "'title' must be text of 1 to 200 characters")
    study_area = _study_area(top.sub("study_area", SCHEMA["study_area"]), regions)

    score = _score(top.sub("score", SCHEMA["score"]), known_indicators, inputs_sec.raw)
    stability = _stability(top.sub("stability", SCHEMA["stability"]))
    diagnosis = _diagnosis(top.sub("diagnosis", SCHEMA["diagnosis"]), known_indicators)
    joins = top.sub("joins", SCHEMA["joins"])
    max_unmatched = joins.integer("max_unmatched", 0, lo=0, hi=1_000_000)
    return Config(
        path=path, root=root, title=title, outputs_dir=_outputs_dir(top, root, inputs), regions=tuple(regions),
        inputs=inputs, boundary_fields=boundary_fields, score=score, max_unmatched=max_unmatched,
        sha256=hashlib.sha256(raw_bytes).hexdigest(), stability=stability, diagnosis=diagnosis,
        fetch=_fetch(top.sub("fetch", SCHEMA["fetch"]), root), map=_map(top.sub("map", SCHEMA["map"])),
        pack=_pack(top.sub("pack", SCHEMA["pack"])), study_area=study_area,
    )


def override(cfg: Config, **sections: dict) -> Config:
    """A copy of ``cfg`` with whole ``fetch``, ``map`` or ``pack`` sections replaced, validated like the file.

    For library use and tests: ``override(cfg, map={"split_above": 4})``. Keys left out take
    their defaults (not the values of ``cfg``), as they would in the file.
    """
    from dataclasses import replace

    where = _Where(cfg.path, {})
    parsers = {"fetch": lambda sec: _fetch(sec, cfg.root), "map": _map, "pack": _pack}
    changes = {}
    for name, raw in sections.items():
        if name not in parsers:
            raise ConfigError(f"override: unknown section {name!r}; choose one of {', '.join(parsers)}")
        changes[name] = parsers[name](_Section(where, name, raw, SCHEMA[name]))
    return replace(cfg, **changes)
