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


def run_pack(args, cfg) -> int:
    from ..pipeline import build_frames
    from .build import pack_areas, render_pack, write_pack

    t0 = time.perf_counter()
    print("loading and joining inputs ...", file=sys.stderr)
    frames = build_frames(cfg)
    areas = pack_areas(cfg, frames, args.area)
    print(f"building the evidence pack for the Midlands and {len(areas)} area(s): "
          + ", ".join(f"{a.name} ({a.code})" for a in areas), file=sys.stderr)
    files = render_pack(cfg, frames, areas)
    out = Path(args.outputs).resolve() if args.outputs else Path(cfg.outputs_dir) / "pack"
    paths = write_pack(files, out)
    total = sum(len(b) for b in files.values())
    print(f"wrote {len(paths)} files ({total / 1e6:.1f} MB) into {out}")
    print(f"done in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return 0
