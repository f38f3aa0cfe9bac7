"""``python -m mapper fetch``: the command-line face of :func:`mapper.fetch.fetch_all`."""

from __future__ import annotations

import sys


def add_fetch_parser(sub) -> None:
    f = sub.add_parser("fetch", help="download the official inputs (ONS layers, Ofcom zips, BDUK) into the cache")
    f.add_argument("--offline", action="store_true", help="use only the cache; fail naming anything missing")
    f.add_argument("--only", nargs="+", metavar="SOURCE", help="fetch only these sources (see mapper/fetch/sources.py)")


def run_fetch(args, cfg) -> int:
    from ..errors import ConfigError
    from . import fetch_all
    from .sources import BY_NAME

    unknown = [s for s in (args.only or []) if s not in BY_NAME]
    if unknown:
        raise ConfigError(f"fetch --only: unknown source(s) {unknown}; choose from {', '.join(BY_NAME)}")
    manifest = fetch_all(cfg, offline=args.offline, only=tuple(args.only) if args.only else None)
    cache = cfg.fetch.cache_dir
    for name, rec in sorted(manifest["sources"].items()):
        files = rec.get("files", [])
        extra = rec.get("reason") or rec.get("warning") or ""
        print(f"{name:22} {rec['status']:8} {len(files)} file(s) {extra}".rstrip())
    print(f"wrote {cache / 'manifest.json'}", file=sys.stderr)
    return 0
