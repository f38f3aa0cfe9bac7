"""Assemble the bid evidence pack from the frames the maps were built from.

:func:`render_pack` returns every file's bytes (nothing written);
:func:`write_pack` publishes them as one set (switched in one step) and removes files
that the previous pack made but this one no longer makes.

Layout of ``outputs/pack/``::

    manifest.json                         inputs, config, version, every output with sha256
    midlands_evidence_pack.xlsx           workbook (sheets listed in workbook.sheets)
    csv/<sheet>.csv                       one CSV per workbook sheet
    midlands_connectivity.gpkg            one layer per level + pack_metadata table
    maps/midlands_<level>_tiers.png|pdf   Midlands tier maps
    maps/<code>_<name>.png|pdf            one map per pack area
    narrative/midlands.md|docx            the Midlands-wide narrative (always written)
    narrative/<code>_<name>.md|docx       one narrative per pack area
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import __version__
from ..publish.files import publish_files
from ..load.provenance import attributions, load_registry
from . import maps, narrative, workbook
from .areas import Area, resolve_areas, top_areas
from .stable import normalise_zip, release_datetime, stamp_geopackage
from .tables import area_facts, class_totals, data_release, midlands_facts, pack_table, release_text

SCHEMA_VERSION = "1"
WORKBOOK = "midlands_evidence_pack.xlsx"
GEOPACKAGE = "midlands_connectivity.gpkg"
MANIFEST = "manifest.json"
LAYERS = {"la": "local_authorities", "pcon": "constituencies"}
MAP_STEMS = {"la": "midlands_la_tiers", "pcon": "midlands_constituency_tiers"}
MIDLANDS_NARRATIVE = "narrative/midlands"


def method_statement(cfg, frames) -> str:
    """The methodology text: ``mapper.publish.methodology.methodology_markdown`` when present, else a short one from cfg.score."""
    try:
        from ..publish.methodology import methodology_markdown
    except ImportError:
        methodology_markdown = None
    if methodology_markdown is not None:
        return methodology_markdown(cfg, frames)
    s = cfg.score
    parts = ", ".join(f"{c.name} (weight {c.weight:g}{', reversed' if c.direction == 'reverse' else ''})" for c in s.indicators)
    return "\n".join([
        "Every indicator is a share made from two counts (numerator / denominator) published by Ofcom or derived "
        "from the English Indices of Deprivation. Shares for regions, classes and the Midlands add the counts of "
        "their areas and then divide; percentages are never averaged.",
        "",
        f"The priority score combines {parts}. Each share is put on a 0-1 scale by {s.normalisation} normalisation, "
        "weighted (weights rescaled to sum to 1) and expressed on a 0-100 scale, 100 being the most need.",
        "",
        f"Areas are ranked by score (rank 1 = most need) and grouped into {s.tiers.k} priority tiers by "
        f"{s.tiers.scheme.replace('_', ' ')} (tier 1 = highest priority). Areas with fewer than {s.min_premises} "
        "premises or a missing indicator get no score ('Insufficient data').",
        "",
        "Counts marked as estimates (mobile coverage, full-fibre take-up) are derived from published percentages "
        "multiplied by published premises or landmass counts.",
    ])


def _geopackage(tables: dict[str, pd.DataFrame], frames, meta: dict[str, str], when) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mapper-pack-") as tmp:
        path = Path(tmp) / GEOPACKAGE
        for level in (frames.la, frames.pcon):
            table = tables[level.key].copy()
            for c in table.columns:  # GeoPackage has no nullable-integer/bool dtypes: plain float/object
                if str(table[c].dtype) in ("Int64", "Float64", "boolean"):
                    table[c] = table[c].astype("float64") if str(table[c].dtype) != "boolean" else table[c].astype(object)
                elif str(table[c].dtype).startswith(("string", "str")) or "pyarrow" in str(table[c].dtype):
                    table[c] = table[c].astype(object)
            geo = level.frame[["code", "geometry"]].merge(table, on="code", how="right")
            gdf = gpd.GeoDataFrame(geo, geometry="geometry", crs=level.frame.crs)
            gdf.to_file(path, layer=LAYERS[level.key], driver="GPKG", engine="pyogrio")
        stamp_geopackage(path, when, meta)
        return path.read_bytes()


def _sha(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def pack_areas(cfg, frames, area_args: list[str] | None) -> list[Area]:
    """``--area`` values if given, else ``pack.areas`` from config, else the top-N priority LAs."""
    queries = list(area_args or []) or list(cfg.pack.areas)
    return resolve_areas(frames, queries) if queries else top_areas(frames, cfg.pack.top)


def render_pack(cfg, frames, areas: list[Area], *, progress: bool | None = None) -> dict[str, bytes]:
    """Every pack file's bytes keyed by relative path. Pure: writes nothing."""
    from tqdm import tqdm

    release = data_release(frames)
    when = release_datetime(release)
    registry = load_registry(cfg.root)
    levels = {"la": frames.la, "pcon": frames.pcon}
    tables = {k: pack_table(lv, cfg) for k, lv in levels.items()}
    ctot = {k: class_totals(lv) for k, lv in levels.items()}
    method_md = method_statement(cfg, frames)
    scored = [c.name for c in cfg.score.indicators]
    files: dict[str, bytes] = {}

    release_lines = {k: f"Data: Ofcom Connected Nations fixed coverage, {release_text(_coverage_release(cfg, frames, lv))}"
                     f" ({lv.coverage.meta.get('file')}); tiers from the composite priority score of this run."
                     for k, lv in levels.items()}
    for key, level in levels.items():
        png, pdf = maps.midlands_map(level, cfg, release_line=release_lines[key])
        files[f"maps/{MAP_STEMS[key]}.png"], files[f"maps/{MAP_STEMS[key]}.pdf"] = png, pdf

    files.update(midlands_narrative(cfg, frames, tables, ctot["la"], registry, method_md, scored, files,
                                    release_lines["la"], when))

    facts_list = []
    show = sys.stderr.isatty() if progress is None else progress
    for area in tqdm(areas, desc="pack areas", unit="area", disable=not show, file=sys.stderr):
        level = levels[area.level]
        facts = area_facts(level, cfg, frames, area.code, tables[area.level], ctot[area.level])
        facts_list.append(facts)
        png, pdf = maps.area_map(level, cfg, area.code, release_line=release_lines[area.level])
        files[f"maps/{area.slug}.png"], files[f"maps/{area.slug}.pdf"] = png, pdf
        caption = (f"{area.name} ({area.code}) and neighbouring areas by priority tier; "
                   f"{release_lines[area.level]}")
        blocks = narrative.build_blocks(
            facts, cfg, scored=[n for n in scored if n in facts.figures], map_file=f"../maps/{area.slug}.png",
            map_png=png, map_caption=caption, method_md=method_md, sources=level.sources or [],
            attributions=level.attributions or [])
        files[f"narrative/{area.slug}.md"] = narrative.to_markdown(blocks).encode("utf-8")
        docx = narrative.to_docx(blocks, title=f"{area.name}: digital connectivity evidence", subject=cfg.title,
                                 created=when)
        files[f"narrative/{area.slug}.docx"] = normalise_zip(docx, when)

    book = workbook.sheets(cfg, frames, tables, facts_list, registry, method_md)
    files[WORKBOOK] = normalise_zip(workbook.to_xlsx(book, title=f"{cfg.title}: evidence pack", created=when), when)
    for name, frame in book.items():
        files[f"csv/{workbook.csv_name(name)}"] = workbook.to_csv(frame)

    meta = {"schema_version": SCHEMA_VERSION, "data_release": release, "tool_version": __version__,
            "config_sha256": cfg.sha256, "layers": ",".join(LAYERS[k] for k in levels), "title": cfg.title}
    files[GEOPACKAGE] = _geopackage(tables, frames, meta, when)
    files[MANIFEST] = manifest(cfg, frames, registry, areas, files, release).encode("utf-8")
    return files


def midlands_narrative(cfg, frames, tables, la_class_totals, registry: dict, method_md: str, scored: list[str],
                       files: dict[str, bytes], release_line: str, when) -> dict[str, bytes]:
    """``narrative/midlands.md`` and ``.docx``: the whole Midlands from the LA totals, constituency change over time,
    with the Midlands LA tier map (already rendered into ``files``) embedded."""
    mf = midlands_facts(frames.la, frames.pcon, cfg, frames, tables, la_class_totals)
    seen: set[str] = set()
    sources = []
    for s in (frames.la.sources or []) + (frames.pcon.sources or []):
        if s["file"] not in seen:
            seen.add(s["file"])
            sources.append(s)
    stem = MAP_STEMS["la"]
    blocks = narrative.build_midlands_blocks(
        mf, cfg, scored=[n for n in scored if n in mf.whole.figures], map_file=f"../maps/{stem}.png",
        map_png=files[f"maps/{stem}.png"], map_caption=f"Midlands local authorities by priority tier; {release_line}",
        method_md=method_md, sources=sources, attributions=attributions(sources, registry))
    docx = narrative.to_docx(blocks, title="The Midlands: digital connectivity evidence", subject=cfg.title, created=when)
    return {f"{MIDLANDS_NARRATIVE}.md": narrative.to_markdown(blocks).encode("utf-8"),
            f"{MIDLANDS_NARRATIVE}.docx": normalise_zip(docx, when)}


def _coverage_release(cfg, frames, level) -> str:
    file = level.coverage.meta.get("file")
    rec = next((r for r in frames.sources if r["file"].endswith("/" + str(file))), None)
    return rec["release"] if rec else (level.coverage.meta.get("release_date") or "unknown")


def manifest(cfg, frames, registry: dict, areas: list[Area], files: dict[str, bytes], release: str) -> str:
    lines = registry.get("attribution_lines", {})
    try:
        config_file = cfg.path.resolve().relative_to(cfg.root.resolve()).as_posix()
    except ValueError:
        config_file = cfg.path.as_posix()
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "midlands-connectivity-mapper", "version": __version__},
        "data_release": release,
        "config": {"file": config_file, "sha256": cfg.sha256},
        "areas": [{"level": a.level, "code": a.code, "name": a.name} for a in areas],
        "inputs": [{
            "file": r["file"], "title": r["title"], "publisher": r["publisher"], "release": r["release"],
            "licence": r["licence"], "sha256": r["sha256"], "bytes": r["bytes"],
            "attribution": lines[r["attribution_key"]].format(year=r.get("year") or "")
            if r.get("attribution_key") in lines else None,
        } for r in frames.sources],
        "outputs": [{"file": name, "sha256": _sha(data), "bytes": len(data)}
                    for name, data in sorted(files.items()) if name != MANIFEST],
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _manifest_outputs(out_dir: Path) -> list[str]:
    """The outputs a pack's own ``manifest.json`` in ``out_dir`` lists (none if there is no such manifest)."""
    try:
        old = json.loads((Path(out_dir) / MANIFEST).read_text("utf-8"))
        if old.get("tool", {}).get("name") == "midlands-connectivity-mapper":  # only a pack's own manifest
            return [o["file"] for o in old.get("outputs", []) if isinstance(o["file"], str)]
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        pass
    return []


def write_pack(files: dict[str, bytes], out_dir: Path) -> list[Path]:
    """Publish the pack as one set (see :func:`mapper.publish.files.publish_files`): it switches in one step,
    and files of the previous pack that this one does not make are removed.

    The previous manifest's list of outputs is passed on for packs written by releases that published plain
    files; names from that file on disk are deleted only when they provably lie inside the pack folder.
    """
    return sorted(publish_files(files, Path(out_dir), previous_names=_manifest_outputs))


def build_pack(cfg, frames, area_args: list[str] | None = None, out_dir: Path | None = None,
               *, progress: bool | None = None) -> list[Path]:
    areas = pack_areas(cfg, frames, area_args)
    files = render_pack(cfg, frames, areas, progress=progress)
    return write_pack(files, Path(out_dir) if out_dir else Path(cfg.outputs_dir) / "pack")
