"""The ``pack`` subcommand: arguments and runner (registered by :mod:`mapper.cli`).

    python -m mapper pack                              # Midlands + pack.areas (or the top-5 LAs)
    python -m mapper pack --area E07000142             # one local authority by code
    python -m mapper pack --area "West Lindsey" --area Gainsborough --outputs /tmp/pack
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def add_pack_parser(sub) -> None:
    p = sub.add_parser("pack", help="build the bid evidence pack (workbook, narratives, print maps, GeoPackage) "
                                    "into outputs/pack/")
    p.add_argument("--area", action="append", metavar="CODE_OR_NAME",
                   help="a local authority or constituency, by ONS code or name (case-insensitive); repeat for more. "
                        "Default: pack.areas in config.yaml, else the top-5 priority local authorities")
    p.add_argument("--outputs", help="write the pack into this folder instead of <outputs_dir>/pack")
    p.add_argument("--no-cache", action="store_true",
                   help="load and render everything afresh; do not read or write <outputs_dir>/.cache/pack")


def load_frames(cfg, cache):
    """The frames of this build: from the pack cache when nothing they depend on changed, else built and kept."""
    from ..pipeline import build_frames
    from .cache import inputs_key

    key = inputs_key(cfg)
    frames = cache.get("frames", key) if cache is not None else None
    if frames is None:
        print("loading and joining inputs ...", file=sys.stderr)
        frames = build_frames(cfg)
        if cache is not None:
            cache.put("frames", key, frames)
    else:
        print("reusing the inputs loaded by an earlier run (nothing they depend on has changed)", file=sys.stderr)
    return frames


def run_pack(args, cfg) -> int:
    from .areas import ambiguous, check_names
    from .build import pack_areas, render_pack, write_pack
    from .cache import default_cache

    t0 = time.perf_counter()
    check_names(cfg, args.area)   # a mistyped --area stops here, before any loading
    cache = None if args.no_cache else default_cache(cfg)
    frames = load_frames(cfg, cache)
    areas = pack_areas(cfg, frames, args.area)
    for line in ambiguous(areas, args.area):
        print(line, file=sys.stderr)
    print(f"building the evidence pack for the Midlands and {len(areas)} area(s): "
          + ", ".join(f"{a.name} ({a.code}, {'constituency' if a.level.startswith('pcon') else 'local authority'})"
                      for a in areas), file=sys.stderr)
    files = render_pack(cfg, frames, areas, cache=cache)
    out = Path(args.outputs).resolve() if args.outputs else Path(cfg.outputs_dir) / "pack"
    paths = write_pack(files, out)
    total = sum(len(b) for b in files.values())
    print(f"wrote {len(paths)} files ({total / 1e6:.1f} MB) into {out}")
    print(f"done in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return 0
