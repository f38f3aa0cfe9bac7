"""One real pack (default config and data) built once per session, plus a second render for the rerun test."""

from __future__ import annotations

import pytest

#: A rural LA (tier 1, every companion indicator) and a constituency (change columns, no mobile/take-up).
PACK_AREAS = ["West Lindsey", "gainsborough"]


@pytest.fixture(scope="session")
def pack_areas(cfg, frames):
    from mapper.pack import pack_areas

    return pack_areas(cfg, frames, PACK_AREAS)


@pytest.fixture(scope="session")
def pack_files(cfg, frames, pack_areas):
    from mapper.pack import render_pack

    return render_pack(cfg, frames, pack_areas, progress=False)


@pytest.fixture(scope="session")
def pack_dir(pack_files, tmp_path_factory):
    from mapper.pack import write_pack

    out = tmp_path_factory.mktemp("pack")
    write_pack(pack_files, out)
    return out
