"""End to end on the real data shipped in the repo: joins, reconciliation, outputs."""

import csv
import io
import json
import re
from dataclasses import replace

import pandas as pd
import pytest
from _paths import LA_FILE, ROOT

from mapper.errors import JoinError
from mapper.pipeline import build_frames, render_outputs


def read_csv(path):
    return pd.read_csv(path, dtype={"code": str})


def test_la_join_audit_all_matched(frames):
    joins = {j.name: j for j in frames.audit.joins}
    la = joins["LAD24 boundaries <-> LA coverage"]
    assert (la.left_keys, la.right_keys, la.matched, la.unmatched_left, la.unmatched_right) == (65, 65, 65, [], [])
    pc = joins["PCON24 boundaries <-> constituency coverage"]
    assert (pc.left_keys, pc.matched, pc.unmatched_left, pc.unmatched_right) == (104, 104, [], [])
    pc10 = joins["PCON21 boundaries <-> constituency coverage (2010 seats)"]
    assert (pc10.left_keys, pc10.matched) == (105, 105)
    assert joins["lsoa21 -> imd2019 (via lookup)"].matched == 6420
    assert joins["lsoa21 -> IoD 2025 (File 7)"].matched == 6420
    assert joins["LSOA21 -> PCON24 (point fit)"].matched == 6420
    assert joins["lsoa21 points -> PCON21 (2010 seats)"].matched == 6420
    assert any("kept 104 of 650 rows" in n for n in frames.audit.notes)
    assert any("kept 105 of 650 rows" in n for n in frames.audit.notes)


def test_midlands_totals_reconcile_exactly_with_raw_file(built):
    with open(LA_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    raw = {
        "premises": sum(int(r["All Premises"]) for r in rows),
        "gigabit": sum(int(r["Number of premises with Gigabit availability"]) for r in rows),
        "uso": sum(int(r["Number of premises below the USO"]) for r in rows),
        "u30": sum(int(r["Number of premises unable to receive 30Mbit/s"]) for r in rows),
    }
    assert raw["premises"] == 5_101_207
    tot = read_csv(built / "midlands_la_priority_totals.csv").set_index("area").loc["Midlands"]
    assert tot["premises"] == raw["premises"]
    assert tot["no_gigabit_num"] == raw["premises"] - raw["gigabit"]
    assert tot["below_uso_num"] == raw["uso"]
    assert tot["unable_30_num"] == raw["u30"]
    assert tot["no_gigabit_share"] == pytest.approx((raw["premises"] - raw["gigabit"]) / raw["premises"], abs=1e-6)
    table = read_csv(built / "midlands_la_priority.csv")
    assert table["premises"].sum() == raw["premises"]
    regions = read_csv(built / "midlands_la_priority_totals.csv").set_index("area")
    assert regions.loc[["East Midlands", "West Midlands"], "premises"].sum() == raw["premises"]
    audit = json.loads((built / "audit.json").read_text("utf-8"))
    rec = audit["totals"]["reconciliation:202507_fixed_laua_coverage_r01_midlands.csv"]
    assert all(v["equal"] for v in rec.values())


def test_tables_contract(built):
    la = read_csv(built / "midlands_la_priority.csv")
    pc = read_csv(built / "midlands_constituency_priority.csv")
    pc10 = read_csv(built / "midlands_constituency2010_priority.csv")
    assert len(la) == 65 and la["code"].is_unique and len(pc) == 104 and pc["code"].is_unique and len(pc10) == 105
    from mapper.load.geography import constituency_set

    assert constituency_set(pc["code"]) == "PCON24" and constituency_set(pc10["code"]) == "PCON10"
    for t in (la, pc, pc10):
        shares = t[[c for c in t.columns if c.endswith("_share")]]
        assert ((shares >= 0) & (shares <= 1)).all().all()
        assert t["score"].between(0, 100).all()
        for q in ("", "_rate", "_count"):  # rank 1 = highest score; ties share the better rank
            ordered = t.sort_values(f"rank{q}")
            assert ordered[f"rank{q}"].min() == 1 and ordered[f"score{q}"].is_monotonic_decreasing
        assert set(t["tier"]) == {1, 2, 3, 4, 5}
        assert (t["no_gigabit_num"] <= t["no_gigabit_den"]).all()
    assert set(la["urban_rural"]) == {"Urban", "Rural"}
    assert la.loc[la["rank"] == 1, "name"].item() == "East Lindsey"
    assert set(pc["urban_rural"]) == {"Urban", "Rural"} and (pc["rank_class"] == pc["urban_rural"]).all()
    assert la["population"].sum() == pytest.approx(10_416_137, abs=2)  # IoD2019 mid-2015, Midlands LSOAs


def test_outputs_carry_provenance(built):
    meta = json.loads((built / "midlands_la_priority.meta.json").read_text("utf-8"))
    assert meta["coverage_release"] == "2025-07"
    assert any(a.startswith("Contains Ofcom data © Ofcom 2025") for a in meta["attribution"])
    assert any("Office for National Statistics" in a for a in meta["attribution"])
    html = (built / "midlands_la_priority.html").read_text("utf-8")
    assert "Contains Ofcom data © Ofcom 2025" in html and "Open Government Licence v3.0" in html
    assert "Crown copyright" in html and "Leaflet 1.9.4" in html


def test_html_is_self_contained(built):
    for name in ("midlands_la_priority.html", "midlands_constituency_priority.html"):
        html = (built / name).read_text("utf-8")
        assert not re.search(r"<script[^>]+src=", html), name
        assert not re.search(r"<link[^>]+href=", html), name
        assert not re.search(r"url\(\s*['\"]?https?:", html), name
        for needle in ("cdn.jsdelivr", "code.jquery", "bootstrapcdn", "cdnjs"):
            assert needle not in html, (name, needle)
        assert "L.map(" in html and html.count("<script>") >= 1


def test_rerun_is_byte_identical(cfg, frames):
    again = build_frames(cfg)
    a, b = render_outputs(cfg, frames), render_outputs(cfg, again)
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], name


def test_area_names_are_escaped(cfg, frames):
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    frames.la.frame.loc[0, "name"] = evil
    try:
        html = render_outputs(cfg, frames)["midlands_la_priority.html"].decode()
    finally:
        frames.la.frame.loc[0, "name"] = "Amber Valley"
    assert "<script>alert(2)</script>" not in html and '<img src=x' not in html
    assert "\\u003cscript\\u003ealert(2)" in html or "&lt;script&gt;" in html


def test_required_join_failure_stops_run_with_clear_error(cfg, tmp_path):
    lines = LA_FILE.read_text("utf-8").splitlines()
    cut = tmp_path / LA_FILE.name
    cut.write_text("\n".join(lines[:-1]) + "\n", "utf-8")  # drop the last LA row (Wyre Forest)
    bad = replace(cfg, inputs={**cfg.inputs, "la_coverage": cut})
    with pytest.raises(JoinError, match=r"LAD24 boundaries <-> LA coverage.*1 of 65 LAD24 boundaries key\(s\) have no match.*E07000239"):
        build_frames(bad)


def test_name_only_release_matches_codes_by_name(cfg, tmp_path):
    """A 2019-style file (names only, upper case) joins to the 2010 seats (PCON21) through the names."""
    from mapper.load.ofcom import load_ofcom

    src = load_ofcom(ROOT / "data/ofcom/pcon/202009_fixed_pcon_coverage_r01.csv")
    text = (ROOT / "data/ofcom/pcon/202009_fixed_pcon_coverage_r01.csv").read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r[1:] for r in rows]  # drop parl_const, as the 2019 release does
    path = tmp_path / "201909_fixed_pcon_coverage_r01.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    # no 2019 residential file, and no earlier release to compare with
    inputs = {k: v for k, v in cfg.inputs.items() if k not in ("pcon10_coverage_residential", "pcon10_coverage_previous")}
    frames = build_frames(replace(cfg, inputs={**inputs, "pcon10_coverage": path}))
    names = next(j for j in frames.audit.joins if j.name.endswith("codes from names"))
    assert names.matched >= 105 and names.unmatched_right == []
    got = frames.pcon10.frame.set_index("code")["premises"]
    want = src.data.set_index("code")["premises"]
    assert (got == want.loc[got.index]).all()


def test_companion_of_another_release_is_refused(cfg):
    from mapper.errors import MapperError

    other = ROOT / "data/ofcom/pcon/202209_fixed_pcon_res_coverage_r02.csv"
    with pytest.raises(MapperError, match=r"inputs.pcon10_coverage_residential is release 202209 but 202401_fixed_pcon_coverage_r01.csv is 202401"):
        build_frames(replace(cfg, inputs={**cfg.inputs, "pcon10_coverage_residential": other}))


def test_2024_codes_are_never_joined_to_2010_boundaries(cfg):
    """The July 2025 file (2024 seats) with the 2010-seat boundaries is refused before any join."""
    from mapper.errors import JoinError

    wrong = replace(cfg, inputs={**cfg.inputs, "pcon_boundaries": cfg.inputs["pcon10_boundaries"]},
                    boundary_fields={**cfg.boundary_fields, "pcon": cfg.boundary_fields["pcon10"]})
    with pytest.raises(JoinError, match=r"2024.*2010|PCON24.*PCON10|PCON10.*PCON24"):
        build_frames(wrong)
    old = replace(cfg, inputs={**cfg.inputs, "pcon_coverage": cfg.inputs["pcon10_coverage"]})
    with pytest.raises(JoinError, match=r"PCON10.*PCON24|PCON24.*PCON10|2010.*2024"):
        build_frames(old)


def test_2024_seats_sum_to_the_la_total_and_name_their_boundary_set(frames, built):
    la, pc = frames.la.totals.iloc[-1], frames.pcon.totals.iloc[-1]
    assert pc["premises"] == la["premises"] == 5_101_207
    assert pc["no_gigabit_num"] == la["no_gigabit_num"] and pc["below_uso_num"] == la["below_uso_num"]
    assert "2024 boundaries" in frames.pcon.title and "2010-2024 boundaries" in frames.pcon10.title
    html = (built / "midlands_constituency_priority.html").read_text("utf-8")
    assert "Westminster constituencies (2024 boundaries)" in html
    assert "South Shropshire" in html and "Melton and Syston" in html
    assert frames.pcon10.older_note and "January 2024" in frames.pcon10.older_note


def test_group_frame_ranks_within_each_county_or_combined_authority(cfg, tmp_path):
    """score.frame: group, with a HAND-MADE two-group lookup (West Midlands met boroughs vs the rest)."""
    from mapper.load.tables import read_table

    lads = read_table(cfg.inputs["lad_region_lookup"], "lad_region", key="lad_code")
    lads = lads[lads["region_code"].isin(cfg.regions)]
    met = lads["lad_code"].str.startswith("E08")
    groups = pd.DataFrame({"LAD24CD": lads["lad_code"], "group_code": ["G1" if m else "G2" for m in met],
                           "group_name": ["Hand-made: met boroughs" if m else "Hand-made: the rest" for m in met]})
    path = tmp_path / "groups.csv"
    groups.to_csv(path, index=False)
    c = replace(cfg, inputs={**cfg.inputs, "area_groups": path}, score=replace(cfg.score, frame="group"))
    la = build_frames(c).la.frame
    assert set(la["frame_group"]) == {"Hand-made: met boroughs", "Hand-made: the rest"}
    from mapper.score import score_areas

    for _, g in la.groupby("frame_group"):
        assert g["rank"].min() == 1 and g["ranked_in_frame"].iloc[0] == g["score"].notna().sum()
        alone = score_areas(g.drop(columns=["score", "rank", "tier"]), c.score, class_col=None)  # the group on its own
        assert alone["score"].round(9).tolist() == g["score"].round(9).tolist()


def test_no_area_scored_or_all_in_one_tier_stops_the_run(cfg):
    """A ranking that says nothing is never published: no area scored, or every scored area in one tier."""
    from mapper.errors import MapperError

    with pytest.raises(MapperError, match=r"local authorities: no area could be scored .*min_premises = 1,000,000"):
        build_frames(replace(cfg, score=replace(cfg.score, min_premises=1_000_000)))
    one_tier = replace(cfg.score, tiers=replace(cfg.score.tiers, scheme="fixed", k=3, thresholds=(99.99, 99.999)),
                       ranking="rate")
    with pytest.raises(MapperError, match=r"every one of the 65 scored areas landed in tier 3, so the tiers say nothing"):
        build_frames(replace(cfg, score=one_tier))
