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
    return match_areas(_candidates(frames), queries)


def quick_candidates(cfg) -> list[Area] | None:
    """Codes and names of both levels read cheaply (attribute tables, no geometry, no scoring).

    Used to reject a mistyped ``--area`` before the inputs are loaded. Local-authority names
    come from the boundary file, the LAD-region lookup and the coverage file (the frame takes
    its names from the latter two); constituency names from the boundary file. None when any
    of these cannot be read: the check after loading then decides.
    """
    import pyogrio

    from ..load.ofcom import load_ofcom
    from ..load.tables import study_lads

    try:
        lads = study_lads(cfg.inputs["lad_region_lookup"], cfg.regions)
        codes = set(lads["lad_code"])
        out = [Area("la", str(c), str(n)) for c, n in zip(lads["lad_code"], lads.get("lad_name", lads["lad_code"]))]
        code_f, name_f = cfg.boundary_fields["la"]
        geo = pyogrio.read_dataframe(cfg.inputs["la_boundaries"], columns=[code_f, name_f], read_geometry=False)
        out += [Area("la", str(c), str(n)) for c, n in zip(geo[code_f], geo[name_f]) if c in codes]
        cov = load_ofcom(cfg.inputs["la_coverage"]).data
        if "name" in cov.columns:
            out += [Area("la", str(c), str(n)) for c, n in zip(cov["code"], cov["name"]) if c in codes and isinstance(n, str)]
        code_f, name_f = cfg.boundary_fields["pcon"]
        geo = pyogrio.read_dataframe(cfg.inputs["pcon_boundaries"], columns=[code_f, name_f], read_geometry=False)
        out += [Area("pcon", str(c), str(n)) for c, n in zip(geo[code_f], geo[name_f])]
    except Exception:
        return None
    return out


def check_names(cfg, queries) -> None:
    """Raise :class:`AreaError` for a query that names no area, before anything heavy is loaded."""
    if not queries:
        return
    candidates = quick_candidates(cfg)
    if candidates:
        match_areas(candidates, queries)


def match_areas(candidates: list[Area], queries) -> list[Area]:
    """Areas of ``candidates`` for each query (code or name), in query order, without duplicates."""
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
            if all((a.level, a.code) != (f.level, f.code) for f in found):
                found.append(a)
    return found


def ambiguous(areas: list[Area], queries) -> list[str]:
    """Lines saying which areas a name shared by both levels built, e.g. "'Derbyshire Dales' matches ..."."""
    from .tables import level_noun

    lines = []
    for query in queries or []:
        q = _norm(query)
        hits = [a for a in areas if _norm(a.name) == q]
        if len({a.level for a in hits}) > 1:
            parts = " and ".join(f"the {level_noun(a.level)} ({a.code})" for a in hits)
            lines.append(f"{query!r} matches {parts}: building both")
    return lines


def top_areas(frames, n: int) -> list[Area]:
    """The ``n`` highest-priority local authorities (rank 1 first, code breaks ties)."""
    frame = frames.la.frame
    scored = frame[frame["rank"].notna()].sort_values(["rank", "code"]).head(n)
    return [Area("la", str(c), str(nm)) for c, nm in zip(scored["code"], scored["name"])]
