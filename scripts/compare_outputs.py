"""Show that two revisions build byte-identical outputs: ``python scripts/compare_outputs.py REF``.

Checks out ``REF`` (a commit, tag or branch) into a temporary git worktree, then
builds the default maps and tables (``mapper build``) and an evidence pack for the
given areas (``mapper pack --area ...``) once with that revision's code and data and
once with the working tree's, using this checkout's Python (``.venv``). Every file of
the two output folders is compared byte for byte; the script prints one line per
difference and exits 1 if there is any, 0 if every file is identical.

Used for restructurings that must not change a single output byte (issue 19):

    .venv/bin/python scripts/compare_outputs.py cec5466 --area "West Lindsey" --area Gainsborough
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and ".mapper" not in p.parts}  # .mapper: the publisher's own folder


def _build(src: Path, out: Path, areas: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
    run = [sys.executable, "-m", "mapper", "--config", str(src / "config.yaml")]
    subprocess.run([*run, "build", "--outputs", str(out / "maps")], cwd=src, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if areas:
        subprocess.run([*run, "pack", "--outputs", str(out / "pack"), *[a for x in areas for a in ("--area", x)]],
                       cwd=src, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ref", help="the revision to compare the working tree with")
    ap.add_argument("--area", action="append", default=[], help="also build a pack for this area (repeatable)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compare-outputs-") as tmp:
        tmp = Path(tmp)
        tree = tmp / "ref"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.ref], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _build(tree, tmp / "old", args.area)
            _build(ROOT, tmp / "new", args.area)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        old, new = _snapshot(tmp / "old"), _snapshot(tmp / "new")
    differ = sorted(n for n in old.keys() & new.keys() if old[n] != new[n])
    only_old, only_new = sorted(old.keys() - new.keys()), sorted(new.keys() - old.keys())
    for name in differ:
        print(f"differs:  {name}")
    for name in only_old:
        print(f"only in {args.ref}: {name}")
    for name in only_new:
        print(f"only in the working tree: {name}")
    same = not (differ or only_old or only_new)
    print(f"{len(old)} files from {args.ref}, {len(new)} from the working tree: "
          + ("every file byte-identical" if same else f"{len(differ) + len(only_old) + len(only_new)} difference(s)"))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
