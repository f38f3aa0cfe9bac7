"""The registry of official sources ``make fetch`` downloads, with their default URLs.

The URLs below are the publishers' own addresses **as of 2026**. Publishers move
files with each release, so every one can be overridden in ``config.yaml``
(``fetch.sources.<name>.url``) or the whole set pointed at a mirror
(``fetch.mirror``: ``<mirror>/<mirror_path>``).

* ONS Open Geography Portal layers live on ONS's ArcGIS Online organisation
  ``services1.arcgis.com/ESMARspQHYMw9BZ9``; the service names are the ones the
  portal lists for each product (``LSOA21_RUC21_EW_LU``, ``LAD24_RGN24_EN_LU``,
  ``OA_LSOA_MSOA_EW_DEC_2021_LU_v3`` for the OA21 -> LSOA21 -> MSOA21 -> LAD22
  lookup, and the LSOA (Dec 2021) super-generalised boundaries V4 that
  ``boundaries/LSOA21_BSC_midlands.geojson`` came from).
* Ofcom Connected Nations 2025 publishes one zip of fixed-coverage data
  (``202507_fixed_broadband_coverage_r01.zip``) that holds one inner zip per
  geography (output area, postcode, local authority, constituency; all and
  residential premises), each with its CSVs in a folder named like the zip.
  The postcode data is one CSV per postcode area; only the Midlands areas are
  extracted.
* BDUK's "Premises in BDUK plans (England and Wales)" release is one zip per
  region on GOV.UK, holding one CSV per local authority. GOV.UK gives each
  release's attachments new ``assets.publishing.service.gov.uk/media/<id>/``
  addresses, so no stable default exists: set ``fetch.sources.bduk_<region>.url``
  to the attachment link on the publication page (``BDUK_PAGE``) or use a
  mirror. Without either, ``fetch`` skips BDUK and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OGL = "Open Government Licence v3.0"
ONS_ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
OFCOM_CN2025 = (
    "https://www.ofcom.org.uk/siteassets/resources/documents/research-and-data/multi-sector/"
    "infrastructure-research/connected-nations-2025"
)
OFCOM_FIXED_ZIP = f"{OFCOM_CN2025}/202507_fixed_broadband_coverage_r01.zip"
BDUK_PAGE = "https://www.gov.uk/government/publications/premises-in-bduk-plans-england-and-wales"

#: Postcode areas with at least one postcode (live or terminated) in the 65 Midlands LADs, from
#: the ONS postcode directory extract data/lookups/NSPD_postcode_LAD25_grid_midlands.csv
#: (tests/fetch/test_sources.py re-derives it). Areas that straddle the boundary (S, PE, DN, SK, OX,
#: GL, CW, MK and the Welsh LD, NP, LL) are included: their non-Midlands postcodes are
#: dropped later, when points are assigned to Midlands LSOAs.
MIDLANDS_POSTCODE_AREAS = (
    "B", "CV", "CW", "DE", "DN", "DY", "GL", "HR", "LD", "LE", "LL", "LN", "MK", "NG", "NN", "NP",
    "OX", "PE", "S", "SK", "ST", "SY", "TF", "WR", "WS", "WV",
)


@dataclass(frozen=True)
class Source:
    """One thing to fetch.

    ``kind`` is ``arcgis`` (a FeatureServer layer read page by page into one
    GeoJSON), ``zip`` (an archive whose chosen members are extracted) or
    ``bduk`` (a per-region zip whose Midlands local-authority CSVs are
    extracted). For zips, ``include`` holds glob patterns on member base names;
    members that are themselves zips and match ``nested`` are opened in turn.
    """

    name: str
    kind: str
    url: str | None
    mirror_path: str
    title: str
    publisher: str
    licence: str = OGL
    # arcgis
    where: str = "1=1"
    out_fields: str = "*"
    order_by: str = ""
    return_geometry: bool = False
    # zip / bduk
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    nested: tuple[str, ...] = ()
    region: str = ""
    depends: tuple[str, ...] = field(default_factory=tuple)


def _ofcom(name: str, title: str, inner: str | tuple[str, ...], csv: tuple[str, ...], exclude: tuple[str, ...] = ()) -> Source:
    return Source(
        name=name, kind="zip", url=OFCOM_FIXED_ZIP, mirror_path="ofcom/202507_fixed_broadband_coverage_r01.zip",
        title=title, publisher="Ofcom", include=csv, exclude=exclude,
        nested=(inner,) if isinstance(inner, str) else inner,
    )


def _ons(name: str, service: str, **kw) -> Source:
    """An ONS Open Geography FeatureServer layer; on a mirror it sits at ``ons/<service>/FeatureServer/0``."""
    path = f"{service}/FeatureServer/0"
    return Source(name=name, kind="arcgis", url=f"{ONS_ARCGIS}/{path}", mirror_path=f"ons/{path}", publisher="ONS", **kw)


_PC = tuple(f"*_{area}.csv" for area in MIDLANDS_POSTCODE_AREAS)

SOURCES: tuple[Source, ...] = (
    _ons(
        "lad_region", "LAD24_RGN24_EN_LU",
        title="ONS LAD (Dec 2024) to region lookup",
        where="RGN24CD IN ({regions})", out_fields="LAD24CD,LAD24NM,RGN24CD,RGN24NM", order_by="LAD24CD",
    ),
    _ons(
        "oa_lsoa_lookup", "OA_LSOA_MSOA_EW_DEC_2021_LU_v3",
        title="ONS OA (2021) to LSOA to MSOA to LAD (Dec 2021) lookup, EW",
        where="LAD22CD IN ({lads})", out_fields="OA21CD,LSOA21CD,LSOA21NM,MSOA21CD,LAD22CD,LAD22NM", order_by="OA21CD",
        depends=("lad_region",),
    ),
    _ons(
        "lsoa_boundaries", "Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4",
        title="ONS LSOA (Dec 2021) boundaries EW BSC V4",
        where="LSOA21CD IN ({lsoas})", out_fields="LSOA21CD,LSOA21NM", order_by="LSOA21CD", return_geometry=True,
        depends=("oa_lsoa_lookup",),
    ),
    _ons(
        "lsoa_ruc", "LSOA21_RUC21_EW_LU",
        title="ONS Rural-Urban Classification 2021 of LSOA21s",
        where="LSOA21CD IN ({lsoas})", out_fields="LSOA21CD,RUC21CD,RUC21NM,Urban_rural_flag", order_by="LSOA21CD",
        depends=("oa_lsoa_lookup",),
    ),
    _ofcom("ofcom_oa", "Ofcom Connected Nations 2025 fixed coverage by output area, all premises",
           "*_fixed_oa_coverage_*.zip", ("*_fixed_oa_coverage_*.csv",)),
    _ofcom("ofcom_oa_res", "Ofcom Connected Nations 2025 fixed coverage by output area, residential",
           "*_fixed_oa_res_coverage_*.zip", ("*_fixed_oa_res_coverage_*.csv",)),
    _ofcom("ofcom_postcode", "Ofcom Connected Nations 2025 fixed coverage by postcode (Midlands areas), all premises",
           ("*postcode*.zip", "*_pc_*.zip"), _PC, exclude=("*_res_*", "*residential*")),
    _ofcom("ofcom_postcode_res", "Ofcom Connected Nations 2025 fixed coverage by postcode (Midlands areas), residential",
           ("*postcode*res*.zip", "*_pc_*res*.zip"), tuple(f"*res*_{a}.csv" for a in MIDLANDS_POSTCODE_AREAS)),
    _ofcom("ofcom_laua", "Ofcom Connected Nations 2025 fixed coverage by local authority, all premises",
           "*_fixed_laua_coverage_*.zip", ("*_fixed_laua_coverage_*.csv",)),
    _ofcom("ofcom_laua_res", "Ofcom Connected Nations 2025 fixed coverage by local authority, residential",
           "*_fixed_laua_res_coverage_*.zip", ("*_fixed_laua_res_coverage_*.csv",)),
    _ofcom("ofcom_pcon", "Ofcom Connected Nations 2025 fixed coverage by constituency, all premises",
           "*_fixed_pcon_coverage_*.zip", ("*_fixed_pcon_coverage_*.csv",)),
    _ofcom("ofcom_pcon_res", "Ofcom Connected Nations 2025 fixed coverage by constituency, residential",
           "*_fixed_pcon_res_coverage_*.zip", ("*_fixed_pcon_res_coverage_*.csv",)),
    Source(
        name="bduk_east_midlands", kind="bduk", url=None, mirror_path="bduk/East_Midlands.zip",
        title="BDUK premises in plans (England and Wales), East Midlands", publisher="Building Digital UK",
        include=("*.csv",), region="E12000004",
    ),
    Source(
        name="bduk_west_midlands", kind="bduk", url=None, mirror_path="bduk/West_Midlands.zip",
        title="BDUK premises in plans (England and Wales), West Midlands", publisher="Building Digital UK",
        include=("*.csv",), region="E12000005",
    ),
)

BY_NAME = {s.name: s for s in SOURCES}
