"""The bid evidence pack (``make pack``): workbook, narratives, print maps, GeoPackage, manifest.

Built from the same :class:`~mapper.pipeline.Frames` as the web maps, and from
the same published table (:func:`mapper.publish.tables.table_frame`), so every figure in
the pack equals the figure on the map. See :mod:`mapper.pack.build` for the
layout of ``outputs/pack/``.
"""

import importlib

#: Public names and the submodule holding each. Imported on first use, so that building the
#: CLI parser (which registers ``pack``) does not pay for matplotlib, openpyxl and python-docx.
_LAZY = {"Area": "areas", "AreaError": "areas", "resolve_areas": "areas",
         "build_pack": "build", "pack_areas": "build", "render_pack": "build", "write_pack": "build"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Area", "AreaError", "build_pack", "pack_areas", "render_pack", "resolve_areas", "write_pack"]
