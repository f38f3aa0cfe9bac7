"""Command line: a thin layer over the library.

Domain errors (:class:`~mapper.errors.MapperError`) and operating-system errors
(a path that is a folder, read-only, a full disk ...) become a one-line message
on stderr and exit status 2; nothing is written when a command fails. Anything
else is a bug: one line asking for a report, exit status 1, and the traceback
only when the environment variable ``MAPPER_DEBUG=1`` is set.

    python -m mapper build            # all maps and tables into outputs/
    python -m mapper inspect FILE     # what an Ofcom file holds
    python -m mapper check            # validate config and inputs, print the audit summary
    python -m mapper indicators       # list the indicators config.yaml can use
"""

from __future__ import annotations

import argparse
import errno
import json
import os
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
    from ._io import check_input_file
    from .errors import InputFileError
    from .load.ofcom import inspect_summary, load_ofcom

    if not args.file.strip():
        raise InputFileError("inspect: the file path is empty; give the path of an Ofcom CSV, "
                             "e.g. python -m mapper inspect data/ofcom/laua/<file>.csv")
    check_input_file(args.file, what="file", hint="give inspect the path of an Ofcom CSV")
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
    from .publish.files import check_output_dir

    if args.outputs is not None:
        if not args.outputs.strip():
            raise MapperError("--outputs: the folder path is empty; give a folder, e.g. --outputs outputs")
        cfg = replace(cfg, outputs_dir=Path(args.outputs).resolve())
    check_output_dir(cfg.outputs_dir)  # an outputs path that is a file stops here, before the build
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
              f"unmatched left {len(j.unmatched_left)} {j.unmatched_left[:3]}, "
              f"right {len(j.unmatched_right)} {j.unmatched_right[:3]}")
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
    cfg = _config(args)  # before the pipeline's imports: a config mistake is reported at once
    from .pack.cli import run_pack
    from .publish.files import check_output_dir

    check_output_dir(Path(args.outputs).resolve() if args.outputs else Path(cfg.outputs_dir) / "pack")  # before the work
    return run_pack(args, cfg)


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
    from ._io import atomic_write_text, check_input_file, csv_text
    from .score.change import compare_files

    if args.csv is not None:
        _check_csv_target(args.csv)
    for side in (args.old, args.new):
        if not Path(side).is_dir():  # a folder holds a BDUK release; a file is an Ofcom CSV
            check_input_file(side, what="file", hint="give change the paths of two Ofcom CSVs or two BDUK folders")
    table, totals = compare_files(_config(args), args.old, args.new)
    if args.csv:
        try:
            atomic_write_text(Path(args.csv), csv_text(table))
        except OSError as exc:
            from .publish.files import write_error_text

            raise MapperError(write_error_text(exc, args.csv, choose="choose another --csv path", folder=False)) from None
        print(f"wrote {args.csv}")
    print(f"{totals['areas']} study-area areas, {totals['from_release']} -> {totals['to_release']}:")
    for key, label in (("gigabit_gain_n", "premises gaining gigabit"),
                       ("below_uso_change_n", "change in premises below the USO"),
                       ("unable_30_change_n", "change in premises unable to get 30 Mbit/s"),
                       ("premises_change_n", "change in premises"),
                       ("no_gigabit_now_change_n", "change in BDUK premises without gigabit"),
                       ("contract_change_n", "change in premises in a Project Gigabit contract"),
                       ("commercial_change_n", "change in premises in commercial plans"),
                       ("residual_change_n", "change in the residual gap (no gigabit, no plan)")):
        if key in totals:
            print(f"  {label:45} {totals[key]:+,}")
            if key == "premises_change_n":
                print("  (Ofcom rebuilds its premises base every release: this is not new building)")
    for key, why in (totals.get("not_compared") or {}).items():
        print(f"  not compared: {key}: {why}")
    return 0


def _check_csv_target(name: str) -> None:
    """``change --csv``: refuse an empty path, a folder or a path under a file before comparing anything."""
    path = Path(name)
    if not name.strip():
        raise MapperError("--csv: the file path is empty; give a file name, e.g. --csv change.csv")
    if path.is_dir():
        raise MapperError(f"--csv {name}: is a folder; give a file name inside it, e.g. --csv {path / 'change.csv'}")
    if os.path.lexists(path) and not path.is_file():
        raise MapperError(f"--csv {name}: is not a regular file (a device, pipe or broken link); give another file name")
    for parent in path.resolve().parents:
        if parent.exists():
            if not parent.is_dir():
                raise MapperError(f"--csv {name}: {parent} is a file, not a folder; give another path")
            break


def _fetch(args) -> int:
    from .fetch.cli import run_fetch

    return run_fetch(args, _config(args))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"build": _build, "inspect": _inspect, "check": _check, "indicators": _indicators, "pack": _pack,
               "fetch": _fetch, "change": _change}[args.command]
    _sigterm_as_interrupt()
    try:
        return handler(args)
    except MapperError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; outputs were left as they were", file=sys.stderr)
        return 130
    except OSError as exc:  # the operating system refused: one line naming the path and what to do
        _debug_traceback()
        print(f"error: {os_error_text(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug
        _debug_traceback()
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 300 else detail[:297] + "..."
        print(f"error: internal error ({type(exc).__name__}: {detail}); please report it with the command you ran"
              f"{'' if _debug() else ' (set MAPPER_DEBUG=1 to see the traceback)'}", file=sys.stderr)
        return 1


def _debug() -> bool:
    return os.environ.get("MAPPER_DEBUG", "").strip() not in ("", "0")


def _debug_traceback() -> None:
    if _debug():
        import traceback

        traceback.print_exc(file=sys.stderr)


def os_error_text(exc: OSError) -> str:
    """One line for an :class:`OSError` the commands did not expect: the path, what went wrong, what to do."""
    path = exc.filename if exc.filename is not None else None
    path = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else path
    if path is None:
        return f"{exc.strerror or exc}; check the paths you gave and run again"
    code = exc.errno
    if code == errno.ENOENT:
        return f"{path}: not found; check the path"
    if code in (errno.EACCES, errno.EPERM):
        return f"{path}: permission denied; check its permissions or use another path"
    if code == errno.EROFS:
        return f"{path}: read-only file system; use another path"
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"disk full while writing {path}; free space and run again"
    if code == errno.EISDIR:
        return f"{path}: is a folder, not a file; give the path of a file"
    if code == errno.ENOTDIR:
        return f"{path}: part of the path is a file, not a folder; check the path"
    return f"{path}: {exc.strerror or exc}; check the path and run again"
