"""Download official inputs reproducibly and safely (``make fetch``).

* :mod:`mapper.fetch._http` — the only module that does HTTP (retries, cache, offline).
* :mod:`mapper.fetch.arcgis` — ONS Open Geography FeatureServer layers, paged.
* :mod:`mapper.fetch.archive` — safe zip extraction (zip slip, size caps, CRC).
* :mod:`mapper.fetch.sources` — the registry of sources and their default URLs (the ``fetch:``
  settings are validated with the rest of the config, in :mod:`mapper.config`).
* :mod:`mapper.fetch.runner` — :func:`fetch_all`, which writes ``<cache_dir>/manifest.json``.

``fetch_all`` and ``fetched_files`` are imported on first use, so registering the ``fetch``
command (or reading the source registry) does not import requests and pandas.
"""

import importlib

__all__ = ["fetch_all", "fetched_files"]


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module(".runner", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
