"""Security: planted manifests, spreadsheet formula injection, inputs that are not regular files.

Each test builds the hostile situation itself (a manifest naming files outside the pack,
an area name that is a formula, a folder / device / FIFO given as an input) and checks
that nothing outside the tool's own folders is touched, no formula reaches a CSV or XLSX
cell live, and the CLI ends with one line and exit 2 instead of hanging or a traceback.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from _paths import LA_FILE, ROOT
from test_bad_inputs import _check_config, run_cli

from mapper._io import check_input_file, csv_text, neutralise_formula
from mapper.errors import InputFileError
from mapper.publish.files import contained_path

# --- a planted or received pack manifest must not delete anything outside the pack -----------------


def _planted_manifest(pack, names):
    pack.mkdir(parents=True, exist_ok=True)
    doc = {"tool": {"name": "midlands-connectivity-mapper"}, "outputs": [{"file": n} for n in names]}
    (pack / "manifest.json").write_text(json.dumps(doc), "utf-8")


def test_manifest_names_outside_the_pack_are_never_deleted(tmp_path):
    from mapper.pack import write_pack

    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.txt").write_text("keep me too")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "link").symlink_to(elsewhere, target_is_directory=True)   # a symlinked folder inside the pack
    (pack / "file_link.txt").symlink_to(outside)                       # a symlinked file inside the pack
    (pack / "old.txt").write_text("from the previous pack")           # a genuine leftover: may go
    _planted_manifest(pack, [str(outside), "../precious.txt", "link/victim.txt", "file_link.txt",
                             "./old.txt", "maps/../../precious.txt", "old.txt", "", None, 5, "a\\..\\b"])
    write_pack({"manifest.json": b"{}", "new.txt": b"new"}, pack)
    assert outside.read_text() == "keep me"
    assert (elsewhere / "victim.txt").read_text() == "keep me too"
    assert (pack / "file_link.txt").is_symlink()
    assert not (pack / "old.txt").exists()  # the plain relative name inside the pack is still cleaned up
    assert (pack / "new.txt").read_bytes() == b"new"


def test_a_planted_publish_record_or_state_folder_never_touches_anything_outside(tmp_path):
    """``.mapper/`` comes with a copied or received output folder: its record, links and lock are not trusted."""
    from mapper.publish.files import PublishError, publish_files

    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "maps").mkdir(parents=True)
    (elsewhere / "maps" / "victim.png").write_text("keep me too")
    out = tmp_path / "outputs"
    (out / ".mapper" / "v1").mkdir(parents=True)
    (out / "link").symlink_to(elsewhere, target_is_directory=True)
    (out / "file_link.txt").symlink_to(outside)
    (out / "old.txt").write_text("published by the previous run")
    (out / ".mapper" / "published.json").write_text(json.dumps({"files": [
        str(outside), "../precious.txt", "link/maps/victim.png", "file_link.txt", "old.txt", "", None, "a\\b"]}))
    (out / ".mapper" / "lock").symlink_to(outside)  # the lock is never opened through a link (it would be truncated)
    (out / ".mapper" / "v1" / "maps").symlink_to(elsewhere / "maps", target_is_directory=True)
    (out / ".mapper" / "current").symlink_to("v1")
    with pytest.raises(PublishError, match="cannot write into"):
        publish_files({"maps/victim.png": b"overwritten?"}, out)
    (out / ".mapper" / "lock").unlink()
    publish_files({"maps/victim.png": b"new", "new.txt": b"new"}, out)
    assert outside.read_text() == "keep me"
    assert (elsewhere / "maps" / "victim.png").read_text() == "keep me too"
    assert (out / "file_link.txt").is_symlink() and (out / "link").is_symlink()
    assert not (out / "old.txt").exists()  # the plain name inside the folder is still cleaned up
    assert (out / "maps" / "victim.png").read_bytes() == b"new"
    shutil.rmtree(out / ".mapper")
    (out / ".mapper").symlink_to(elsewhere, target_is_directory=True)  # the whole state folder planted as a link
    with pytest.raises(PublishError, match="is a link or a file"):
        publish_files({"a.txt": b"x"}, out)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["maps"]


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a/../../x", "./a", "a//b", "", ".", "a\\b", "a\x00b"])
def test_contained_path_refuses_anything_but_a_plain_relative_name(tmp_path, name):
    assert contained_path(tmp_path, name) is None


def test_contained_path_refuses_a_symlinked_folder(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "maps").symlink_to(tmp_path / "real", target_is_directory=True)
    assert contained_path(tmp_path / "pack", "maps/a.png") is None
    assert contained_path(tmp_path / "pack", "narrative/a.md") == tmp_path / "pack" / "narrative" / "a.md"


# --- spreadsheet formula injection -------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_is_neutralised_in_csv(text):
    out = csv_text(pd.DataFrame({"name": [text, "Bassetlaw"], "n": [-5, 3]}))
    cells = pd.read_csv(io.StringIO(out), keep_default_na=False, lineterminator="\n")
    assert cells["name"][0] == "'" + text
    assert cells["name"][1] == "Bassetlaw"
    assert cells["n"].tolist() == [-5, 3]  # numbers are numbers, never prefixed
    assert neutralise_formula(-5) == -5


def test_formula_names_stay_text_in_the_workbook():
    from openpyxl import load_workbook

    from mapper.pack.workbook import to_xlsx

    frame = pd.DataFrame({"code": ["E1", "E2"], "name": ["=1+2", "Rushcliffe"], "premises": [10, 20]})
    data = to_xlsx({"Ranked": frame}, title="t", created=pd.Timestamp("2025-07-01").to_pydatetime())
    ws = load_workbook(io.BytesIO(data))["Ranked"]
    cell = ws["B3"]  # row 1: plain-English headers, row 2: code names, data from row 3
    assert cell.data_type == "s" and cell.value == "=1+2"  # stored as text: shown, never evaluated
    assert ws["C3"].data_type == "n"
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_a_formula_area_name_from_the_input_reaches_the_csv_inert(tmp_path, cfg):
    """End to end: an LA name in the coverage file that is a formula; the published CSV holds it as text."""
    from mapper.config import load_config
    from mapper.pipeline import build_frames
    from mapper.publish.tables import level_table
    from mapper.score import INDICATORS

    text = LA_FILE.read_text("utf-8").replace("Bassetlaw", "=HYPERLINK(\"http://x\")", 1)
    path = tmp_path / "202507_fixed_laua_coverage_r01_midlands.csv"
    path.write_text(text, "utf-8")
    config = _check_config(tmp_path, "la_coverage", path)
    frames = build_frames(load_config(config, known_indicators=tuple(INDICATORS)))
    out = level_table(frames.la, cfg)
    assert "'=HYPERLINK(" in out
    assert "\n=HYPERLINK" not in out and ",=HYPERLINK" not in out


# --- inputs that are not regular files ----------------------------------------------------------------


def test_check_input_file_refuses_non_regular_files(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path, words in ((tmp_path, "is a folder"), (fifo, "named pipe"), ("/dev/zero", "is a device"),
                        (tmp_path / "none.csv", "not found")):
        with pytest.raises(InputFileError, match=words):
            check_input_file(path, what="CSV")
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(InputFileError, match="over the 1 KiB limit"):
        check_input_file(big, what="CSV", max_bytes=1024)


def _special_paths(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    return {"folder": tmp_path, "fifo": fifo, "device": "/dev/zero", "empty_path": ""}


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "empty_path"])
def test_inspect_on_a_special_file_is_one_line_exit_2(tmp_path, kind):
    path = _special_paths(tmp_path)[kind]
    proc = subprocess.run([sys.executable, "-m", "mapper", "inspect", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("key", ["la_coverage", "la_boundaries", "lad_region_lookup"])
def test_an_input_that_is_a_fifo_or_device_stops_at_once(tmp_path, key):
    fifo = tmp_path / "input.pipe"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        rc, _, err = run_cli(["--config", str(_check_config(tmp_path, key, path)), "check"])
        assert rc == 2 and err.count("\n") == 1 and err.startswith("error: ") and str(path) in err, err


def test_config_that_is_a_folder_or_device(tmp_path):
    for path in (tmp_path, "/dev/zero"):
        rc, _, err = run_cli(["--config", str(path), "check"])
        assert rc == 2 and err.startswith("error: config: ") and err.count("\n") == 1, err


def test_publish_names_stay_inside_the_output_folder(tmp_path, cfg):
    from mapper.publish.files import publish_files

    for bad in ("/tmp/x", "../x", ".hidden"):
        with pytest.raises(ValueError):
            publish_files({bad: b"x"}, tmp_path / "out")
    assert replace(cfg).outputs_dir  # the config fixture still loads (no side effects above)
