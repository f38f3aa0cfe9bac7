"""Read lookup, classification and deprivation CSVs through column alias maps."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .._io import read_text
from ..errors import SchemaError
from .values import parse_numeric


@lru_cache(maxsize=1)
def schemas() -> dict:
    """All table schemas from ``table_schemas.yaml``."""
    return yaml.safe_load(resources.files(__package__).joinpath("table_schemas.yaml").read_text("utf-8"))


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def study_lads(path: str | Path, regions) -> pd.DataFrame:
    """The rows of a LAD -> region lookup (``lad_region`` schema) whose region is one of ``regions``."""
    lad_region = read_table(path, "lad_region", key="lad_code")
    return lad_region[lad_region["region_code"].isin(tuple(regions))].reset_index(drop=True)


def read_table(path: str | Path, schema: str, *, key: str | None = None) -> pd.DataFrame:
    """Read ``path`` and return only the schema's columns, renamed to canonical names.

    Columns listed under the schema's ``optional`` are read when present and
    are missing (never 0) when the file does not have them.

    ``key`` names a canonical column that must be unique and never blank.
    Raises :class:`SchemaError` naming the file and the missing columns.
    """
    path = Path(path)
    spec = schemas()[schema]
    text, _ = read_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise SchemaError(f"{path}: the file is empty; expected a '{schema}' table with a header row")
    header = [h.strip() for h in rows[0]]
    normed = {_norm(h): i for i, h in enumerate(header)}
    picks: dict[str, int] = {}
    missing = []
    optional = spec.get("optional", {})
    for canonical, spellings in {**spec["columns"], **optional}.items():
        idx = next((normed[_norm(s)] for s in spellings if _norm(s) in normed), None)
        if idx is None:
            if canonical not in optional:
                missing.append(f"{canonical} (one of {spellings})")
        else:
            picks[canonical] = idx
            repeats = [h for h in header if _norm(h) in {_norm(s) for s in spellings}]
            if len(repeats) > 1:
                raise SchemaError(
                    f"{path}: columns {repeats} all hold {canonical}; keep one of them and delete the others"
                )
    if missing:
        raise SchemaError(
            f"{path}: missing column(s) for a '{schema}' table: {'; '.join(missing)}; "
            "restore the heading or point the config at the right file"
        )
    body = rows[1:]
    while body and not any(cell.strip() for cell in body[-1]):
        body.pop()
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
    frame = pd.DataFrame({c: pd.Series([r[i].strip() for r in body], dtype="string") for c, i in picks.items()})
    for c in optional:
        if c not in picks:  # an optional column the file does not have: missing, never 0
            frame[c] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame = frame[[c for c in (*spec["columns"], *optional)]]
    for c in spec.get("numeric", []):
        if c in picks:
            frame[c] = parse_numeric(frame[c], path=path, column=header[picks[c]])[0]
        else:
            frame[c] = pd.Series(np.nan, index=frame.index, dtype="float64")
    if key is not None:
        blank = frame[key].fillna("") == ""
        if blank.any():
            raise SchemaError(f"{path}: line {int(blank.to_numpy().argmax()) + 2}: blank {header[picks[key]]}")
        dup = frame[key].duplicated(keep=False)
        if dup.any():
            line = int(frame[key].duplicated().to_numpy().argmax()) + 2
            raise SchemaError(
                f"{path}: {header[picks[key]]} value(s) {sorted(frame.loc[dup, key].unique())[:5]} appear more than once "
                f"(first repeat on line {line}); remove the duplicate rows"
            )
    frame.attrs["source"] = str(path)
    return frame
