"""Command line: a thin layer over the library.

Domain errors (:class:`~mapper.errors.MapperError`) become a one-line message
on stderr and exit status 2; nothing is written when a command fails.

    python -m mapper build            # all maps and tables into outputs/
    python -m mapper inspect FILE     # what an Ofcom file holds
    python -m mapper check            # validate config and inputs, print the audit summary
    python -m mapper indicators       # list the indicators config.yaml can use
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .errors import MapperError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mapper", description="Midlands connectivity gap mapper")
    p.add_argument("--config", default="config.yaml", help="path to config.yaml (default: ./config.yaml)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="build every map, table and the audit into outputs/")
    b.add_argument("--outputs", help="write here instead of outputs_dir from config.yaml")
    i = sub.add_parser("inspect", help="describe an Ofcom Connected Nations CSV (level, release, measures ...)")
    i.add_argument("file", help="the CSV file to inspect")
    i.add_argument("--json", action="store_true", help="print one JSON object (default: readable text)")
    sub.add_parser("check", help="validate config.yaml and every input without writing outputs")
    sub.add_parser("indicators", help="list the indicators available to score.indicators")
    c = sub.add_parser("change", help="compare two releases of the same level for the study area (counts)")
    c.add_argument("old", help="the earlier Ofcom coverage CSV (or folder holding a BDUK release)")
    c.add_argument("new", help="the later Ofcom coverage CSV, same level and variant (or folder holding a BDUK release)")
    c.add_argument("--csv", help="also write the per-area table to this CSV file")
    from .pack.cli import add_pack_parser  # bid evidence pack: mapper/pack/cli.py

    add_pack_parser(sub)
    from .fetch.cli import add_fetch_parser  # make fetch: mapper/fetch/cli.py

    add_fetch_parser(sub)
    return p


def _inspect(args) -> int:
    from .load.ofcom import inspect_summary, load_ofcom

    summary = inspect_summary(load_ofcom(args.file))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, sort_keys=False))
    else:
        for key, value in summary.items():
            print(f"{key:18} {value}")
    return 0


def _config(args):
    from .config import load_config

    return load_config(args.config)


def _build(args) -> int:
    from dataclasses import replace

    cfg = _config(args)  # before the pipeline's imports: a config mistake is reported at once
    from .pipeline import build_frames, render_outputs, write_outputs

    if args.outputs:
        cfg = replace(cfg, outputs_dir=Path(args.outputs).resolve())
    t0 = time.perf_counter()
    print("loading and joining inputs ...", file=sys.stderr)
    frames = build_frames(cfg)  # loader notices (repairs, suppressed cells ...) are in frames.audit.notes
    print("rendering maps and tables ...", file=sys.stderr)
    files = render_outputs(cfg, frames)
    paths = write_outputs(files, cfg.outputs_dir)
    for path in paths:
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return 0


def _check(args) -> int:
    cfg = _config(args)  # before the pipeline's imports: a config mistake is reported at once
    from .pipeline import build_frames

    frames = build_frames(cfg)
    joins = frames.audit.joins
    partial = [j for j in joins if j.unmatched_left or j.unmatched_right]
    print(f"joins: {len(joins)} checked, {len(joins) - len(partial)} fully matched")
    for j in partial:
        print(f"join {j.name}: matched {j.matched} of {j.left_keys} (left) / {j.right_keys} (right); "
              f"unmatched left {len(j.unmatched_left)} {j.unmatched_left[:3]}, right {len(j.unmatched_right)} {j.unmatched_right[:3]}")
    loader = [n.removeprefix("warning ") for n in frames.audit.notes if n.startswith("warning ")]
    for note in frames.audit.notes:
        if not note.startswith("warning "):
            print(f"note {note}")
    warnings = [f"{s['file']}: {s['warning']}" for s in frames.sources if "warning" in s] + loader
    for w in warnings:
        print(f"warning {w}")
    print(f"ok: config and {len(cfg.inputs)} inputs are valid; {len(warnings)} warning(s); nothing was written")
    return 0


def _pack(args) -> int:
    from .pack.cli import run_pack

    return run_pack(args, _config(args))


def _indicators(args) -> int:
    from .score.indicators import INDICATORS

    for ind in INDICATORS.values():
        print(f"{ind.name:22} {ind.label}  [{ind.formula}]")
    return 0


def _sigterm_as_interrupt() -> None:
    """Treat SIGTERM (``kill``, a CI timeout) like Ctrl-C: unwind, clean up staging, one-line message."""
    import signal
    import threading

    def _raise(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


def _change(args) -> int:
    from ._io import atomic_write_text, csv_text
    from .score.change import compare_files

    table, totals = compare_files(_config(args), args.old, args.new)
    if args.csv:
        atomic_write_text(Path(args.csv), csv_text(table))
        print(f"wrote {args.csv}")
    print(f"{totals['areas']} study-area areas, {totals['from_release']} -> {totals['to_release']}:")
    for key, label in (("gigabit_gain_n", "premises gaining gigabit"), ("below_uso_change_n", "change in premises below the USO"),
                       ("unable_30_change_n", "change in premises unable to get 30 Mbit/s"), ("premises_change_n", "change in premises"),
                       ("no_gigabit_now_change_n", "change in BDUK premises without gigabit"),
                       ("contract_change_n", "change in premises in a Project Gigabit contract"),
                       ("commercial_change_n", "change in premises in commercial plans"),
                       ("residual_change_n", "change in the residual gap (no gigabit, no plan)")):
        if key in totals:
            print(f"  {label:45} {totals[key]:+,}")
    return 0


def _fetch(args) -> int:
    from .fetch.cli import run_fetch

    return run_fetch(args, _config(args))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"build": _build, "inspect": _inspect, "check": _check, "indicators": _indicators, "pack": _pack, "fetch": _fetch, "change": _change}[args.command]
    _sigterm_as_interrupt()
    try:
        return handler(args)
    except MapperError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; outputs were left as they were", file=sys.stderr)
        return 130
