"""Which areas a pack is about: resolve ``--area`` codes or names against both levels.

A code matches exactly (case-insensitive). A name matches case-insensitively and
ignoring repeated spaces; a name shared by a local authority and a constituency
("Derbyshire Dales") selects both, since they are different areas. Anything
else is an :class:`AreaError` with the closest names as a hint.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..errors import MapperError


class AreaError(MapperError):
    """An --area / pack.areas entry names no local authority or constituency."""


@dataclass(frozen=True)
class Area:
    level: str   # "la" or "pcon"
    code: str
    name: str

    @property
    def slug(self) -> str:
        """File-name stem: code plus a lower-case, hyphenated name."""
        keep = "".join(ch if ch.isalnum() else "-" for ch in self.name.lower())
        return f"{self.code}_{'-'.join(p for p in keep.split('-') if p)}"


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _candidates(frames) -> list[Area]:
    out = []
    for level in (frames.la, frames.pcon):
        for code, name in zip(level.frame["code"], level.frame["name"]):
            out.append(Area(level.key, str(code), str(name)))
    return out


def resolve_areas(frames, queries) -> list[Area]:
    """Areas for each query, in query order, without duplicates."""
    candidates = _candidates(frames)
    by_code = {_norm(a.code): a for a in candidates}
    by_name: dict[str, list[Area]] = {}
    for a in candidates:
        by_name.setdefault(_norm(a.name), []).append(a)
    found: list[Area] = []
    for query in queries:
        q = _norm(query)
        if not q:
            raise AreaError("an --area value is empty; give a local authority or constituency code or name")
        hits = [by_code[q]] if q in by_code else by_name.get(q, [])
        if not hits:
            names = sorted({a.name for a in candidates})
            close = difflib.get_close_matches(str(query).strip(), names, n=3, cutoff=0.6)
            if not close:
                close = [n for n in names if q in _norm(n)][:3]
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else \
                "; give an ONS code (E06/E07/E08 for local authorities, E14 for constituencies) or an exact name"
            raise AreaError(f"area {query!r} is not a Midlands local authority or constituency{hint}")
        for a in hits:
            if a not in found:
                found.append(a)
    return found


def top_areas(frames, n: int) -> list[Area]:
    """The ``n`` highest-priority local authorities (rank 1 first, code breaks ties)."""
    frame = frames.la.frame
    scored = frame[frame["rank"].notna()].sort_values(["rank", "code"]).head(n)
    return [Area("la", str(c), str(nm)) for c, nm in zip(scored["code"], scored["name"])]
