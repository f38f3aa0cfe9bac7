"""Maps, GeoPackage, manifest, byte-identical reruns, and the pack's area and config handling."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from _paths import ROOT
from matplotlib import image as mpimg


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


MAPS = [f"{stem}_{kind}" for stem in ("midlands_la", "midlands_constituency", "E07000142_west-lindsey",
                                      "E14001243_gainsborough") for kind in ("tiers", "gap")]


@pytest.mark.parametrize("stem", MAPS)
def test_maps_have_print_size_embedded_truetype_and_no_clipped_text(pack_dir, stem):
    png = mpimg.imread(pack_dir / "maps" / f"{stem}.png")
    assert png.shape[:2] == (2400, 2100)  # 7 x 8 inches at 300 dpi
    ink = (png[..., :3] < 0.95).any(axis=-1).mean()
    assert ink > 0.10, f"only {ink:.1%} of pixels are not white"
    assert len(np.unique(png[..., :3].reshape(-1, 3)[::97], axis=0)) > 5  # several colours, not one fill
    # nothing runs off the page: the outermost 15 pixels on every side are blank paper
    for edge in (png[:15], png[-15:], png[:, :15], png[:, -15:]):
        assert (edge[..., :3] > 0.98).all(), stem
    pdf = (pack_dir / "maps" / f"{stem}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"/MediaBox [ 0 0 504 576 ]" in pdf
    assert b"CreationDate" not in pdf
    assert b"/Type3" not in pdf and b"/FontFile2" in pdf  # TrueType fonts embedded, no Type 3 glyph procedures
    assert b"Software" not in (pack_dir / "maps" / f"{stem}.png").read_bytes()[:2000]


@pytest.mark.parametrize("code, key", [("E07000142", "la"), ("E14001243", "pcon"), ("E08000025", "la")])
@pytest.mark.parametrize("kind", ["tiers", "gap"])
def test_map_text_fits_and_labels_do_not_collide(cfg, frames, code, key, kind):
    """Every text of the figure lies inside the page; placed labels never overlap one another."""
    import matplotlib

    from mapper.pack import maps

    maps.ensure_fonts()
    ctx = maps.map_context(cfg, frames)
    level = {"la": frames.la, "pcon": frames.pcon}[key]
    with matplotlib.rc_context(maps.RC):
        fig, lab = maps.area_figure(level, cfg, ctx, code, kind=kind, release_line="Data: test release line.",
                                    attributions=level.attributions or [], noun="area")
        fig.canvas.draw()  # lay out legends and wrapped text as when saved
        renderer = fig.canvas.get_renderer()
        page = fig.bbox
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
        assert len(texts) > 10
        for t in texts:
            box = t.get_window_extent(renderer)
            assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y0 >= page.y0 - 1 \
                and box.y1 <= page.y1 + 1, t.get_text()
        boxes = [b for _, b in lab.labels]
        assert len(boxes) >= 4
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (lab.labels[i][0])
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        assert any("faded, for" in t for t in legend)  # the faded context areas are explained
        matplotlib.pyplot.close(fig)


def test_geopackage_layers_crs_integers_and_releases(cfg, frames, pack_dir):
    import pyogrio

    path = pack_dir / "midlands_connectivity.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"local_authorities", "constituencies", "pack_metadata"} <= layers
    info = pyogrio.read_info(path, layer="local_authorities")
    assert info["features"] == len(frames.la.frame)
    assert info["crs"] == "EPSG:27700"
    fields = dict(zip(info["fields"], info["dtypes"]))
    for col in ("no_gigabit_num", "no_gigabit_den", "premises", "rank", "tier"):
        assert fields[col] == "int64", col
    assert fields["no_gigabit_share"] == "float64"
    with sqlite3.connect(path) as con:
        meta = dict(con.execute("SELECT key, value FROM pack_metadata"))
        stamps = dict(con.execute("SELECT table_name, last_change FROM gpkg_contents"))
    assert meta["schema_version"] == "2" and meta["config_sha256"] == cfg.sha256 and meta["crs"] == "EPSG:27700"
    assert meta["data_release:local_authorities"] == "2025-07" and meta["data_release:constituencies"] == "2025-07"
    assert stamps["local_authorities"] == "2025-07-01T00:00:00.000Z"
    assert stamps["constituencies"] == "2025-07-01T00:00:00.000Z"


def test_manifest_lists_inputs_config_and_every_output(cfg, frames, pack_dir):
    man = json.loads((pack_dir / "manifest.json").read_text("utf-8"))
    assert man["config"] == {"file": "config.yaml", "sha256": cfg.sha256}
    assert man["tool"]["version"]
    assert {i["file"]: i["sha256"] for i in man["inputs"]} == {s["file"]: s["sha256"] for s in frames.sources}
    assert all(i["licence"] and i["release"] and i["attribution"] for i in man["inputs"])
    on_disk = sorted(p.relative_to(pack_dir).as_posix() for p in pack_dir.rglob("*")
                     if p.is_file() and ".mapper" not in p.parts)  # .mapper: the publisher's own folder
    listed = sorted(o["file"] for o in man["outputs"])
    assert listed == [p for p in on_disk if p != "manifest.json"]
    for o in man["outputs"]:
        assert _sha(pack_dir / o["file"]) == o["sha256"], o["file"]
    assert [a["code"] for a in man["areas"]] == ["E07000142", "E14001243"]
    assert man["geopackage"]["crs"] == "EPSG:27700"
    assert man["geopackage"]["layers"]["constituencies"]["data_release"] == "2025-07"
    assert {lv["key"]: lv["data_release"] for lv in man["levels"]} == {"la": "2025-07", "pcon": "2025-07"}


def test_rerun_is_byte_identical(cfg, frames, pack_areas, pack_files, pack_dir, tmp_path):
    from mapper.pack import render_pack, write_pack

    again = render_pack(cfg, frames, pack_areas, progress=False)
    assert sorted(again) == sorted(pack_files)
    assert {"narrative/midlands.md", "narrative/midlands.docx"} <= set(again)
    differ = [name for name in again if again[name] != pack_files[name]]
    assert differ == []
    write_pack(again, tmp_path)
    first = {p.relative_to(pack_dir).as_posix(): _sha(p) for p in pack_dir.rglob("*")
             if p.is_file() and ".mapper" not in p.parts}
    second = {p.relative_to(tmp_path).as_posix(): _sha(p) for p in tmp_path.rglob("*")
              if p.is_file() and ".mapper" not in p.parts}
    assert first == second


def test_cache_gives_the_same_bytes(cfg, frames, pack_areas, pack_files, tmp_path):
    from mapper.pack import render_pack
    from mapper.pack.cache import PackCache

    cache = PackCache(tmp_path / "cache")
    first = render_pack(cfg, frames, pack_areas[:1], progress=False, cache=cache)   # fills the cache
    assert list((tmp_path / "cache").glob("shared-*.pickle"))
    second = render_pack(cfg, frames, pack_areas[:1], progress=False, cache=cache)  # reads it
    assert first == second
    assert {k: v for k, v in first.items() if k != "manifest.json" and k in pack_files and not k.startswith(
        ("csv/", "midlands_evidence", "midlands_connectivity"))} == \
        {k: pack_files[k] for k in first if k != "manifest.json" and k in pack_files and not k.startswith(
            ("csv/", "midlands_evidence", "midlands_connectivity"))}


def test_rewrite_drops_files_of_areas_no_longer_in_the_pack(cfg, frames, pack_files, tmp_path):
    from mapper.pack import write_pack

    write_pack(pack_files, tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    smaller = {k: v for k, v in pack_files.items() if "gainsborough" not in k}
    write_pack(smaller, tmp_path)
    assert not list(tmp_path.rglob("*gainsborough*"))
    assert (tmp_path / "notes.txt").exists()  # files the pack did not make are left alone


def test_area_resolution(frames):
    from mapper.pack import AreaError, resolve_areas

    got = resolve_areas(frames, ["e07000142", "  west   lindsey ", "GAINSBOROUGH"])
    assert [(a.level, a.code) for a in got] == [("la", "E07000142"), ("pcon", "E14001243")]
    both = resolve_areas(frames, ["Derbyshire Dales"])
    assert sorted(a.level for a in both) == ["la", "pcon"]
    with pytest.raises(AreaError, match="did you mean 'West Lindsey'"):
        resolve_areas(frames, ["West Lindsy"])


def test_default_areas_and_config_section(cfg, frames):
    from mapper.config import override
    from mapper.errors import ConfigError
    from mapper.pack import pack_areas

    top = pack_areas(override(cfg, pack={}), frames, None)
    ranked = frames.la.frame.sort_values(["rank", "code"])
    assert [a.code for a in top] == list(ranked["code"].head(5))
    two = pack_areas(override(cfg, pack={"top": 2}), frames, None)
    assert len(two) == 2
    listed = pack_areas(override(cfg, pack={"areas": ["East Lindsey"]}), frames, None)
    assert [a.name for a in listed] == ["East Lindsey"]
    assert [a.code for a in pack_areas(override(cfg, pack={"areas": ["Bassetlaw"]}), frames,
                                       ["E07000142"])] == ["E07000142"]  # --area wins over config
    with pytest.raises(ConfigError, match="did you mean 'areas'"):
        pack_areas(override(cfg, pack={"area": ["x"]}), frames, None)
    with pytest.raises(ConfigError, match=r"pack\.top"):
        pack_areas(override(cfg, pack={"top": 0}), frames, None)


def test_cli_bad_area_is_one_line_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mapper", "pack", "--area", "Nowhere-on-Sea", "--outputs", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Nowhere-on-Sea" in errors[0]
    assert not any(tmp_path.iterdir())  # nothing written
    assert not any("loading" in ln for ln in r.stderr.splitlines())  # rejected before any input was loaded


def test_cli_says_which_level_a_shared_name_built(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mapper", "pack", "--area", "Derbyshire Dales", "--no-cache",
                        "--outputs", str(tmp_path / "pack")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "'Derbyshire Dales' matches the local authority (E07000035) and the constituency" in r.stderr
    names = sorted(p.name for p in (tmp_path / "pack" / "narrative").iterdir())
    assert "E07000035_derbyshire-dales.docx" in names and any(n.endswith("_derbyshire-dales_mp_brief.docx") for n in names)


def test_map_footer_names_each_credit_once():
    """GeoNames' credit reaches a print map from the sources and from the place layer: printed once."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mapper.pack.maps import _footer

    fig = plt.figure()
    _footer(fig, ["Data: Ofcom.", "Place names: GeoNames (geonames.org), CC BY 4.0.",
                  "Place names: GeoNames (geonames.org), CC BY 4.0", ""])
    text = fig.texts[-1].get_text()
    plt.close(fig)
    assert text.count("Place names: GeoNames") == 1 and text.startswith("Data: Ofcom.")
