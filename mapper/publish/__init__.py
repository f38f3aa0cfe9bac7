"""Publish stage: what a build writes and how.

* :mod:`.tables`: the CSV tables and ``.meta.json`` provenance sidecars.
* :mod:`.methodology`: the generated method statement.
* :mod:`.files`: every output published as one set (staged, then moved in).
"""
