"""Static print maps (PNG at 300 dpi and PDF) of priority tiers, with matplotlib's Agg backend.

Each map has a title, a tier legend in the palette of the web maps
(:func:`mapper.render.tier_colours`), a scale bar and a north arrow, and a footer
with the data date and the attribution lines. Areas are drawn in British
National Grid (EPSG:27700), so the scale bar is measured in metres on the
projected plane. The figure size is fixed (no tight bounding box) so every map
has the same pixel size, and the writers are given fixed metadata (no creation
date, no software version) so reruns are byte-identical.
"""

from __future__ import annotations

import io
import math
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from ..score import INSUFFICIENT  # noqa: E402

NO_DATA = "#bdbdbd"


def tier_colours(k: int) -> dict[int, str]:
    """Tier -> colour from the web maps' palette function, tier 0 (insufficient data) grey.

    The render stage is being reorganised (``mapper/render.py`` -> ``mapper/render/``);
    whichever layout is present, its own ``tier_colours`` is used, so print and web
    maps always share one palette.
    """
    try:
        from ..render import tier_colours as web
    except ImportError:
        from ..render.data import tier_colours as web
    colours = web(k)
    if isinstance(colours, dict):
        return {**colours, 0: colours.get(0, NO_DATA)}
    out = {t + 1: c for t, c in enumerate(list(colours)[:k])}
    out[0] = NO_DATA
    return out

BNG = "EPSG:27700"
FIGSIZE = (7.0, 8.0)   # inches: 2100 x 2400 pixels at 300 dpi
DPI = 300
#: PNG text chunks: only a fixed title-free "Software" key is suppressed (None removes it).
PNG_METADATA = {"Software": None}
PDF_METADATA = {"CreationDate": None, "Producer": None, "Creator": None}


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^n metres) of about a fifth of the map width.

    >>> _nice_length(52_000), _nice_length(230_000)
    (10000.0, 20000.0)
    """
    target = span_m / 5.0
    exp = math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * 10 ** exp <= target:
            return float(m * 10 ** exp)
    return float(10 ** exp)


def _scale_bar(ax, xmin, xmax, ymin, ymax) -> None:
    length = _nice_length(xmax - xmin)
    x0 = xmax - (xmax - xmin) * 0.05 - length
    y0 = ymin + (ymax - ymin) * 0.04
    h = (ymax - ymin) * 0.008
    half = length / 2
    ax.add_patch(Rectangle((x0, y0), half, h, facecolor="black", edgecolor="black", lw=0.6, zorder=5))
    ax.add_patch(Rectangle((x0 + half, y0), half, h, facecolor="white", edgecolor="black", lw=0.6, zorder=5))
    km = length / 1000
    label = f"{km:g} km"
    for x, t in ((x0, "0"), (x0 + half, f"{km / 2:g}"), (x0 + length, label)):
        ax.text(x, y0 + h * 2.2, t, ha="center", va="bottom", fontsize=6.5, zorder=5)


def _north_arrow(ax) -> None:
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.88), xycoords="axes fraction", textcoords="axes fraction",
                ha="center", va="center", fontsize=10, fontweight="bold",
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": 3, "headwidth": 9, "headlength": 9},
                zorder=6)


def _legend_handles(colours: dict[int, str], k: int, present: set[int]) -> list[Patch]:
    handles = [Patch(facecolor=colours[t], edgecolor="#555555", lw=0.4,
                     label=f"Tier {t}" + (" (highest priority)" if t == 1 else " (lowest)" if t == k else ""))
               for t in range(1, k + 1)]
    if 0 in present:
        handles.append(Patch(facecolor=colours[0], edgecolor="#555555", lw=0.4, label=INSUFFICIENT))
    return handles


def _footer(fig, release_line: str, attributions: list[str]) -> None:
    lines = [release_line] + [textwrap.fill(a, 125) for a in attributions]
    fig.text(0.03, 0.015, "\n".join(lines), ha="left", va="bottom", fontsize=5.2, color="#333333", linespacing=1.35)


def _save(fig) -> tuple[bytes, bytes]:
    png, pdf = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, metadata=PNG_METADATA)
    fig.savefig(pdf, format="pdf", dpi=DPI, metadata=PDF_METADATA)
    plt.close(fig)
    return png.getvalue(), pdf.getvalue()


def _base(level):
    frame = level.frame[["code", "name", "tier", "geometry"]].to_crs(BNG)
    return frame


def _figure(title: str, subtitle: str):
    fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
    fig.text(0.03, 0.975, title, ha="left", va="top", fontsize=13, fontweight="bold")
    fig.text(0.03, 0.945, subtitle, ha="left", va="top", fontsize=8.5, color="#333333")
    ax = fig.add_axes((0.03, 0.11, 0.94, 0.80))
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _draw_tiers(ax, frame, colours, *, edge="#ffffff", lw=0.4, alpha=1.0):
    for tier, part in frame.groupby("tier", sort=True):
        part.plot(ax=ax, color=colours.get(int(tier), colours[0]), edgecolor=edge, linewidth=lw, alpha=alpha)


def midlands_map(level, cfg, *, release_line: str) -> tuple[bytes, bytes]:
    """All areas of a level coloured by priority tier: (png, pdf)."""
    k = cfg.score.tiers.k
    colours = tier_colours(k)
    frame = _base(level)
    fig, ax = _figure(f"Midlands: connectivity investment priority", f"{level.title}, coloured by priority tier "
                      f"({cfg.score.tiers.scheme}, {k} tiers; tier 1 = highest need)")
    _draw_tiers(ax, frame, colours)
    xmin, ymin, xmax, ymax = frame.total_bounds
    pad = (xmax - xmin) * 0.03
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad * 2.5, ymax + pad)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    _scale_bar(ax, x0, x1, y0, y1)
    _north_arrow(ax)
    ax.legend(handles=_legend_handles(colours, k, set(int(t) for t in frame["tier"])), loc="upper left",
              fontsize=7, frameon=True, title="Priority tier", title_fontsize=7.5)
    _footer(fig, release_line, level.attributions or [])
    return _save(fig)


def area_map(level, cfg, code: str, *, release_line: str) -> tuple[bytes, bytes]:
    """One area outlined and labelled, with its neighbours (touching areas) for context: (png, pdf)."""
    k = cfg.score.tiers.k
    colours = tier_colours(k)
    frame = _base(level)
    target = frame[frame["code"] == code]
    if len(target) != 1:
        raise KeyError(code)
    shape = target.geometry.iloc[0]
    row = target.iloc[0]
    near = frame[frame.geometry.intersects(shape.buffer(250))]
    tier = int(row["tier"])
    label = f"Tier {tier}" if tier > 0 else INSUFFICIENT
    fig, ax = _figure(f"{row['name']}: connectivity investment priority",
                      f"{level.title}: {row['name']} ({code}) is in {label}; neighbouring areas shown for context")
    xmin, ymin, xmax, ymax = near.total_bounds
    span = max(xmax - xmin, ymax - ymin)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half = span * 0.55
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half * 1.08, cy + half)
    others = frame[~frame["code"].isin(near["code"])]
    _draw_tiers(ax, others, colours, alpha=0.35)
    _draw_tiers(ax, near, colours, edge="#666666", lw=0.6)
    target.boundary.plot(ax=ax, color="black", linewidth=2.2, zorder=4)
    for _, r in near.iterrows():
        p = r.geometry.representative_point()
        is_target = r["code"] == code
        ax.text(p.x, p.y, r["name"], ha="center", va="center", fontsize=8.5 if is_target else 6,
                fontweight="bold" if is_target else "normal", color="black", zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75, "lw": 0} if is_target else None)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    _scale_bar(ax, x0, x1, y0, y1)
    _north_arrow(ax)
    handles = _legend_handles(colours, k, set(int(t) for t in frame["tier"]))
    handles.append(Patch(facecolor="none", edgecolor="black", lw=2.0, label=row["name"]))
    ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=True, title="Priority tier", title_fontsize=7.5)
    _footer(fig, release_line, level.attributions or [])
    return _save(fig)
