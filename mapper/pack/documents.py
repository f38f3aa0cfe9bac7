"""Render narrative blocks to Markdown and to an A4 Word document.

A document is a list of blocks, built once (see :mod:`mapper.pack.narrative`) and rendered
twice so that the Markdown and the DOCX say the same thing:

* ``("h", level, text)``: a heading;
* ``("p", [Seg])`` and ``("ul", [[Seg], ...])``: a paragraph, a bulleted list;
* ``("table", header, rows)``: a table of formatted text;
* ``("img", file, png_bytes, caption, width_inches)``: a picture with its caption;
* ``("md", markdown_text)``: Markdown written elsewhere (the method statement), rendered
  properly in Word: headings, bullets, pipe tables, bold, italic, code and links, so no
  Markdown markup reaches the document;
* ``("pagebreak",)``.

Figures taken from the data are ``Seg(text, data=True)``: bold in both renderings, which
is how the tests find and check every quoted number.

The Word document is A4 portrait with 2 cm margins, a running header (the document title)
and a footer (data release, attribution and "Page N of M" fields). Core properties carry
the data release date, never the clock.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass


@dataclass
class Seg:
    """A run of text; ``data=True`` marks a figure taken from the data (rendered bold)."""

    text: str
    data: bool = False


def D(text) -> Seg:
    return Seg(str(text), True)


def plain_text(segs: list[Seg]) -> str:
    return "".join(s.text for s in segs)


def word_count(blocks: list[tuple]) -> int:
    """Words in the paragraphs, bullets and headings of ``blocks`` (tables, pictures and Markdown not counted)."""
    words = 0
    for b in blocks:
        if b[0] == "h":
            words += len(b[2].split())
        elif b[0] == "p":
            words += len(plain_text(b[1]).split())
        elif b[0] == "ul":
            words += sum(len(plain_text(item).split()) for item in b[1])
    return words


# --- Markdown ---------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_segs(segs: list[Seg]) -> str:
    return "".join(f"**{md_escape(s.text)}**" if s.data else md_escape(s.text) for s in segs)


def to_markdown(blocks: list[tuple]) -> str:
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"{'#' * block[1]} {md_escape(block[2])}\n")
        elif kind == "p":
            out.append(_md_segs(block[1]) + "\n")
        elif kind == "ul":
            out.append("\n".join(f"- {_md_segs(item)}" for item in block[1]) + "\n")
        elif kind == "table":
            header, rows = block[1], block[2]
            lines = ["| " + " | ".join(md_escape(h) for h in header) + " |",
                     "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"]
            lines += ["| " + " | ".join(md_escape(c) for c in r) + " |" for r in rows]
            out.append("\n".join(lines) + "\n")
        elif kind == "img":
            out.append(f"![{md_escape(block[3])}]({block[1]})\n\n*{md_escape(block[3])}*\n")
        elif kind == "md":
            text = block[1].strip()
            # demote the embedded document's headings below this document's level-2 section
            text = re.sub(r"(?m)^(#{1,4}) ", lambda m: "#" * min(6, len(m.group(1)) + 2) + " ", text)
            out.append(text + "\n")
        elif kind == "pagebreak":
            continue
    return "\n".join(out)


# --- Markdown inline -> Word runs ---------------------------------------------

_INLINE = re.compile(
    r"\*\*(?P<bold>.+?)\*\*"
    r"|(?<![\w*\\])\*(?P<italic>[^*\s][^*]*?)(?<!\\)\*(?![\w*])"
    r"|(?<![\w_\\])_(?P<uitalic>[^_\s][^_]*?)(?<!\\)_(?![\w_])"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<link>[^\]]+)\]\((?P<url>[^)\s]+)\)"
)
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|#])")


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def inline_runs(text: str) -> list[tuple[str, str]]:
    """Markdown inline text -> [(style, text)] with style in '', 'b', 'i', 'code'; no markup left.

    >>> inline_runs("a **b** *why* `x.csv` [site](https://x.org)")
    [('', 'a '), ('b', 'b'), ('', ' '), ('i', 'why'), ('', ' '), ('code', 'x.csv'), ('', ' '), ('', 'site (https://x.org)')]
    """
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(("", _ESCAPED.sub(r"\1", text[pos:m.start()])))
        if m.group("bold") is not None:
            out.append(("b", _ESCAPED.sub(r"\1", m.group("bold"))))
        elif m.group("italic") is not None or m.group("uitalic") is not None:
            out.append(("i", _ESCAPED.sub(r"\1", m.group("italic") or m.group("uitalic"))))
        elif m.group("code") is not None:
            out.append(("code", m.group("code")))
        else:
            out.append(("", _unescape(m.group("link")) + f" ({m.group('url')})"))
        pos = m.end()
    if pos < len(text):
        out.append(("", _ESCAPED.sub(r"\1", text[pos:])))
    return [(s, t) for s, t in out if t]


def strip_markdown(text: str) -> str:
    """Inline Markdown -> plain text (for spreadsheet cells).

    >>> strip_markdown("**Bold** and *why this area* in `config.yaml`")
    'Bold and why this area in config.yaml'
    """
    return "".join(t for _, t in inline_runs(text))


def markdown_lines(text: str) -> list[tuple[str, object]]:
    """Parse the method statement's Markdown into ('h', (level, text)), ('li', text), ('p', text), ('table', rows)."""
    lines = [ln.rstrip() for ln in text.strip().splitlines()]
    out: list[tuple[str, object]] = []
    i = 0
    para: list[str] = []

    def flush():
        if para:
            out.append(("p", " ".join(p.strip() for p in para)))
            para.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        if line.lstrip().startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
                    rows.append(cells)
                i += 1
            out.append(("table", rows))
            continue
        m = re.match(r"^(#{1,6}) (.*)$", line)
        if m:
            flush()
            out.append(("h", (len(m.group(1)), m.group(2).strip())))
        elif re.match(r"^\s*([-*]|\d+\.) ", line):
            flush()
            out.append(("li", re.sub(r"^\s*([-*]|\d+\.) ", "", line)))
        elif out and out[-1][0] == "li" and line.startswith("  ") and not para:
            out[-1] = ("li", f"{out[-1][1]} {line.strip()}")
        else:
            para.append(line)
        i += 1
    flush()
    return out


# --- DOCX -------------------------------------------------------------------

A4 = (21.0, 29.7)   # cm
MARGIN_CM = 2.0
TABLE_STYLE = "Light Grid Accent 1"


def _add_runs(paragraph, runs: list[tuple[str, str]], *, bold_all: bool = False) -> None:
    from docx.shared import Pt

    for style, text in runs:
        run = paragraph.add_run(text)
        if style == "b" or bold_all:
            run.bold = True
        elif style == "i":
            run.italic = True
        elif style == "code":
            run.font.name = "Consolas"
            run.font.size = Pt(9)


def _add_segs(paragraph, segs: list[Seg]) -> None:
    for s in segs:
        run = paragraph.add_run(s.text)
        if s.data:
            run.bold = True


def _field(paragraph, instr: str) -> None:
    """A Word field (PAGE, NUMPAGES) in ``paragraph``; its cached value is a placeholder Word refreshes."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _table(doc, header, rows, *, font_pt: float = 8.5) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=1, cols=len(header))
    table.style = TABLE_STYLE
    table.autofit = False
    text_width = A4[0] - 2 * MARGIN_CM
    # columns share the width in proportion to their longest text (capped), numbers no narrower than 1.5 cm
    longest = [max([len(str(header[j]))] + [len(str(r[j])) for r in rows if j < len(r)]) for j in range(len(header))]
    weights = [min(34 if j == 0 else 20, max(9, n)) for j, n in enumerate(longest)]
    widths = [text_width * w / sum(weights) for w in weights]
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
        run.font.size = Pt(font_pt)
    for r in rows:
        cells = table.add_row().cells
        for j, (cell, text) in enumerate(zip(cells, r)):
            cell.text = ""
            p = cell.paragraphs[0]
            _add_runs(p, inline_runs(str(text)))
            for run in p.runs:
                run.font.size = Pt(font_pt)
            if j and re.fullmatch(r"[-+]?[\d,.]+%?|n/a", str(text).strip()):
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for column, width in zip(table.columns, widths):   # the grid (LibreOffice reads it) and each cell (Word)
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)


def _markdown(doc, text: str, *, base_level: int) -> None:
    """The method statement's Markdown as Word headings, bullets, tables and paragraphs."""
    for kind, value in markdown_lines(text):
        if kind == "h":
            level, title = value
            doc.add_heading(strip_markdown(title), level=min(9, level + base_level))
        elif kind == "li":
            _add_runs(doc.add_paragraph(style="List Bullet"), inline_runs(value))
        elif kind == "p":
            _add_runs(doc.add_paragraph(), inline_runs(value))
        elif kind == "table" and value:
            width = max(len(r) for r in value)
            rows = [list(r) + [""] * (width - len(r)) for r in value]
            _table(doc, [strip_markdown(c) for c in rows[0]], rows[1:], font_pt=8)


def to_docx(blocks: list[tuple], *, title: str, subject: str, created, header: str, footer: str) -> bytes:
    """Render the blocks on A4 with a running header and footer (page numbers); fixed core properties."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Inches, Pt, RGBColor

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(A4[0]), Cm(A4[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    section.header_distance = section.footer_distance = Cm(1.0)
    head = section.header.paragraphs[0]
    head.text = ""
    run = head.add_run(header)
    run.font.size, run.font.color.rgb = Pt(8), RGBColor(0x55, 0x55, 0x55)
    foot = section.footer.paragraphs[0]
    foot.text = ""
    foot.alignment = WD_ALIGN_PARAGRAPH.LEFT
    run = foot.add_run(f"{footer}   Page ")
    run.font.size, run.font.color.rgb = Pt(7.5), RGBColor(0x55, 0x55, 0x55)
    _field(foot, "PAGE")
    run = foot.add_run(" of ")
    run.font.size, run.font.color.rgb = Pt(7.5), RGBColor(0x55, 0x55, 0x55)
    _field(foot, "NUMPAGES")

    for block in blocks:
        kind = block[0]
        if kind == "h":
            doc.add_heading(block[2], level=block[1])
        elif kind == "p":
            _add_segs(doc.add_paragraph(), block[1])
        elif kind == "ul":
            for item in block[1]:
                _add_segs(doc.add_paragraph(style="List Bullet"), item)
        elif kind == "table":
            _table(doc, block[1], block[2])
            doc.add_paragraph()
        elif kind == "img":
            width = block[4] if len(block) > 4 else 6.0
            doc.add_picture(io.BytesIO(block[2]), width=Inches(width))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            doc.add_paragraph(block[3], style="Caption")
        elif kind == "md":
            _markdown(doc, block[1], base_level=1)
        elif kind == "pagebreak":
            doc.add_page_break()
    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.author = "Midlands connectivity gap mapper"
    props.last_modified_by = "Midlands connectivity gap mapper"
    props.comments = ""
    props.keywords = "digital connectivity; Ofcom Connected Nations; evidence pack"
    props.revision = 1
    props.created = created
    props.modified = created
    props.last_printed = created
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
