"""The Word documents: A4 with header, footer and page numbers; no Markdown left; the annex holds the method
and sources once; the MP brief fits on one page."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from docx import Document
from docx.shared import Cm

DOCS = ["narrative/E07000142_west-lindsey.docx", "narrative/E14001243_gainsborough.docx",
        "narrative/E14001243_gainsborough_mp_brief.docx", "narrative/midlands.docx", "narrative/annex.docx"]
MARKUP = re.compile(r"\*\*|`|\*[A-Za-z][^*]*\*|^#+ |\]\(|\\\\[*_]")


def _text(doc) -> list[str]:
    out = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        out += [c.text for row in t.rows for c in row.cells]
    return out


@pytest.mark.parametrize("name", DOCS)
def test_a4_header_footer_page_numbers_and_release_date(pack_dir, name):
    doc = Document(str(pack_dir / name))
    sec = doc.sections[0]
    assert abs(sec.page_width - Cm(21.0)) < Cm(0.05) and abs(sec.page_height - Cm(29.7)) < Cm(0.05)
    assert "Midlands connectivity evidence pack" in sec.header.paragraphs[0].text
    footer = sec.footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    assert doc.core_properties.created.year in (2025,) and doc.core_properties.created.month == 7


@pytest.mark.parametrize("name", DOCS)
def test_no_markdown_markup_reaches_word(pack_dir, name):
    doc = Document(str(pack_dir / name))
    leaks = [t for t in _text(doc) if MARKUP.search(t)]
    assert leaks == []


def test_annex_holds_method_quality_and_sources_once(frames, pack_dir):
    annex = (pack_dir / "narrative/annex.md").read_text("utf-8")
    for heading in ("## Method in brief", "## Reading the figures", "## Data quality", "## Sources",
                    "## Attribution", "## How to cite", "## Full method statement"):
        assert annex.count(heading + "\n") == 1, heading
    doc = Document(str(pack_dir / "narrative/annex.docx"))
    sources = next(t for t in doc.tables if t.rows[0].cells[0].text == "Source")
    links = [r.cells[4].text for r in sources.rows[1:]]
    assert len(links) == len({s["file"] for s in frames.sources}) and all(u.startswith("https://") for u in links)
    assert "Place names: GeoNames (geonames.org), CC BY 4.0" in annex
    for name in DOCS[:4]:  # the other documents refer to the annex instead of repeating it
        md = (pack_dir / name.replace(".docx", ".md")).read_text("utf-8")
        assert "Annex: method, data quality and sources" in md
        assert "Full method statement" not in md and "## Data quality" not in md


def test_mp_brief_is_short_and_says_which_boundaries(pack_dir):
    md = (pack_dir / "narrative/E14001243_gainsborough_mp_brief.md").read_text("utf-8")
    assert md.startswith("# Gainsborough (constituency): MP brief")
    assert "2024 constituency boundaries (the current seats)" in md and "2010-2024" not in md
    words = len(re.sub(r"[*#\\]", "", md).split())
    assert words <= 480, words
    assert "![" not in md


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_mp_brief_prints_on_one_page(pack_dir, tmp_path):
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(pack_dir / "narrative/E14001243_gainsborough_mp_brief.docx")], check=True, capture_output=True,
                   timeout=300)
    pdf = (tmp_path / "E14001243_gainsborough_mp_brief.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
