"""``outputs/methodology.md``: the method statement, generated from the config and the run.

Everything here is read from the same objects the maps and tables use (the
config, the indicator registry, the scored levels and the audit), so the
document cannot drift from what the tool did. It is deterministic: no clock
times, only the data releases.
"""

from __future__ import annotations

from .. import __version__
from ..score import FRAME_LABELS, INDICATORS
from ..score.diagnosis import BUSINESS_ROUTE, FLOOR_INDICATORS, MOBILE_ROUTE, TAKEUP_ROUTE, chosen

NORMALISATION_TEXT = {
    "minmax": "min-max: (x - min) / (max - min) within the frame; 0 when every area has the same value",
    "rank": "percentile rank: the share of areas in the frame with a value at or below x (ties share the average rank)",
    "zscore": "z-score: (x - mean) / standard deviation within the frame (population SD); the weighted sum is "
              "then rescaled to 0-100",
}
#: One sentence on why each headline ranking answers the bid question.
RANKING_WHY = {
    "combined": "It is the default because a bid has to show both that the gap is deep and that it is big: ranking "
                "on both puts first the areas that are high on each, so neither a small district with a few hundred "
                "unserved premises nor a large city with a low share tops the list on one measure alone.",
    "rate": "It answers where a larger share of premises is left behind, whatever the area's size.",
    "count": "It answers where the most premises are left behind, whatever their share.",
}
#: What rank_in_class ranks within, by class column.
CLASS_TEXT = {
    "urban_rural": "within the two-way urban/rural flag of the Rural-Urban Classification 2021 (local authorities: "
                   "ONS's flag for the LAD; constituencies on the 2024 seats: Rural when most of the seat's mid-2015 "
                   "population lives in LSOAs the classification flags Rural), not within its seven detailed classes",
    "cluster": "within the mySociety composite urban-rural classification of the 2010 seats (its cluster labels)",
}
#: Why each absolute floor of the diagnosis is set where it is (the defaults; config.yaml can change them).
FLOOR_WHY = {
    "infrastructure": "a Project Gigabit case rests on premises left without gigabit; under about a thousand, and under "
                      "5% of an area's premises, the gap is a few streets rather than an area-wide procurement",
    "inclusion": "about five neighbourhoods (LSOAs, 1,000-3,000 residents each) and a tenth of the area: enough people "
                 "for a skills or access programme to be organised locally",
    "mobile": "a few hundred premises and 1% of premises: above the noise of two-decimal percentages and large enough "
              "for a not-spot to be a coverage problem rather than a few isolated homes",
    "business": "a few hundred business premises and a tenth of them: enough firms for a voucher scheme or business "
                "connectivity project to be worth running",
    "takeup": "take-up is published in whole percent (+/- half a percent of the premises with full fibre): five thousand "
              "premises and 40% keep the flag clear of that rounding",
}
TIER_TEXT = {
    "quantiles": "quantiles: equal numbers of areas per tier (the breaks of mapclassify.Quantiles, computed with NumPy)",
    "natural_breaks": ("natural breaks (Fisher-Jenks, the breaks of mapclassify.FisherJenks computed with NumPy): "
                       "tiers that minimise the spread of scores within each tier"),
    "fixed": "fixed score thresholds",
}


def _indicator_rows(levels) -> list[str]:
    rows = ["| Indicator | Measures | Formula (numerator / denominator) | Count or estimate | Source | Levels |",
            "|---|---|---|---|---|---|"]
    avail = {lv.key: set(lv.indicators) for lv in levels}
    for name, ind in INDICATORS.items():
        where = [lv.title for lv in levels if name in avail[lv.key]]
        if not where:
            continue
        kind = ("derived estimate from published percentages" if ind.derived else f"published counts ({ind.unit})")
        rows.append(f"| `{name}` | {ind.label} | {ind.formula} | {kind} | {ind.source} | {'; '.join(where)} |")
    return rows


def _deprivation_edition(cfg, levels) -> str:
    """Which edition of the Indices of Deprivation this run used, and for what."""
    used = {n for lv in levels for n in lv.indicators}
    scored = {c.name for c in cfg.score.indicators}
    infra, incl = chosen(cfg.diagnosis)
    diag = {c.name for c in (*infra, *incl)}
    parts = []
    for edition, names in (("IoD 2025 (MHCLG, LSOA 2021, counted in neighbourhoods: IoD 2025 ships no population "
                            "denominators here)", ("deprived_lsoas", "education_deprived_lsoas", "barriers_deprived_lsoas")),
                           ("IoD 2019 (MHCLG, LSOA 2011 brought to LSOA 2021, people counted with mid-2015 population)",
                            ("deprived_population", "education_deprived", "older_population"))):
        here = [n for n in names if n in used]
        if here:
            roles = [f"`{n}`" + (" (score)" if n in scored else "") + (" (diagnosis)" if n in diag else "") for n in here]
            parts.append(f"{edition}: {', '.join(roles)}")
    if not parts:
        return "Deprivation: no Indices of Deprivation configured for this study area."
    return "Deprivation editions in this run: " + "; ".join(parts) + "."


def _correlations(level, names: list[str]) -> list[str]:
    """Correlation table of the scored indicators (shares, one level) and warnings about near duplicates."""
    import numpy as np

    present = [n for n in names if f"{n}_share" in level.frame.columns]
    if len(present) < 2:
        return []
    shares = level.frame[[f"{n}_share" for n in present]].astype("float64")
    corr = shares.corr()
    rows = [f"Correlation between the scored indicators' shares ({level.title}, Pearson r, {len(level.frame)} areas):",
            "", "| | " + " | ".join(f"`{n}`" for n in present) + " |", "|---" * (len(present) + 1) + "|"]
    for a in present:
        rows.append(f"| `{a}` | " + " | ".join(f"{corr.loc[f'{a}_share', f'{b}_share']:.2f}" for b in present) + " |")
    rows.append("")
    warn = []
    every = [n for n in level.indicators if f"{n}_share" in level.frame.columns]
    for i, a in enumerate(every):
        for b in every[i + 1:]:
            if a not in present and b not in present:
                continue
            x, y = level.frame[f"{a}_share"].astype("float64"), level.frame[f"{b}_share"].astype("float64")
            r = x.corr(y)
            na, nb = level.frame[f"{a}_num"].astype("float64"), level.frame[f"{b}_num"].astype("float64")
            same = int(((na == nb) & (na > 0)).sum())
            twice = ": weighting both counts the same gap twice" if a in present and b in present else ""
            if np.isfinite(r) and abs(r) >= 0.9:
                warn.append(f"`{a}` and `{b}` are nearly the same thing here (r = {r:.2f}){twice}")
            elif same >= max(3, len(level.frame) // 10):
                warn.append(f"`{a}` and `{b}` have the same (non-zero) count in {same} of {len(level.frame)} areas "
                            f"(r = {r:.2f}){twice}")
    if warn:
        rows.append("Near duplicates: " + "; ".join(warn) + ".")
    else:
        rows.append("No two scored indicators are nearly the same thing here (every |r| < 0.9).")
    return rows


def methodology_markdown(cfg, frames) -> str:
    """The method statement as Markdown."""
    levels = frames.levels
    s = cfg.score
    total_w = sum(c.weight for c in s.indicators)
    infra, incl = chosen(cfg.diagnosis)
    out: list[str] = []
    add = out.append
    area = cfg.study_area.name
    add(f"# Method statement: {cfg.title}")
    add("")
    add(f"Generated by the Midlands connectivity gap mapper {__version__} from `config.yaml` "
        f"(sha256 `{cfg.sha256[:12]}`). Study area: {area} (ONS regions {', '.join(cfg.regions)}).")
    add("")
    add("Levels and data releases (every figure in the outputs names its level and release):")
    add("")
    for lv in levels:
        older = f" {lv.older_note}." if getattr(lv, "older_note", None) else ""
        add(f"- {lv.title}: {lv.release_text} ({lv.coverage.meta.get('file')}), {len(lv.frame)} areas.{older}")
    add("")
    add("## What the index is for")
    add("")
    add("It ranks areas by how under-connected they are, so that bids and plans can say which places should come "
        "first and why. It answers *where is the gap deepest* (shares of premises), *where is the gap biggest* "
        "(how many premises), *how sure* (rank stability) and *what kind of help* (the intervention diagnosis).")
    add("")
    add("## Indicators")
    add("")
    add("Every indicator is a share computed from two **counts**: a numerator and a denominator (both extensive: "
        "they add up across areas). Shares (intensive) are never averaged: for a region or the study area the counts "
        "are summed first and the share is recomputed. Suppressed cells are treated as missing, never as zero; an "
        "area with a missing share is not scored.")
    add("")
    out.extend(_indicator_rows(levels))
    add("")
    add(_deprivation_edition(cfg, levels))
    add("")
    add("Derived estimates: Ofcom publishes mobile coverage and full-fibre take-up as percentages. Premises figures "
        "are turned into counts as premises x share (mobile: `prem_count`; take-up: premises with full fibre), "
        "landmass figures as `pixel_count` x share, then summed like any count. In every table their numerator and "
        "share columns end in `_estimate`, and `<indicator>_num_rounding` gives the +/- margin that the rounding of "
        "the published percentage alone allows (mobile: two decimals; take-up: whole percent, so +/- half a percent "
        "of the premises with full fibre). Fixed-wireless reliance is a lower bound: premises unable to get "
        "10 Mbit/s over fixed lines minus premises below the USO (the USO counts fixed wireless), floored at 0 "
        "because the USO also has an upload condition. Full-fibre take-up is take-up of full fibre only: premises "
        "that do not take it may use gigabit cable or copper, so it measures adoption of full fibre, not being offline.")
    add("")
    add("## Two questions, and the headline ranking")
    add("")
    add("- **Where is the gap deepest** (`score_rate`, `rank_rate`, `tier_rate`): each indicator's share is normalised "
        f"across the frame ({NORMALISATION_TEXT[s.normalisation]}"
        + (f"; the range is never taken as narrower than {s.range_floor * 100:g} percentage points, so a spread of "
           "a few tenths of a percent is not stretched into 0-100 points"
           if s.normalisation == "minmax" and s.range_floor else "")
        + ") and the weighted mean is put on 0-100 (100 = most need).")
    add("- **Where is the gap biggest** (`score_count`, `rank_count`, `tier_count`): each area's share of the frame's "
        "total count of each indicator's numerator (an area holding 4% of the premises without gigabit scores 4 on "
        "that indicator), weighted the same way: unit-free, so premises and neighbourhoods mix.")
    add("- **Combined**: the mean of the area's percentile ranks on the two.")
    add("")
    add(f"The headline `score`, `rank`, `tier` and the map colours use **{s.ranking}**. " + RANKING_WHY[s.ranking])
    add("Both rankings are always published side by side in every table.")
    add("")
    add("| Indicator | Weight (as configured) | Share of the score | Direction |")
    add("|---|---|---|---|")
    for c in s.indicators:
        add(f"| `{c.name}` | {c.weight:g} | {c.weight / total_w:.1%} | "
            f"{'higher share = more need' if c.direction == 'need' else 'reversed: higher share = less need'} |")
    add("")
    add("Rank 1 = highest need; ties share the better rank.")
    add("")
    out.extend(_correlations(frames.la, [c.name for c in s.indicators]))
    add("")
    add(f"Reference frame: **{s.frame}** - each area is normalised, ranked and tiered against "
        f"{FRAME_LABELS[s.frame]}.")
    add("")
    add("Ranks and tiers within a class (`rank_in_class`, `tier_in_class`; the class each area was ranked in is the "
        "`rank_class` column):")
    add("")
    for lv in levels:
        add(f"- {lv.title}: {CLASS_TEXT.get(lv.class_col, lv.class_label)}.")
    add("")
    add("## Tiers")
    add("")
    tiers = s.tiers
    rule = TIER_TEXT[tiers.scheme]
    if tiers.scheme == "fixed":
        rule += f" at scores {', '.join(f'{t:g}' for t in tiers.thresholds)}"
    add(f"{tiers.k} tiers by {rule}; tier 1 is the highest priority. Areas with fewer than {s.min_premises} premises "
        "or any missing indicator share are placed in **Insufficient data** and get no score, rank or tier.")
    add("")
    st = cfg.stability
    add("## Rank stability")
    add("")
    if st.draws:
        add(f"Monte Carlo with {st.draws:,} seeded draws (seed {st.seed}). In each draw every weight is multiplied by "
            f"a factor drawn uniformly from [{1 - st.weight_spread:g}, {1 + st.weight_spread:g}] and the weights "
            f"rescaled to sum to 1, and the normalisation is drawn from {', '.join(st.normalisations)}. Each draw "
            "ranks the areas of each frame; a draw's tiers hold the same number of areas as the published tiers. "
            "Reported per area: median rank, 5-95% rank interval, share of draws in the top tier (`top_tier_share`), "
            f"and share of draws agreeing with the published tier (`tier_agreement`). **Stable** when the agreement is "
            f"at least {st.stable_share:.0%}, otherwise **volatile**.")
        for lv in levels:
            st_counts = lv.frame["stability"].value_counts()
            add(f"- {lv.title}: {int(st_counts.get('stable', 0))} stable, {int(st_counts.get('volatile', 0))} volatile.")
    else:
        add("Turned off (`stability.draws: 0`).")
    add("")
    d = cfg.diagnosis
    add("## Intervention diagnosis")
    add("")
    add("Two sub-indices, 0-100: the weighted mean of the area's percentile ranks (within its frame) on each "
        "indicator, over the indicators that have data at that level (weights rescaled).")
    add("")
    add(f"- Infrastructure need: {', '.join(f'`{c.name}` ({c.weight:g})' for c in infra)}.")
    add(f"- Inclusion need: {', '.join(f'`{c.name}` ({c.weight:g})' for c in incl)}.")
    add("")
    add(f"Rule (threshold {d.threshold:g}): both sub-indices at or above it -> **Both**; infrastructure only -> "
        "**Infrastructure bid** (Project Gigabit, gigabit vouchers); inclusion only -> **Digital-inclusion bid** "
        "(e.g. UK Shared Prosperity Fund skills and access); neither -> **Neither**.")
    add("")
    add(f"Route flags (areas at or above the {d.route_threshold:g}th percentile of their frame **and** above an "
        f"absolute floor): mobile not-spots (`{MOBILE_ROUTE[0]}`) in a rural area -> rural mobile route such as the "
        f"Shared Rural Network; non-residential premises without gigabit (`{BUSINESS_ROUTE}`) -> business-premises "
        f"support (vouchers, business connectivity); premises with full fibre built but not taken up (`{TAKEUP_ROUTE}`) "
        "where full-fibre availability is above the frame median -> adoption support, not more build.")
    add("")
    add("Absolute floors (a relative test alone flags an urban district for 25 premises without indoor 4G): a part is "
        "high, and a flag is raised, only when the area also has at least this count in the gap **and** this share:")
    add("")
    add("| Part | Checked on | At least | And at least | Why this floor |")
    add("|---|---|---|---|---|")
    for part, (c_min, s_min) in d.floors.items():
        add(f"| {part} | `{'` or `'.join(FLOOR_INDICATORS[part])}` | {c_min:,.0f} | {s_min:.0%} | {FLOOR_WHY[part]} |")
    add("")
    add("An area that passes the relative test but not its floor is told so in its reason (\"relatively high, but "
        "only ...\").")
    for lv in levels:
        counts = lv.frame["diagnosis"].value_counts()
        add(f"- {lv.title}: " + ", ".join(f"{k} {int(v)}" for k, v in sorted(counts.items())) + ".")
    add("")
    add("## England and UK context")
    add("")
    for lv in levels:
        bench = getattr(lv, "benchmarks", None)
        if bench is None:
            add(f"- {lv.title}: no national file configured; England comparisons and national ranks are not available.")
            continue
        eng = bench[bench["area"] == "England"].iloc[0]
        line = f"- {lv.title}: England benchmark ({lv.release_text}): "
        if "no_gigabit_share" in bench.columns:
            line += (f"{int(eng['no_gigabit_num']):,} of {int(eng['no_gigabit_den']):,} premises "
                     f"({eng['no_gigabit_share']:.1%}) without gigabit; ")
        ranked = ", ".join(f"`{n}` ({k:,} English areas)" for n, k in lv.england_areas.items())
        add(line + f"national ranks for {ranked or 'no indicator'}.")
    add("")
    add("Benchmarks are counts summed over every English (and every UK) area of the national file of the same level "
        "and release, shares recomputed; the English premises total is checked against Ofcom's own England total "
        "(UK and nations file) when it is the same release. National rank: 1 = the largest share among English areas "
        "of the level (the most need). Mobile benchmarks are Ofcom's published England volumes; business premises "
        "are Ofcom's 'Commercial' premises.")
    add("")
    add("## Change over time")
    add("")
    changed = [lv for lv in levels if "gigabit_gain_n" in lv.frame.columns]
    if changed:
        for lv in changed:
            f = lv.frame
            parts = [f"{int(f['gigabit_gain_n'].sum()):,} more premises with gigabit availability"]
            for col, words in (("below_uso_change_n", "premises below the USO changed by"),
                               ("unable_30_change_n", "unable to get 30 Mbit/s by")):
                if col in f.columns:
                    parts.append(f"{words} {int(f[col].sum()):+,}")
            add(f"- {lv.title}: from {f['change_from_release'].iloc[0]} to {lv.release}: " + "; ".join(parts) + ".")
        add("")
        add("Any two releases can also be compared with `python -m mapper change OLD NEW`: two Ofcom files of one "
            "level, or two BDUK premises-in-plans releases (per local authority: premises without gigabit, in a "
            "Project Gigabit contract, in commercial plans, and the residual gap with no plan).")
        add("")
        add("Both releases must use the same areas (checked before comparing; a release on different boundaries, "
            "such as the 2024 seats against the 2010 seats, is refused; a release with names but no codes is matched by "
            "name). Definitions change between releases: `data/measure_definitions.yaml` records what each measure "
            "meant in each release (below the USO counted fixed-wireless premises until 2019 and excludes them from "
            "2020; the 2018 'SFBB' column is the 30-300 Mbit/s band; 2018 has no gigabit measure). A measure whose "
            "definition differs between the two releases is not compared, and the table's `change_flags` and the "
            "command's output say which and why. Differences are between counts; Ofcom rebuilds its premises base "
            "every release, so the premises change is not new building, and a share can fall while the count without "
            "service rises.")
    else:
        add("No earlier release configured (`inputs.pcon10_coverage_previous` / `inputs.la_coverage_previous`).")
    add("")
    add("## Joins and data quality")
    add("")
    for j in frames.audit.joins:
        add(f"- {j.name}: {j.matched} matched; unmatched {len(j.unmatched_left)} ({j.left}) / "
            f"{len(j.unmatched_right)} ({j.right}).")
    add("")
    add("Full details, including every unmatched code, are in `audit.json`.")
    add("")
    add("## Caveats")
    add("")
    add("- Ofcom coverage is modelled availability at a point in time, not take-up or measured speed.")
    add("- Deprivation: IoD 2025 is on 2021 LSOAs but ships no population here, so it counts neighbourhoods; IoD 2019 "
        "population counts are mid-2015. People and neighbourhood counts reach the 2024 seats through a point fit made "
        "for this project (each LSOA's representative point), not an official ONS lookup.")
    add("- Constituencies: the default level is the 2024 seats (July 2025 data). The 2010-2024 seats are kept as a "
        "second level only for change from 2020 to January 2024; the two sets cannot be compared area by area.")
    add("- Mobile and take-up counts are estimates from published percentages (see above).")
    add("- Local authorities and constituencies are large: a low score can hide small places with poor coverage. "
        "Use output-area or postcode data (`make fetch`) for site-level work.")
    add("")
    add("## How not to use this index")
    add("")
    add("- Do not read the score as a measure of absolute need: it is relative to the areas in the frame.")
    add("- Do not compare scores across runs with different configs, frames or releases; compare the counts.")
    add("- Do not average shares across areas; sum the published counts (the tables carry them) and divide.")
    add("- Do not rely on the exact rank of a volatile area; quote its rank interval.")
    add("- The diagnosis suggests a kind of intervention; it is not an eligibility test for any programme "
        "(Project Gigabit eligibility depends on BDUK's subsidy-control status of each premises).")
    add("")
    add("## Sources and licences")
    add("")
    for line in frames.attributions:
        add(f"- {line}")
    add("")
    for r in frames.sources:
        add(f"- `{r['file']}`: {r.get('title', '')} ({r.get('publisher', '')}, {r.get('release', '')}, {r.get('licence', '')})")
    add("")
    return "\n".join(out)
