"""The ``pack:`` section of config.yaml, validated here (the pack stage owns it).

::

    pack:
      areas: [E07000142, "Bassetlaw"]   # codes or names (LA or constituency); default: the top LAs
      top: 5                            # how many top-priority LAs when `areas` is empty or absent

Unknown keys are rejected with a did-you-mean hint, like :mod:`mapper.config`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import reject_unknown_keys
from ..errors import ConfigError

ALLOWED = ("areas", "top")


@dataclass(frozen=True)
class PackSettings:
    areas: tuple[str, ...] = ()
    top: int = 5


def pack_settings(cfg) -> PackSettings:
    """Read and validate ``cfg.sections["pack"]`` (absent -> defaults)."""
    raw = cfg.sections.get("pack", {}) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config: 'pack' must be a mapping (areas, top), not {type(raw).__name__}")
    reject_unknown_keys("pack.", raw, ALLOWED)
    areas = raw.get("areas") or []
    if not (isinstance(areas, list) and all(isinstance(a, (str, int)) and not isinstance(a, bool) for a in areas)):
        raise ConfigError("config: 'pack.areas' must be a list of area codes or names, e.g. [E07000142, West Lindsey]")
    top = raw.get("top", 5)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 100:
        raise ConfigError(f"config: 'pack.top' must be a whole number from 1 to 100, not {top!r}")
    return PackSettings(tuple(str(a).strip() for a in areas), top)
