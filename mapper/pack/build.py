"""Assemble the bid evidence pack from the frames the maps were built from.

:func:`render_pack` returns every file's bytes (nothing written);
:func:`write_pack` publishes them as one set (switched in one step) and removes files
that the previous pack made but this one no longer makes.

Layout of ``outputs/pack/``::

    manifest.json                          inputs, config, version, levels, GeoPackage CRS, every output with sha256
    midlands_evidence_pack.xlsx            workbook (sheets listed in workbook.sheets)
    csv/<sheet>.csv                        one CSV per workbook sheet (code-name headers)
    midlands_connectivity.gpkg             one layer per level (EPSG:27700) + pack_metadata table
    maps/midlands_<level>_tiers.png|pdf    Midlands priority tiers
    maps/midlands_<level>_gap.png|pdf      Midlands premises without gigabit (share and count)
    maps/<code>_<name>_tiers.png|pdf       each pack area with its neighbours, tiers
    maps/<code>_<name>_gap.png|pdf         ... and premises without gigabit
    narrative/midlands.md|docx             the Midlands overview (always written)
    narrative/annex.md|docx                method, data quality and sources, shared by every document
    narrative/<code>_<name>.md|docx        one evidence document per pack area (opens with the case for investment)
    narrative/<code>_<name>_mp_brief.md|docx   a one-page MP brief per pack constituency
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import __version__
from ..load.provenance import attributions, load_registry
from ..publish.files import publish_files
from . import annex, documents, maps, narrative, workbook
from .areas import Area, resolve_areas, top_areas
from .stable import normalise_zip, release_datetime, stamp_geopackage
from .tables import (
    area_facts,
    class_totals,
    data_release,
    level_noun,
    level_release,
    midlands_facts,
    month_text,
    pack_table,
    release_text,
)

SCHEMA_VERSION = "2"
WORKBOOK = "midlands_evidence_pack.xlsx"
GEOPACKAGE = "midlands_connectivity.gpkg"
GPKG_CRS = "EPSG:27700"
MANIFEST = "manifest.json"
LAYERS = {"la": "local_authorities", "pcon": "constituencies"}
MAP_STEMS = {"la": "midlands_la", "pcon": "midlands_constituency"}
MIDLANDS_NARRATIVE = "narrative/midlands"
ANNEX = "narrative/annex"
MAP_KINDS = ("tiers", "gap")
#: Integer columns of the GeoPackage (counts and ranks): stored as integers, not floats.
INTEGER_SUFFIXES = ("_num", "_den", "_n")
INTEGER_COLUMNS = ("premises", "population", "nonres_premises", "rank", "tier", "rank_in_class", "tier_in_class",
                   "rank_p05", "rank_p95", "rank_rate", "tier_rate", "rank_count", "tier_count")


def pack_levels(frames) -> dict:
    """The levels a pack covers, by key: local authorities and the current (2024) constituencies.

    The 2010-2024 seats are a level only for change over time: their change sheet and the
    Midlands change paragraph are built from them (:func:`change_levels`), nothing else.
    """
    return {lv.key: lv for lv in frames.levels if lv.key in ("la", "pcon")}


def change_levels(frames) -> dict:
    """Levels carrying change over time (an earlier release on the same boundaries), by key."""
    return {lv.key: lv for lv in frames.levels if lv.key != "lsoa" and "gigabit_gain_n" in lv.frame.columns}


def layer_name(key: str) -> str:
    return LAYERS.get(key, key)


def map_stem(key: str) -> str:
    return MAP_STEMS.get(key, f"midlands_{key}")


def method_statement(cfg, frames) -> str:
    """The generated method statement (``mapper.publish.methodology``)."""
    from ..publish.methodology import methodology_markdown

    return methodology_markdown(cfg, frames)


def _int_column(series: pd.Series) -> pd.Series | None:
    x = pd.to_numeric(series, errors="coerce")
    valid = x.dropna()
    if len(valid) and not ((valid - valid.round()).abs() < 1e-9).all():
        return None
    return x.round().astype("Int64")


def geopackage_layer(level, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The level's table with its geometry in British National Grid; counts and ranks as integers."""
    table = table.copy()
    for c in table.columns:
        dtype = str(table[c].dtype)
        if c in INTEGER_COLUMNS or c.endswith(INTEGER_SUFFIXES) or c.startswith("england_rank_"):
            ints = _int_column(table[c]) if c != "change_from_release" else None
            if ints is not None:
                table[c] = ints
                continue
        if dtype == "boolean":
            table[c] = table[c].astype(object)
        elif dtype == "Float64":
            table[c] = table[c].astype("float64")
        elif dtype.startswith(("string", "str")) or "pyarrow" in dtype:
            table[c] = table[c].astype(object)
    geo = level.frame[["code", "geometry"]].merge(table, on="code", how="right")
    return gpd.GeoDataFrame(geo, geometry="geometry", crs=level.frame.crs).to_crs(GPKG_CRS)


def _geopackage(tables: dict[str, pd.DataFrame], levels: dict, meta: dict[str, str], when) -> bytes:
    with tempfile.TemporaryDirectory(prefix="mapper-pack-") as tmp:
        path = Path(tmp) / GEOPACKAGE
        dates = {}
        for key, level in levels.items():
            geopackage_layer(level, tables[key]).to_file(path, layer=layer_name(key), driver="GPKG", engine="pyogrio")
            dates[layer_name(key)] = release_datetime(level_release(level) or "")
        stamp_geopackage(path, when, meta, layer_dates=dates)
        return path.read_bytes()


def _sha(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def pack_areas(cfg, frames, area_args: list[str] | None) -> list[Area]:
    """``--area`` values if given, else ``pack.areas`` from config, else the top-N priority LAs."""
    queries = list(area_args or []) or list(cfg.pack.areas)
    return resolve_areas(frames, queries) if queries else top_areas(frames, cfg.pack.top)


def release_line(cfg, frames, level) -> str:
    """'Data: Ofcom Connected Nations fixed coverage, July 2025; areas: Local authorities.' for map footers."""
    return (f"Data: Ofcom Connected Nations fixed coverage, {release_text(_coverage_release(cfg, frames, level))}; "
            f"areas: {level.title}.")


def _attributions(level) -> list[str]:
    return list(level.attributions or [])


def _render_shared(cfg, frames, levels, tables, ctot, registry, ctx, release, when) -> dict[str, bytes]:
    """The area-independent files: Midlands maps, the Midlands overview and the annex."""
    files: dict[str, bytes] = {}
    for key, level in levels.items():
        made = maps.midlands_maps(level, cfg, ctx, release_line=release_line(cfg, frames, level),
                                  attributions=_attributions(level))
        for kind, (png, pdf) in made.items():
            files[f"maps/{map_stem(key)}_{kind}.png"], files[f"maps/{map_stem(key)}_{kind}.pdf"] = png, pdf
    scored = [c.name for c in cfg.score.indicators]
    mf = midlands_facts(frames.la, frames.pcon, cfg, frames, tables, ctot["la"])
    stem = map_stem("la")
    la_release = month_text(level_release(frames.la))
    map_list = [(f"../maps/{stem}_tiers.png", files[f"maps/{stem}_tiers.png"],
                 f"Midlands local authorities by priority tier (Ofcom data of {la_release})."),
                (f"../maps/{stem}_gap.png", files[f"maps/{stem}_gap.png"],
                 f"Midlands local authorities: premises without gigabit-capable broadband, share and number "
                 f"(Ofcom data of {la_release}).")]
    sources = annex.unique_sources(frames)
    attrs = attributions(sources, registry)
    if ctx.places_credit:
        attrs = [*attrs, ctx.places_credit]
    blocks = narrative.build_midlands_blocks(mf, cfg, scored=[n for n in scored if n in mf.whole.figures],
                                             maps=map_list, attributions=attrs,
                                             pcon_title=levels["pcon"].title if "pcon" in levels else None)
    files.update(_document(MIDLANDS_NARRATIVE, blocks, title="The Midlands: digital connectivity evidence",
                           subject=cfg.title, when=when,
                           footer=f"Midlands overview. Ofcom data of {la_release}. Contains Ofcom data."))
    ablocks = annex.annex_blocks(cfg, frames, list(levels.values()), method_md=method_statement(cfg, frames),
                                 registry=registry, places_credit=ctx.places_credit, gpkg_crs=GPKG_CRS,
                                 release=release)
    files.update(_document(ANNEX, ablocks, title="Annex: method, data quality and sources", subject=cfg.title,
                           when=when, footer=f"Evidence pack annex. Data release {month_text(release)}."))
    return files


def _document(stem: str, blocks: list[tuple], *, title: str, subject: str, when, footer: str) -> dict[str, bytes]:
    docx = documents.to_docx(blocks, title=title, subject=subject, created=when,
                             header=f"{title} | Midlands connectivity evidence pack", footer=footer)
    return {f"{stem}.md": documents.to_markdown(blocks).encode("utf-8"), f"{stem}.docx": normalise_zip(docx, when)}


def render_pack(cfg, frames, areas: list[Area], *, progress: bool | None = None, cache=None) -> dict[str, bytes]:
    """Every pack file's bytes keyed by relative path. Pure apart from ``cache`` (a :class:`PackCache`)."""
    from tqdm import tqdm

    release = data_release(frames)
    when = release_datetime(release)
    registry = load_registry(cfg.root)
    levels = pack_levels(frames)
    tables = {k: pack_table(lv, cfg) for k, lv in levels.items()}
    ctot = {k: class_totals(lv) for k, lv in levels.items()}
    ctx = maps.map_context(cfg, frames)
    files: dict[str, bytes] = {}

    shared = None
    if cache is not None:
        from .cache import render_key
        key = render_key(cfg, frames, "shared")
        shared = cache.get("shared", key)
    if shared is None:
        shared = _render_shared(cfg, frames, levels, tables, ctot, registry, ctx, release, when)
        if cache is not None:
            cache.put("shared", key, shared)
    files.update(shared)

    facts_list = []
    scored = [c.name for c in cfg.score.indicators]
    show = sys.stderr.isatty() if progress is None else progress
    for area in tqdm(areas, desc="pack areas", unit="area", disable=not show, file=sys.stderr):
        level = levels[area.level]
        noun = level_noun(area.level)
        facts = area_facts(level, cfg, frames, area.code, tables[area.level], ctot[area.level])
        facts_list.append(facts)
        made = maps.area_maps(level, cfg, ctx, area.code, release_line=release_line(cfg, frames, level),
                              attributions=_attributions(level), noun=noun)
        for kind, (png, pdf) in made.items():
            files[f"maps/{area.slug}_{kind}.png"], files[f"maps/{area.slug}_{kind}.pdf"] = png, pdf
        rel = month_text(facts.release)
        map_list = [(f"../maps/{area.slug}_tiers.png", made["tiers"][0],
                     f"{facts.name} ({noun}, {area.code}) and neighbouring areas by priority tier (Ofcom data of {rel})."),
                    (f"../maps/{area.slug}_gap.png", made["gap"][0],
                     f"{facts.name} ({noun}) and neighbouring areas: premises without gigabit-capable broadband, share "
                     f"and number (Ofcom data of {rel}).")]
        attrs = _attributions(level) + ([ctx.places_credit] if ctx.places_credit else [])
        blocks = narrative.build_blocks(facts, cfg, scored=[n for n in scored if n in facts.figures], maps=map_list,
                                        attributions=attrs)
        files.update(_document(f"narrative/{area.slug}", blocks,
                               title=f"{narrative.title(facts)}: digital connectivity evidence", subject=cfg.title,
                               when=when, footer=f"{narrative.title(facts)}. Ofcom data of {rel}. Contains Ofcom data."))
        if area.level.startswith("pcon"):
            brief = narrative.mp_brief_blocks(facts, cfg, level, attributions=_attributions(level))
            files.update(_document(f"narrative/{area.slug}_mp_brief", brief,
                                   title=f"{narrative.title(facts)}: MP brief", subject=cfg.title, when=when,
                                   footer=f"MP brief. Ofcom data of {rel}. Contains Ofcom data."))

    book = workbook.sheets(cfg, frames, levels, tables, facts_list, registry, method_statement(cfg, frames),
                           places_credit=ctx.places_credit, changes=change_levels(frames))
    files[WORKBOOK] = normalise_zip(workbook.to_xlsx(book, title=f"{cfg.title}: evidence pack", created=when), when)
    for name, sheet in book.items():
        files[f"csv/{workbook.csv_name(name)}"] = workbook.to_csv(sheet)

    layer_releases = {layer_name(k): level_release(lv) or "unknown" for k, lv in levels.items()}
    meta = {"schema_version": SCHEMA_VERSION, "data_release": release, "tool_version": __version__,
            "config_sha256": cfg.sha256, "layers": ",".join(layer_name(k) for k in levels), "title": cfg.title,
            "crs": GPKG_CRS, **{f"data_release:{name}": rel for name, rel in layer_releases.items()}}
    files[GEOPACKAGE] = _geopackage(tables, levels, meta, when)
    files[MANIFEST] = manifest(cfg, frames, registry, areas, files, release, levels).encode("utf-8")
    return files


def _coverage_release(cfg, frames, level) -> str:
    file = level.coverage.meta.get("file")
    rec = next((r for r in frames.sources if r["file"].endswith("/" + str(file))), None)
    return rec["release"] if rec else (level.coverage.meta.get("release_date") or "unknown")


def manifest(cfg, frames, registry: dict, areas: list[Area], files: dict[str, bytes], release: str,
             levels: dict | None = None) -> str:
    lines = registry.get("attribution_lines", {})
    levels = levels or pack_levels(frames)
    try:
        config_file = cfg.path.resolve().relative_to(cfg.root.resolve()).as_posix()
    except ValueError:
        config_file = cfg.path.as_posix()
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "midlands-connectivity-mapper", "version": __version__},
        "data_release": release,
        "levels": [{"key": k, "title": lv.title, "data_release": level_release(lv), "areas": len(lv.frame)}
                   for k, lv in levels.items()],
        "geopackage": {"file": GEOPACKAGE, "crs": GPKG_CRS,
                       "note": "British National Grid only (no EPSG:4326 copy); reproject in GIS if needed",
                       "layers": {layer_name(k): {"data_release": level_release(lv), "features": len(lv.frame)}
                                  for k, lv in levels.items()}},
        "config": {"file": config_file, "sha256": cfg.sha256},
        "areas": [{"level": a.level, "code": a.code, "name": a.name} for a in areas],
        "inputs": [{
            "file": r["file"], "title": r["title"], "publisher": r["publisher"], "release": r["release"],
            "licence": r["licence"], "sha256": r["sha256"], "bytes": r["bytes"], "url": annex.source_url(r) or None,
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
               *, progress: bool | None = None, cache=None) -> list[Path]:
    areas = pack_areas(cfg, frames, area_args)
    files = render_pack(cfg, frames, areas, progress=progress, cache=cache)
    return write_pack(files, Path(out_dir) if out_dir else Path(cfg.outputs_dir) / "pack")
