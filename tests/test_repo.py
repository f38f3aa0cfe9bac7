"""Keep the repository's promises honest: make help, CI script, data provenance."""

import subprocess

import yaml

from _paths import ROOT
from mapper._io import sha256_file


def test_make_help_lists_every_documented_target():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    for target in ("maps", "test", "check", "clean", "venv", "inspect", "fetch", "pack", "bench"):
        assert f"  {target} " in out


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci/run").read_text("utf-8")
    assert "make maps" in readme and "make test" in readme
    assert "\nmake test" in ci


def test_every_shipped_data_file_is_registered_with_its_hash():
    registry = yaml.safe_load((ROOT / "data/sources.yaml").read_text("utf-8"))["files"]
    shipped = sorted(p.relative_to(ROOT).as_posix() for d in ("data", "boundaries") for p in (ROOT / d).rglob("*")
                     if p.is_file() and p.suffix in (".csv", ".geojson", ".gpkg", ".parquet")
                     and "cache" not in p.relative_to(ROOT / d).parts)  # data/cache: make fetch downloads, git-ignored
    assert shipped == sorted(registry)
    for rel, entry in registry.items():
        assert sha256_file(ROOT / rel) == entry["sha256"], rel
        assert entry["licence"] and entry["attribution"]


def test_registered_row_counts_match_the_files():
    """``rows`` in data/sources.yaml: data rows of a CSV (after the header), features of a GeoJSON."""
    import csv
    import io
    import json

    from mapper._io import read_text

    registry = yaml.safe_load((ROOT / "data/sources.yaml").read_text("utf-8"))["files"]
    for rel, entry in registry.items():
        path = ROOT / rel
        if path.suffix == ".csv":
            rows = list(csv.reader(io.StringIO(read_text(path)[0])))
            n = sum(1 for r in rows[1:] if any(c.strip() for c in r))
        elif path.suffix == ".geojson":
            n = len(json.loads(path.read_text("utf-8"))["features"])
        else:
            continue
        assert n == entry["rows"], (rel, n, entry["rows"])


def test_every_attribution_key_has_a_line():
    registry = yaml.safe_load((ROOT / "data/sources.yaml").read_text("utf-8"))
    used = {entry["attribution"] for entry in registry["files"].values()}
    assert used <= set(registry["attribution_lines"])
    assert "IoD 2019" not in registry["attribution_lines"]["mhclg2025"]
    assert "2025" in registry["attribution_lines"]["mhclg2025"] and "2019" in registry["attribution_lines"]["mhclg"]
