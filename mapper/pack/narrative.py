"""The per-area narrative: sentences written from :class:`~mapper.pack.tables.AreaFacts`.

The text is built once as a small list of blocks (heading, paragraph, bullets,
table, image) and rendered twice, to Markdown and to DOCX, so both say the same
thing. Every figure taken from the data is a *bold* segment (``**...**`` in
Markdown, a bold run in Word): the tests read those back and compare each with
the published table, so a narrative can never quote a number the table lacks.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from ..formatting import count, number, percent, signed
from .tables import LEVEL_NOUN, AreaFacts, MidlandsFacts, month_text

#: What the numerator of each indicator cannot do, as a verb phrase after "N of M premises (x%)".
PHRASES = {
    "no_gigabit": "cannot get gigabit-capable broadband",
    "below_uso": "cannot get decent broadband (they are below the Universal Service Obligation)",
    "unable_30": "cannot get download speeds of 30 Mbit/s",
    "unable_10": "cannot get download speeds of 10 Mbit/s",
    "no_full_fibre": "cannot get full fibre",
    "no_superfast": "cannot get superfast broadband",
    "deprived_population": "live in the most deprived fifth of neighbourhoods in England (IMD 2019)",
    "education_deprived": "live in the most education-deprived fifth of neighbourhoods (IMD 2019)",
    "older_population": "are aged 60 or over",
    "no_indoor_4g": "have no indoor 4G signal from any operator",
    "partial_indoor_4g": "cannot get indoor 4G from all four operators",
    "no_outdoor_5g": "have no outdoor 5G signal",
}

CAVEATS = (
    "Ofcom coverage figures are modelled availability at premises level, not measured speeds or take-up; "
    "a premises counted as covered may still not be connected.",
    "Every share is a count divided by a count. Regional, Midlands and class figures add the counts of their "
    "areas first and then divide; percentages are never averaged.",
    "Figures marked as estimates are derived: Ofcom publishes them as percentages, which are multiplied by the "
    "published premises (or landmass) counts. Treat them as approximate.",
    "The priority score, rank and tier are relative to the Midlands areas in this run and change with the "
    "indicator weights in config.yaml; they are not an official classification.",
    "Deprivation indicators use the English Indices of Deprivation 2019 (mid-2015 population), published on "
    "2011 neighbourhoods and carried to 2021 neighbourhoods by the ONS lookup.",
    "Constituency figures use the 2010-2024 Westminster boundaries that the Ofcom file is published on.",
)


@dataclass
class Seg:
    """A run of text; ``data=True`` marks a figure taken from the data (rendered bold)."""

    text: str
    data: bool = False


def D(text) -> Seg:  # noqa: N802 - short constructor for data figures
    return Seg(str(text), True)


def _compare(area: str, other: str) -> str:
    a, b = float(area.rstrip("%")), float(other.rstrip("%"))
    return "higher than" if a > b else "lower than" if a < b else "the same as"


def _figure_sentence(facts: AreaFacts, name: str, lead: str | None = None) -> list[Seg] | None:
    """'In <area>, N of M premises (x%) <phrase> (<source, release>).'; ``lead`` replaces 'In <area>, '."""
    fig = facts.figures.get(name)
    if fig is None or fig.num is None or fig.den is None or fig.share is None:
        return None
    phrase = PHRASES.get(name, f"are counted in '{fig.label}'")
    segs = [Seg(lead if lead is not None else f"In {facts.name}, "), Seg("an estimated " if fig.derived else ""),
            D(count(fig.num)), Seg(" of "), D(count(fig.den)), Seg(f" {fig.unit} ("), D(percent(fig.share)),
            Seg(f") {phrase} (")]
    if fig.derived:
        segs.append(Seg("a derived estimate from published percentages; "))
    segs.append(Seg(f"{fig.citation})."))
    return [s for s in segs if s.text]


def _comparison_sentence(facts: AreaFacts, name: str) -> list[Seg] | None:
    fig = facts.figures.get(name)
    if fig is None or fig.share is None:
        return None
    mine = percent(fig.share)
    parts: list[Seg] = []
    if fig.region_share is not None and facts.region:
        parts += [Seg(f"That is {_compare(mine, percent(fig.region_share))} {facts.region} ("),
                  D(percent(fig.region_share)), Seg(")")]
    if fig.midlands_share is not None:
        parts += [Seg(" and " if parts else "That is "),
                  Seg(f"{_compare(mine, percent(fig.midlands_share))} the Midlands as a whole (" if not parts else "the Midlands as a whole ("),
                  D(percent(fig.midlands_share)), Seg(")")]
    if fig.class_share is not None and facts.area_class is not None and facts.class_areas:
        plural = LEVEL_NOUN[facts.level][1]
        parts += [Seg(f"; across all "), D(count(facts.class_areas)),
                  Seg(f" {facts.area_class.lower()} {plural} together it is "),
                  D(percent(fig.class_share))]
    if not parts:
        return None
    return parts + [Seg(".")]


def _tier_sentences(facts: AreaFacts) -> list[list[Seg]]:
    row, plural = facts.row, LEVEL_NOUN[facts.level][1]
    if row.get("score") is None or not row.get("tier"):
        return [[Seg(f"{facts.name} has no priority score: it has too few premises or a missing indicator "
                     "(tier 'Insufficient data').")]]
    out = [[Seg(f"{facts.name} ranks "), D(count(row["rank"])), Seg(" of "), D(count(facts.n_scored)),
            Seg(f" Midlands {plural} on the composite priority score ("), D(number(row["score"])),
            Seg(" out of 100), which places it in tier "), D(count(row["tier"])), Seg(" of "), D(count(facts.k)),
            Seg(" (tier 1 is the highest priority).")]]
    if row.get("rank_in_class") is not None and facts.area_class is not None and facts.n_class_scored:
        out.append([Seg(f"Among the "), D(count(facts.n_class_scored)),
                    Seg(f" scored {facts.area_class.lower()} {plural} it ranks "), D(count(row["rank_in_class"])),
                    Seg(".")])
    if all(row.get(c) is not None for c in ("rank_p05", "rank_p95", "rank_median")):
        segs = [Seg("When the score's weights and method are varied, its rank stays between "),
                D(count(row["rank_p05"])), Seg(" and "), D(count(row["rank_p95"])),
                Seg(" in 90% of runs (median "), D(number(row["rank_median"])), Seg(")")]
        if row.get("top_tier_share") is not None:
            segs += [Seg(" and it is in the top tier in "), D(percent(row["top_tier_share"])), Seg(" of runs")]
        if row.get("stability"):
            segs += [Seg(", so its priority is "), D(str(row["stability"]))]
        out.append(segs + [Seg(".")])
    return out


def _diagnosis_sentences(facts: AreaFacts) -> list[list[Seg]]:
    row = facts.row
    out = []
    if row.get("diagnosis"):
        segs = [Seg("The intervention this area's figures point to: "), D(str(row["diagnosis"])), Seg(".")]
        if row.get("diagnosis_reason"):
            reason = str(row["diagnosis_reason"]).strip().rstrip(".")
            segs += [Seg(f" Why: {reason[:1].upper()}{reason[1:]}.")]
        out.append(segs)
    if row.get("infra_need") is not None and row.get("inclusion_need") is not None:
        out.append([Seg("Infrastructure need scores "), D(number(row["infra_need"])),
                    Seg(" and digital-inclusion need "), D(number(row["inclusion_need"])),
                    Seg(" on a 0-100 scale (100 = most need among Midlands areas).")])
    return out


def _nonres_sentence(facts: AreaFacts) -> list[Seg] | None:
    nr, allp = facts.figures.get("nonres_no_gigabit"), facts.figures.get("no_gigabit")
    if nr is None or nr.share is None or nr.den is None:
        return None
    segs = [Seg(f"Of the "), D(count(nr.den)), Seg(f" non-residential (business and other) premises in {facts.name}, "),
            D(count(nr.num)), Seg(" ("), D(percent(nr.share)), Seg(") cannot get gigabit-capable broadband")]
    homes = facts.figures.get("homes_no_gigabit")
    if homes is not None and homes.share is not None:
        segs += [Seg(", against "), D(percent(homes.share)), Seg(" of homes ("), D(count(homes.num)), Seg(" of "),
                 D(count(homes.den)), Seg(" residential premises)")]
        if allp is not None and allp.share is not None:
            segs += [Seg(" and "), D(percent(allp.share)), Seg(" of all premises")]
    elif allp is not None and allp.share is not None:
        segs += [Seg(", against "), D(percent(allp.share)), Seg(" of all premises")]
    uso = facts.figures.get("nonres_below_uso")
    if uso is not None and uso.share is not None:
        segs += [Seg("; "), D(count(uso.num)), Seg(" ("), D(percent(uso.share)), Seg(") are below the USO")]
    return segs + [Seg(f" ({nr.citation}).")]


def _mobile_sentence(facts: AreaFacts) -> list[Seg] | None:
    prem, land = facts.figures.get("no_indoor_4g"), facts.figures.get("no_outdoor_4g_land")
    if prem is None or prem.share is None:
        return None
    segs = [Seg(f"Mobile not-spots: an estimated "), D(count(prem.num)), Seg(" of "), D(count(prem.den)),
            Seg(" premises ("), D(percent(prem.share)), Seg(") have no indoor 4G signal from any operator")]
    if land is not None and land.share is not None:
        segs += [Seg(", and an estimated "), D(percent(land.share)),
                 Seg(" of the landmass has no outdoor 4G from any operator (the rural not-spot measure)")]
    segs += [Seg(". These are derived estimates, not published counts: Ofcom publishes percentages, which are "
                 f"multiplied by the premises and landmass counts ({prem.citation}).")]
    return segs


def _takeup_sentence(facts: AreaFacts) -> list[Seg] | None:
    fig = facts.figures.get("ff_low_takeup")
    if fig is None or fig.share is None:
        return None
    return [Seg(f"Full-fibre take-up: full fibre is available to "), D(count(fig.den)),
            Seg(f" premises in {facts.name}, and an estimated "), D(count(fig.num)), Seg(" of them ("),
            D(percent(fig.share)), Seg(") do not take it up. Where coverage is high but take-up low, the need is "
                                       "adoption (skills, affordability, awareness) rather than infrastructure. "
                                       "This is a derived estimate from Ofcom's whole-percentage take-up figures, "
                                       f"weighted by premises with full fibre ({fig.citation}).")]


def _change_sentence(facts: AreaFacts, lead: list[Seg] | None = None) -> list[Seg] | None:
    """'Change over time: since <Month YYYY>, ... has changed by +N ...'; ``lead`` replaces 'Change over time: '."""
    row = facts.row
    if row.get("change_from_release") is None or row.get("gigabit_gain_n") is None:
        return None
    segs = (lead if lead is not None else [Seg("Change over time: ")]) + [
            Seg("since "), D(month_text(row["change_from_release"])),
            Seg(", the number of premises with gigabit-capable broadband has changed by "), D(signed(row["gigabit_gain_n"]))]
    if row.get("below_uso_change_n") is not None:
        segs += [Seg(", premises below the USO by "), D(signed(row["below_uso_change_n"]))]
    if row.get("unable_30_change_n") is not None:
        segs += [Seg(" and premises unable to get 30 Mbit/s by "), D(signed(row["unable_30_change_n"]))]
    fig = facts.figures.get("no_gigabit")
    return segs + [Seg(f" ({fig.citation if fig else 'Ofcom Connected Nations'}, compared with the earlier release).")]


TABLE_HEADER = ("Indicator", "Count", "Of", "Share", "Region", "Same class", "Midlands")


def figures_table(facts: AreaFacts) -> list[tuple[str, ...]]:
    """Rows of the embedded table (every indicator with its comparisons), as formatted text."""
    rows = []
    for fig in facts.figures.values():
        if fig.share is None:
            continue
        rows.append((fig.label, count(fig.num), f"{count(fig.den)} {fig.unit}", percent(fig.share),
                     percent(fig.region_share) if fig.region_share is not None else "n/a",
                     percent(fig.class_share) if fig.class_share is not None else "n/a",
                     percent(fig.midlands_share) if fig.midlands_share is not None else "n/a"))
    return rows


def build_blocks(facts: AreaFacts, cfg, *, scored: list[str], map_file: str, map_png: bytes, map_caption: str,
                 method_md: str, sources: list[dict], attributions: list[str]) -> list[tuple]:
    """The narrative as blocks: ("h", level, text), ("p", [Seg]), ("ul", [[Seg]]), ("table", header, rows),
    ("img", file, png_bytes, caption), ("md", markdown_text)."""
    singular = LEVEL_NOUN[facts.level][0]
    where = " ".join(x for x in (f"in {facts.region}" if facts.region else None,
                                 f"(classed {facts.area_class} on the {facts.class_label} classification)"
                                 if facts.area_class else None) if x)
    blocks: list[tuple] = [
        ("h", 1, f"{facts.name}: digital connectivity evidence"),
        ("p", [Seg(f"{facts.name} ({facts.code}) is a Midlands {singular}" + (f" {where}" if where else "")
                   + f". Figures come from the same run as the maps: {cfg.title}.")]),
        ("h", 2, "Key figures"),
    ]
    key = [s for s in (_figure_sentence(facts, n) for n in scored) if s]
    blocks.append(("ul", key))
    blocks.append(("h", 2, "How it compares"))
    comps = []
    for n in scored:
        fig, comp = facts.figures.get(n), _comparison_sentence(facts, n)
        if fig is not None and fig.share is not None and comp:
            comps.append([Seg(f"{fig.label}: "), D(percent(fig.share)), Seg(" in " + facts.name + ". ")] + comp)
    blocks.append(("ul", comps))
    blocks.append(("h", 2, "Priority tier and rank"))
    blocks += [("p", s) for s in _tier_sentences(facts)]
    diag = _diagnosis_sentences(facts)
    if diag:
        blocks.append(("h", 2, "The intervention it needs"))
        blocks += [("p", s) for s in diag]
    whole = [s for s in (_nonres_sentence(facts), _mobile_sentence(facts), _takeup_sentence(facts), _change_sentence(facts)) if s]
    if whole:
        blocks.append(("h", 2, "The whole connectivity picture"))
        blocks += [("p", s) for s in whole]
    blocks.append(("h", 2, "Figures"))
    blocks.append(("table", TABLE_HEADER, figures_table(facts)))
    blocks.append(("p", [Seg("Counts are premises or people as labelled; shares are count / count. Region and Midlands "
                             "columns add their areas' counts and divide; 'Same class' does the same over every "
                             f"area of the same {facts.class_label} class.")]))
    blocks.append(("h", 2, "Map"))
    blocks.append(("img", map_file, map_png, map_caption))
    blocks.append(("h", 2, "Caveats"))
    blocks.append(("ul", [[Seg(c)] for c in CAVEATS]))
    blocks.append(("h", 2, "Method"))
    blocks.append(("md", method_md))
    blocks.append(("h", 2, "Sources"))
    blocks.append(("ul", [[Seg(f"{s['title']} ({s['publisher']}, {s['release']}; licence {s['licence']}).")] for s in sources]))
    blocks.append(("p", [Seg(" ".join(attributions))]))
    return blocks


# --- the Midlands as a whole --------------------------------------------------

MIDLANDS_CAVEATS = (
    "Local-authority figures (key figures, regions, rural/urban classes, priority tiers) and constituency figures "
    "(change over time) come from different Ofcom files and boundaries, so their premises totals differ slightly.",
    "Change over time compares two Ofcom constituency releases; premises built or demolished between them change "
    "the totals as well as coverage.",
)


def _share_of(fig) -> list[Seg]:
    """'**x%** (**N** of **M** unit)' for one figure."""
    return [D(percent(fig.share)), Seg(" ("), D(count(fig.num)), Seg(" of "), D(count(fig.den)), Seg(f" {fig.unit})")]


def _group_sentence(groups: list[AreaFacts], name: str, *, noun: str | None = None, article: str = "") -> list[Seg] | None:
    """'<label>: **x%** in East Midlands (**N** of **M**), higher than **y%** in West Midlands (...).'

    With ``noun`` (plural, e.g. 'local authorities') each group is named with its area count:
    'across the **23** rural local authorities'."""
    figs = [(g, g.figures.get(name)) for g in groups]
    figs = [(g, f) for g, f in figs if f is not None and f.share is not None and f.num is not None and f.den is not None]
    if len(figs) < 2:
        return None
    segs: list[Seg] = [Seg(f"{figs[0][1].label}: ")]
    first = percent(figs[0][1].share)
    for i, (g, f) in enumerate(figs):
        if i == 1 and len(figs) == 2:
            segs.append(Seg(f", {_compare(first, percent(f.share))} "))
        elif i:
            segs.append(Seg("; "))
        segs += _share_of(f)[:1]
        if noun and g.class_areas:
            segs += [Seg(" across the "), D(count(g.class_areas)), Seg(f" {g.name.lower()} {noun}")]
        else:
            segs.append(Seg(f" in {article}{g.name}"))
        segs += _share_of(f)[1:]
    return segs + [Seg(".")]


def _top_item(row: dict, k: int) -> list[Seg]:
    """One priority LA: rank, name, region and class, tier, score, rank interval, stability, diagnosis."""
    where = ", ".join(str(x) for x in (row.get("region_name"), row.get("urban_rural")) if x)
    segs = [D(count(row["rank"])), Seg(f". {row['name']}" + (f" ({where})" if where else "") + ": tier "),
            D(count(row["tier"])), Seg(" of "), D(count(k)), Seg(", score "), D(number(row["score"]))]
    if row.get("rank_p05") is not None and row.get("rank_p95") is not None:
        segs += [Seg("; rank interval "), D(count(row["rank_p05"])), Seg("-"), D(count(row["rank_p95"]))]
        if row.get("stability"):
            segs += [Seg(", "), D(str(row["stability"]))]
    if row.get("diagnosis"):
        segs += [Seg("; "), D(str(row["diagnosis"]))]
    return segs + [Seg(".")]


def _diagnosis_item(counts: list[tuple[str, int]], total: int, plural: str) -> list[Seg]:
    segs = [Seg(f"{plural[:1].upper()}{plural[1:]} ("), D(count(total)), Seg("): ")]
    for i, (label, n) in enumerate(counts):
        segs += [Seg((", " if i else "") + f"{label} "), D(count(n))]
    return segs + [Seg(".")]


def midlands_table(mf: MidlandsFacts) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and rows of the Midlands figures table: count, denominator and share, then each region and class."""
    groups = mf.regions + mf.classes
    header = ("Indicator", "Count", "Of", "Midlands", *(g.name for g in groups))
    rows = []
    for name, fig in mf.whole.figures.items():
        if fig.share is None:
            continue
        cells = [fig.label, count(fig.num), f"{count(fig.den)} {fig.unit}", percent(fig.share)]
        for g in groups:
            gf = g.figures.get(name)
            cells.append(percent(gf.share) if gf is not None and gf.share is not None else "n/a")
        rows.append(tuple(cells))
    return header, rows


def build_midlands_blocks(mf: MidlandsFacts, cfg, *, scored: list[str], map_file: str, map_png: bytes,
                          map_caption: str, method_md: str, sources: list[dict], attributions: list[str]) -> list[tuple]:
    """The Midlands-wide narrative as blocks (same kinds as :func:`build_blocks`)."""
    whole, la_plural = mf.whole, LEVEL_NOUN["la"][1]
    regions = " and ".join(g.name for g in mf.regions)
    intro = [Seg("The Midlands" + (f" ({regions})" if regions else "") + " has "), D(count(mf.n_areas["la"])),
             Seg(f" {la_plural}")]
    if "pcon" in mf.n_areas:
        intro += [Seg(" and "), D(count(mf.n_areas["pcon"])), Seg(" Westminster constituencies (2010-2024 boundaries)")]
    intro.append(Seg(". Every Midlands, regional and class figure adds the counts of its areas and then divides; "
                     f"figures come from the same run as the maps: {cfg.title}."))
    blocks: list[tuple] = [
        ("h", 1, "The Midlands: digital connectivity evidence"),
        ("p", intro),
        ("h", 2, "Key figures"),
        ("ul", [s for s in (_figure_sentence(whole, n, lead="Across the Midlands, ") for n in scored) if s]),
    ]
    regional = [s for s in (_group_sentence(mf.regions, n, article="the ") for n in scored) if s]
    if regional:
        blocks += [("h", 2, " and ".join(g.name for g in mf.regions) if len(mf.regions) == 2 else "Regions"),
                   ("ul", regional)]
    classed = [s for s in (_group_sentence(mf.classes, n, noun=la_plural) for n in scored) if s]
    if classed:
        blocks += [("h", 2, "Rural and urban areas"),
                   ("p", [Seg(f"Local authorities are grouped by the {whole.class_label} classification; the counts of "
                              "every authority in a class are added, then divided.")]),
                   ("ul", classed)]
    blocks.append(("h", 2, "Priority local authorities"))
    if mf.top:
        blocks.append(("p", [Seg("The "), D(count(whole.n_scored)), Seg(f" scored {la_plural} are ranked on the "
                             "composite priority score and grouped into "), D(count(whole.k)),
                             Seg(" tiers (tier 1 is the highest priority). The "), D(count(len(mf.top))),
                             Seg(" with the highest priority are listed with their rank interval: the 5th to 95th "
                                 "percentile of their rank when the score's weights and method are varied, and whether "
                                 "that makes their priority stable or volatile.")]))
        blocks.append(("ul", [_top_item(r, whole.k) for r in mf.top]))
    else:
        blocks.append(("p", [Seg(f"No {LEVEL_NOUN['la'][0]} has a priority score in this run.")]))
    diag = [_diagnosis_item(c, mf.n_areas[key], LEVEL_NOUN[key][1]) for key, c in mf.diagnoses.items() if c]
    if diag:
        blocks += [("h", 2, "The interventions they need"),
                   ("p", [Seg("How many areas' figures point to each kind of help. 'Infrastructure bid' means high "
                              "infrastructure need, 'Digital-inclusion bid' high inclusion need, 'Both' both and "
                              "'Neither' neither (see the method statement).")]),
                   ("ul", diag)]
    whole_picture = [s for s in (_nonres_sentence(whole), _mobile_sentence(whole), _takeup_sentence(whole)) if s]
    if mf.change is not None:
        change = _change_sentence(mf.change, lead=[
            Seg("Change over time, summed over the "), D(count(mf.n_areas.get("pcon", 0))),
            Seg(" Midlands constituencies (the level Ofcom's earlier release is compared on): ")])
        if change:
            whole_picture.append(change)
    if whole_picture:
        blocks.append(("h", 2, "The whole connectivity picture"))
        blocks += [("p", s) for s in whole_picture]
    header, rows = midlands_table(mf)
    blocks += [("h", 2, "Figures"), ("table", header, rows),
               ("p", [Seg("Counts are premises or people as labelled; every share is a count divided by a count, "
                          "summed over the areas of the Midlands, each region and each class.")]),
               ("h", 2, "Map"), ("img", map_file, map_png, map_caption),
               ("h", 2, "Caveats"), ("ul", [[Seg(c)] for c in CAVEATS + MIDLANDS_CAVEATS]),
               ("h", 2, "Method"), ("md", method_md),
               ("h", 2, "Sources"),
               ("ul", [[Seg(f"{s['title']} ({s['publisher']}, {s['release']}; licence {s['licence']}).")]
                       for s in sources]),
               ("p", [Seg(" ".join(attributions))])]
    return blocks


# --- Markdown ---------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_segs(segs: list[Seg]) -> str:
    return "".join(f"**{_md_escape(s.text)}**" if s.data else _md_escape(s.text) for s in segs)


def to_markdown(blocks: list[tuple]) -> str:
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"{'#' * block[1]} {_md_escape(block[2])}\n")
        elif kind == "p":
            out.append(_md_segs(block[1]) + "\n")
        elif kind == "ul":
            out.append("\n".join(f"- {_md_segs(item)}" for item in block[1]) + "\n")
        elif kind == "table":
            header, rows = block[1], block[2]
            lines = ["| " + " | ".join(header) + " |", "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"]
            lines += ["| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows]
            out.append("\n".join(lines) + "\n")
        elif kind == "img":
            out.append(f"![{_md_escape(block[3])}]({block[1]})\n\n*{_md_escape(block[3])}*\n")
        elif kind == "md":
            text = block[1].strip()
            # demote the methodology's headings below this document's level-2 section
            text = re.sub(r"(?m)^(#{1,4}) ", lambda m: "#" * min(6, len(m.group(1)) + 2) + " ", text)
            out.append(text + "\n")
    return "\n".join(out)


# --- DOCX -------------------------------------------------------------------

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _docx_inline(paragraph, text: str) -> None:
    """Add Markdown-ish text (``**bold**`` only) to a Word paragraph."""
    pos = 0
    for m in _BOLD.finditer(text):
        if m.start() > pos:
            paragraph.add_run(text[pos:m.start()])
        paragraph.add_run(m.group(1)).bold = True
        pos = m.end()
    if pos < len(text):
        paragraph.add_run(text[pos:])


def _docx_segs(paragraph, segs: list[Seg]) -> None:
    for s in segs:
        run = paragraph.add_run(s.text)
        if s.data:
            run.bold = True


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _docx_markdown(doc, text: str) -> None:
    """Render the method statement's Markdown: headings, bullets, pipe tables, **bold**, `code`."""
    lines = [ln.rstrip() for ln in text.strip().splitlines()]
    i = 0
    while i < len(lines):
        line = lines[i].replace("`", "")
        if not line.strip():
            i += 1
            continue
        if line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = _cells(lines[i].replace("`", ""))
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
                    rows.append(cells)
                i += 1
            width = max(len(r) for r in rows)
            table = doc.add_table(rows=0, cols=width)
            table.style = "Light Grid Accent 1"
            for j, r in enumerate(rows):
                cells = table.add_row().cells
                for cell, value in zip(cells, r):
                    cell.text = ""
                    _docx_inline(cell.paragraphs[0], value)
                    if j == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            continue
        m = re.match(r"^(#{1,6}) (.*)$", line)
        if m:
            doc.add_heading(m.group(2), level=min(9, len(m.group(1)) + 2))
        elif re.match(r"^\s*[-*] ", line):
            _docx_inline(doc.add_paragraph(style="List Bullet"), re.sub(r"^\s*[-*] ", "", line))
        else:
            _docx_inline(doc.add_paragraph(), line)
        i += 1


def to_docx(blocks: list[tuple], *, title: str, subject: str, created) -> bytes:
    """Render the blocks with python-docx; core properties fixed for byte-identical reruns."""
    from docx import Document
    from docx.shared import Inches, Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10.5)
    for block in blocks:
        kind = block[0]
        if kind == "h":
            doc.add_heading(block[2], level=block[1])
        elif kind == "p":
            _docx_segs(doc.add_paragraph(), block[1])
        elif kind == "ul":
            for item in block[1]:
                _docx_segs(doc.add_paragraph(style="List Bullet"), item)
        elif kind == "table":
            header, rows = block[1], block[2]
            table = doc.add_table(rows=1, cols=len(header))
            table.style = "Light Grid Accent 1"
            for cell, text in zip(table.rows[0].cells, header):
                cell.text = ""
                cell.paragraphs[0].add_run(text).bold = True
            for r in rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, r):
                    cell.text = text
        elif kind == "img":
            doc.add_picture(io.BytesIO(block[2]), width=Inches(6.0))
            doc.add_paragraph(block[3], style="Caption")
        elif kind == "md":
            _docx_markdown(doc, block[1])
    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.author = "Midlands connectivity gap mapper"
    props.last_modified_by = "Midlands connectivity gap mapper"
    props.comments = ""
    props.keywords = "digital connectivity; Ofcom Connected Nations; evidence pack"
    props.revision = 1
    props.created = created
    props.modified = created
    props.last_printed = created
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
