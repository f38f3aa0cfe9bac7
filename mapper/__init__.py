"""Midlands connectivity gap mapper.

Data flow, one package per stage::

    fetch/ -> load/ -> join/ -> score/ -> render/ (web maps) and pack/ (evidence pack)
                                        -> publish/ (tables, method statement, outputs as one set)

* ``fetch/``: downloads (the only HTTP code), ArcGIS paging, safe zip extraction.
* ``load/``: readers for every input (Ofcom releases, lookups, boundaries, the fetch
  cache) and the registry of shipped data with its provenance.
* ``join/``: audited merges, IMD 2011->2021 bridge, people counts, companion counts,
  output areas / postcodes / BDUK premises to LSOAs.
* ``score/``: indicators, composite score, ranks and tiers, rank stability,
  intervention diagnosis, change over time.
* ``render/``: self-contained offline HTML maps and their table pages.
* ``pack/``: the bid evidence pack.
* ``publish/``: CSV tables and provenance sidecars, the method statement, atomic publishing.

``mapper.pipeline`` wires the stages together for ``build``, ``check`` and ``pack``;
``mapper.cli`` is a thin layer over it that turns domain errors into one-line messages.
"""

__version__ = "0.1.0"
