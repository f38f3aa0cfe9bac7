"""Shared fixtures. Real data comes from the repository's data/ and boundaries/."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from _paths import DATA, LA_FILE, LA_RES_FILE, ROOT, TESTDATA

#: End-to-end tests marked ``slow`` here, in one place (``make test-fast`` runs ``-m "not slow"``):
#: whole modules (path prefixes) and single tests (node-id prefixes). Browser tests are slow too.
SLOW = (
    "tests/fetch/test_end_to_end.py", "tests/test_outputs_atomic.py", "tests/pack/",
    "tests/test_cli.py::test_inspect_every_real_ofcom_file", "tests/test_cli.py::test_build_writes_into_requested_folder",
    "tests/test_bad_inputs.py::test_bad_input_in_a_real_subprocess",
    "tests/test_security.py::test_inspect_on_a_special_file_is_one_line_exit_2",
    # whole builds of the real data (about 4 s each): the pipeline tests and the `check` cases of the corpus
    "tests/test_pipeline.py", "tests/test_change.py::test_pipeline_carries_change_columns",
    "tests/test_change.py::test_every_pair_of_releases",
    "tests/test_security.py::test_a_formula_area_name", "tests/test_security.py::test_an_input_that_is_a_fifo",
    *(f"tests/test_bad_inputs.py::test_bad_input_via_cli[{p}" for p in ("la_", "lad_", "lsoa_", "pcon_")),
)


def pytest_collection_modifyitems(config, items):
    """Mark the slow end-to-end tests; browser tests skip without Chromium, with the reason (under CI=true they must run)."""
    from _browser import find_browser

    for item in items:
        if "browser" in item.keywords or item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
    browser, driver = find_browser()
    if browser and driver:
        return
    reason = "headless Chromium not found: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
    for item in items:
        if "browser" in item.keywords:
            if os.environ.get("CI", "").lower() == "true":
                item.add_marker(pytest.mark.usefixtures("_require_browser_in_ci"))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _require_browser_in_ci():
    pytest.fail("CI=true but chromium/chromedriver are missing; .ci/run should have installed them")


@pytest.fixture(scope="session")
def cfg():
    from mapper.config import load_config
    from mapper.score import INDICATORS

    return load_config(ROOT / "config.yaml", known_indicators=tuple(INDICATORS))


@pytest.fixture(scope="session")
def frames(cfg):
    from mapper.pipeline import build_frames

    return build_frames(cfg)


@pytest.fixture(scope="session")
def built(cfg, frames, tmp_path_factory):
    """Every output of the default build, written to a temporary outputs folder."""
    from mapper.pipeline import render_outputs, write_outputs

    out = tmp_path_factory.mktemp("outputs")
    files = render_outputs(replace(cfg, outputs_dir=out), frames)
    write_outputs(files, out)
    return out
