"""Safe extraction: real files in Ofcom-style zips, and every way an archive can be wrong."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from fetch_helpers import LA_FILE, ofcom_style_zip

from mapper.errors import ArchiveError, InputFileError
from mapper.fetch.archive import extract_members
from mapper.load.ofcom import load_ofcom


def _write(tmp_path, data: bytes, name="a.zip"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_real_la_file_in_a_folder_named_like_the_zip_loads_equal_to_the_original(tmp_path):
    z = _write(tmp_path, ofcom_style_zip({LA_FILE.name: LA_FILE.read_bytes(), "readme.txt": b"notes"},
                                         "202507_fixed_laua_coverage_r01"))
    out = extract_members(z, tmp_path / "out", include=["*_laua_coverage_*.csv"])
    assert [p.name for p in out] == [LA_FILE.name]
    assert out[0].read_bytes() == LA_FILE.read_bytes()
    pd.testing.assert_frame_equal(load_ofcom(out[0]).data, load_ofcom(LA_FILE).data)
    assert not (tmp_path / "out" / "readme.txt").exists()


def test_html_body_saved_as_zip_is_named_as_html(tmp_path):
    z = _write(tmp_path, b"\n<html><body>404 Not Found</body></html>")
    with pytest.raises(ArchiveError, match="not a zip archive: it is an HTML page"):
        extract_members(z, tmp_path / "out")
    assert issubclass(ArchiveError, InputFileError)


def test_truncated_zip_is_refused(tmp_path):
    data = ofcom_style_zip({LA_FILE.name: LA_FILE.read_bytes()}, "x")
    z = _write(tmp_path, data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="corrupt or truncated"):
        extract_members(z, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_crc_failure_is_refused_and_leaves_nothing(tmp_path):
    raw = LA_FILE.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("ok.csv", b"a,b\n1,2\n")
        zf.writestr("la.csv", raw)
    data = bytearray(buf.getvalue())
    at = data.find(raw[:40]) + 100  # flip one stored byte inside la.csv's data
    data[at] ^= 0xFF
    z = _write(tmp_path, bytes(data))
    with pytest.raises(ArchiveError, match=r"member 'la.csv' is corrupt .*CRC"):
        extract_members(z, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []  # ok.csv, written first, was removed again


@pytest.mark.parametrize("name", ["../evil.csv", "/tmp/evil.csv", "folder/../../evil.csv", "C:\\evil.csv"])
def test_zip_slip_member_is_refused(tmp_path, name):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("good.csv", b"a\n1\n")
        zf.writestr(zipfile.ZipInfo(name), b"owned")
    z = _write(tmp_path, buf.getvalue())
    with pytest.raises(ArchiveError, match="zip slip"):
        extract_members(z, tmp_path / "out" / "inner")
    assert not (tmp_path / "evil.csv").exists() and not (tmp_path / "out").exists()


def test_oversize_member_by_declared_size(tmp_path):
    z = _write(tmp_path, ofcom_style_zip({"big.csv": b"x" * 5000}, None))
    with pytest.raises(ArchiveError, match=r"declares 5,000 bytes uncompressed, over the cap of 1,000"):
        extract_members(z, tmp_path / "out", max_member_bytes=1000)


def test_member_that_lies_about_its_size_is_stopped_at_the_declared_size(tmp_path):
    """A zip bomb declaring 10 bytes: inflation stops at 10 bytes and the CRC check refuses it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.csv", b"0" * 3_000_000)
    data = bytearray(buf.getvalue())
    # rewrite the declared uncompressed size (local header offset 22, central directory offset 24) to 10 bytes
    cd = data.rfind(b"PK\x01\x02")
    data[22:26] = (10).to_bytes(4, "little")
    data[cd + 24: cd + 28] = (10).to_bytes(4, "little")
    z = _write(tmp_path, bytes(data))
    with pytest.raises(ArchiveError, match=r"member 'bomb.csv' is corrupt"):
        extract_members(z, tmp_path / "out", max_member_bytes=1 << 20)
    assert list((tmp_path / "out").iterdir()) == []


def test_total_cap_and_duplicate_base_names(tmp_path):
    z = _write(tmp_path, ofcom_style_zip({"a.csv": b"x" * 600, "b.csv": b"y" * 600}, "f"))
    with pytest.raises(ArchiveError, match="over the cap of 1,000"):
        extract_members(z, tmp_path / "out", max_total_bytes=1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("one/a.csv", b"1")
        zf.writestr("two/a.csv", b"2")
    z2 = _write(tmp_path, buf.getvalue(), "b.zip")
    with pytest.raises(ArchiveError, match="same file name"):
        extract_members(z2, tmp_path / "out2")
