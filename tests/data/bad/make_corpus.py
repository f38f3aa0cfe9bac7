"""Rebuild the bad-input corpus in this folder from the real files in the repository.

Run from the repository root:  .venv/bin/python tests/data/bad/make_corpus.py

Every case starts from a few real rows or features (data/, boundaries/ and, for
one constituency outside the Midlands, /work/shared/data/boundaries) and then
has one defect applied by hand; README.md says what each file is. The output
is deterministic: running it twice gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re

import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
LA = ROOT / "data/ofcom/laua/202507_fixed_laua_coverage_r01_midlands.csv"
PCON2020 = ROOT / "data/ofcom/pcon/202009_fixed_pcon_coverage_r01.csv"
MOBILE = ROOT / "data/ofcom/mobile/202507_mobile_coverage_laua_r01_midlands.csv"
LAD_RGN = ROOT / "data/lookups/LAD24_RGN24_lookup_midlands.csv"
LSOA_LAD = ROOT / "data/lookups/LSOA21_WD24_LAD24_lookup_midlands.csv"
PCON_GEO = ROOT / "boundaries/PCON21_BUC_midlands.geojson"
LSOA_GEO = ROOT / "boundaries/LSOA21_BSC_midlands.geojson"
UK_PCON_ZIP = Path("/work/shared/data/boundaries/PCON_DEC_2021_UK_BUC.zip")
CONFIG = ROOT / "config.yaml"

N_ROWS = 5  # data rows kept from the LA coverage file for the Ofcom cases


def read_csv(path: Path, encoding: str = "utf-8") -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding).lstrip("\ufeff"))))
    return rows[0], rows[1:]


def to_csv(header: list[str], rows: list[list[str]], *, crlf: bool = False) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows([header, *rows])
    return buf.getvalue()


def la_sample() -> tuple[list[str], list[list[str]]]:
    """Header plus the first five rows of the real LA file (the clean twin of every Ofcom case)."""
    header, rows = read_csv(LA)
    return header, [list(r) for r in rows[:N_ROWS]]


def write(name: str, data: str | bytes) -> None:
    (HERE / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def set_cell(header, rows, row: int, column: str, value: str):
    rows = [list(r) for r in rows]
    rows[row][header.index(column)] = value
    return rows


def ofcom_cases() -> None:
    h, rows = la_sample()
    clean = to_csv(h, rows)
    # encodings and line ends: the same values, spelt differently
    ph, prows = read_csv(PCON2020)
    keep = [r for r in prows if r[0] in ("E14000531", "E14000537", "E14000545", "W07000041")]
    write("ofcom_cp1252.csv", to_csv(ph, keep, crlf=True).encode("cp1252"))
    write("ofcom_bom.csv", b"\xef\xbb\xbf" + clean.encode("utf-8"))
    write("ofcom_crlf.csv", to_csv(h, rows, crlf=True))
    write("ofcom_utf16.csv", clean.encode("utf-16"))
    # columns
    write("ofcom_renamed_measure.csv", to_csv(
        [("Gigabit coverage (% of premises)" if c == "Gigabit availability (% premises)" else c) for c in h], rows))
    write("ofcom_renamed_code_column.csv", to_csv([("Local Authority Code" if c == "laua" else c) for c in h], rows))
    i = h.index("All Premises")
    write("ofcom_missing_premises.csv", to_csv(h[:i] + h[i + 1:], [r[:i] + r[i + 1:] for r in rows]))
    j = h.index("Number of premises with Gigabit availability")
    write("ofcom_duplicated_column.csv", to_csv(h + [h[j]], [r + [r[j]] for r in rows]))
    write("ofcom_extra_columns.csv", to_csv(h + ["Region", "Notes", ""],
                                             [r + ["East Midlands", "checked by hand" if k == 0 else "", ""] for k, r in enumerate(rows)]))
    # rows and cells
    write("ofcom_duplicate_codes.csv", to_csv(h, rows + [rows[2]]))
    write("ofcom_suppressed_lt4.csv", to_csv(h, set_cell(h, rows, 0, "Number of premises below the USO", "<4")))
    write("ofcom_suppressed_star.csv", to_csv(h, set_cell(h, rows, 1, "Number of premises unable to receive 2Mbit/s", "*")))
    write("ofcom_suppressed_na.csv", to_csv(h, set_cell(h, rows, 2, "% of premises below the USO", "N/A")))
    write("ofcom_suppressed_blank.csv", to_csv(h, set_cell(h, rows, 3, "Number of premises unable to receive 5Mbit/s", "")))
    counts = [c for c in h if c == "All Premises" or c.startswith("Number of premises")]
    thousands = [[(f"{int(v):,}" if c in counts else v) for c, v in zip(h, r)] for r in rows]
    write("ofcom_thousands_quoted.csv", to_csv(h, thousands))  # csv quotes "49,123" because of the comma
    write("ofcom_pct_over_100.csv", to_csv(h, set_cell(h, rows, 1, "Full Fibre availability (% premises)", "104.2")))
    write("ofcom_pct_negative.csv", to_csv(h, set_cell(h, rows, 2, "% of premises unable to receive 10Mbit/s", "-0.7")))
    write("ofcom_inf_premises.csv", to_csv(h, set_cell(h, rows, 1, "All Premises", "inf")))
    write("ofcom_huge_premises.csv", to_csv(h, set_cell(h, rows, 2, "All Premises", "1e30")))
    over = str(int(rows[3][h.index("All Premises")]) + 250)
    write("ofcom_count_over_premises.csv", to_csv(h, set_cell(h, rows, 3, "Number of premises with Gigabit availability", over)))
    write("ofcom_text_in_count.csv", to_csv(h, set_cell(h, rows, 4, "Number of premises with SFBB availability", "approx 52000")))
    write("ofcom_fractional_count.csv", to_csv(h, set_cell(h, rows, 0, "Number of premises with NGA", "52011.5")))
    write("ofcom_empty.csv", b"")
    write("ofcom_header_only.csv", to_csv(h, []))
    cut = clean.rstrip("\n")
    write("ofcom_truncated.csv", cut[: cut.rfind("\n") + 1 + len(cut[cut.rfind("\n") + 1:]) // 3])
    write("ofcom_html_names.csv", to_csv(h, set_cell(h, rows, 0, "laua_name", '<script>alert("x")</script>Amber Valley')))
    write("ofcom_long_name.csv", to_csv(h, set_cell(h, rows, 1, "laua_name", ("Ashfield " * 1112)[:10_000])))
    mh, mrows = read_csv(MOBILE)
    mrows = [list(r) for r in mrows[:3]]
    col = mh.index("4G_prem_out_2")
    mrows[1][col] = f"{float(mrows[1][col] or 0) + 7.5:.2f}"
    write("ofcom_mobile_shares_not_100.csv", to_csv(mh, mrows))


def lookup_cases() -> None:
    h, rows = read_csv(LA)
    extra = list(rows[0])
    extra[0], extra[1] = "E07000048", "Christchurch"  # district abolished in 2019 (now in E06000058)
    write("la_coverage_old_lad_code.csv", to_csv(h, rows + [extra]))
    lh, lrows = read_csv(LAD_RGN)
    write("lad_region_bom_crlf.csv", b"\xef\xbb\xbf" + to_csv(lh, lrows, crlf=True).encode("utf-8"))
    k = lh.index("RGN24CD")
    write("lad_region_missing_column.csv", to_csv(lh[:k] + lh[k + 1:], [r[:k] + r[k + 1:] for r in lrows[:5]]))
    write("lad_region_duplicate_codes.csv", to_csv(lh, lrows[:5] + [lrows[1]]))
    write("lad_region_header_only.csv", to_csv(lh, []))
    sh, srows = read_csv(LSOA_LAD)
    keep = [r for r in srows if r[4] == "E07000171"][:5]
    succ = next(r for r in srows if r[0] == "E01033769")
    old = list(succ)
    old[0], old[1] = "E01028040", "Bassetlaw 014A"  # LSOA 2011 code, merged into E01033769 in 2021
    write("lsoa_lad_lsoa11_code.csv", to_csv(sh, keep + [old]))


def _features(path: Path, codes: list[str], field: str) -> list[dict]:
    data = json.loads(path.read_text("utf-8"))
    by_code = {f["properties"][field]: f for f in data["features"]}
    return [by_code[c] for c in codes]


def _geojson(features: list[dict], crs: str | None = "urn:ogc:def:crs:OGC:1.3:CRS84") -> str:
    doc: dict = {"type": "FeatureCollection"}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    doc["features"] = features
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _keep_props(features: list[dict], fields: tuple[str, ...]) -> list[dict]:
    return [{"type": "Feature", "properties": {k: f["properties"][k] for k in fields}, "geometry": f["geometry"]}
            for f in features]


def boundary_cases() -> None:
    import geopandas as gpd
    from shapely.geometry import Polygon, mapping, shape

    pcon = _keep_props(_features(PCON_GEO, ["E14000531", "E14000560", "E14000561"], "PCON21CD"), ("PCON21CD", "PCON21NM"))
    minx, miny, maxx, maxy = shape(pcon[1]["geometry"]).bounds
    bowtie = [dict(f) for f in pcon]
    bowtie[1] = {**pcon[1], "geometry": mapping(Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy), (minx, miny)]))}
    write("pcon_bowtie.geojson", _geojson(json.loads(json.dumps(bowtie))))
    gdf = gpd.GeoDataFrame.from_features(pcon, crs=4326).to_crs(27700)
    bng = json.loads(gdf.to_json(drop_id=True))["features"]
    for f in bng:
        f["geometry"]["coordinates"] = _round(f["geometry"]["coordinates"], 1)
    write("pcon_declared_27700.geojson", _geojson(bng, crs="urn:ogc:def:crs:EPSG::27700"))
    uk = gpd.read_file(UK_PCON_ZIP)
    outside = uk[uk["PCON21CD"] == "E14000530"][["PCON21CD", "PCON21NM", "geometry"]].to_crs(4326)  # Aldershot
    out_f = json.loads(outside.to_json(drop_id=True))["features"]
    for f in out_f:
        f["geometry"]["coordinates"] = _round(f["geometry"]["coordinates"], 6)
    write("pcon_outside_midlands.geojson", _geojson(pcon + out_f))

    lsoa = _keep_props(_features(LSOA_GEO, ["E01008881", "E01008882", "E01008883"], "LSOA21CD"), ("LSOA21CD", "LSOA21NM"))
    lgdf = gpd.GeoDataFrame.from_features(lsoa, crs=4326).to_crs(27700)
    lbng = json.loads(lgdf.to_json(drop_id=True))["features"]
    for f in lbng:
        f["geometry"]["coordinates"] = _round(f["geometry"]["coordinates"], 1)
    write("lsoa_bng_labelled_wgs84.geojson", _geojson(lbng))
    write("lsoa_wgs84_labelled_27700.geojson", _geojson(lsoa, crs="urn:ogc:def:crs:EPSG::27700"))
    empty = json.loads(json.dumps(lsoa))
    empty[1]["geometry"] = None
    write("lsoa_empty_geometry.geojson", _geojson(empty))
    write("lsoa_empty.geojson", b"")
    long = json.loads(json.dumps(lsoa))
    long[2]["properties"]["LSOA21NM"] = ("Birmingham 066B " * 700)[:10_000]
    write("lsoa_long_name.geojson", _geojson(long))
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / "LSOA21_sample.shp"
        gpd.GeoDataFrame.from_features(lsoa, crs=4326).to_file(shp)
        (Path(tmp) / "LSOA21_sample.prj").unlink()  # the defect: no .prj, so no CRS
        with zipfile.ZipFile(HERE / "lsoa_missing_crs.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(Path(tmp).iterdir()):
                info = zipfile.ZipInfo(part.name, date_time=(2025, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, part.read_bytes())


def _round(coords, digits):
    if isinstance(coords, (int, float)):
        return round(coords, digits)
    return [_round(c, digits) for c in coords]


def config_cases() -> None:
    text = CONFIG.read_text("utf-8")
    text = re.sub(r"(?m)^(\s+\w+: )(data|boundaries)/", r"\1../../../\2/", text)  # paths relative to this folder
    text = text.replace("outputs_dir: outputs", "outputs_dir: ../../../outputs")
    cases = {
        "config_unknown_key.yaml": text.replace("\nregions:", "\ncolour_scheme: viridis\nregions:", 1),
        "config_typo.yaml": text.replace("no_gigabit: {weight: 0.45}", "no_gigabit: {wieght: 0.45}", 1),
        "config_weight_negative.yaml": text.replace("below_uso: {weight: 0.25}", "below_uso: {weight: -0.25}", 1),
        "config_weight_text.yaml": text.replace("unable_30: {weight: 0.20}", "unable_30: {weight: high}", 1),
        "config_weights_zero.yaml": re.sub(r"\{weight: [0-9.]+\}", "{weight: 0}", text),
        "config_duplicate_section.yaml": text + "\nscore:\n  indicators:\n    no_gigabit: {weight: 1}\n",
        "config_weight_nan.yaml": text.replace("below_uso: {weight: 0.25}", "below_uso: {weight: .nan}", 1),
        "config_weights_huge.yaml": text.replace("no_gigabit: {weight: 0.45}", "no_gigabit: {weight: 1.0e+308}", 1)
                                        .replace("below_uso: {weight: 0.25}", "below_uso: {weight: 1.0e+308}", 1),
        "config_min_premises_absurd.yaml": text.replace("min_premises: 50", "min_premises: 1000000000000", 1),
        "config_thresholds_flat.yaml": text.replace("    scheme: quantiles\n    k: 5",
                                                    "    scheme: fixed\n    k: 3\n    thresholds: [40, 40]", 1),
        "config_outputs_dir_empty.yaml": text.replace("outputs_dir: ../../../outputs", "outputs_dir: ''", 1),
        "config_map_typo.yaml": text.replace("  split_above: 20000", "  split_abov: 20000", 1),
    }
    for name, body in cases.items():
        assert body != text, name
        write(name, body)


def archive_cases() -> None:
    stamp = (2025, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(HERE / "archive_zip_bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo("202507_fixed_laua_coverage_r01.csv", date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, LA.read_bytes().splitlines(keepends=True)[0] + b"0" * (20 * 1024 * 1024))
    with zipfile.ZipFile(HERE / "archive_zip_slip.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (("202507_fixed_laua_coverage_r01.csv", LA.read_bytes()),
                           ("../../zip_slip_escaped.csv", b"laua,laua_name\nE99999999,escaped\n")):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def main() -> None:
    ofcom_cases()
    lookup_cases()
    boundary_cases()
    config_cases()
    archive_cases()


if __name__ == "__main__":

    main()
