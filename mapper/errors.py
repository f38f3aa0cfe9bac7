"""Every error the mapper raises on purpose.

Each one carries a message that names the file, row or column at fault and says
what to do. The CLI prints ``str(error)`` on one line and exits non-zero; it
never shows a traceback for these.
"""


class MapperError(Exception):
    """Base class: a problem with the user's inputs or settings, not a bug."""


class ConfigError(MapperError):
    """config.yaml has an unknown key, a wrong type or an invalid value."""


class InputFileError(MapperError):
    """An input file is missing, unreadable or in an encoding we cannot decode."""


class SchemaError(MapperError):
    """An input file's columns do not match any known release's schema."""


class ValueProblem(MapperError):
    """An input cell holds a value that cannot be right (negative count, % over 100 ...)."""


class JoinError(MapperError):
    """A required join left keys unmatched."""


class ArchiveError(InputFileError):
    """A downloaded archive is corrupt, truncated, not a zip, or holds an unsafe or oversize member."""


class FetchError(MapperError):
    """A download failed (HTTP error, timeout, server error body) or, offline, is not in the cache."""
