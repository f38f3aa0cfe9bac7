"""Change over time between constituency releases (real Ofcom files)."""

import csv
import io
from pathlib import Path

import pytest
from _paths import DATA

from mapper.load.ofcom import OfcomTable, load_ofcom
from mapper.score.change import ChangeError, compare

PCON = DATA / "ofcom/pcon"


def raw_counts(path, code):
    data = path.read_bytes()
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # the 2022 and 2024 releases are cp1252
        raw = data.decode("cp1252")
    for row in csv.DictReader(io.StringIO(raw)):
        if row["parl_const"] == code:
            return row
    raise KeyError(code)


def test_counts_change_between_2022_and_2024_equal_the_raw_files():
    old = load_ofcom(PCON / "202209_fixed_pcon_coverage_r02.csv")
    new = load_ofcom(PCON / "202401_fixed_pcon_coverage_r01.csv")
    code = "E14000803"  # Louth and Horncastle
    out = compare(old, new, {code}).iloc[0]
    a = raw_counts(PCON / "202209_fixed_pcon_coverage_r02.csv", code)
    b = raw_counts(PCON / "202401_fixed_pcon_coverage_r01.csv", code)
    key = "Number of premises with Gigabit availability"
    assert out["gigabit_gain_n"] == int(b[key]) - int(a[key])
    assert out["below_uso_change_n"] == int(b["Number of premises below the USO"]) - int(a["Number of premises below the USO"])
    assert out["change_from_release"] == "2022-09"


def test_different_boundaries_are_refused():
    old = load_ofcom(PCON / "202209_fixed_pcon_coverage_r02.csv")
    new = load_ofcom(PCON / "202401_fixed_pcon_coverage_r01.csv")
    renamed = OfcomTable(old.data.assign(code=old.data["code"].str.replace("E14000", "E14001")), old.meta)
    with pytest.raises(ChangeError, match="boundaries differ"):
        compare(renamed, new, {"E14000803"})


def test_wrong_order_and_variant_are_refused():
    old = load_ofcom(PCON / "202209_fixed_pcon_coverage_r02.csv")
    new = load_ofcom(PCON / "202401_fixed_pcon_coverage_r01.csv")
    res = load_ofcom(PCON / "202209_fixed_pcon_res_coverage_r02.csv")
    with pytest.raises(ChangeError, match="not older"):
        compare(new, old, {"E14000803"})
    with pytest.raises(ChangeError, match="variant differs"):
        compare(res, new, {"E14000803"})


def test_pipeline_carries_change_columns(frames):
    pcon = frames.pcon10.frame
    assert pcon["gigabit_gain_n"].notna().all()
    assert (pcon["change_from_release"] == "2020-09").all()
    assert int(pcon["gigabit_gain_n"].sum()) > 0


def test_cli_compares_any_two_releases(tmp_path, capsys):
    from mapper.cli import main

    out_csv = tmp_path / "change.csv"
    rc = main(["change", str(PCON / "202109_fixed_pcon_coverage_r01.csv"), str(PCON / "202209_fixed_pcon_coverage_r02.csv"),
               "--csv", str(out_csv)])
    text = capsys.readouterr().out
    assert rc == 0 and "105 study-area areas, 2021-09 -> 2022-09" in text
    import pandas as pd
    table = pd.read_csv(out_csv)
    assert len(table) == 105
    assert f"{int(table['gigabit_gain_n'].sum()):+,}" in text


def test_cli_refuses_mixed_levels_in_one_line(capsys):
    from mapper.cli import main

    rc = main(["change", str(PCON / "202209_fixed_pcon_coverage_r02.csv"), str(DATA / "ofcom/laua/202507_fixed_laua_coverage_r01_midlands.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "level differs" in err


def test_cli_compares_two_bduk_releases_per_local_authority(tmp_path, capsys):
    """HAND-MADE releases in the real 28-column schema: the real Rutland row of the BDUK sample, twice.

    Release A: two Rutland premises without gigabit and without any plan (residual gap 2).
    Release B: one of them is now in a Project Gigabit contract, the other has gigabit.
    """
    import pandas as pd
    from _paths import TESTDATA

    from mapper.cli import main

    sample = pd.read_csv(TESTDATA / "bduk/202605_BDUK_uprn_release_sample.csv", dtype=str, keep_default_na=False)
    row = sample[sample["local_authority_district_ons_code"] == "E06000017"].iloc[0].to_dict()
    plain = {"current_gigabit": "false", "future_gigabit": "false", "bduk_gis": "false"}
    releases = {
        "202601": [{**row, **plain, "uprn": "1"}, {**row, **plain, "uprn": "2"}],
        "202605": [{**row, **plain, "uprn": "1", "bduk_gis": "true"}, {**row, **plain, "uprn": "2", "current_gigabit": "true"}],
    }
    for name, rows in releases.items():
        (tmp_path / name / "East_Midlands").mkdir(parents=True)
        pd.DataFrame(rows, columns=sample.columns).to_csv(tmp_path / name / "East_Midlands/Rutland.csv", index=False)
    out_csv = tmp_path / "bduk_change.csv"
    rc = main(["change", str(tmp_path / "202601"), str(tmp_path / "202605"), "--csv", str(out_csv)])
    text = capsys.readouterr().out
    assert rc == 0 and "1 study-area areas, 202601 -> 202605" in text
    table = pd.read_csv(out_csv).set_index("code")
    assert table.loc["E06000017", "residual_change_n"] == -2
    assert table.loc["E06000017", "contract_change_n"] == 1
    assert table.loc["E06000017", "no_gigabit_now_change_n"] == -1
    residual_line = next(line for line in text.splitlines() if "residual gap" in line)
    assert residual_line.split()[-1] == "-2"


def test_cli_refuses_a_file_and_a_folder(tmp_path, capsys):
    from mapper.cli import main

    rc = main(["change", str(tmp_path), str(PCON / "202401_fixed_pcon_coverage_r01.csv")])
    assert rc == 2 and "two folders of BDUK releases" in capsys.readouterr().err


# --- issue 14: definitions change between releases; names without codes; every pair of releases ------------

HANDMADE = Path(__file__).resolve().parent / "data/ofcom/handmade"
RELEASES = sorted([*PCON.glob("*.csv"), *HANDMADE.glob("*.csv")], key=lambda p: p.name)


def test_below_uso_across_the_2020_definition_change_is_not_compared():
    """2019 counted fixed-line only; from 2020 premises served by fixed wireless are excluded: never a 'fall'."""
    from mapper.score.change import comparable

    assert comparable("below_uso", "2019-09", "2020-09").startswith("definition changed between 2019-09 and 2020-09")
    assert comparable("below_uso", "2020-09", "2024-01") is None
    assert comparable("sfbb", "2018-09", "2019-09").startswith("definition changed")
    old = load_ofcom(HANDMADE / "201909_fixed_pcon_coverage_r01.csv")
    new = load_ofcom(PCON / "202009_fixed_pcon_coverage_r01.csv")
    sub = OfcomTable(new.data[new.data["code"].isin({"E14000799", "E14000535", "W07000041"})], new.meta)
    out = compare(old, sub, {"E14000799", "E14000535"})
    assert "below_uso_change_n" not in out.columns and "unable_30_change_n" in out.columns
    assert "below_uso_change_n" in out.attrs["not_compared"]
    assert "below_uso_change_n (definition changed between 2019-09 and 2020-09)" in out["change_flags"].iloc[0]


def test_name_only_release_is_matched_by_name_and_compared(tmp_path):
    """The 2019 release has names, no codes: matched to the 2020 codes by name (LUDLOW -> E14000799)."""
    old = load_ofcom(HANDMADE / "201909_fixed_pcon_coverage_r01.csv")
    new = load_ofcom(PCON / "202009_fixed_pcon_coverage_r01.csv")
    sub = OfcomTable(new.data[new.data["code"].isin({"E14000799", "E14000535", "W07000041"})], new.meta)
    out = compare(old, sub, {"E14000799"}).set_index("code")
    ludlow_2019 = old.data.set_index("name").loc["LUDLOW"]
    ludlow_2020 = new.data.set_index("code").loc["E14000799"]
    assert out.loc["E14000799", "unable_30_change_n"] == ludlow_2020["unable_30_n"] - ludlow_2019["unable_30_n"]


def test_a_name_with_no_partner_is_refused_with_the_names():
    old = load_ofcom(HANDMADE / "201909_fixed_pcon_coverage_r01.csv")
    new = load_ofcom(PCON / "202009_fixed_pcon_coverage_r01.csv")
    sub = OfcomTable(new.data[new.data["code"].isin({"E14000799"})], new.meta)
    with pytest.raises(ChangeError, match=r"match no name in .*ASHFIELD"):
        compare(old, sub, {"E14000799"})


@pytest.mark.parametrize("old", RELEASES, ids=[p.name for p in RELEASES])
@pytest.mark.parametrize("new", RELEASES, ids=[p.name for p in RELEASES])
def test_every_pair_of_releases_compares_or_refuses_in_one_line(old, new, capsys):
    """No traceback for any pair of the shipped (and hand-pinned) constituency releases."""
    from mapper.cli import main

    if old == new:
        return
    rc = main(["change", str(old), str(new)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err
    if rc == 0:
        assert "study-area areas" in out
        if old.name[:6] < "202009" <= new.name[:6]:  # across the USO definition change
            assert "below the USO" not in out.split("not compared")[0] and "below_uso_change_n" in out
    else:
        assert rc == 2 and err.count("\n") == 1 and err.startswith("error: "), err
