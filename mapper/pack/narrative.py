"""The pack's documents as blocks: per-area evidence, the MP brief, the Midlands overview.

Every sentence is written from :class:`~mapper.pack.tables.AreaFacts` (the published table
and summed totals); figures are bold data segments (:class:`~mapper.pack.documents.Seg`) so
the tests can check each one against the tables. Rules the text keeps for every area:

* **Each comparator gets its own word.** "higher than the East Midlands (21.2%), lower than
  the Midlands as a whole (24.5%)". The word follows the exact shares, and the shares are
  printed with enough decimals (up to three) that two different shares never print alike
  (:func:`mapper.formatting.distinct_decimals`); shares still alike at three decimals are
  "about the same as".
* **Every figure says its source and release**; estimates are called estimates.
* **Missing inputs are said, not skipped**: no England benchmark, no BDUK funded-build
  data, no earlier release are each stated in plain words.
* **No internals**: no file names, configuration keys, commands or thresholds. Method, data
  quality and sources are in the shared annex (:mod:`mapper.pack.annex`), referenced from
  each document.
"""

from __future__ import annotations

from ..formatting import count, distinct_decimals, number, ordinal, percent
from .documents import D, Seg
from .tables import AreaFacts, MidlandsFacts, level_noun, month_text

#: Where the shared annex is, as quoted in each document.
ANNEX_REF = "the annex to this pack (Annex: method, data quality and sources)"
ENGLAND_MISSING = "An England comparison is not available in this build (national file not loaded)."
HEADLINE = "no_gigabit"

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
    "deprived_lsoas": "are among the 20% most deprived neighbourhoods in England (IMD 2025)",
    "education_deprived_lsoas": "are among the 20% most education-deprived neighbourhoods in England (IoD 2025)",
    "barriers_deprived_lsoas": "are among the 20% most deprived neighbourhoods in England for barriers to housing and "
                               "services (IoD 2025)",
    "no_indoor_4g": "have no indoor 4G signal from any operator",
    "partial_indoor_4g": "cannot get indoor 4G from all four operators",
    "no_outdoor_5g": "have no outdoor 5G signal",
    "nonres_no_gigabit": "cannot get gigabit-capable broadband",
    "nonres_below_uso": "cannot get decent broadband (they are below the Universal Service Obligation)",
    "nonres_unable_30": "cannot get download speeds of 30 Mbit/s",
    "fwa_reliance": "rely on fixed wireless for decent broadband (a lower bound)",
    "no_outdoor_4g_land": "have no outdoor 4G from any operator",
    "ff_low_takeup": "have full fibre available but do not take it up",
    "bduk_residual": "have no gigabit and no funded or commercial plan (BDUK)",
}

#: The kind of intervention each diagnosis label points to, in plain words.
INTERVENTION = {
    "Infrastructure bid": "The evidence points to infrastructure: extending gigabit-capable networks to the "
                          "premises that lack them, for example through Project Gigabit or a local full-fibre scheme",
    "Digital-inclusion bid": "The evidence points to digital inclusion rather than new networks: helping people and "
                             "businesses to take up and use the connections that exist (skills, affordability, "
                             "awareness)",
    "Both": "The evidence points to both new gigabit-capable networks for the premises that lack them and "
            "digital-inclusion support (skills, affordability, awareness)",
    "Neither": "Neither infrastructure nor digital-inclusion need stands out here against other {scope}; a bid "
               "would need local evidence of a specific gap",
}
#: Short form of the diagnosis label for lists.
INTERVENTION_SHORT = {"Infrastructure bid": "infrastructure", "Digital-inclusion bid": "digital inclusion",
                      "Both": "infrastructure and digital inclusion", "Neither": "no single need stands out"}

#: Words a comparison may use (the tests read them back).
COMPARE_WORDS = ("higher than", "lower than", "the same as", "about the same as")


# --- small pieces -------------------------------------------------------------

def region_phrase(name: str) -> str:
    """'East Midlands' -> 'the East Midlands' (regions are named with 'the', except London and Yorkshire)."""
    return name if name.startswith(("London", "Yorkshire")) else f"the {name}"


def compare_word(a: float, b: float, decimals: int) -> str:
    """How share ``a`` compares with ``b``; the word agrees with both the exact values and the printed ones.

    >>> compare_word(0.00127, 0.00083, 2), compare_word(0.1, 0.1, 1), compare_word(0.1000001, 0.1, 3)
    ('higher than', 'the same as', 'about the same as')
    """
    a, b = float(a), float(b)
    if a == b:
        return "the same as"
    if percent(a, decimals) == percent(b, decimals):
        return "about the same as"
    return "higher than" if a > b else "lower than"


def comparison(share: float, comps: list[tuple[list[Seg], float]]) -> tuple[int, list[Seg]]:
    """(decimals, segments) of 'higher than <name> (**x%**), lower than <name> (**y%**) and ...'.

    ``decimals`` is the precision at which the subject and every comparator print differently from each other."""
    d = distinct_decimals(share, *(s for _, s in comps))
    segs: list[Seg] = []
    for i, (name, s) in enumerate(comps):
        if i:
            segs.append(Seg(" and " if i == len(comps) - 1 else ", "))
        segs += [Seg(f"{compare_word(share, s, d)} "), *name, Seg(" ("), D(percent(s, d)), Seg(")")]
    return d, segs


def _scope(facts: AreaFacts, cfg) -> str:
    """'Midlands local authorities' (or 'local authorities in the same region') for relative measures."""
    plural = level_noun(facts.level, True)
    frame = getattr(cfg.score, "frame", "study_area")
    if frame == "region":
        return f"{plural} in the same region"
    if frame == "group":
        return f"{plural} in the same county or combined authority"
    return f"Midlands {plural}"


def _comparators(facts: AreaFacts, fig, *, with_class: bool = True) -> list[tuple[list[Seg], float]]:
    plural = level_noun(facts.level, True)
    out: list[tuple[list[Seg], float]] = []
    if fig.region_share is not None and facts.region:
        out.append(([Seg(region_phrase(facts.region))], fig.region_share))
    if fig.midlands_share is not None:
        out.append(([Seg("the Midlands as a whole")], fig.midlands_share))
    if with_class and fig.class_share is not None and facts.area_class and facts.class_areas:
        out.append(([Seg("all "), D(count(facts.class_areas)), Seg(f" {facts.area_class.lower()} {plural} together")],
                    fig.class_share))
    if fig.england_share is not None:
        out.append(([Seg("England")], fig.england_share))
    return out


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


def _compare_item(facts: AreaFacts, name: str) -> list[Seg] | None:
    """'<label>: **x%** in <area>; higher than the East Midlands (**y%**), ... .'"""
    fig = facts.figures.get(name)
    if fig is None or fig.share is None:
        return None
    comps = _comparators(facts, fig)
    if not comps:
        return None
    d, segs = comparison(fig.share, comps)
    label = fig.label + (" (estimate)" if fig.derived and "estimate" not in fig.label.lower() else "")
    return [Seg(f"{label}: "), D(percent(fig.share, d)), Seg(f" in {facts.name}; "), *segs, Seg(".")]


def _change_words(subject: str, n) -> list[Seg]:
    """'<subject> rose by **N**' / 'fell by **N**' / 'did not change' from a signed count."""
    n = round(float(n))
    if n == 0:
        return [Seg(f"{subject} did not change")]
    return [Seg(f"{subject} {'rose' if n > 0 else 'fell'} by "), D(count(abs(n)))]


def _rank_phrase(p05, p95) -> list[Seg]:
    if round(p05) == round(p95):
        return [Seg("ranks "), D(ordinal(p05)), Seg(" in at least 90% of trials")]
    return [Seg("ranks between "), D(ordinal(p05)), Seg(" and "), D(ordinal(p95)), Seg(" in 90% of trials")]


def intro(facts: AreaFacts) -> list[Seg]:
    """'West Lindsey (E07000142) is a Midlands local authority in the East Midlands, classed rural on ...'."""
    text = f"{facts.name} ({facts.code}) is a Midlands {level_noun(facts.level)}"
    if facts.region:
        text += f" in {region_phrase(facts.region)}"
    if facts.area_class:
        text += f", classed {facts.area_class.lower()} on the {facts.class_label} classification"
    if facts.level.startswith("pcon"):
        text += ". " + boundaries_note(facts.level_title, facts.code).removesuffix(".")
    return [Seg(text + ". Figures are Ofcom Connected Nations data of "),
            D(month_text(facts.release)), Seg(f" unless stated. Method, data quality and sources: see {ANNEX_REF}.")]


def title(facts: AreaFacts) -> str:
    """'West Lindsey (local authority)': the level is always in the title."""
    return f"{facts.name} ({level_noun(facts.level)})"


# --- the case for investment -----------------------------------------------------

def _gap_paragraph(facts: AreaFacts) -> list[Seg]:
    fig = facts.figures.get(HEADLINE)
    if fig is None or fig.share is None:
        return [Seg(f"Figures for premises without gigabit-capable broadband are not available for {facts.name}.")]
    comps = _comparators(facts, fig, with_class=False)
    d, clauses = comparison(fig.share, comps)
    segs = [Seg(f"In {facts.name}, "), D(count(fig.num)), Seg(" of "), D(count(fig.den)), Seg(" premises ("),
            D(percent(fig.share, d)), Seg(f") cannot get gigabit-capable broadband ({fig.citation}).")]
    if clauses:
        segs += [Seg(" That share is "), *clauses, Seg(".")]
    if fig.england_share is None:
        segs.append(Seg(" " + ENGLAND_MISSING))
    if fig.england_rank is not None and fig.england_areas:
        segs += [Seg(" It ranks "), D(ordinal(fig.england_rank)), Seg(" of "), D(count(fig.england_areas)),
                 Seg(f" English {level_noun(facts.level, True)} on this measure (1st has the largest share without "
                     "gigabit).")]
    return segs


def _priority_paragraph(facts: AreaFacts) -> list[Seg]:
    row, plural = facts.row, level_noun(facts.level, True)
    if row.get("score") is None or not row.get("tier"):
        return [Seg(f"{facts.name} has no priority score: it has too few premises or a missing figure.")]
    tier = int(row["tier"])
    segs = [Seg(f"{facts.name} ranks "), D(ordinal(row["rank"])), Seg(" of "), D(count(facts.n_scored)),
            Seg(f" Midlands {plural} on the composite priority score and is in tier "), D(count(tier)), Seg(" of "),
            D(count(facts.k)), Seg(" (the highest priority)." if tier == 1 else " (tier 1 is the highest priority).")]
    if row.get("rank_count") is not None and row.get("rank_rate") is not None:
        segs += [Seg(" By the size of the gap (counts) it ranks "), D(ordinal(row["rank_count"])),
                 Seg("; by its depth (shares), "), D(ordinal(row["rank_rate"])), Seg(".")]
    return segs


def _funding_paragraph(facts: AreaFacts) -> list[Seg]:
    b = facts.bduk
    if b is None:
        if facts.bduk_elsewhere:
            return [Seg("Funded-build data (BDUK premises in plans) is held by local authority in this build, not by "
                        f"{level_noun(facts.level)}, so this brief cannot say how many of these premises are already "
                        "in a publicly funded or commercial build plan.")]
        return [Seg("Funded-build data (BDUK premises in plans) was not loaded for this build, so this pack cannot "
                    "say how many of these premises are already in a Project Gigabit contract or a commercial build "
                    "plan, or how many have no plan.")]
    release = f", {facts.bduk_release}" if facts.bduk_release else ""
    segs = [Seg(f"Building Digital UK's premises-in-plans data (BDUK{release}) counts "),
            D(count(b.get("no_gigabit_now_n"))), Seg(" premises without gigabit now: ")]
    parts = [("contract_n", " in a signed Project Gigabit contract"), ("commercial_n", " in suppliers' commercial plans"),
             ("residual_n", " with no funded or commercial plan (the gap a bid would address)")]
    have = [(k, t) for k, t in parts if b.get(k) is not None]
    for i, (k, text) in enumerate(have):
        if i:
            segs.append(Seg(" and " if i == len(have) - 1 else ", "))
        segs += [D(count(b[k])), Seg(text)]
    segs.append(Seg(". BDUK counts premises from its own address base, so its total differs from Ofcom's."))
    return segs


def _trend_paragraph(facts: AreaFacts) -> list[Seg]:
    row = facts.row
    if row.get("change_from_release") is None or row.get("gigabit_gain_n") is None:
        return [Seg(f"Trend: no earlier {level_noun(facts.level)} release is loaded in this build, so change over "
                    f"time is not shown for {facts.name}.")]
    segs = [Seg("Trend: between "), D(month_text(row["change_from_release"])), Seg(" and "),
            D(month_text(facts.release)), Seg(", ")]
    segs += _change_words("the number of premises able to get gigabit-capable broadband", row["gigabit_gain_n"])
    if row.get("unable_30_change_n") is not None:
        segs += [Seg(" and "), *_change_words("the number unable to get 30 Mbit/s", row["unable_30_change_n"])]
    return [*segs, Seg(" (Ofcom Connected Nations, both releases).")]


def _intervention_paragraph(facts: AreaFacts, cfg) -> list[Seg]:
    row = facts.row
    label = row.get("diagnosis")
    if label not in INTERVENTION:
        return [Seg(f"There is not enough data to say which kind of intervention fits {facts.name}.")]
    segs = [Seg(INTERVENTION[label].format(scope=_scope(facts, cfg)) + ".")]
    if row.get("infra_need") is not None and row.get("inclusion_need") is not None:
        segs += [Seg(" Its need for infrastructure scores "), D(number(row["infra_need"])),
                 Seg(" out of 100 and for digital inclusion "), D(number(row["inclusion_need"])),
                 Seg(f" (100 = the greatest need among {_scope(facts, cfg)}).")]
    routes = [r.strip() for r in str(row.get("routes") or "").split(";") if r.strip()]
    if routes:
        joined = routes[0] if len(routes) == 1 else ", ".join(routes[:-1]) + " and " + routes[-1]
        segs.append(Seg(f" Its figures also point to support for {joined}."))
    return segs


def case_for_investment(facts: AreaFacts, cfg) -> list[list[Seg]]:
    """The 150-250 word opening: the gap, comparisons, funded/unfunded, trend, priority, intervention."""
    return [_gap_paragraph(facts), _funding_paragraph(facts), _trend_paragraph(facts), _priority_paragraph(facts),
            _intervention_paragraph(facts, cfg)]


# --- the rest of an area document -------------------------------------------------

def _tier_paragraphs(facts: AreaFacts) -> list[list[Seg]]:
    row, plural = facts.row, level_noun(facts.level, True)
    if row.get("score") is None or not row.get("tier"):
        return [[Seg(f"{facts.name} has no priority score: it has too few premises or a missing figure "
                     "(shown as 'Insufficient data' on the maps).")]]
    out = [[Seg(f"{facts.name} ranks "), D(ordinal(row["rank"])), Seg(" of "), D(count(facts.n_scored)),
            Seg(f" Midlands {plural} on the composite priority score ("), D(number(row["score"])),
            Seg(" out of 100), which places it in tier "), D(count(row["tier"])), Seg(" of "), D(count(facts.k)),
            Seg(" (tier 1 is the highest priority).")]]
    if row.get("rank_in_class") is not None and facts.area_class is not None and facts.n_class_scored:
        out.append([Seg("Among the "), D(count(facts.n_class_scored)),
                    Seg(f" scored {facts.area_class.lower()} {plural} it ranks "), D(ordinal(row["rank_in_class"])),
                    Seg(".")])
    if row.get("rank_count") is not None and row.get("rank_rate") is not None:
        out.append([Seg("Ranked on where the gap is biggest (counts of premises and people) it is "),
                    D(ordinal(row["rank_count"])), Seg("; on where the gap is deepest (shares), "),
                    D(ordinal(row["rank_rate"])), Seg(".")])
    if row.get("rank_p05") is not None and row.get("rank_p95") is not None:
        segs = [Seg("The ranking was tested by varying the score's weights and method: it ")]
        segs += _rank_phrase(row["rank_p05"], row["rank_p95"])
        if row.get("top_tier_share") is not None:
            segs += [Seg(" and is in the top tier in "), D(percent(row["top_tier_share"], 0)), Seg(" of them")]
        if row.get("stability"):
            segs += [Seg(", so its priority is "), D(str(row["stability"]))]
        out.append([*segs, Seg(".")])
    return out


def _nonres_sentence(facts: AreaFacts) -> list[Seg] | None:
    nr, allp = facts.figures.get("nonres_no_gigabit"), facts.figures.get("no_gigabit")
    if nr is None or nr.share is None or nr.den is None:
        return None
    where = facts.name
    segs = [Seg("Of the "), D(count(nr.den)), Seg(f" non-residential (business and other) premises in {where}, "),
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
    return [*segs, Seg(f" ({nr.citation}).")]


def _mobile_sentence(facts: AreaFacts) -> list[Seg] | None:
    prem, land = facts.figures.get("no_indoor_4g"), facts.figures.get("no_outdoor_4g_land")
    if prem is None or prem.share is None:
        return None
    segs = [Seg("Mobile not-spots: an estimated "), D(count(prem.num)), Seg(" of "), D(count(prem.den)),
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
    return [Seg("Full-fibre take-up: full fibre is available to "), D(count(fig.den)),
            Seg(f" premises in {facts.name}, and an estimated "), D(count(fig.num)), Seg(" of them ("),
            D(percent(fig.share)), Seg(") do not take it up. Where coverage is high but take-up low, the need is "
                                       "adoption (skills, affordability, awareness) rather than infrastructure. "
                                       "This is a derived estimate from Ofcom's whole-percentage take-up figures, "
                                       f"weighted by premises with full fibre ({fig.citation}).")]


def _change_sentence(facts: AreaFacts, lead: list[Seg] | None = None) -> list[Seg] | None:
    """'Change over time: between <Month YYYY> and <Month YYYY>, the number of premises ... rose by N, ...'."""
    row = facts.row
    if row.get("change_from_release") is None or row.get("gigabit_gain_n") is None:
        return None
    segs = (lead if lead is not None else [Seg("Change over time: ")]) + [
        Seg("between "), D(month_text(row["change_from_release"])), Seg(" and "), D(month_text(facts.release)), Seg(", ")]
    segs += _change_words("the number of premises able to get gigabit-capable broadband", row["gigabit_gain_n"])
    if row.get("below_uso_change_n") is not None:
        segs += [Seg(", "), *_change_words("the number below the USO", row["below_uso_change_n"])]
    if row.get("unable_30_change_n") is not None:
        segs += [Seg(" and "), *_change_words("the number unable to get 30 Mbit/s", row["unable_30_change_n"])]
    if row.get("premises_change_n") is not None:
        segs += [Seg("; over the same period "), *_change_words("the number of premises", row["premises_change_n"])]
    fig = facts.figures.get(HEADLINE)
    return [*segs, Seg(f" ({fig.citation if fig else 'Ofcom Connected Nations'}, compared with the earlier release).")]


def figures_table(facts: AreaFacts) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and rows of the embedded table (every indicator with its comparators), as formatted text."""
    england = any(f.england_share is not None for f in facts.figures.values())
    region = facts.region or "Region"
    header = ("Indicator", "Count", "Of", "Share", region, f"All {facts.area_class.lower()}" if facts.area_class
              else "Same class", "Midlands") + (("England",) if england else ())
    rows = []
    for fig in facts.figures.values():
        if fig.share is None:
            continue
        rows.append(_figure_row(fig, [fig.share, fig.region_share, fig.class_share, fig.midlands_share], england))
    return header, rows


def _figure_row(fig, shares: list, england: bool) -> tuple[str, ...]:
    """One row of a figures table: label (estimates say so), count, denominator and the shares compared, printed
    with the fewest decimals that tell different shares apart."""
    if england:
        shares = [*shares, fig.england_share]
    d = distinct_decimals(*shares)
    label = fig.label + (" (estimate)" if fig.derived and "estimate" not in fig.label.lower() else "")
    return (label, count(fig.num), f"{count(fig.den)} {fig.unit}",
            *(percent(s, d) if s is not None else "n/a" for s in shares))


def provenance_paragraph(facts_release: str | None, attributions: list[str]) -> list[Seg]:
    return [Seg(f"Method, data quality, caveats and the full list of sources are in {ANNEX_REF}. "
                + " ".join(attributions))]


def build_blocks(facts: AreaFacts, cfg, *, scored: list[str], maps: list[tuple[str, bytes, str]],
                 attributions: list[str]) -> list[tuple]:
    """The area document as blocks; ``maps`` is [(file, png, caption)] (tiers, then the gap measure)."""
    blocks: list[tuple] = [
        ("h", 1, f"{title(facts)}: digital connectivity evidence"),
        ("p", intro(facts)),
        ("h", 2, "Case for investment"),
    ]
    blocks += [("p", p) for p in case_for_investment(facts, cfg)]
    blocks += [("h", 2, "Key figures"), ("ul", [s for s in (_figure_sentence(facts, n) for n in scored) if s])]
    comps = [s for s in (_compare_item(facts, n) for n in scored) if s]
    if comps:
        blocks += [("h", 2, "How it compares"), ("ul", comps)]
        if not facts.has_england:
            blocks.append(("p", [Seg(ENGLAND_MISSING)]))
    blocks.append(("h", 2, "Priority tier and rank"))
    blocks += [("p", s) for s in _tier_paragraphs(facts)]
    whole = [s for s in (_nonres_sentence(facts), _mobile_sentence(facts), _takeup_sentence(facts),
                         _change_sentence(facts)) if s]
    header, rows = figures_table(facts)
    return blocks + _closing_blocks(whole, header, rows, "Counts are premises or people as labelled; each share is a "
                                    "count divided by a count. The region, class and Midlands columns add the counts of "
                                    "their areas and then divide.", maps, facts.release, attributions)


def _closing_blocks(whole: list, header, rows, table_note: str, maps, release, attributions) -> list:
    """The end every document shares: the whole connectivity picture, the figures table, maps and sources."""
    blocks = []
    if whole:
        blocks.append(("h", 2, "The whole connectivity picture"))
        blocks += [("p", s) for s in whole]
    blocks += [("h", 2, "Figures"), ("table", header, rows), ("p", [Seg(table_note)])]
    if maps:
        blocks.append(("h", 2, "Maps"))
        for file, png, caption in maps:
            blocks.append(("img", file, png, caption, 5.6))
    blocks += [("h", 2, "Sources"), ("p", provenance_paragraph(release, attributions))]
    return blocks


# --- the MP brief (constituencies) ----------------------------------------------

def boundaries_note(level_title: str, code: str) -> str:
    """Which constituency boundaries the figures use (from the level's title and the seat's code), as a sentence."""
    title_text = str(level_title)
    if str(code) >= "E14001063":   # the 2024 seats' codes (E14001063-E14001605)
        return "Figures use the 2024 constituency boundaries (the current seats)."
    if "2010-2024" in title_text:
        return ("Figures use the 2010-2024 constituency boundaries that Ofcom's constituency file in this build is "
                "published on; the 2024 seats are not loaded in this build, so check the seat before quoting.")
    return (f"Figures use the constituency boundaries of this build's constituency level ({title_text}); check "
            "the seat before quoting.")


def mp_brief_blocks(facts: AreaFacts, cfg, level, *, attributions: list[str]) -> list[tuple]:
    """A one-page brief for a constituency: the gap, comparisons, funding, trend, priority, what to ask for."""
    fig = facts.figures.get(HEADLINE)
    blocks: list[tuple] = [
        ("h", 1, f"{title(facts)}: MP brief on digital connectivity"),
        ("p", [Seg("Ofcom Connected Nations data of "), D(month_text(facts.release)),
               Seg(". " + boundaries_note(level.title, facts.code))]),
        ("h", 2, "The gap"),
        ("p", _gap_paragraph(facts)),
    ]
    bullets = []
    for name in ("below_uso", "unable_30", "nonres_no_gigabit"):
        s = _figure_sentence(facts, name)
        if s:
            bullets.append(s)
    if bullets:
        blocks.append(("ul", bullets))
    blocks += [("h", 2, "What is funded and what is not"), ("p", _funding_paragraph(facts)),
               ("h", 2, "Progress and priority"), ("p", _trend_paragraph(facts)), ("p", _priority_paragraph(facts)),
               ("h", 2, "What the evidence supports"), ("p", _intervention_paragraph(facts, cfg))]
    if fig is not None:
        blocks.append(("p", [Seg(f"Full figures, maps and comparisons: the {facts.name} evidence document in this "
                                 f"pack. Method and sources: {ANNEX_REF}. " + " ".join(attributions))]))
    return blocks


# --- the Midlands as a whole -----------------------------------------------------

def _share_of(fig, d: int = 1) -> list[Seg]:
    """'**x%** (**N** of **M** unit)' for one figure."""
    return [D(percent(fig.share, d)), Seg(" ("), D(count(fig.num)), Seg(" of "), D(count(fig.den)),
            Seg(f" {fig.unit})")]


def _group_sentence(groups: list[AreaFacts], name: str, *, noun: str | None = None, article: bool = False
                    ) -> list[Seg] | None:
    """'<label>: **x%** in the East Midlands (**N** of **M**), higher than **y%** in the West Midlands (...).'

    With ``noun`` (plural, e.g. 'local authorities') each group is named with its area count:
    'across the **23** rural local authorities'. Shares are printed with enough decimals to differ."""
    figs = [(g, g.figures.get(name)) for g in groups]
    figs = [(g, f) for g, f in figs if f is not None and f.share is not None and f.num is not None and f.den is not None]
    if len(figs) < 2:
        return None
    d = distinct_decimals(*(f.share for _, f in figs))
    segs: list[Seg] = [Seg(f"{figs[0][1].label}: ")]
    first = figs[0][1].share
    for i, (g, f) in enumerate(figs):
        if i == 1 and len(figs) == 2:
            segs.append(Seg(f", {compare_word(first, f.share, d)} "))
        elif i:
            segs.append(Seg("; "))
        segs += _share_of(f, d)[:1]
        if noun and g.class_areas:
            segs += [Seg(" across the "), D(count(g.class_areas)), Seg(f" {g.name.lower()} {noun}")]
        else:
            segs.append(Seg(f" in {region_phrase(g.name) if article else g.name}"))
        segs += _share_of(f, d)[1:]
    return [*segs, Seg(".")]


def _top_item(row: dict, k: int) -> list[Seg]:
    """One priority LA: rank, name, region and class, tier, score, rank interval, stability, intervention."""
    where = ", ".join(str(x) for x in (row.get("region_name"), row.get("urban_rural")) if x)
    segs = [D(count(row["rank"])), Seg(f". {row['name']}" + (f" ({where})" if where else "") + ": tier "),
            D(count(row["tier"])), Seg(" of "), D(count(k)), Seg(", score "), D(number(row["score"]))]
    if row.get("rank_p05") is not None and row.get("rank_p95") is not None:
        segs += [Seg("; "), *_rank_phrase(row["rank_p05"], row["rank_p95"])]
        if row.get("stability"):
            segs += [Seg(" ("), D(str(row["stability"])), Seg(")")]
    if row.get("diagnosis") in INTERVENTION_SHORT:
        segs += [Seg(f"; evidence points to {INTERVENTION_SHORT[row['diagnosis']]}")]
    return [*segs, Seg(".")]


def _diagnosis_item(counts: list[tuple[str, int]], total: int, plural: str) -> list[Seg]:
    segs = [Seg(f"{plural[:1].upper()}{plural[1:]} ("), D(count(total)), Seg("): ")]
    for i, (label, n) in enumerate(counts):
        segs += [Seg((", " if i else "") + f"{label} "), D(count(n))]
    return [*segs, Seg(".")]


def midlands_table(mf: MidlandsFacts) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and rows of the Midlands figures table: count, denominator and share, then each region and class."""
    groups = mf.regions + mf.classes
    england = any(f.england_share is not None for f in mf.whole.figures.values())
    header = ("Indicator", "Count", "Of", "Midlands", *(g.name for g in groups)) + (("England",) if england else ())
    rows = []
    for name, fig in mf.whole.figures.items():
        if fig.share is None:
            continue
        shares = [fig.share] + [g.figures[name].share if name in g.figures else None for g in groups]
        rows.append(_figure_row(fig, shares, england))
    return header, rows


def build_midlands_blocks(mf: MidlandsFacts, cfg, *, scored: list[str], maps: list[tuple[str, bytes, str]],
                          attributions: list[str], pcon_title: str | None = None) -> list[tuple]:
    """The Midlands-wide narrative as blocks (same kinds as :func:`build_blocks`)."""
    whole, la_plural = mf.whole, level_noun("la", True)
    regions = " and ".join(g.name for g in mf.regions)
    intro = [Seg("The Midlands" + (f" ({regions})" if regions else "") + " has "), D(count(mf.n_areas["la"])),
             Seg(f" {la_plural}")]
    if "pcon" in mf.n_areas:
        intro += [Seg(" and "), D(count(mf.n_areas["pcon"])), Seg(f" constituencies ({pcon_title or 'constituencies'})")]
    intro += [Seg(". Local-authority figures are Ofcom data of "), D(month_text(whole.release)),
              Seg(". Every Midlands, regional and class figure adds the counts of its areas and then divides. "
                  f"Method, data quality and sources: see {ANNEX_REF}.")]
    blocks: list[tuple] = [
        ("h", 1, "The Midlands: digital connectivity evidence"),
        ("p", intro),
        ("h", 2, "Key figures"),
        ("ul", [s for s in (_figure_sentence(whole, n, lead="Across the Midlands, ") for n in scored) if s]),
    ]
    england = [n for n in scored if n in whole.figures and whole.figures[n].england_share is not None]
    if england:
        items = []
        for n in england:
            f = whole.figures[n]
            d, segs = comparison(f.share, [([Seg("England")], f.england_share)])
            items.append([Seg(f"{f.label}: "), D(percent(f.share, d)), Seg(" across the Midlands; "), *segs, Seg(".")])
        blocks += [("h", 2, "The Midlands and England"), ("ul", items)]
    else:
        blocks.append(("p", [Seg(ENGLAND_MISSING)]))
    regional = [s for s in (_group_sentence(mf.regions, n, article=True) for n in scored) if s]
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
                             Seg(" with the highest priority are listed with the range of ranks they take when the "
                                 "score's weights and method are varied, and whether that makes their priority "
                                 "stable or volatile.")]))
        blocks.append(("ul", [_top_item(r, whole.k) for r in mf.top]))
    else:
        blocks.append(("p", [Seg(f"No {level_noun('la')} has a priority score in this run.")]))
    diag = [_diagnosis_item(c, mf.n_areas[key], level_noun(key, True)) for key, c in mf.diagnoses.items() if c]
    if diag:
        blocks += [("h", 2, "The interventions they need"),
                   ("p", [Seg("How many areas' figures point to each kind of help: 'Infrastructure bid' where the "
                              "need for new networks stands out, 'Digital-inclusion bid' where the need to help people "
                              "use them does, 'Both' where both do and 'Neither' where neither does.")]),
                   ("ul", diag)]
    whole_picture = [s for s in (_nonres_sentence(whole), _mobile_sentence(whole), _takeup_sentence(whole)) if s]
    if mf.change is not None:
        noun = level_noun(mf.change.level, True)
        change = _change_sentence(mf.change, lead=[
            Seg("Change over time, summed over the "), D(count(mf.n_areas.get("change", 0))),
            Seg(f" Midlands {noun} ({mf.change.level_title}, the level Ofcom's earlier releases are compared on): ")])
        if change:
            whole_picture.append(change)
    header, rows = midlands_table(mf)
    return blocks + _closing_blocks(whole_picture, header, rows, "Counts are premises or people as labelled; every "
                                    "share is a count divided by a count, summed over the areas of the Midlands, each "
                                    "region and each class.", maps, whole.release, attributions)
