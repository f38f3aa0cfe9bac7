"""Paths shared by the tests. Import from here, not from ``conftest``: pytest loads
every folder's ``conftest.py`` under the same module name, so ``from conftest import``
would pick up whichever was loaded last."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TESTDATA = Path(__file__).resolve().parent / "data"
LA_FILE = DATA / "ofcom/laua/202507_fixed_laua_coverage_r01_midlands.csv"
LA_RES_FILE = DATA / "ofcom/laua/202507_fixed_laua_res_coverage_r01_midlands.csv"
