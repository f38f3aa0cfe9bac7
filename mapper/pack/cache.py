"""Reuse what an earlier run built: the loaded frames and the area-independent part of the pack.

A pack of one area needs the frames (loaded and scored inputs) and the Midlands-wide maps,
overview and annex, none of which depend on the chosen areas. Both are kept in
``<outputs_dir>/.cache/pack/`` as pickles named by a key that changes whenever anything
they were built from changes:

* **frames** (:func:`inputs_key`): the tool version, the code of the ``mapper`` package, the
  config file's sha256, and the path, size and modification time of every configured input
  and of every file ``make fetch`` left in its cache folder (as ``make`` judges freshness);
* **rendered files** (:func:`render_key`): the tool version, the code, the config and the
  sha256 of every input as recorded in the frames' provenance.

Only the newest entry of each kind is kept. A cached result is byte-for-byte what a fresh
render gives (the renderers are deterministic; the tests compare both), so the cache can
only make a pack faster, never different. A damaged cache file is ignored and rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
from pathlib import Path

from .. import __version__

PACKAGE = Path(__file__).resolve().parents[1]   # mapper/


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """sha256 over the source of every module of the ``mapper`` package (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".js", ".css", ".json", ".html"):
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _stat(path: Path) -> list:
    try:
        st = path.stat()
        return [path.as_posix(), st.st_size, st.st_mtime_ns]
    except OSError:
        return [path.as_posix(), None, None]


def _fetch_cache_dir(cfg) -> Path:
    fetch = getattr(cfg, "fetch", None)
    return Path(fetch.cache_dir) if fetch is not None else Path(cfg.root) / "data" / "cache"


def inputs_key(cfg) -> str:
    """Key of the frames: version, code, config, and the size and mtime of every input file."""
    files = sorted({Path(p) for p in cfg.inputs.values() if p is not None})
    fetched = _fetch_cache_dir(cfg)
    if fetched.is_dir():
        files += sorted(p for p in fetched.rglob("*") if p.is_file())
    doc = {"version": __version__, "code": code_hash(), "config": cfg.sha256, "files": [_stat(p) for p in files]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def render_key(cfg, frames, *parts) -> str:
    """Key of rendered files: version, code, config, every input's sha256, and ``parts``."""
    doc = {"version": __version__, "code": code_hash(), "config": cfg.sha256,
           "inputs": sorted((s["file"], s["sha256"]) for s in frames.sources), "parts": [str(p) for p in parts]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


class PackCache:
    """Pickles in one folder, one per kind (``name``), named by key."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, name: str, key: str) -> Path:
        return self.folder / f"{name}-{key[:40]}.pickle"

    def get(self, name: str, key: str):
        path = self._path(name, key)
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:
            path.unlink(missing_ok=True)
            return None

    def put(self, name: str, key: str, value) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self._path(name, key)
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            for old in self.folder.glob(f"{name}-*.pickle"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            return  # a read-only outputs folder only costs speed


def default_cache(cfg) -> PackCache:
    return PackCache(Path(cfg.outputs_dir) / ".cache" / "pack")
