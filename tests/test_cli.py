"""The CLI: JSON inspect, one-line errors with no traceback, help text for every command."""

import json
import subprocess
import sys

import pytest

from _paths import DATA, LA_FILE, ROOT


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "mapper", *args], cwd=cwd, capture_output=True, text=True)


def test_inspect_json_on_real_file():
    r = run("inspect", str(LA_FILE), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["level"] == "laua" and out["variant"] == "all" and out["release"] == "202507"
    assert out["rows"] == 65 and out["premises"] == 5_101_207
    assert "gigabit" in out["measures"] and out["unmapped_columns"] == []


def test_inspect_every_real_ofcom_file():
    for path in sorted((DATA / "ofcom").rglob("*.csv")):
        r = run("inspect", str(path), "--json")
        assert r.returncode == 0, (path, r.stderr)
        out = json.loads(r.stdout)
        if path.parent.name == "national":  # whole-UK files: 361 LAs, or the long-format UK and nations benchmarks
            assert (out["level"], out["rows"]) in (("laua", 361), ("nation", 495), ("nation", 1035)), path
        else:
            assert out["level"] in ("laua", "parl_const") and out["rows"] in (65, 650)


@pytest.mark.parametrize("args, message", [
    (("inspect", "no/such/file.csv"), "no/such/file.csv: file not found"),
    (("--config", "missing.yaml", "build"), "config: missing.yaml: config file not found"),
])
def test_user_errors_are_one_line_without_traceback(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_bad_csv_error_names_file(tmp_path):
    bad = tmp_path / "export.csv"
    bad.write_text("laua,laua_name,All Premises\nE1,A,12a\n", "utf-8")
    r = run("inspect", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "export.csv" in r.stderr and "line 2, column 'All Premises'" in r.stderr


def test_every_command_has_help():
    for cmd in ("build", "inspect", "check", "indicators"):
        r = run(cmd, "--help")
        assert r.returncode == 0 and "usage:" in r.stdout


def test_build_writes_into_requested_folder(tmp_path):
    r = run("build", "--outputs", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "midlands_la_priority.html").exists()
    assert not list(tmp_path.glob(".*.tmp"))  # no temp files left behind
