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
