"""The annex every pack document refers to: method, data quality and sources, written once.

``narrative/annex.md`` and ``.docx`` hold what used to repeat in every area document: what
the pack holds, the method in plain words, how to read the figures (caveats), data quality
(the join audit and the reconciliation of totals, summarised), every source with release,
licence and where to find it, the attribution lines, how to cite the pack, and the full
method statement as generated for this build.
"""

from __future__ import annotations

from .. import __version__
from ..formatting import count
from ..load.provenance import attributions
from ..score import INDICATORS
from .documents import D, Seg
from .tables import month_text, release_text

#: Landing pages by publisher, for sources whose record carries no URL of its own.
PUBLISHER_PAGES = {
    "Ofcom": "https://www.ofcom.org.uk/phones-and-broadband/coverage-and-speeds/connected-nations-faqs",
    "ONS": "https://geoportal.statistics.gov.uk/",
    "MHCLG": "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
    "mySociety": "https://github.com/mysociety/uk_ruc",
    "Building Digital UK": "https://www.gov.uk/government/publications/premises-in-bduk-plans-england-and-wales",
    "BDUK": "https://www.gov.uk/government/publications/premises-in-bduk-plans-england-and-wales",
    "GeoNames": "https://www.geonames.org/",
}

CAVEATS = (
    "Ofcom coverage figures are modelled availability at premises level, not measured speeds or take-up; a "
    "premises counted as covered may still not be connected.",
    "Every share is a count divided by a count. Regional, Midlands and class figures add the counts of their "
    "areas first and then divide; percentages are never averaged.",
    "Figures marked as estimates are derived: Ofcom publishes them as percentages, which are multiplied by the "
    "published premises (or landmass) counts. Treat them as approximate.",
    "The priority score, rank and tier are relative to the Midlands areas in this build and change with the "
    "indicator weights chosen for it; they are not an official classification.",
    "Local-authority and constituency figures come from different Ofcom files (and may be different releases), so "
    "their premises totals differ slightly.",
    "Change over time compares two Ofcom releases of the same areas; premises built or demolished between them "
    "change the totals as well as coverage.",
)


#: What each edition of the Indices of Deprivation means for the figures, keyed by an indicator it supplies.
DEPRIVATION_CAVEATS = (
    (("deprived_lsoas", "education_deprived_lsoas", "barriers_deprived_lsoas"),
     "Deprivation indicators marked IoD 2025 count neighbourhoods (2021 LSOAs, 1,000-3,000 residents each) in the "
     "20% most deprived in England, not people: the IoD 2025 files used publish no population."),
    (("deprived_population", "education_deprived", "older_population"),
     "Indicators marked IoD 2019 count people with the mid-2015 population, published on 2011 neighbourhoods and "
     "carried to 2021 neighbourhoods by the ONS lookup."),
)


def caveats(levels) -> list[str]:
    """The general caveats plus one line per edition of the Indices of Deprivation the levels actually carry."""
    used = {n for lv in levels for n in lv.indicators}
    return [*CAVEATS, *(text for names, text in DEPRIVATION_CAVEATS if used.intersection(names))]


def source_url(record: dict) -> str:
    """The record's own URL when it has one, else its publisher's page ('' when unknown)."""
    if record.get("url"):
        return str(record["url"])
    publisher = str(record.get("publisher") or "")
    return next((url for name, url in PUBLISHER_PAGES.items() if publisher.startswith(name)), "")


def unique_sources(frames) -> list[dict]:
    seen, out = set(), []
    for s in frames.sources:
        if s["file"] not in seen:
            seen.add(s["file"])
            out.append(s)
    return out


def _lower_first(label: str) -> str:
    """'Premises below the USO' -> 'premises below the USO' (acronyms such as 'LSOAs' keep their case)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _method_bullets(cfg, levels) -> list[list[Seg]]:
    s = cfg.score
    total = sum(c.weight for c in s.indicators) or 1.0
    parts = [f"{_lower_first(INDICATORS[c.name].label)} ({c.weight / total:.0%}"
             + (", reversed" if c.direction == "reverse" else "") + ")" for c in s.indicators]
    releases = "; ".join(f"{lv.title}: Ofcom data of {month_text(lv.coverage.meta.get('release_date'))}"
                         for lv in levels)
    return [
        [Seg(f"Areas and releases. {releases}.")],
        [Seg("Every figure is a count of premises or people from the published files, and every share is one count "
             "divided by another. Figures for a region, a rural/urban class or the Midlands add the counts of their "
             "areas and then divide; percentages are never averaged.")],
        [Seg("Comparisons name each comparator with its own word (higher, lower, the same) and show shares with "
             "enough decimals that different shares never print alike.")],
        [Seg("The composite priority score combines " + ", ".join(parts) + " (weights as shares of the total). Each "
             "share is rescaled to 0-1 across the areas of the level, weighted and put on a 0-100 scale, 100 being "
             "the most need.")],
        [Seg(f"Areas are ranked on the score (1 = most need) and grouped into {s.tiers.k} priority tiers (tier 1 = "
             f"highest priority). Areas with fewer than {s.min_premises} premises or a missing figure get no score "
             "('Insufficient data').")],
        [Seg("The ranking is tested by recomputing it many times with the weights and the rescaling method varied; "
             "an area's range of ranks in 90% of those trials, and whether that keeps it in the same tier, is "
             "reported as its stability.")],
        [Seg("The kind of intervention compares two need measures of 0-100: infrastructure (premises without good "
             "connections) and digital inclusion (deprivation, skills, age and full-fibre take-up). Where one stands "
             "out the evidence points to that kind of bid.")],
        [Seg("Mobile not-spots and full-fibre take-up are estimates derived from Ofcom's published percentages; "
             "they are always labelled as estimates.")],
    ]


def _quality_bullets(frames) -> list[list[Seg]]:
    audit = frames.audit.as_dict()
    joins = audit.get("joins", [])
    out: list[list[Seg]] = []
    clean = [j for j in joins if not j.get("unmatched_left_count") and not j.get("unmatched_right_count")]
    out.append([Seg("Every join between input files is checked: "), D(count(len(clean))), Seg(" of "),
                D(count(len(joins))), Seg(" joins matched every record on both sides.")])
    for j in joins:
        if j.get("unmatched_left_count") or j.get("unmatched_right_count"):
            note = f" ({j['note']})" if j.get("note") else ""
            out.append([Seg(f"{j['name']}: "), D(count(j.get("matched"))), Seg(" matched; "),
                        D(count(j.get("unmatched_left_count"))), Seg(f" of {j['left']} and "),
                        D(count(j.get("unmatched_right_count"))), Seg(f" of {j['right']} unmatched{note}.")])
    for key, checks in sorted(audit.get("totals", {}).items()):
        if not key.startswith("reconciliation:") or not checks:
            continue
        ok = all(v.get("equal") for v in checks.values())
        premises = checks.get("premises", {}).get("outputs")
        segs = [Seg(f"Midlands totals {'equal' if ok else 'DIFFER FROM'} the sums of the raw rows of the Ofcom file "
                    f"{key.split(':', 1)[1]}")]
        if premises is not None:
            segs += [Seg(" (premises: "), D(count(premises)), Seg(")")]
        out.append([*segs, Seg(".")])
    return out


def annex_blocks(cfg, frames, levels, *, method_md: str, registry: dict, places_credit: str | None,
                 gpkg_crs: str, release: str) -> list[tuple]:
    """The annex as blocks (see :mod:`mapper.pack.documents`)."""
    sources = unique_sources(frames)
    blocks: list[tuple] = [
        ("h", 1, "Annex: method, data quality and sources"),
        ("p", [Seg("This annex is shared by every document in this evidence pack; the area documents, MP briefs and "
                   "the Midlands overview refer to it instead of repeating it. Pack data release: "),
               D(month_text(release)), Seg(".")]),
        ("h", 2, "What the pack holds"),
        ("ul", [
            [Seg("Documents (Word and Markdown): a Midlands overview; for each chosen area an evidence document that "
                 "opens with a case for investment; for each chosen constituency a one-page MP brief; this annex.")],
            [Seg("Print maps (300 dpi PNG and vector PDF): priority tiers and premises without gigabit-capable "
                 "broadband, for the Midlands and for each chosen area.")],
            [Seg("A workbook (Excel, with one CSV per sheet): a cover sheet, summary totals, the chosen areas beside "
                 "their comparators, every area ranked, every indicator, change over time, definitions and sources.")],
            [Seg(f"A GeoPackage for GIS, in British National Grid ({gpkg_crs}), with one layer per level.")],
            [Seg("A manifest listing every input and output with its checksum, so the pack can be verified.")],
        ]),
        ("h", 2, "Method in brief"),
        ("ul", _method_bullets(cfg, levels)),
        ("h", 2, "Reading the figures"),
        ("ul", [[Seg(c)] for c in caveats(levels)]),
        ("h", 2, "Data quality"),
        ("ul", _quality_bullets(frames)),
        ("h", 2, "Sources"),
        ("table", ("Source", "Publisher", "Release", "Licence", "Where to find it"),
         [(s["title"], s["publisher"], release_text(s["release"]), s["licence"], source_url(s)) for s in sources]),
    ]
    attribution = attributions(sources, registry)
    if places_credit:
        attribution = [*attribution, places_credit]
    blocks += [("h", 2, "Attribution"), ("ul", [[Seg(a)] for a in attribution]),
               ("h", 2, "How to cite"),
               ("p", [Seg(f"{cfg.title}: evidence pack, data release "), D(month_text(release)),
                      Seg(f" (Midlands connectivity gap mapper {__version__}). Figures: Ofcom Connected Nations as "
                          "dated in each document; cite the original sources above and keep the attribution lines "
                          "with any figure you reuse.")]),
               ("h", 2, "Full method statement"),
               ("p", [Seg("The method statement generated with this build, for analysts who want every detail.")]),
               ("md", method_md)]
    return blocks
