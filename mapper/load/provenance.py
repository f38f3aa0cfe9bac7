"""The registry of shipped data files (``data/sources.yaml``): provenance for outputs."""

from __future__ import annotations

from pathlib import Path

from .._io import load_yaml, sha256_file
from ..errors import ConfigError


def load_registry(root: Path) -> dict:
    path = root / "data" / "sources.yaml"
    try:
        return load_yaml(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: the sources registry is missing; it documents every input's licence") from None


def describe(paths: list[Path], root: Path, registry: dict) -> list[dict]:
    """Provenance records for input files: registry entry (if any) plus the file's sha256."""
    records = []
    for path in paths:
        path = Path(path)
        try:
            rel = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        entry = dict(registry.get("files", {}).get(rel, {}))
        digest = sha256_file(path)
        record = {
            "file": rel,
            "title": entry.get("title", path.name),
            "publisher": entry.get("publisher", "unknown (not in data/sources.yaml)"),
            "release": entry.get("release", "unknown"),
            "licence": entry.get("licence", "unknown"),
            "sha256": digest,
            "bytes": path.stat().st_size,
        }
        if entry.get("sha256") and entry["sha256"] != digest:
            record["warning"] = "sha256 differs from data/sources.yaml: the file was changed or replaced"
        if entry.get("url"):
            record["url"] = entry["url"]
        record["attribution_key"] = entry.get("attribution")
        record["year"] = entry.get("year")
        records.append(record)
    return records


def attributions(records: list[dict], registry: dict) -> list[str]:
    """One attribution line per publisher, years combined, Ofcom first.

    >>> reg = {"attribution_lines": {"ofcom": "Contains Ofcom data © Ofcom {year}."}}
    >>> attributions([{"attribution_key": "ofcom", "year": 2025}, {"attribution_key": "ofcom", "year": 2024}], reg)
    ['Contains Ofcom data © Ofcom 2024, 2025.']
    """
    years: dict[str, set] = {}
    for r in records:
        key = r.get("attribution_key")
        if key:
            years.setdefault(key, set()).update({r["year"]} if r.get("year") else set())
    lines = []
    order = ["ofcom", "ons", "mhclg", "mhclg2025", "mysociety", "geonames"]
    for key in sorted(years, key=lambda k: (order.index(k) if k in order else len(order), k)):
        template = registry.get("attribution_lines", {}).get(key)
        if template:
            lines.append(template.format(year=", ".join(str(y) for y in sorted(years[key]))))
    return lines
