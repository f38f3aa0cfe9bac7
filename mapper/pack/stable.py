"""Make office files and GeoPackages byte-identical across reruns.

* XLSX and DOCX are zip files whose entries carry the time they were written,
  and openpyxl stamps ``dcterms:modified`` with the clock when saving.
  :func:`normalise_zip` rewrites the archive with every entry dated to the data
  release and the core-properties dates set to it, keeping the entry order
  (``[Content_Types].xml`` stays first, as Office expects).
* A GeoPackage records ``last_change`` per layer in ``gpkg_contents``;
  :func:`stamp_geopackage` sets it to the data release and adds the pack's
  metadata table.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from datetime import datetime

_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def release_datetime(release: str) -> datetime:
    """'2025-07' -> datetime(2025, 7, 1): the date stamped on documents (never the clock).

    >>> release_datetime("2025-07")
    datetime.datetime(2025, 7, 1, 0, 0)
    """
    try:
        year, month = (int(p) for p in str(release).split("-")[:2])
        return datetime(year, month, 1)
    except (TypeError, ValueError):
        return datetime(2000, 1, 1)


def normalise_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite a zip (XLSX/DOCX) with fixed entry dates and core-property dates."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), body)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            dst.writestr(entry, body, compresslevel=6)
    return out.getvalue()


def stamp_geopackage(path, when: datetime, metadata: dict[str, str],
                     layer_dates: dict[str, datetime] | None = None) -> None:
    """Fix ``gpkg_contents.last_change`` and add a ``pack_metadata`` attributes table.

    Each layer in ``layer_dates`` is stamped with its own data release (and says it in its
    description); everything else with ``when``.
    """
    iso = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE pack_metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
        con.executemany("INSERT INTO pack_metadata (key, value) VALUES (?, ?)", sorted(metadata.items()))
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                    "VALUES ('pack_metadata', 'attributes', 'pack_metadata', "
                    "'Evidence pack metadata: schema_version, releases per layer, CRS, tool version, config hash', ?)", (iso,))
        con.execute("UPDATE gpkg_contents SET last_change = ?", (iso,))
        for layer, date in sorted((layer_dates or {}).items()):
            con.execute("UPDATE gpkg_contents SET last_change = ?, description = ? WHERE table_name = ?",
                        (date.strftime("%Y-%m-%dT%H:%M:%S.000Z"), f"Data release {date.strftime('%Y-%m')}", layer))
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
