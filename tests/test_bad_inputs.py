"""The bad-input corpus (tests/data/bad/) through the CLI, plus property tests of the Ofcom loader.

Every case ends either in a one-line error (exit 2, no traceback, naming the file
or key and saying what to do) or in a correct result whose problem is recorded
(inspect metadata, or a warning/note line of ``check``). The table below and
tests/data/bad/README.md must list the same files with the same outcome.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import DATA, LA_FILE, ROOT, TESTDATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper.load.ofcom import load_ofcom

BAD = TESTDATA / "bad"
PCON2020 = DATA / "ofcom/pcon/202009_fixed_pcon_coverage_r01.csv"

# (file, how to run, exit code, fragment expected in the output, what the message must name)
# how: "inspect" | "check:<input key>" | "config" | "archive"
CASES = [
    ("ofcom_cp1252.csv", "inspect", 0, '"encoding": "cp1252"', None),
    ("ofcom_bom.csv", "inspect", 0, '"encoding": "utf-8-sig"', None),
    ("ofcom_crlf.csv", "inspect", 0, '"line_ends": "CRLF"', None),
    ("ofcom_utf16.csv", "inspect", 2, "is UTF-16 text", "file"),
    ("ofcom_renamed_measure.csv", "inspect", 2, "['Gigabit coverage (% of premises)'] are not known Ofcom headings and gigabit has no percentage column", "file"),
    ("ofcom_renamed_code_column.csv", "inspect", 2, "cannot tell the geography", "file"),
    ("ofcom_missing_premises.csv", "inspect", 2, "missing required column(s) ['All Premises']", "file"),
    ("ofcom_duplicated_column.csv", "inspect", 2, "duplicated column(s) ['Number of premises with Gigabit availability']", "file"),
    ("ofcom_extra_columns.csv", "inspect", 0, '"unmapped_columns": ["Region", "Notes"]', None),
    ("ofcom_duplicate_codes.csv", "inspect", 2, "['E07000171'] appear more than once in 'laua' (first repeat on line 7)", "file"),
    ("ofcom_suppressed_lt4.csv", "inspect", 0, '"suppressed": {"below_uso_n": 1}', None),
    ("ofcom_suppressed_star.csv", "inspect", 0, '"suppressed": {"unable_2_n": 1}', None),
    ("ofcom_suppressed_na.csv", "inspect", 0, '"suppressed": {"below_uso_pct": 1}', None),
    ("ofcom_suppressed_blank.csv", "inspect", 0, '"suppressed": {"unable_5_n": 1}', None),
    ("ofcom_thousands_quoted.csv", "inspect", 0, '"thousands_separators": {"premises": 5', None),
    ("ofcom_pct_over_100.csv", "inspect", 2, "line 3, column 'Full Fibre availability (% premises)': percentage outside 0-100", "file"),
    ("ofcom_pct_negative.csv", "inspect", 2, "line 4, column '% of premises unable to receive 10Mbit/s': percentage outside 0-100", "file"),
    ("ofcom_count_over_premises.csv", "inspect", 2, "line 5, column 'Number of premises with Gigabit availability': count is larger than All Premises", "file"),
    ("ofcom_text_in_count.csv", "inspect", 2, "line 6, column 'Number of premises with SFBB availability': 'approx 52000' is not a number", "file"),
    ("ofcom_fractional_count.csv", "inspect", 2, "line 2, column 'Number of premises with NGA': a premises count must be a whole number", "file"),
    ("ofcom_empty.csv", "inspect", 2, "the file is empty", "file"),
    ("ofcom_header_only.csv", "inspect", 2, "header row but no data rows", "file"),
    ("ofcom_truncated.csv", "inspect", 2, "line 6 has 11 fields but the header has 40", "file"),
    ("ofcom_html_names.csv", "inspect", 0, '"names_with_markup": 1', None),
    ("ofcom_long_name.csv", "inspect", 2, "line 3, column 'laua_name': the name is 10,000 characters long", "file"),
    ("ofcom_mobile_shares_not_100.csv", "inspect", 2, "line 3 (Ashfield), group '4G_prem_out': shares sum to 107.50", "file"),
    ("la_coverage_old_lad_code.csv", "check:la_coverage", 0, "kept 65 of 66 rows inside the study area; 1 rows are outside it", None),
    ("lad_region_bom_crlf.csv", "check:lad_region_lookup", 0, "ok: config and", None),
    ("lad_region_missing_column.csv", "check:lad_region_lookup", 2, "missing column(s) for a 'lad_region' table: region_code", "file"),
    ("lad_region_duplicate_codes.csv", "check:lad_region_lookup", 2, "LAD24CD value(s) ['E06000016'] appear more than once", "file"),
    ("lad_region_header_only.csv", "check:lad_region_lookup", 2, "header row but no data rows", "file"),
    ("lsoa_lad_lsoa11_code.csv", "check:lsoa_lad_lookup", 2, "have no match in LSOA21 boundaries (LSOA21_BSC_midlands.geojson): ['E01028040']", "E01028040"),
    ("pcon_bowtie.geojson", "check:pcon10_boundaries", 0, "warning pcon_bowtie.geojson: repaired 1 invalid geometry with shapely.make_valid (first: E14000560: Self-intersection", None),
    ("pcon_declared_27700.geojson", "check:pcon10_boundaries", 0, "warning pcon_declared_27700.geojson: reprojected from EPSG:27700 to EPSG:4326", None),
    ("pcon_outside_midlands.geojson", "check:pcon10_boundaries", 2, "have no match in constituencies holding LSOA21 points: ['E14000530']", "E14000530"),
    ("lsoa_bng_labelled_wgs84.geojson", "check:lsoa_boundaries", 2, "They look like British National Grid metres (EPSG:27700). Reproject the file to EPSG:4326", "file"),
    ("lsoa_missing_crs.zip", "check:lsoa_boundaries", 2, "no coordinate reference system is declared", "file"),
    ("lsoa_empty_geometry.geojson", "check:lsoa_boundaries", 2, "1 feature(s) have no geometry (first: E01008882)", "file"),
    ("lsoa_empty.geojson", "check:lsoa_boundaries", 2, "the boundary file is empty (0 bytes)", "file"),
    ("lsoa_long_name.geojson", "check:lsoa_boundaries", 2, "feature 3, column 'LSOA21NM': the name is", "file"),
    ("config_unknown_key.yaml", "config", 2, "unknown key 'colour_scheme'", "colour_scheme"),
    ("config_typo.yaml", "config", 2, "unknown key 'score.indicators.no_gigabit.wieght'; did you mean 'weight'?", "wieght"),
    ("config_weight_negative.yaml", "config", 2, "'score.indicators.below_uso.weight' is negative (-0.25)", "below_uso"),
    ("config_weight_text.yaml", "config", 2, "'score.indicators.unable_30.weight' must be a number, not 'high'", "unable_30"),
    ("config_weights_zero.yaml", "config", 2, "every weight in 'score.indicators' is zero", "score.indicators"),
    ("ofcom_inf_premises.csv", "inspect", 2, "line 3, column 'All Premises': 'inf' is not a finite number", "file"),
    ("ofcom_huge_premises.csv", "inspect", 2, "line 4, column 'All Premises': 1e+30 premises is more than any area can hold", "file"),
    ("lsoa_wgs84_labelled_27700.geojson", "check:lsoa_boundaries", 2, "declares EPSG:27700 (metres) but its coordinates span", "file"),
    ("config_duplicate_section.yaml", "config", 2, "'score' is given twice (first on line", "score"),
    ("config_weight_nan.yaml", "config", 2, "'score.indicators.below_uso.weight' is nan; give a finite number", "below_uso"),
    ("config_weights_huge.yaml", "config", 2, "'score.indicators.no_gigabit.weight' is 1e+308; it must be at least 0 and at most 1e+06", "no_gigabit"),
    ("config_min_premises_absurd.yaml", "config", 2, "'score.min_premises' is 1,000,000,000,000; it must be a whole number from 0 to 1,000,000", "min_premises"),
    ("config_thresholds_flat.yaml", "config", 2, "'score.tiers.thresholds' must be 2 increasing score cut-offs for k=3 (strictly increasing", "thresholds"),
    ("config_outputs_dir_empty.yaml", "config", 2, "'outputs_dir' must be a folder path such as outputs, not ''", "outputs_dir"),
    ("config_map_typo.yaml", "config", 2, "unknown key 'map.split_abov'; did you mean 'split_above'?", "split_abov"),
    ("archive_zip_bomb.zip", "archive", 2, "", None),
    ("archive_zip_slip.zip", "archive", 2, "", None),
]
CLI_CASES = [c for c in CASES if c[1] != "archive"]
NOT_CASES = {"README.md", "make_corpus.py"}


def _readme_rows() -> dict[str, str]:
    rows = {}
    for line in (BAD / "README.md").read_text("utf-8").splitlines():
        m = re.match(r"^\| `([^`]+)` \|.*\|\s*(error|flagged)?\s*\|$", line)
        if m:
            rows[m.group(1)] = m.group(2) or ""
    return rows


def test_readme_table_and_files_agree():
    files = {p.name for p in BAD.iterdir() if p.is_file()}
    readme = _readme_rows()
    table = {c[0]: ("error" if c[2] else "flagged") for c in CASES}
    assert len(table) == len(CASES) >= 30
    assert set(readme) == files - {"README.md"}, "every file in tests/data/bad/ needs a README line (and every line a file)"
    assert set(table) == files - NOT_CASES, "every corpus file needs a row in CASES"
    assert {f: readme[f] for f in table} == table, "README's 'ends in' column disagrees with CASES"


def _check_config(tmp: Path, key: str, path: Path) -> Path:
    """config.yaml with absolute input paths and one input replaced, in a folder with the sources registry."""
    folder = tmp / key / path.stem
    (folder / "data").mkdir(parents=True)
    shutil.copy(ROOT / "data/sources.yaml", folder / "data/sources.yaml")
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    cfg["inputs"] = {k: (str(ROOT / v) if v else v) for k, v in cfg["inputs"].items()}
    cfg["inputs"][key] = str(path)
    cfg["outputs_dir"] = str(folder / "outputs")
    (folder / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), "utf-8")
    return folder / "config.yaml"


def _command(name: str, how: str, tmp: Path) -> list[str]:
    path = BAD / name
    if how == "inspect":
        return ["inspect", "--json", str(path)]
    if how == "config":
        return ["--config", str(path), "check"]
    key = how.split(":", 1)[1]
    return ["--config", str(_check_config(tmp, key, path)), "check"]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``python -m mapper ARGV`` in this process (imports are paid once): exit code, stdout, stderr.

    Any exception that escapes ``main`` (a traceback for the user) fails the test.
    """
    from mapper import cli
    from mapper.load import notices

    notices.drain()  # notices are per process; start each case clean
    out, err = io.StringIO(), io.StringIO()
    previous = signal.getsignal(signal.SIGTERM)  # main() installs its own SIGTERM handler
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse
                code = exc.code
    finally:
        signal.signal(signal.SIGTERM, previous)
    return code, out.getvalue(), err.getvalue()


def _assert_outcome(name, code, fragment, names, rc, stdout, stderr, how):
    assert "Traceback" not in stderr, stderr
    assert rc == code, (rc, stdout[-2000:], stderr)
    if code:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert fragment in lines[0], lines[0]
        assert (name if names == "file" else names) in lines[0], lines[0]
        assert len(lines[0]) < 1000  # one readable line, not a dump
    else:
        assert fragment in stdout, stdout[-3000:]
        if how == "inspect":
            json.loads(stdout)


@pytest.mark.parametrize("name, how, code, fragment, names", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_input_via_cli(tmp_path, name, how, code, fragment, names):
    rc, stdout, stderr = run_cli(_command(name, how, tmp_path))
    _assert_outcome(name, code, fragment, names, rc, stdout, stderr, how)


@pytest.mark.parametrize("name", ["ofcom_truncated.csv", "ofcom_suppressed_lt4.csv", "lsoa_missing_crs.zip", "config_typo.yaml"])
def test_bad_input_in_a_real_subprocess(tmp_path, name):
    """The same outcome from a fresh ``python -m mapper`` (no traceback on stderr, the exit code)."""
    _, how, code, fragment, names = next(c for c in CASES if c[0] == name)
    proc = subprocess.run([sys.executable, "-m", "mapper", *_command(name, how, tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    _assert_outcome(name, code, fragment, names, proc.returncode, proc.stdout, proc.stderr, how)


# --- flagged cases: the values must equal those of the clean rows ---------------------------------

def _rows(path: Path, encoding="utf-8") -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding))))
    return rows[0], rows[1:]


def _write(path: Path, header, rows, *, encoding="utf-8", newline="\n", bom=False) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows([header, *rows])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode(encoding))
    return path


@pytest.fixture(scope="module")
def clean_la(tmp_path_factory):
    header, rows = _rows(LA_FILE)
    return load_ofcom(_write(tmp_path_factory.mktemp("clean") / "clean_la.csv", header, rows[:5])).data


@pytest.mark.parametrize("name", ["ofcom_bom.csv", "ofcom_crlf.csv", "ofcom_thousands_quoted.csv", "ofcom_extra_columns.csv"])
def test_flagged_ofcom_cases_load_the_clean_values(clean_la, name):
    pd.testing.assert_frame_equal(load_ofcom(BAD / name).data, clean_la)


def test_cp1252_case_equals_the_utf8_rows(tmp_path):
    header, rows = _rows(PCON2020)
    keep = [r for r in rows if r[0] in ("E14000531", "E14000537", "E14000545", "W07000041")]
    clean = load_ofcom(_write(tmp_path / "utf8.csv", header, keep)).data
    bad = load_ofcom(BAD / "ofcom_cp1252.csv").data
    pd.testing.assert_frame_equal(bad, clean)
    assert "YNYS MÔN" in set(bad["name"])


@pytest.mark.parametrize("name, column, row", [
    ("ofcom_suppressed_lt4.csv", "below_uso_n", 0), ("ofcom_suppressed_star.csv", "unable_2_n", 1),
    ("ofcom_suppressed_na.csv", "below_uso_pct", 2), ("ofcom_suppressed_blank.csv", "unable_5_n", 3),
])
def test_suppressed_cell_is_missing_and_everything_else_unchanged(clean_la, name, column, row):
    bad = load_ofcom(BAD / name).data
    assert pd.isna(bad.loc[row, column]) and bad[column].isna().sum() == 1
    expected = clean_la.copy()
    expected.loc[row, column] = pd.NA if column.endswith("_n") else np.nan
    pd.testing.assert_frame_equal(bad, expected)


def test_html_name_is_kept_verbatim_for_escaping_later():
    data = load_ofcom(BAD / "ofcom_html_names.csv").data
    assert data.loc[0, "name"] == '<script>alert("x")</script>Amber Valley'


# --- archives (the extractor is written in mapper/fetch/archive.py) ----------------------------------

def test_zip_bomb_is_refused(tmp_path):
    archive = pytest.importorskip("mapper.fetch.archive")
    from mapper.errors import MapperError

    dest = tmp_path / "out"
    with pytest.raises(archive.ArchiveError if hasattr(archive, "ArchiveError") else MapperError) as err:
        archive.extract_members(BAD / "archive_zip_bomb.zip", dest, max_member_bytes=1_000_000, max_total_bytes=2_000_000)
    assert "archive_zip_bomb.zip" in str(err.value)
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in left) <= 1_000_000 + 65536, left


def test_zip_slip_member_is_refused(tmp_path):
    archive = pytest.importorskip("mapper.fetch.archive")
    from mapper.errors import MapperError

    dest = tmp_path / "a" / "b"
    dest.mkdir(parents=True)
    with pytest.raises(archive.ArchiveError if hasattr(archive, "ArchiveError") else MapperError) as err:
        archive.extract_members(BAD / "archive_zip_slip.zip", dest)
    assert "zip_slip_escaped.csv" in str(err.value)
    assert not list(tmp_path.rglob("zip_slip_escaped.csv"))


# --- property tests: header order, encoding, line ends and suppression do not change values -----------

MARKERS = ["<4", "*", "", "N/A", "<3", " * "]


@pytest.fixture(scope="module")
def pcon_sample(tmp_path_factory):
    header, rows = _rows(PCON2020)
    keep = [r for r in rows if r[0] in ("E14000531", "E14000537", "E14000545", "W07000041", "E14000560")]
    base = load_ofcom(_write(tmp_path_factory.mktemp("prop") / "base.csv", header, keep))
    return header, keep, base, tmp_path_factory.mktemp("prop_cases")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_header_order_encoding_line_ends_and_suppression_do_not_change_values(pcon_sample, data):
    header, rows, base, folder = pcon_sample
    order = data.draw(st.permutations(range(len(header))), label="column order")
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), label="encoding")
    newline = data.draw(st.sampled_from(["\n", "\r\n"]), label="line ends")
    numeric = list(range(2, len(header)))
    cells = data.draw(st.sets(st.tuples(st.integers(0, len(rows) - 1), st.sampled_from(numeric)), max_size=12),
                      label="suppressed cells")
    marker = data.draw(st.sampled_from(MARKERS), label="marker")
    edited = [list(r) for r in rows]
    for i, j in cells:
        edited[i][j] = marker
    path = folder / "case.csv"
    _write(path, [header[k] for k in order], [[r[k] for k in order] for r in edited],
           encoding="utf-8" if encoding == "utf-8-sig" else encoding, newline=newline, bom=encoding == "utf-8-sig")
    table = load_ofcom(path)
    assert table.meta["encoding"] == encoding
    assert table.meta["line_ends"] == ("CRLF" if newline == "\r\n" else "LF")
    canonical = {v: k for k, v in base.meta["columns"].items()}
    expected = base.data.copy()
    counts: dict[str, int] = {}
    for i, j in cells:
        col = canonical[header[j]]
        expected.loc[i, col] = pd.NA if col.endswith("_n") or col in ("premises", "matched_premises") else np.nan
        counts[col] = counts.get(col, 0) + 1
    pd.testing.assert_frame_equal(table.data[list(expected.columns)], expected)
    assert table.meta["suppressed"] == counts
