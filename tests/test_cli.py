"""The CLI: JSON inspect, one-line errors with no traceback (user mistakes and OS errors: exit 2; bugs: exit 1,
traceback only with MAPPER_DEBUG=1), help text for every command."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from _paths import DATA, LA_FILE, ROOT
from test_bad_inputs import _check_config, run_cli


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
    (("change", "no/such/old.csv", "data/ofcom/pcon/202401_fixed_pcon_coverage_r01.csv"),
     "no/such/old.csv: file not found; give change the paths of two Ofcom CSVs or two BDUK folders"),
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


# --- one line, exit 2, for every user mistake; one line asking for a report for a bug -------------------

def one_error_line(code: int, stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, stderr)
    return lines[0]


def _config_with(tmp_path, **changes) -> Path:
    """config.yaml with absolute input paths, in its own folder, with ``changes`` applied to the top level."""
    path = _check_config(tmp_path, "la_coverage", LA_FILE)
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc.update(changes)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


@pytest.mark.parametrize("kind", ["folder", "empty", "device", "fifo"])
def test_inspect_on_something_that_is_not_a_file(tmp_path, kind):
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe")
    target = {"folder": str(tmp_path), "empty": "", "device": "/dev/null", "fifo": str(tmp_path / "pipe")}[kind]
    r = run("inspect", target)
    line = one_error_line(r.returncode, r.stderr)
    expected = {"folder": f"error: {tmp_path}: the file is a folder, not a file",
                "empty": "error: inspect: the file path is empty; give the path of an Ofcom CSV",
                "device": "error: /dev/null: the file is a device, not a regular file",
                "fifo": f"error: {tmp_path / 'pipe'}: the file is a named pipe (FIFO), not a regular file"}[kind]
    assert line.startswith(expected), line


def test_config_that_is_a_folder(tmp_path):
    r = run("--config", str(tmp_path), "check")
    assert one_error_line(r.returncode, r.stderr).startswith(f"error: config: {tmp_path}: the config file is a folder")


OLD_PCON, NEW_PCON = (str(DATA / "ofcom/pcon" / f) for f in ("202009_fixed_pcon_coverage_r01.csv",
                                                               "202401_fixed_pcon_coverage_r01.csv"))


def test_change_csv_that_is_a_folder_under_a_file_or_empty(tmp_path):
    (tmp_path / "afile").write_text("x")
    cases = {str(tmp_path): f"error: --csv {tmp_path}: is a folder; give a file name inside it, "
                            f"e.g. --csv {tmp_path / 'change.csv'}",
             str(tmp_path / "afile" / "x.csv"): f"error: --csv {tmp_path / 'afile' / 'x.csv'}: {tmp_path / 'afile'} "
                                                "is a file, not a folder; give another path",
             "": "error: --csv: the file path is empty; give a file name, e.g. --csv change.csv"}
    for csv, message in cases.items():
        code, stdout, stderr = run_cli(["change", OLD_PCON, NEW_PCON, "--csv", csv])
        assert one_error_line(code, stderr) == message
        assert stdout == ""  # stops before comparing anything


@pytest.mark.parametrize("err, message", [
    (errno.EROFS, "error: cannot write {csv}: read-only or no permission; choose another --csv path"),
    (errno.ENOSPC, "error: disk full while writing {csv}; free space and run again"),
])
def test_change_csv_that_cannot_be_written(tmp_path, monkeypatch, err, message):
    import tempfile

    def refuse(*args, **kwargs):  # as root, chmod would not stop the write: fail it the way the OS would
        raise OSError(err, os.strerror(err), str(tmp_path / ".change.csv.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    csv = tmp_path / "change.csv"
    code, _, stderr = run_cli(["change", OLD_PCON, NEW_PCON, "--csv", str(csv)])
    assert one_error_line(code, stderr) == message.format(csv=csv)
    assert not csv.exists()


def test_outputs_that_is_a_file(tmp_path):
    afile = tmp_path / "outputs.txt"
    afile.write_text("not a folder")
    code, _, stderr = run_cli(["build", "--outputs", str(afile)])
    assert one_error_line(code, stderr) == (
        f"error: {afile}: the outputs folder is a file, not a folder; move the file away or choose another "
        "--outputs folder (or outputs_dir in config.yaml)")
    code, _, stderr = run_cli(["build", "--outputs", str(afile / "sub")])
    assert one_error_line(code, stderr) == (
        f"error: {afile / 'sub'}: {afile} is a file, not a folder; choose another --outputs folder "
        "(or outputs_dir in config.yaml)")
    assert afile.read_text() == "not a folder"


def test_outputs_dir_in_config_that_is_a_file(tmp_path):
    config = _config_with(tmp_path)
    outputs = config.parent / "outputs"
    outputs.write_text("a file where the folder should be")
    for command in (["build"], ["pack", "--area", "E07000142"]):
        code, _, stderr = run_cli(["--config", str(config), *command])
        line = one_error_line(code, stderr)
        assert str(outputs) in line and "is a file, not a folder" in line, line  # config.py or publish says so
        assert "loading" not in stderr  # stopped before any work


def test_a_study_region_with_no_data(tmp_path):
    config = _config_with(tmp_path, regions=["E12000004", "E12000009"])
    r = run("--config", str(config), "check")
    lookup = ROOT / "data/lookups/LAD24_RGN24_lookup_midlands.csv"
    assert one_error_line(r.returncode, r.stderr) == (
        f"error: no local authority of region(s) E12000009 is in {lookup} (it has E12000004, E12000005); "
        "fix regions in config.yaml or point inputs.lad_region_lookup at a lookup that covers them")


@pytest.mark.parametrize("exc, message", [
    (PermissionError(errno.EACCES, "Permission denied", "/srv/data/x.csv"),
     "error: /srv/data/x.csv: permission denied; check its permissions or use another path"),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "/srv/data"),
     "error: /srv/data: is a folder, not a file; give the path of a file"),
    (OSError(errno.ENOSPC, "No space left on device", "/srv/out/x"),
     "error: disk full while writing /srv/out/x; free space and run again"),
    (OSError(errno.EIO, "Input/output error"), "error: Input/output error; check the paths you gave and run again"),
])
def test_an_unexpected_os_error_is_one_line_naming_the_path(monkeypatch, exc, message):
    from mapper import cli

    def fails(args):
        raise exc

    monkeypatch.setattr(cli, "_indicators", fails)
    code, _, stderr = run_cli(["indicators"])
    assert one_error_line(code, stderr) == message


def test_a_bug_is_one_line_asking_for_a_report_and_the_traceback_needs_mapper_debug(monkeypatch):
    from mapper import cli

    def bug(args):
        raise ZeroDivisionError("division by zero\nin the indicator registry")

    monkeypatch.setattr(cli, "_indicators", bug)
    monkeypatch.delenv("MAPPER_DEBUG", raising=False)
    code, _, stderr = run_cli(["indicators"])
    assert code == 1 and "Traceback" not in stderr
    assert stderr.splitlines() == ["error: internal error (ZeroDivisionError: division by zero in the indicator "
                                   "registry); please report it with the command you ran (set MAPPER_DEBUG=1 to "
                                   "see the traceback)"]
    monkeypatch.setenv("MAPPER_DEBUG", "1")
    code, _, stderr = run_cli(["indicators"])
    assert code == 1 and stderr.startswith("Traceback (most recent call last):") and "in bug" in stderr
    assert stderr.splitlines()[-1] == ("error: internal error (ZeroDivisionError: division by zero in the indicator "
                                       "registry); please report it with the command you ran")


def test_interrupt_is_exit_130_with_one_line(monkeypatch):
    from mapper import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_indicators", interrupted)
    code, _, stderr = run_cli(["indicators"])
    assert code == 130 and stderr == "error: interrupted; outputs were left as they were\n"
