"""Which Westminster constituency boundary set a set of GSS codes belongs to.

Two sets are in use, and their codes must never be joined to the other set's
boundaries (a 2024 seat is not a renamed 2010 seat):

================  =============================  ==============================
set               PCON10: 2010-2024 seats         PCON24: seats from July 2024
================  =============================  ==============================
England           E14000530-E14001062 (533)       E14001063-E14001605 (543)
Wales             W07000041-W07000080 (40)        W07000081-W07000112 (32)
Scotland          S14000001-S14000059 (59)        S14000060-S14000111 + 5 kept
Northern Ireland  N06000001-N06000018 (18)        N05000001-N05000018 (18)
================  =============================  ==============================

Ofcom files up to January 2024 and ``PCON21_*`` boundaries are PCON10; Ofcom
files from July 2025 and ``PCON24_*`` boundaries are PCON24.

**How the overlap is decided.** Five Scottish seats kept their boundaries in
2024 and also their codes (:data:`SHARED_S14`: East Renfrewshire, Na h-Eileanan
an Iar, Midlothian, North Ayrshire and Arran, Orkney and Shetland), so those
five codes belong to both sets and say nothing. Every other code belongs to
exactly one set (the English, Welsh and Northern Irish ranges do not overlap,
and the other Scottish codes are either below S14000060 and not in the five,
so PCON10, or from S14000060, so PCON24). A collection is classified by its
deciding codes: all of them must point to the same set. Codes of both sets, a
non-constituency code, or only shared codes are errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from ..errors import JoinError, SchemaError

PCON10 = "PCON10"
PCON24 = "PCON24"

LABELS = {
    PCON10: "2010-2024 Westminster constituencies (PCON10; used until the July 2024 general election)",
    PCON24: "2024 Westminster constituencies (PCON24; from the July 2024 general election)",
}

#: The five Scottish codes that are in both sets (seats unchanged in 2024, code kept).
SHARED_S14 = frozenset({"S14000021", "S14000027", "S14000045", "S14000048", "S14000051"})

#: prefix -> {set: (first number, last number)} of the 9-character GSS code.
_RANGES = {
    "E14": {PCON10: (530, 1062), PCON24: (1063, 1605)},
    "W07": {PCON10: (41, 80), PCON24: (81, 112)},
    "S14": {PCON10: (1, 59), PCON24: (60, 111)},
    "N06": {PCON10: (1, 18)},
    "N05": {PCON24: (1, 18)},
}
_CODE = re.compile(r"^([EWSN]\d{2})(\d{6})$")


def code_sets(code: str) -> frozenset[str]:
    """The boundary sets ``code`` belongs to: one, both (:data:`SHARED_S14`) or none.

    >>> sorted(code_sets("E14001063")), sorted(code_sets("S14000027")), sorted(code_sets("E07000142"))
    (['PCON24'], ['PCON10', 'PCON24'], [])
    """
    code = str(code).strip().upper()
    if code in SHARED_S14:
        return frozenset({PCON10, PCON24})
    match = _CODE.match(code)
    if not match:
        return frozenset()
    number = int(match.group(2))
    return frozenset(s for s, (lo, hi) in _RANGES.get(match.group(1), {}).items() if lo <= number <= hi)


def constituency_set(codes: Iterable[str], *, source: str = "codes") -> str:
    """``"PCON10"`` or ``"PCON24"``: the constituency boundary set all ``codes`` belong to.

    ``source`` names the file (or column) in messages. Raises
    :class:`~mapper.errors.SchemaError` when a code is blank or not a
    constituency code of either set, when the codes mix the two sets, or when
    only the five shared Scottish codes are present (either set would fit).
    """
    values = pd.Series(list(codes), dtype="string").str.strip().str.upper()
    if values.empty:
        raise SchemaError(f"{source}: no constituency codes to classify; check the code column is filled")
    blank = int((values.fillna("") == "").sum())
    if blank:
        raise SchemaError(f"{source}: {blank} blank constituency code(s); every row needs a GSS code (E14/W07/S14/N05/N06)")
    sets = {code: code_sets(code) for code in values.unique()}
    unknown = sorted(c for c, s in sets.items() if not s)
    if unknown:
        raise SchemaError(
            f"{source}: {len(unknown)} code(s) are not Westminster constituency codes of the 2010 or 2024 sets "
            f"(first: {unknown[:5]}); constituency codes are E14/W07/S14 with N06 (2010) or N05 (2024): "
            "is this the right file or column?"
        )
    deciding = {c: next(iter(s)) for c, s in sets.items() if len(s) == 1}
    found = sorted(set(deciding.values()))
    if len(found) > 1:
        examples = {k: sorted(c for c, v in deciding.items() if v == k) for k in found}
        raise SchemaError(
            f"{source}: mixes constituency boundary sets: {len(examples[PCON10])} code(s) of the 2010-2024 seats "
            f"(e.g. {examples[PCON10][:3]}) and {len(examples[PCON24])} of the 2024 seats (e.g. {examples[PCON24][:3]}); "
            "use one release's codes with the boundaries of the same set"
        )
    if not found:
        raise SchemaError(
            f"{source}: only codes shared by the 2010 and 2024 constituency sets ({sorted(sets)[:5]}), "
            "so the boundary set cannot be told; include at least one other seat"
        )
    return found[0]


def require_same_constituency_set(left: Iterable[str], left_source: str,
                                  right: Iterable[str], right_source: str) -> str:
    """The common set of two collections of codes (e.g. coverage rows and boundaries), or a
    :class:`~mapper.errors.JoinError` saying which holds which and what to use instead."""
    a = constituency_set(left, source=left_source)
    b = constituency_set(right, source=right_source)
    if a != b:
        raise JoinError(
            f"{right_source} holds {LABELS[b]} but {left_source} holds {LABELS[a]}; they cannot be joined. "
            "Ofcom releases from July 2025 use the 2024 seats (boundaries/PCON24_BGC_midlands.geojson); releases "
            "up to January 2024 use the 2010 seats (boundaries/PCON21_BUC_midlands.geojson)"
        )
    return a
