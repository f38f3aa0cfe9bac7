"""Fixtures for the fetch tests: a fetcher whose backoff sleeps are recorded, not slept."""

from __future__ import annotations

import pytest

from fetch_helpers import Sleeps


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def fetcher(tmp_path, sleeps):
    from mapper.fetch._http import Fetcher

    return Fetcher(tmp_path / "cache", timeout=5, retries=3, sleep=sleeps, progress=False)
