"""The ``fetch:`` section of ``config.yaml``, validated into :class:`FetchSettings`.

Every key, with its default::

    fetch:
      cache_dir: data/cache      # downloads, sidecars, extracted members, manifest.json
      mirror: null               # base URL; each source is then <mirror>/<mirror_path>
      timeout: 60                # seconds, connect and read
      deadline: 3600             # seconds one attempt at a download may take, request to last byte
      retries: 4                 # extra attempts after the first (backoff 1, 2, 4, 8 s ...)
      page_size: 2000            # ArcGIS resultRecordCount
      max_member_mb: 4096        # cap on one extracted member, uncompressed
      max_total_mb: 16384        # cap on all members extracted from one archive
      sources:                   # per-source overrides, by name (see mapper/fetch/sources.py)
        ofcom_oa: {url: ..., timeout: ..., deadline: ..., retries: ..., enabled: true}
        lsoa_boundaries: {where: "..."}

Unknown keys fail with a did-you-mean hint, like the rest of the config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import reject_unknown_keys as _unknown
from ..errors import ConfigError
from .sources import BY_NAME, Source

TOP_KEYS = ("cache_dir", "mirror", "timeout", "deadline", "retries", "page_size", "max_member_mb", "max_total_mb", "sources")
SOURCE_KEYS = ("url", "timeout", "deadline", "retries", "enabled", "where")




def _positive(where: str, value: Any, *, integer: bool = False, zero_ok: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and (value >= 0 if zero_ok else value > 0)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok:
        kind = "whole number" if integer else "number"
        raise ConfigError(f"config: '{where}' must be a {kind} {'>= 0' if zero_ok else '> 0'}, not {value!r}")
    return int(value) if integer else float(value)


def _url(where: str, value: Any) -> str:
    """An http(s) URL with a host (and a valid port, no spaces); a scheme typo gets a did-you-mean hint."""
    from difflib import get_close_matches
    from urllib.parse import urlsplit

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
                near = get_close_matches(scheme.lower(), ["http", "https"], n=1, cutoff=0.7) if scheme else []
                rest = value.split(":", 1)[1].lstrip("/") if near else ""
                problem = (f"did you mean {near[0] + '://' + rest!r}?" if near
                           else "it does not start with http:// or https://")
            elif not parts.hostname or any(c.isspace() for c in value.strip()):
                problem = "it has no host name" if not parts.hostname else "it contains a space"
    if problem:
        raise ConfigError(f"config: '{where}' must be an http(s) URL such as https://host/path, not {value!r} "
                          f"({problem})")
    return value.strip().rstrip("/")


@dataclass(frozen=True)
class SourceSettings:
    source: Source
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


def parse_fetch_settings(section: dict | None, root: str | Path) -> FetchSettings:
    """Validate ``cfg.sections.get("fetch", {})``; paths are relative to ``root`` (the config's folder)."""
    section = section or {}
    if not isinstance(section, dict):
        raise ConfigError("config: 'fetch' must be a mapping of keys to values")
    _unknown("fetch.", section, TOP_KEYS)
    root = Path(root)
    cache_dir = section.get("cache_dir", "data/cache")
    if not isinstance(cache_dir, str) or not cache_dir.strip():
        raise ConfigError("config: 'fetch.cache_dir' must be a folder path")
    mirror = section.get("mirror")
    mirror = _url("fetch.mirror", mirror) if mirror is not None else None
    timeout = _positive("fetch.timeout", section.get("timeout", 60))
    deadline = _positive("fetch.deadline", section.get("deadline", 3600))
    retries = _positive("fetch.retries", section.get("retries", 4), integer=True, zero_ok=True)
    page_size = _positive("fetch.page_size", section.get("page_size", 2000), integer=True)
    member_mb = _positive("fetch.max_member_mb", section.get("max_member_mb", 4096))
    total_mb = _positive("fetch.max_total_mb", section.get("max_total_mb", 16384))

    overrides = section.get("sources") or {}
    if not isinstance(overrides, dict):
        raise ConfigError("config: 'fetch.sources' must be a mapping of source names to settings")
    _unknown("fetch.sources.", overrides, tuple(BY_NAME))
    sources = {}
    for name, src in BY_NAME.items():
        over = overrides.get(name) or {}
        if not isinstance(over, dict):
            raise ConfigError(f"config: 'fetch.sources.{name}' must be a mapping (url, timeout, deadline, retries, enabled, where)")
        _unknown(f"fetch.sources.{name}.", over, SOURCE_KEYS)
        if "url" in over and over["url"] is not None:
            url = _url(f"fetch.sources.{name}.url", over["url"])
        elif mirror:
            url = f"{mirror}/{src.mirror_path}"
        else:
            url = src.url
        enabled = over.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"config: 'fetch.sources.{name}.enabled' must be true or false")
        where = over.get("where", src.where)
        if not isinstance(where, str) or not where.strip():
            raise ConfigError(f"config: 'fetch.sources.{name}.where' must be an ArcGIS where clause such as \"1=1\"")
        if "where" in over and src.kind != "arcgis":
            raise ConfigError(f"config: 'fetch.sources.{name}.where' applies only to ONS ArcGIS layers")
        sources[name] = SourceSettings(
            source=src, url=url,
            timeout=_positive(f"fetch.sources.{name}.timeout", over.get("timeout", timeout)),
            retries=_positive(f"fetch.sources.{name}.retries", over.get("retries", retries), integer=True, zero_ok=True),
            enabled=enabled, where=where,
            deadline=_positive(f"fetch.sources.{name}.deadline", over.get("deadline", deadline)),
        )
    return FetchSettings(
        cache_dir=(root / cache_dir).resolve(), mirror=mirror, timeout=timeout, retries=retries, page_size=page_size,
        max_member_bytes=int(member_mb * (1 << 20)), max_total_bytes=int(total_mb * (1 << 20)), sources=sources,
        deadline=deadline,
    )
