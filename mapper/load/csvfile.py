"""The one CSV reader under every loader: Ofcom releases, lookups, classifications, deprivation.

:func:`read_rows` decodes the file (:func:`mapper._io.read_text`: UTF-8 with or
without BOM, or cp1252; folders, devices and oversize files refused), splits it
into a header and rows, and applies the checks every table needs, each ending
in a one-line :class:`~mapper.errors.SchemaError` naming the file and line:
an empty file, a header with no rows, a row with the wrong number of fields,
a column without a heading that holds values. Empty unnamed columns (a
spreadsheet export) and blank trailing lines are dropped, with a notice.
:func:`header_key` is how every loader matches a heading to its aliases.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import read_head, read_text
from ..errors import SchemaError
from .notices import notice


def header_key(header: str) -> str:
    """How headings are matched to aliases: BOM, case and runs of white space ignored.

    >>> header_key("  All   Premises\\ufeff ") == header_key("all premises")
    True
    """
    return " ".join(str(header).replace("\ufeff", "").split()).casefold()


def first_line(mask) -> int:
    """File line (header = line 1) of the first True in a row mask (a Series or array over the data rows)."""
    values = mask.to_numpy() if hasattr(mask, "to_numpy") else np.asarray(mask)
    return int(np.flatnonzero(values)[0]) + 2


@dataclass
class CsvRows:
    path: Path
    header: list[str]
    body: list[list[str]]
    encoding: str
    line_ends: str


def read_rows(path: str | Path, *, what: str = "a CSV") -> CsvRows:
    """Header and data rows of a CSV file, checked (see the module docstring). ``what`` words the empty-file error."""
    path = Path(path)
    text, encoding = read_text(path)  # checks first: a regular file of a sane size
    line_ends = "CRLF" if b"\r\n" in read_head(path) else "LF"
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise SchemaError(f"{path}: the file is empty; expected {what} with a header row")
    header = [h.replace("\ufeff", "").strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise SchemaError(
            f"{path}: the file has a header row but no data rows; the download or export is incomplete, "
            "fetch or export it again"
        )
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise SchemaError(
                f"{path}: line {i + 2} has {len(row)} fields but the header has {len(header)}; "
                "the file may be truncated (download it again) or have an unquoted comma"
            )
    blank = [i for i, h in enumerate(header) if h == ""]
    if blank:
        holding = [i for i in blank if any(row[i].strip() for row in body)]
        if holding:
            raise SchemaError(
                f"{path}: column {holding[0] + 1} has no heading but holds values; "
                "give it its heading from the original file or delete the column"
            )
        keep = [i for i in range(len(header)) if i not in blank]
        header = [header[i] for i in keep]
        body = [[row[i] for i in keep] for row in body]
        notice(path, f"dropped {len(blank)} empty column(s) without a heading (a spreadsheet export)")
    return CsvRows(path, header, body, encoding, line_ends)
