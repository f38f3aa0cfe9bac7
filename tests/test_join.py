"""Audited joins and the IMD 2011 -> 2021 LSOA bridge, on tiny hand-built frames."""

import pandas as pd
import pytest

from mapper.errors import JoinError
from mapper.join import Audit, audited_merge, lsoa21_deprivation, rank_to_decile, resolve_codes_by_name


def test_audited_merge_reports_and_returns_new_frame():
    left = pd.DataFrame({"code": ["A", "B", "C"], "x": [1, 2, 3]})
    right = pd.DataFrame({"code": ["A", "B", "Z"], "y": [10, 20, 99]})
    audit = Audit()
    out = audited_merge(left, right, left_on="code", right_on="code", name="t", left_label="L", right_label="R",
                        audit=audit, required="none")
    rep = audit.joins[0]
    assert (rep.matched, rep.unmatched_left, rep.unmatched_right) == (2, ["C"], ["Z"])
    assert list(out["y"].fillna(-1)) == [10, 20, -1]
    assert list(left.columns) == ["code", "x"]  # input untouched


def test_audited_merge_fails_naming_keys_when_required():
    left = pd.DataFrame({"code": ["A", "B", "C"]})
    right = pd.DataFrame({"code": ["A"]})
    with pytest.raises(JoinError, match=r"join 'j': 2 of 3 L key\(s\) have no match in R: \['B', 'C'\]"):
        audited_merge(left, right, left_on="code", right_on="code", name="j", left_label="L", right_label="R",
                      audit=Audit(), required="left")
    # a tolerance lets a known gap through, still reported
    audit = Audit()
    audited_merge(left, right, left_on="code", right_on="code", name="j", left_label="L", right_label="R",
                  audit=audit, required="left", max_unmatched=2)
    assert audit.joins[0].unmatched_left == ["B", "C"]


def test_codes_from_names_for_name_only_release():
    boundaries = pd.DataFrame({"code": ["E1", "E2"], "name": ["Ynys Môn", "Stoke-on-Trent Central"]})
    coverage = pd.DataFrame({"code": pd.Series([pd.NA] * 3, dtype="string"),
                             "name": ["YNYS MÔN", "STOKE-ON-TRENT CENTRAL", "NOWHERE"]})
    audit = Audit()
    out = resolve_codes_by_name(coverage, boundaries, audit=audit, label="cov")
    assert list(out["code"].fillna("?")) == ["E1", "E2", "?"]
    assert audit.joins[0].unmatched_left == ["NOWHERE"]


def test_lsoa11_to_lsoa21_unchanged_split_merged():
    lsoa21 = pd.DataFrame({"lsoa21_code": ["U1", "S1a", "S1b", "M1"]})
    look = pd.DataFrame({
        "lsoa11_code": ["u", "s", "s", "m1", "m2"],
        "change": ["U", "S", "S", "M", "M"],
        "lsoa21_code": ["U1", "S1a", "S1b", "M1", "M1"],
    })
    imd = pd.DataFrame({"lsoa11_code": ["u", "s", "m1", "m2"], "imd_rank": [100.0, 5000.0, 1000.0, 4000.0],
                        "imd_decile": [1.0, 2.0, 1.0, 2.0]})
    dom = pd.DataFrame({"lsoa11_code": ["u", "s", "m1", "m2"], "education_rank": [10.0, 20.0, 30.0, 40.0],
                        "education_decile": [1.0, 1.0, 1.0, 1.0]})
    pop = pd.DataFrame({"lsoa11_code": ["u", "s", "m1", "m2"], "population": [1500.0, 3000.0, 1000.0, 3000.0],
                        "population_60_plus": [300.0, 600.0, 100.0, 300.0]})
    out = lsoa21_deprivation(lsoa21, look, imd, dom, pop, audit=Audit()).set_index("lsoa21_code")
    assert out.loc["U1", "imd_rank"] == 100 and out.loc["U1", "imd_change"] == "U"
    assert out.loc["S1a", "imd_rank"] == 5000 and out.loc["S1a", "population"] == 1500  # shared equally
    assert out.loc["S1b", "population_estimated"]
    # merged: population-weighted rank (1000*1000 + 4000*3000) / 4000 = 3250 -> decile 1 (3250 < 3284.4)
    assert out.loc["M1", "imd_rank"] == 3250 and out.loc["M1", "imd_decile"] == 1
    assert out.loc["M1", "population"] == 4000 and out.loc["M1", "imd_change"] == "M"
    assert out["population"].sum() == pop["population"].sum()  # people conserved


def test_rank_to_decile_edges():
    assert [rank_to_decile(r) for r in (1, 3284, 3285, 32844)] == [1, 1, 2, 10]
