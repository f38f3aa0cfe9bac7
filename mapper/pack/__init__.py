"""The bid evidence pack (``make pack``): workbook, narratives, print maps, GeoPackage, manifest.

Built from the same :class:`~mapper.pipeline.Frames` as the web maps, and from
the same published table (:func:`mapper.export.table_frame`), so every figure in
the pack equals the figure on the map. See :mod:`mapper.pack.build` for the
layout of ``outputs/pack/``.
"""

from .areas import Area, AreaError, resolve_areas
from .build import build_pack, pack_areas, render_pack, write_pack

__all__ = ["Area", "AreaError", "build_pack", "pack_areas", "render_pack", "resolve_areas", "write_pack"]
