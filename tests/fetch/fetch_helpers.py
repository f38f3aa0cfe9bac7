"""Helpers for the fetch tests: real files zipped like Ofcom does, and a cache lister."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LA_FILE = ROOT / "data/ofcom/laua/202507_fixed_laua_coverage_r01_midlands.csv"
LSOA_FILE = ROOT / "boundaries/LSOA21_BSC_midlands.geojson"


class Sleeps(list):
    """Records the backoff waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def ofcom_style_zip(members: dict[str, bytes], folder: str | None) -> bytes:
    """A zip whose members sit inside ``folder/`` (Ofcom names the folder like the zip)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(f"{folder}/{name}" if folder else name, data)
    return buf.getvalue()


def cache_files(cache_dir: Path) -> list[str]:
    """Every file in the cache's files/ folder (temporary .part files included)."""
    d = Path(cache_dir) / "files"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


# Fixtures (imported by the test modules; a conftest.py here would shadow tests/conftest.py's module name)
import pytest  # noqa: E402


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def fetcher(tmp_path, sleeps):
    from mapper.fetch._http import Fetcher

    return Fetcher(tmp_path / "cache", timeout=5, retries=3, sleep=sleeps, progress=False)
