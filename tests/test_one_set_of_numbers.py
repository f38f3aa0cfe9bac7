"""The CSV, the map payload and the pack read the same numbers: indicators are computed once per level.

For every area of both default levels and every indicator, the published CSV's
numerator and denominator equal the map page's ``nd`` pair and the pack table's
columns; the CSV share equals numerator / denominator.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from mapper.config import load_config
from mapper.pack.tables import pack_table
from mapper.publish.tables import indicator_columns
from mapper.render.page import unpack_payload


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gm-data">(.*?)</script>', html, re.S)
    return unpack_payload(json.loads(m.group(1)))  # the areas are packed; rebuilt as the page does


@pytest.mark.parametrize("key", ["la", "pcon", "pcon10"])
def test_csv_map_and_pack_show_the_same_counts(built, frames, cfg, key):
    level = getattr(frames, key)
    stem = cfg.stem(key)
    csv = pd.read_csv(io.StringIO((built / f"{stem}.csv").read_text("utf-8")), dtype={"code": str})
    payload = _payload((built / f"{stem}.html").read_text("utf-8"))
    names = [d["key"] for d in payload["inds"]]
    assert names == level.indicators and len(names) >= 5
    feats = {f["properties"]["c"]: f["properties"] for f in payload["geo"]["features"]}
    pack = pack_table(level, cfg).set_index("code")
    assert set(feats) == set(csv["code"]) == set(pack.index) == set(level.frame["code"])
    checked = 0
    for row in csv.to_dict("records"):
        props = feats[row["code"]]
        for i, n in enumerate(names):
            names_ = indicator_columns(n)
            num, den = row[names_["num"]], row[names_["den"]]
            if pd.isna(num):
                assert props["nd"][i][0] is None
                continue
            assert props["nd"][i] == [int(num), int(den)], (row["code"], n)
            # the pack's own table keeps plain names (its headers say 'estimate'); the CSV marks them in the name
            assert pack.loc[row["code"], f"{n}_num"] == num and pack.loc[row["code"], f"{n}_den"] == den
            if den:
                assert np.isclose(row[names_["share"]], num / den, atol=5e-7), (row["code"], n)
            checked += 1
    assert checked >= len(csv) * 5
