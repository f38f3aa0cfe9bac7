"""The method statement (``methodology.md``) as HTML inside the map and table pages.

A map emailed on its own has no ``methodology.md`` beside it, and a Markdown file
opened in a browser shows as raw text, so each page carries the method itself.
The statement uses a small part of Markdown (headings, paragraphs, ``-`` lists,
pipe tables, ``**bold**``, ``*italic*`` and ```code```); this converts exactly
that. Every piece of text is HTML-escaped first, so nothing in it can become
markup beyond the tags written here.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_INLINE = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])"), r"<em>\1</em>"),
)


def _inline(text: str) -> str:
    out = str(escape(text))
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def markdown_html(text: str, *, heading_offset: int = 1) -> Markup:
    """HTML for the Markdown subset of the method statement; headings move down ``heading_offset`` levels.

    >>> str(markdown_html("# T\\n\\nA **b** <i>\\n\\n- x\\n- y\\n\\n| a | b |\\n|---|---|\\n| 1 | `2` |"))
    '<h2>T</h2>\\n<p>A <strong>b</strong> &lt;i&gt;</p>\\n<ul><li>x</li><li>y</li></ul>\\n<table><thead><tr><th scope="col">a</th><th scope="col">b</th></tr></thead><tbody><tr><td>1</td><td><code>2</code></td></tr></tbody></table>'
    """
    blocks, para, items, table = [], [], [], []

    def flush():
        if para:
            blocks.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()
        if table:
            head, body = table[0], [r for r in table[1:] if not re.fullmatch(r"[\s|:-]+", r)]
            html = "<table><thead><tr>" + "".join(f'<th scope="col">{_inline(c)}</th>' for c in _cells(head))
            html += "</tr></thead><tbody>"
            html += "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in _cells(r)) + "</tr>" for r in body)
            blocks.append(html + "</tbody></table>")
            table.clear()

    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            level = min(6, len(heading.group(1)) + heading_offset)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif stripped.startswith("|"):
            if para or items:
                flush()
            table.append(stripped)
        elif re.match(r"^[-*]\s+", stripped):
            if para or table:
                flush()
            items.append(re.sub(r"^[-*]\s+", "", stripped))
        elif items and line.startswith("  "):
            items[-1] += " " + stripped
        else:
            if items or table:
                flush()
            para.append(stripped)
    flush()
    return Markup("\n".join(blocks))
