"""``make fetch``: download every enabled source into the cache and write ``manifest.json``.

Layout of the cache folder (``fetch.cache_dir``, default ``data/cache/``)::

    files/<sha256(url)>.<ext>   the downloaded body, exactly as served
    files/<sha256(url)>.json    its sidecar: url, bytes, sha256, fetched_at, licence
    sources/<name>.geojson      an ONS layer, all pages joined (WGS84)
    sources/<name>/<file>.csv   the members extracted from a zip (flat)
    manifest.json               one record per source, sorted, no clock times
                                except each download's first fetched_at

Rerunning with a warm cache downloads nothing and rewrites byte-identical
files. ``offline=True`` uses only the cache and, if anything is missing, raises
one :class:`~mapper.errors.FetchError` listing every missing source.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from .._io import atomic_write_bytes, atomic_write_text, sha256_file
from ..config import FetchSettings, SourceSettings
from ..errors import ArchiveError, FetchError
from . import arcgis
from ._http import Fetcher
from .archive import extract_members
from .sources import SOURCES

MANIFEST = "manifest.json"


def _quoted(codes) -> str:
    return ", ".join(f"'{c}'" for c in sorted(set(codes)))


def norm_name(text: str) -> str:
    """File-name form of an area name, for matching BDUK's per-LA CSV names.

    >>> norm_name("Herefordshire, County of"), norm_name("Stoke-on-Trent"), norm_name("Bath_and_North_East_Somerset.csv")
    ('herefordshire', 'stoke_on_trent', 'bath_and_north_east_somerset')
    """
    text = re.sub(r"\.csv$", "", str(text), flags=re.IGNORECASE).casefold()
    text = re.sub(r",\s*(county|city) of$", "", text)
    text = text.replace("&", " and ")
    return "_".join(re.findall(r"[a-z0-9]+", text))


def _predicate(include, exclude) -> Callable[[str], bool]:
    import fnmatch

    inc = [p.casefold() for p in include]
    exc = [p.casefold() for p in exclude]

    def ok(name: str) -> bool:
        base = name.replace("\\", "/").rsplit("/", 1)[-1].casefold()
        return any(fnmatch.fnmatchcase(base, p) for p in inc) and not any(fnmatch.fnmatchcase(base, p) for p in exc)

    return ok


class _Run:
    def __init__(self, cfg, settings: FetchSettings, offline: bool, sleep, progress, log):
        self.cfg, self.settings, self.offline = cfg, settings, offline
        self.sleep, self.progress, self.log = sleep, progress, log
        self.out_dir = settings.cache_dir / "sources"
        self.results: dict[str, dict] = {}
        self.frames: dict[str, pd.DataFrame] = {}
        self.missing: list[tuple[str, str]] = []

    def fetcher(self, ss: SourceSettings) -> Fetcher:
        kwargs = {"sleep": self.sleep} if self.sleep is not None else {}
        return Fetcher(self.settings.cache_dir, offline=self.offline, timeout=ss.timeout, retries=ss.retries,
                       deadline=ss.deadline, progress=self.progress, log=self.log, **kwargs)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.settings.cache_dir).as_posix()

    def file_record(self, path: Path) -> dict:
        return {"path": self.rel(path), "bytes": path.stat().st_size, "sha256": sha256_file(path)}

    # --------------------------------------------------------------- ArcGIS
    def where(self, ss: SourceSettings) -> str:
        values = {"regions": _quoted(self.cfg.regions)}
        if "{lads}" in ss.where:
            lad = self.frames.get("lad_region")
            if lad is None:
                raise FetchError(f"{ss.source.name}: needs the LAD list from 'lad_region', which was not fetched")
            values["lads"] = _quoted(lad["LAD24CD"])
        if "{lsoas}" in ss.where:
            look = self.frames.get("oa_lsoa_lookup")
            if look is None:
                raise FetchError(f"{ss.source.name}: needs the LSOA list from 'oa_lsoa_lookup', which was not fetched")
            values["lsoas"] = _quoted(look["LSOA21CD"])
        return ss.where.format(**values)

    def do_arcgis(self, ss: SourceSettings) -> dict:
        src = ss.source
        where = self.where(ss)
        query = {"where": where, "outFields": src.out_fields, "orderByFields": src.order_by,
                 "returnGeometry": str(src.return_geometry).lower(), "outSR": "4326", "f": "geojson"}
        key = f"{ss.url}/query?{urlencode(sorted(query.items()))}"
        f = self.fetcher(ss)
        rec = f.lookup(key)
        if rec is None:
            if self.offline:
                raise f.missing(f"{ss.url}/query", src.name)
            self.log(f"fetch {src.name}: {ss.url} (paged, where {where[:60]}{'...' if len(where) > 60 else ''})")
            coll = arcgis.query_layer(f, ss.url, where=where, out_fields=src.out_fields, order_by=src.order_by,
                                      return_geometry=src.return_geometry, page_size=self.settings.page_size)
            rec = f.put_bytes(key, arcgis.dumps_collection(coll), licence=src.licence, suffix=".geojson")
        data = f.path_of(rec).read_bytes()
        coll = json.loads(data)
        rows = [feat.get("properties") or {} for feat in coll.get("features", [])]
        self.frames[src.name] = pd.DataFrame(rows)
        out = self.out_dir / f"{src.name}.geojson"
        if not out.exists() or out.read_bytes() != data:
            atomic_write_bytes(out, data)
        download = {k: v for k, v in rec.as_dict().items() if k != "url"}
        download["url"] = f"{ss.url}/query"
        download["where_sha256"] = __import__("hashlib").sha256(where.encode()).hexdigest()
        return {"download": download, "files": [self.file_record(out)], "features": len(rows)}

    # ------------------------------------------------------------------ zips
    def lad_names(self, region: str) -> dict[str, str]:
        lad = self.frames.get("lad_region")
        if lad is None:
            path = self.cfg.inputs.get("lad_region_lookup")
            if path is None:
                raise FetchError("BDUK: no LAD -> region lookup to choose the Midlands local authorities")
            lad = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        rows = lad[lad["RGN24CD"] == region] if region else lad
        return {norm_name(n): c for c, n in zip(rows["LAD24CD"], rows["LAD24NM"])}

    def do_zip(self, ss: SourceSettings) -> dict:
        src = ss.source
        f = self.fetcher(ss)
        if not self.offline and f.lookup(ss.url) is None:
            self.log(f"fetch {src.name}: {ss.url}")
        rec = f.fetch(ss.url, licence=src.licence, suffix=".zip", expect="zip", what=src.name)
        if src.kind == "bduk":
            names = self.lad_names(src.region)
            csv_ok = lambda n: n.lower().endswith(".csv") and any(  # noqa: E731
                norm_name(n.replace("\\", "/").rsplit("/", 1)[-1]) == k
                or norm_name(n.replace("\\", "/").rsplit("/", 1)[-1]).endswith("_" + k) for k in names)
        else:
            csv_ok = _predicate(src.include, src.exclude)
        nested_ok = _predicate(src.nested, src.exclude) if src.nested else (lambda n: False)
        final = self.out_dir / src.name
        tmp = self.out_dir / f".{src.name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            files = self.extract(f.path_of(rec), tmp, csv_ok, nested_ok, depth=0)
        except ArchiveError:
            shutil.rmtree(tmp, ignore_errors=True)
            f.evict(ss.url)  # a corrupt body must not stay in the cache
            raise
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        files = sorted(final / p.name for p in files)
        result = {"download": rec.as_dict(), "files": [self.file_record(p) for p in files]}
        if not files:
            result["warning"] = "no member of the archive matched; check the release layout or fetch.sources.*.url"
        return result

    def extract(self, archive: Path, dest: Path, csv_ok, nested_ok, depth: int) -> list[Path]:
        s = self.settings
        got = extract_members(archive, dest, include=lambda n: csv_ok(n) or (depth < 2 and nested_ok(n)),
                              max_member_bytes=s.max_member_bytes, max_total_bytes=s.max_total_bytes)
        files = []
        for p in got:
            if p.suffix.lower() == ".zip" and not csv_ok(p.name):
                inner_dir = dest / f".{p.stem}.inner"
                inner = self.extract(p, inner_dir, csv_ok, nested_ok, depth + 1)
                p.unlink()
                for q in inner:
                    target = dest / q.name
                    if target.exists():
                        raise ArchiveError(f"{archive}: two members are both named {q.name!r}")
                    q.rename(target)
                    files.append(target)
                shutil.rmtree(inner_dir, ignore_errors=True)
            else:
                files.append(p)
        return files

    # ------------------------------------------------------------------ run
    def run(self, only: tuple[str, ...] | None) -> dict:
        for src in SOURCES:
            ss = self.settings.sources[src.name]
            base = {"title": src.title, "publisher": src.publisher, "licence": src.licence, "kind": src.kind}
            if only and src.name not in only:
                continue
            if not ss.enabled:
                self.results[src.name] = {**base, "status": "disabled"}
                continue
            if ss.url is None:
                self.results[src.name] = {**base, "status": "skipped", "reason": (
                    f"no URL: set fetch.sources.{src.name}.url to the region's zip on the GOV.UK publication page, "
                    "or set fetch.mirror")}
                self.log(f"skip {src.name}: {self.results[src.name]['reason']}")
                continue
            try:
                got = self.do_arcgis(ss) if src.kind == "arcgis" else self.do_zip(ss)
            except FetchError as exc:
                if not self.offline or getattr(exc, "cache_damaged", False):
                    raise
                what = ss.url if "offline" in str(exc) else "needs a source above"
                self.missing.append((src.name, what))
                continue
            self.results[src.name] = {**base, "status": "ok", **got}
            if "warning" in got:
                self.log(f"warning {src.name}: {got['warning']}")
        if self.missing:
            by_what: dict[str, list[str]] = {}
            for name, what in self.missing:
                by_what.setdefault(what, []).append(name)
            raise FetchError(
                f"offline: {len(self.missing)} source(s) are not in the cache {self.settings.cache_dir}: "
                + "; ".join(f"{', '.join(names)} ({what})" for what, names in by_what.items())
                + ". Run 'make fetch' with internet access first"
            )
        return {"cache_dir": self.settings.cache_dir.name, "sources": self.results}


def fetch_all(cfg, offline: bool = False, *, only: tuple[str, ...] | None = None, sleep=None,
              progress: bool | None = None, log: Callable[[str], None] | None = None) -> dict:
    """Fetch every enabled source into the cache and write ``<cache_dir>/manifest.json``.

    Returns the manifest (a dict). ``only`` limits the run to the named sources
    (their dependencies must be cached or included). ``sleep`` replaces the
    backoff sleep (tests); ``log`` receives one line per action (default: stderr).
    """
    settings = cfg.fetch
    log = log or (lambda line: print(line, file=sys.stderr))
    manifest = _Run(cfg, settings, offline, sleep, progress, log).run(only)
    path = settings.cache_dir / MANIFEST
    previous = json.loads(path.read_text("utf-8")) if (only and path.exists()) else {"sources": {}}
    previous["sources"].update(manifest["sources"])
    previous["cache_dir"] = manifest["cache_dir"]
    text = json.dumps(previous, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if not path.exists() or path.read_text("utf-8") != text:
        atomic_write_text(path, text)
    return previous


def fetched_files(cfg) -> dict[str, list[Path]]:
    """Source name -> extracted/assembled file paths, from the manifest (empty if nothing was fetched)."""
    settings = cfg.fetch
    path = settings.cache_dir / MANIFEST
    if not path.exists():
        return {}
    manifest = json.loads(path.read_text("utf-8"))
    return {name: [settings.cache_dir / f["path"] for f in rec.get("files", [])]
            for name, rec in sorted(manifest["sources"].items()) if rec.get("status") == "ok"}
