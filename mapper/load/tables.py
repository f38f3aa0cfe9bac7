"""Read lookup, classification and deprivation CSVs through column alias maps."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import load_yaml
from ..errors import SchemaError
from .csvfile import header_key, read_rows
from .values import parse_numeric


@lru_cache(maxsize=1)
def schemas() -> dict:
    """All table schemas from ``table_schemas.yaml``."""
    return load_yaml(resources.files(__package__).joinpath("table_schemas.yaml").read_text("utf-8"))


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
    rows = read_rows(path, what=f"a '{schema}' table")
    header, body = rows.header, rows.body
    normed = {header_key(h): i for i, h in enumerate(header)}
    picks: dict[str, int] = {}
    missing = []
    optional = spec.get("optional", {})
    for canonical, spellings in {**spec["columns"], **optional}.items():
        idx = next((normed[header_key(s)] for s in spellings if header_key(s) in normed), None)
        if idx is None:
            if canonical not in optional:
                missing.append(f"{canonical} (one of {spellings})")
        else:
            picks[canonical] = idx
            repeats = [h for h in header if header_key(h) in {header_key(s) for s in spellings}]
            if len(repeats) > 1:
                raise SchemaError(
                    f"{path}: columns {repeats} all hold {canonical}; keep one of them and delete the others"
                )
    if missing:
        raise SchemaError(
            f"{path}: missing column(s) for a '{schema}' table: {'; '.join(missing)}; "
            "restore the heading or point the config at the right file"
        )
    frame = pd.DataFrame({c: pd.Series([r[i].strip() for r in body], dtype="string") for c, i in picks.items()})
    for c in optional:
        if c not in picks:  # an optional column the file does not have: missing, never 0
            frame[c] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame = frame[[*spec["columns"], *optional]]
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
