"""Warnings the loaders raise about inputs they could still read correctly.

A loader that repairs or skips something (an invalid polygon made valid, a
suppressed cell read as missing, a column it does not know) records a one-line
notice here as well as in its own metadata, so that ``python -m mapper check``
can print it and a build can carry it into ``audit.json``. The list is per
process; :func:`drain` hands the notices over and empties it, so each run
starts clean.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

_NOTICES: list[str] = []


def notice(path: str | Path, message: str) -> str:
    """Record ``"<file name>: <message>"`` (and log it as a warning); returns the line."""
    line = f"{Path(path).name}: {message}"
    if line not in _NOTICES:
        _NOTICES.append(line)
        log.info("%s", line)
    return line


def drain() -> list[str]:
    """Every notice recorded since the last call, in order; the list is emptied."""
    out = list(_NOTICES)
    _NOTICES.clear()
    return out
