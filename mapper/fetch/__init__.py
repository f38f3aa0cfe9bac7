"""Download official inputs reproducibly and safely (``make fetch``).

* :mod:`mapper.fetch._http` — the only module that does HTTP (retries, cache, offline).
* :mod:`mapper.fetch.arcgis` — ONS Open Geography FeatureServer layers, paged.
* :mod:`mapper.fetch.archive` — safe zip extraction (zip slip, size caps, CRC).
* :mod:`mapper.fetch.sources` / :mod:`mapper.fetch.settings` — default URLs and the ``fetch:`` config.
* :mod:`mapper.fetch.runner` — :func:`fetch_all`, which writes ``<cache_dir>/manifest.json``.
"""

from .runner import fetch_all, fetched_files

__all__ = ["fetch_all", "fetched_files"]
