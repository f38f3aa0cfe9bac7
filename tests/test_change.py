"""Change over time between constituency releases (real Ofcom files)."""

import csv
import io

import pytest

from _paths import DATA
from mapper.change import ChangeError, compare
from mapper.load.ofcom import OfcomTable, load_ofcom

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
    pcon = frames.pcon.frame
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
