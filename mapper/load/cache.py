"""Load what ``make fetch`` put in the cache, as LSOA21 (and LAD) count tables.

This is the load stage for the downloaded inputs: it reads the cache manifest
(:func:`mapper.fetch.fetched_files`), turns output-area coverage into LSOA21
counts, postcode coverage into (unweighted) LSOA21 rates and BDUK premises
into counts per LSOA21 and per LAD (:mod:`mapper.join.lsoa`), and describes each
file used for the outputs' provenance. Nothing here downloads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import MapperError
from ..fetch import fetched_files
from ..join.audit import Audit
from ..join.companion_counts import non_residential
from ..join.lsoa import bduk_aggregate, normalise_oa_lookup, oa_to_lsoa, postcode_lsoa_lookup, postcode_to_lsoa, read_points_csv
from .ofcom import OfcomTable, load_ofcom
from .provenance import describe

PUBLISHERS = {"ofcom": ("Ofcom", "ofcom"), "oa": ("ONS", "ons"), "lsoa": ("ONS", "ons"), "lad": ("ONS", "ons"),
              "bduk": ("Building Digital UK (BDUK)", "bduk")}


@dataclass
class Fetched:
    """LSOA21-level tables from the cache; every part is optional."""

    oa: OfcomTable | None = None               # output-area coverage as loaded (for its meta)
    lsoa_counts: pd.DataFrame | None = None    # lsoa21_code + premises and *_n counts (+ nonres_*)
    postcode_rates: pd.DataFrame | None = None  # lsoa21_code + *_pct_unweighted_mean (never summed)
    bduk_lsoa: pd.DataFrame | None = None      # lsoa21_code + bduk_* counts
    bduk_lad: pd.DataFrame | None = None       # lad_code + bduk_* counts
    bduk_contracts: pd.DataFrame | None = None
    sources: list[dict] = field(default_factory=list)

    @property
    def has_lsoa_level(self) -> bool:
        return self.lsoa_counts is not None


def _record(cfg, source: str, path: Path, release: str | None, licence: str) -> dict:
    """A provenance record like :func:`mapper.load.provenance.describe` gives, filled from what the fetch knows."""
    publisher, key = next((v for k, v in PUBLISHERS.items() if source.startswith(k)), ("unknown", None))
    record = describe([path], cfg.root, {})[0]  # path relative to the repo, sha256, bytes
    record.update(source=source, title=f"fetched: {source} ({path.name})", publisher=publisher,
                  release=release or "see the fetch manifest", licence=licence, attribution_key=key,
                  year=int(release[:4]) if release and release[:4].isdigit() else None)
    return record


def _ofcom_concat(paths: list[Path]) -> OfcomTable:
    tables = [load_ofcom(p) for p in sorted(paths)]
    meta = dict(tables[0].meta)
    meta["file"] = ", ".join(t.meta["file"] for t in tables) if len(tables) > 1 else meta["file"]
    return OfcomTable(pd.concat([t.data for t in tables], ignore_index=True), meta)


def load_fetched(cfg, audit: Audit, lsoa_geo: gpd.GeoDataFrame, study_lsoas: set[str]) -> Fetched:
    """Everything the cache holds for the study area's LSOAs (empty :class:`Fetched` if nothing was fetched)."""
    files = fetched_files(cfg)
    out = Fetched()
    if not files:
        audit.notes.append("LSOA level: nothing fetched (run `make fetch` on a machine with internet); "
                           "maps are built for local authorities and constituencies only")
        return out
    licence = "Open Government Licence v3.0"
    if "ofcom_oa" in files and "oa_lsoa_lookup" in files:
        features = json.loads(files["oa_lsoa_lookup"][0].read_text("utf-8"))["features"]
        lookup = normalise_oa_lookup(pd.DataFrame([f["properties"] for f in features]))
        inside = lookup["lsoa21_code"].isin(study_lsoas)
        audit.notes.append(f"OA21->LSOA21 lookup: {int(inside.sum())} of {len(lookup)} output areas are in study-area LSOAs")
        lookup = lookup[inside].reset_index(drop=True)
        if lookup.empty:
            raise MapperError(f"{files['oa_lsoa_lookup'][0]}: no output area of the lookup lies in a study-area LSOA21; "
                              "check fetch.sources.oa_lsoa_lookup.where")
        oa = _ofcom_concat(files["ofcom_oa"])
        counts = oa_to_lsoa(oa.data, lookup, audit=audit, meta=oa.meta, max_unmatched=cfg.max_unmatched)
        out.oa = oa
        out.sources += [_record(cfg, "ofcom_oa", p, oa.meta.get("release_date"), licence) for p in files["ofcom_oa"]]
        out.sources.append(_record(cfg, "oa_lsoa_lookup", files["oa_lsoa_lookup"][0], None, licence))
        if "ofcom_oa_res" in files:
            res = _ofcom_concat(files["ofcom_oa_res"])
            res_audit = Audit()  # its own audit, so the all-premises totals are not overwritten; joins and notes kept
            res_counts = oa_to_lsoa(res.data, lookup, audit=res_audit, meta=res.meta, max_unmatched=cfg.max_unmatched)
            audit.joins.extend(res_audit.joins)
            audit.notes.extend(f"residential: {n}" for n in res_audit.notes)
            audit.totals["lsoa_from_oa_residential"] = res_audit.totals.get("lsoa_from_oa")
            nonres = non_residential(counts.rename(columns={"lsoa21_code": "code"}),
                                     res_counts.rename(columns={"lsoa21_code": "code"}),
                                     all_file=oa.meta["file"], res_file=res.meta["file"])
            counts = counts.merge(nonres.rename(columns={"code": "lsoa21_code"}), on="lsoa21_code", how="left")
            out.sources += [_record(cfg, "ofcom_oa_res", p, res.meta.get("release_date"), licence) for p in files["ofcom_oa_res"]]
        out.lsoa_counts = counts
    bduk_paths = sorted(p for name, paths in files.items() if name.startswith("bduk_") for p in paths)
    postcode_lookup = None
    if "ofcom_postcode" in files or bduk_paths:
        points_path = cfg.inputs.get("postcode_points")
        if points_path is None:
            audit.notes.append("postcode and BDUK files fetched but inputs.postcode_points is not set; they are not used")
        else:
            postcode_lookup = postcode_lsoa_lookup(read_points_csv(points_path), lsoa_geo, audit=audit)
    if postcode_lookup is not None and "ofcom_postcode" in files:
        pc = _ofcom_concat(files["ofcom_postcode"])
        out.postcode_rates = postcode_to_lsoa(pc.data, postcode_lookup, audit=audit, meta=pc.meta)
        out.sources += [_record(cfg, "ofcom_postcode", p, pc.meta.get("release_date"), licence) for p in files["ofcom_postcode"]]
    if postcode_lookup is not None and bduk_paths:
        res = bduk_aggregate(bduk_paths, postcode_lookup, audit=audit)
        audit.notes.extend(res.notes)
        prefix = {c: f"bduk_{c}" for c in res.lad.columns if c not in ("lad_code", "lsoa21_code")}
        out.bduk_lad = res.lad.rename(columns=prefix)
        out.bduk_lsoa = res.lsoa.rename(columns=prefix)
        out.bduk_contracts = res.contracts
        out.sources += [_record(cfg, "bduk", p, None, licence) for p in bduk_paths]
    return out
