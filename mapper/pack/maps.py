"""Print maps (PNG at 300 dpi and vector PDF with embedded TrueType fonts), with matplotlib's Agg backend.

Two maps per place, for the Midlands (per level) and for each pack area with its neighbours:

* **tiers**: areas coloured by priority tier, in the palette of the web maps
  (:func:`mapper.render.data.tier_colours`);
* **gap**: the headline measure, premises without gigabit-capable broadband: the share as
  shading (quantile classes, the web maps' classifier and palette) and the count as circles
  whose area is proportional to the number of premises.

Layout (fixed figure size, so every map has the same pixel size): a title and a subtitle
wrapped to the page width (never clipped), the map on the left, a side panel on the right
with a locator inset of the Midlands (area maps), the legend and a north arrow, a scale bar
in the map, and a footer with the data date, attribution and, when place names are shown,
their credit. Labels have white halos and are placed without collisions: each label tries
a few positions and is left out if none is free (:class:`Labeller`). Areas outside the
focus of an area map are faded, and the legend says so. Areas are drawn in British
National Grid (EPSG:27700), so the scale bar is measured in metres.

The writers get fixed metadata (no dates, no software version) so reruns are byte-identical.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..errors import MapperError
from ..formatting import count, percent, unique_lines
from ..score import INSUFFICIENT

NO_DATA = "#bdbdbd"
BNG = "EPSG:27700"
FIGSIZE = (7.0, 8.0)   # inches: 2100 x 2400 pixels at 300 dpi
DPI = 300
#: PNG text chunks: the "Software" key is suppressed (None removes it).
PNG_METADATA = {"Software": None}
PDF_METADATA = {"CreationDate": None, "Producer": None, "Creator": None}
#: TrueType (Type 42) fonts embedded in PDFs, never Type 3 bitmaps-as-glyphs.
FONT_FAMILY = "Pack Sans"
RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": FONT_FAMILY, "svg.fonttype": "none"}
#: Characters the map font keeps: Latin (with accents), general punctuation, the euro sign and arrows.
FONT_CHARS = [*range(0x20, 0x250), *range(0x2000, 0x2070), 0x20AC, *range(0x2190, 0x2200)]
FONT_FILES = {"DejaVuSans.ttf": "PackSans.ttf", "DejaVuSans-Bold.ttf": "PackSans-Bold.ttf",
              "DejaVuSans-Oblique.ttf": "PackSans-Oblique.ttf"}
HALO = [patheffects.withStroke(linewidth=2.6, foreground="white")]
MAP_BOX = (0.025, 0.125, 0.695, 0.0)     # left, bottom, width; the top follows the subtitle
PANEL_X = 0.735
FADED = 0.30
COUNTY_EDGE = "#333333"
PLACE_COLOUR = "#222222"
GAP_CLASSES = 5
TIER_NOTE = " Tiers: composite priority score of this build (tier 1 = highest priority)."
PLACES_FILE = "data/places/GeoNames_cities500_midlands.csv"


def _font_folder() -> Path:
    import tempfile

    import fontTools
    tag = f"mpl{matplotlib.__version__}-ft{fontTools.version}"
    return Path(tempfile.gettempdir()) / f"mapper-pack-fonts-{tag}"


_FONTS_READY: list[bool] = []


def ensure_fonts() -> None:
    """Register "Pack Sans": matplotlib's own DejaVu Sans, cut to Latin glyphs and without OpenType layout tables.

    Every machine draws with the same font files (those shipped inside matplotlib, never a system
    font), and embedding a small TrueType font in each PDF takes milliseconds instead of the
    second that subsetting the full DejaVu tables costs. The cut fonts are made once and kept in
    the temporary folder (renamed, as the Bitstream Vera licence of DejaVu asks of modified fonts).
    """
    if _FONTS_READY:
        return
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    folder = _font_folder()
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for src_name, out_name in FONT_FILES.items():
        out = folder / out_name
        if not out.is_file():
            font = TTFont(str(source / src_name), lazy=True)
            for tag in ("GSUB", "GPOS", "GDEF", "MATH", "FFTM"):
                if tag in font:
                    del font[tag]
            options = subset.Options()
            options.layout_features, options.hinting, options.name_IDs = [], False, ["*"]
            options.notdef_outline = True
            cutter = subset.Subsetter(options)
            cutter.populate(unicodes=FONT_CHARS)
            cutter.subset(font)
            style = {"PackSans.ttf": "Book", "PackSans-Bold.ttf": "Bold", "PackSans-Oblique.ttf": "Oblique"}[out_name]
            names = {1: FONT_FAMILY, 4: f"{FONT_FAMILY} {style}", 6: f"PackSans-{style}", 16: FONT_FAMILY}
            for rec in font["name"].names:
                if rec.nameID in names:
                    rec.string = names[rec.nameID]
            tmp = out.with_suffix(f".{os.getpid()}.tmp")
            font.save(str(tmp))
            os.replace(tmp, out)
        font_manager.fontManager.addfont(str(out))
    _FONTS_READY.append(True)


def tier_colours(k: int) -> dict[int, str]:
    """Tier -> colour from the web maps' palette function, tier 0 (insufficient data) grey."""
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


def gap_palette(n: int) -> list[str]:
    """The web maps' palette for indicator shares, sampled to ``n`` classes (light = small share)."""
    from ..render.data import YLGNBU9, sample_palette

    return list(sample_palette(YLGNBU9, n))


# --- context layers -------------------------------------------------------------

@dataclass
class MapContext:
    """Layers shared by every map of a pack: place names, county outlines, the Midlands outline (all BNG)."""

    places: object | None = None        # GeoDataFrame: name, population, geometry (largest first)
    counties: object | None = None      # GeoDataFrame: outlines of upper-tier areas made of several LAs
    midlands: object | None = None      # GeoSeries: the study area's outline for the locator
    places_credit: str | None = None
    notes: list[str] = field(default_factory=list)


def _read_places(root: Path):
    """GeoNames places (name, population, point) for the Midlands, largest first, or None when not shipped."""
    from ..load.places import read_places

    path = Path(root) / PLACES_FILE
    return read_places(path).to_crs(BNG) if path.is_file() else None


def _read_counties(root: Path, la_frame):
    """Outlines of counties / metropolitan counties (groups of several LAs) from the LAD24 -> CTY24 lookup."""
    path = Path(root) / "data" / "lookups" / "LAD24_CTY24_midlands.csv"
    if not path.is_file():
        return None
    lookup = pd.read_csv(path, dtype=str)
    if not {"LAD24CD", "CTY24CD", "CTY24NM"} <= set(lookup.columns):
        return None
    la = la_frame[["code", "geometry"]].merge(lookup.rename(columns={"LAD24CD": "code"}), on="code", how="inner")
    sizes = la.groupby("CTY24CD")["code"].transform("size")
    la = la[sizes > 1]
    if la.empty:
        return None
    return la.dissolve(by="CTY24CD", as_index=False)[["CTY24CD", "CTY24NM", "geometry"]].to_crs(BNG)


def map_context(cfg, frames) -> MapContext:
    """Load the context layers once per pack."""
    ctx = MapContext()
    try:
        ctx.places = _read_places(cfg.root)
    except MapperError as exc:  # a bad place file never stops the pack; the maps then show no place names
        ctx.notes.append(f"place names not shown: {exc}")
    if ctx.places is not None and len(ctx.places):
        from ..load.places import GEONAMES_CREDIT

        ctx.places_credit = GEONAMES_CREDIT + "."
    try:
        ctx.counties = _read_counties(cfg.root, frames.la.frame)
    except (OSError, ValueError, KeyError) as exc:
        ctx.notes.append(f"county outlines not shown: {exc}")
    ctx.midlands = frames.la.frame[["geometry"]].to_crs(BNG).dissolve().geometry
    return ctx


# --- drawing polygons (matplotlib collections; geopandas' plot redraws the figure on every call) ---

def _geom_path(geom):
    from matplotlib.path import Path as MPath

    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            verts.append(xy)
            codes.append([MPath.MOVETO] + [MPath.LINETO] * (len(xy) - 2) + [MPath.CLOSEPOLY])
    if not verts:
        return None
    return MPath(np.concatenate(verts), np.concatenate(codes))


def _fill(ax, geoms, facecolors, *, edge="#ffffff", lw=0.4, alpha=1.0, zorder=2) -> None:
    """Draw polygons in one collection; ``facecolors`` is one colour or one per geometry ('none' = outline only)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    geoms = list(geoms)
    colours = [facecolors] * len(geoms) if isinstance(facecolors, str) else list(facecolors)
    keep = [(path, c) for path, c in ((_geom_path(g), c) for g, c in zip(geoms, colours)) if path is not None]
    if not keep:
        return
    coll = PatchCollection([PathPatch(p) for p, _ in keep], facecolors=[c for _, c in keep], edgecolors=edge,
                           linewidths=lw, alpha=alpha, zorder=zorder)
    ax.add_collection(coll)


# --- layout helpers ---------------------------------------------------------------

def _renderer(fig):
    return fig.canvas.get_renderer()


def wrap_to_width(fig, text: str, fontsize: float, width_in: float, *, weight: str = "normal") -> str:
    """Greedy word wrap so every line, as rendered, fits in ``width_in`` inches."""
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family=FONT_FAMILY, size=fontsize, weight=weight)
    r = _renderer(fig)
    limit = width_in * fig.dpi

    widths: dict[str, float] = {}

    def width(s: str) -> float:
        if s not in widths:
            widths[s] = r.get_text_width_height_descent(s, prop, ismath=False)[0]
        return widths[s]

    space = width("a a") - width("aa")
    lines: list[str] = []
    for para in str(text).split("\n"):
        line, used = "", 0.0
        for word in para.split():
            w = width(word)
            # word widths summed, with 4% spare for kerning across word boundaries
            if line and (used + space + w) * 1.04 > limit:
                lines.append(line)
                line, used = word, w
            else:
                line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return "\n".join(lines)


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


def _nice_counts(largest: float) -> list[int]:
    """Up to three round counts for the circle legend, the largest not above ``largest``.

    >>> _nice_counts(16857), _nice_counts(240), _nice_counts(0)
    ([1000, 5000, 10000], [50, 100, 200], [])
    """
    if not largest or largest < 1:
        return []
    exp = 10 ** math.floor(math.log10(largest))
    m = next(m for m in (5, 2, 1) if m * exp <= largest)
    fractions = {1: (0.1, 0.5, 1), 2: (0.25, 0.5, 1), 5: (0.2, 0.5, 1)}[m]
    return sorted({round(m * exp * f) for f in fractions if m * exp * f >= 1})


class Labeller:
    """Place text without collisions: each label tries candidate offsets and is dropped when none is free."""

    def __init__(self, fig, ax):
        self.fig, self.ax = fig, ax
        self.renderer = _renderer(fig)
        self.placed: list = []          # display-space boxes of placed labels and reserved areas
        self.labels: list = []          # (text, bbox) of placed labels, for the tests
        self.names: set[str] = set()    # texts already on the map (a place is not labelled twice)

    def reserve(self, artist_or_bbox) -> None:
        bbox = artist_or_bbox if hasattr(artist_or_bbox, "overlaps") else artist_or_bbox.get_window_extent(self.renderer)
        self.placed.append(bbox)

    def add(self, x: float, y: float, text: str, *, size: float, offsets=((0, 0),), weight: str = "normal",
            style: str = "normal", colour: str = "black", zorder: int = 8) -> bool:
        axes_box = self.ax.get_window_extent(self.renderer)
        for dx, dy in offsets:
            ha = "center" if dx == 0 else ("left" if dx > 0 else "right")
            va = "center" if dy == 0 else ("bottom" if dy > 0 else "top")
            t = self.ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                                 fontsize=size, fontweight=weight, fontstyle=style, color=colour, zorder=zorder,
                                 path_effects=HALO, annotation_clip=True)
            box = t.get_window_extent(self.renderer)
            pad = box.expanded(1.0, 1.0).padded(2.0)
            inside = (box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1 and box.y0 >= axes_box.y0
                      and box.y1 <= axes_box.y1)
            if inside and not any(pad.overlaps(p) for p in self.placed):
                self.placed.append(pad)
                self.labels.append((text, box))
                self.names.add(text)
                return True
            t.remove()
        return False


POINT_OFFSETS = ((4, 0), (-4, 0), (0, 4), (0, -4), (4, 4), (-4, 4), (4, -4), (-4, -4))
AREA_OFFSETS = ((0, 0), (0, 9), (0, -9), (14, 0), (-14, 0))


def _figure(title: str, subtitle: str):
    fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
    usable = FIGSIZE[0] * 0.94
    fig.text(0.03, 0.975, wrap_to_width(fig, title, 13, usable, weight="bold"), ha="left", va="top", fontsize=13,
             fontweight="bold")
    sub = wrap_to_width(fig, subtitle, 8.5, usable)
    n_lines = sub.count("\n") + 1
    fig.text(0.03, 0.945, sub, ha="left", va="top", fontsize=8.5, color="#333333", linespacing=1.3)
    top = 0.925 - 0.0155 * n_lines
    left, bottom, width, _ = MAP_BOX
    ax = fig.add_axes((left, bottom, width, top - bottom))
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="datalim")
    return fig, ax, top


def _set_extent(ax, xmin, ymin, xmax, ymax, pad_frac=0.04, within=None) -> None:
    """Fit the box into the axes' aspect, centred, with padding; then slide it to stay inside ``within``
    (the study area's bounds) where it can, so an area on the edge is not drawn beside blank paper."""
    bbox = ax.get_position()
    aspect = (bbox.height * FIGSIZE[1]) / (bbox.width * FIGSIZE[0])
    w, h = (xmax - xmin) * (1 + 2 * pad_frac), (ymax - ymin) * (1 + 2 * pad_frac)
    if h / w > aspect:
        w = h / aspect
    else:
        h = w * aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if within is not None:
        wx0, wy0, wx1, wy1 = within
        margin = max(w, h) * pad_frac / 2
        for centre, half, lo, hi, axis in ((cx, w / 2, wx0 - margin, wx1 + margin, "x"),
                                          (cy, h / 2, wy0 - margin, wy1 + margin, "y")):
            if hi - lo > 2 * half:
                centre = min(max(centre, lo + half), hi - half)
            if axis == "x":
                cx = centre
            else:
                cy = centre
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def _scale_bar(ax, lab: Labeller) -> None:
    x0a, x1a = ax.get_xlim()
    y0a, y1a = ax.get_ylim()
    length = _nice_length(x1a - x0a)
    x0 = x1a - (x1a - x0a) * 0.04 - length
    y0 = y0a + (y1a - y0a) * 0.03
    h = (y1a - y0a) * 0.007
    half = length / 2
    back = Rectangle((x0 - length * 0.08, y0 - h * 1.2), length * 1.16, h * 6.2, facecolor="white", edgecolor="none",
                     alpha=0.85, zorder=9)
    ax.add_patch(back)
    ax.add_patch(Rectangle((x0, y0), half, h, facecolor="black", edgecolor="black", lw=0.6, zorder=10))
    ax.add_patch(Rectangle((x0 + half, y0), half, h, facecolor="white", edgecolor="black", lw=0.6, zorder=10))
    km = length / 1000
    for x, t in ((x0, "0"), (x0 + half, f"{km / 2:g}"), (x0 + length, f"{km:g} km")):
        ax.text(x, y0 + h * 1.8, t, ha="center", va="bottom", fontsize=6.5, zorder=10)
    lab.reserve(back)


def _north_arrow(fig, x: float, y: float) -> None:
    fig.text(x, y, "N", ha="center", va="bottom", fontsize=10, fontweight="bold")
    fig.patches.append(matplotlib.patches.FancyArrow(x, y - 0.045, 0, 0.035, width=0.006, head_width=0.02,
                                                     head_length=0.014, length_includes_head=True, color="black",
                                                     transform=fig.transFigure, figure=fig))


def _footer(fig, lines: list[str]) -> None:
    """Release and attribution lines at the foot of the page, each once (a credit may come from two places)."""
    text = "\n".join(wrap_to_width(fig, ln, 5.6, FIGSIZE[0] * 0.94) for ln in unique_lines(lines))
    fig.text(0.03, 0.012, text, ha="left", va="bottom", fontsize=5.6, color="#333333", linespacing=1.3)


def _legend(fig, handles, title: str, top: float) -> None:
    room = (1.0 - PANEL_X - 0.015) * FIGSIZE[0] - 0.4   # inches beside the legend keys
    for h in handles:
        h.set_label(wrap_to_width(fig, h.get_label(), 6.6, room))
    # rows far enough apart that the largest proportional circle does not overlap its neighbours
    biggest = max((h.get_markersize() for h in handles if isinstance(h, Line2D) and h.get_marker() == "o"), default=0.0)
    spacing = max(0.55, biggest / 6.6 - 1.1)
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(PANEL_X - 0.01, top), fontsize=6.6,
               title=title, title_fontsize=7.2, frameon=False, alignment="left",
               handlelength=max(1.6, 0.9 * biggest / 6.6),
               borderaxespad=0.0, labelspacing=spacing)


def _locator(fig, ctx: MapContext, level_frame, focus, top: float) -> float:
    """A small Midlands map with the focus area in red; returns the y below it."""
    if ctx.midlands is None:
        return top
    h = 0.19
    ax = fig.add_axes((PANEL_X, top - h, 0.24, h))
    ax.set_axis_off()
    ax.set_aspect("equal")
    _fill(ax, level_frame.geometry, "#e6e6e6", edge="#ffffff", lw=0.15)
    _fill(ax, ctx.midlands, "none", edge="#777777", lw=0.4, zorder=3)
    _fill(ax, focus.geometry, "#d7301f", edge="#d7301f", lw=0.4, zorder=4)
    xmin, ymin, xmax, ymax = ctx.midlands.total_bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_title("Where in the Midlands", fontsize=6.8, loc="left", pad=2)
    return top - h - 0.03


def _draw_counties(ax, ctx: MapContext) -> bool:
    if ctx.counties is None or not len(ctx.counties):
        return False
    _fill(ax, ctx.counties.geometry, "none", edge=COUNTY_EDGE, lw=0.9, zorder=4)
    return True


def _places_within(ctx: MapContext, ax, shapes=None):
    """Places inside the view (and inside ``shapes`` when given), largest first."""
    if ctx.places is None:
        return []
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    p = ctx.places
    p = p[(p.geometry.x > x0) & (p.geometry.x < x1) & (p.geometry.y > y0) & (p.geometry.y < y1)]
    if shapes is not None:
        from shapely import union_all

        p = p[p.geometry.within(union_all(list(shapes)))]
    return list(p.itertuples(index=False))


def _label_places(ax, lab: Labeller, places, *, most: int, size: float = 6.0) -> int:
    """Label up to ``most`` places in order (largest first), skipping any that cannot be placed clear."""
    shown = 0
    for p in places:
        if shown >= most or str(p.name) in lab.names:
            continue
        dot = ax.scatter([p.geometry.x], [p.geometry.y], s=5, color=PLACE_COLOUR, zorder=9, linewidths=0)
        if lab.add(p.geometry.x, p.geometry.y, str(p.name), size=size, offsets=POINT_OFFSETS, style="italic",
                   colour=PLACE_COLOUR, zorder=9):
            from matplotlib.transforms import Bbox

            px, py = ax.transData.transform((p.geometry.x, p.geometry.y))
            lab.reserve(Bbox.from_extents(px - 6, py - 6, px + 6, py + 6))   # the dot, so no later label covers it
            shown += 1
        else:
            dot.remove()
    return shown


def _save(fig) -> tuple[bytes, bytes]:
    png, pdf = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(png, format="png", dpi=DPI, metadata=PNG_METADATA)
        fig.savefig(pdf, format="pdf", dpi=DPI, metadata=PDF_METADATA)
    plt.close(fig)
    return png.getvalue(), pdf.getvalue()


# --- what is drawn ------------------------------------------------------------------

def _base(level):
    cols = ["code", "name", "tier", "geometry"] + [c for c in ("no_gigabit_num", "no_gigabit_share")
                                                   if c in level.frame.columns]
    return level.frame[cols].to_crs(BNG)


def _tier_handles(colours: dict[int, str], k: int, present: set[int]) -> list:
    handles = [Patch(facecolor=colours[t], edgecolor="#555555", lw=0.4,
                     label=f"Tier {t}" + (" (highest priority)" if t == 1 else " (lowest)" if t == k else ""))
               for t in range(1, k + 1)]
    if 0 in present:
        handles.append(Patch(facecolor=colours[0], edgecolor="#555555", lw=0.4, label=INSUFFICIENT))
    return handles


def gap_classes(values) -> tuple[list[float], list[str], list[str]]:
    """(upper bounds, legend labels, colours) of the share classes: the web maps' quantile classifier."""
    from ..score.classify import quantile_bounds

    x = pd.Series(values, dtype="float64").dropna().to_numpy()
    if len(x) == 0:
        return [], [], []
    qs = quantile_bounds(x, GAP_CLASSES)
    bounds = [*sorted({round(float(q), 4) for q in qs[:-1] if q < x.max()}), float(x.max())]
    colours = gap_palette(len(bounds))
    labels, lo = [], float(x.min())
    for i, b in enumerate(bounds):
        labels.append(f"{percent(lo, 0)} to {percent(b, 0)}" if i == 0 else f"over {percent(lo, 0)} to {percent(b, 0)}")
        lo = b
    return bounds, labels, colours


def _class_of(share, bounds) -> int:
    if share is None or pd.isna(share):
        return -1
    for i, b in enumerate(bounds):
        if share <= b + 1e-12:
            return i
    return len(bounds) - 1


def _draw_gap(ax, frame, bounds, colours, *, alpha=1.0, edge="#ffffff", lw=0.4) -> None:
    cls = frame["no_gigabit_share"].map(lambda s: _class_of(s, bounds))
    _fill(ax, frame.geometry, [colours[c] if c >= 0 else NO_DATA for c in cls], edge=edge, lw=lw, alpha=alpha)


def _circle_scale(frame, ax) -> float:
    """Marker area (points^2) per premises: the largest count gets a circle about 1/14 of the map width across."""
    largest = float(frame["no_gigabit_num"].astype("float64").max() or 1.0)
    width_pt = ax.get_position().width * FIGSIZE[0] * 72
    diameter = width_pt / 14
    return (math.pi * (diameter / 2) ** 2) / largest


def _draw_circles(ax, frame, per_premises: float, lab: Labeller | None = None, *, alpha=0.85) -> None:
    """Circles with area proportional to the count, at each area's representative point; their boxes are
    reserved in ``lab`` so that labels go beside them, not over them."""
    from matplotlib.transforms import Bbox

    pts = frame.geometry.representative_point()
    sizes = frame["no_gigabit_num"].astype("float64").fillna(0).to_numpy() * per_premises
    order = np.argsort(-sizes, kind="stable")  # large circles first, so small ones stay visible on top
    xs, ys = pts.x.to_numpy()[order], pts.y.to_numpy()[order]
    ax.scatter(xs, ys, s=sizes[order], facecolor="#f16913", edgecolor="#7f2704", linewidths=0.5, alpha=alpha,
               zorder=6)
    if lab is not None:
        for x, y, size in zip(xs, ys, sizes[order]):
            r = math.sqrt(size) / 2 * ax.figure.dpi / 72
            px, py = ax.transData.transform((x, y))
            lab.reserve(Bbox.from_extents(px - r, py - r, px + r, py + r))


def _circle_handles(largest: float, per_premises: float) -> list:
    return [Line2D([], [], linestyle="none", marker="o", markersize=math.sqrt(v * per_premises), markerfacecolor="#f16913",
                   markeredgecolor="#7f2704", markeredgewidth=0.5, alpha=0.85, label=f"{count(v)} premises")
            for v in _nice_counts(largest)]


def midlands_figure(level, cfg, ctx: MapContext, *, kind: str, release_line: str, attributions: list[str]):
    """The Midlands map of one level: ``kind`` 'tiers' or 'gap'. Returns (figure, labeller)."""
    frame = _base(level)
    k = cfg.score.tiers.k
    if kind == "tiers":
        title = "Midlands: connectivity investment priority"
        subtitle = (f"{level.title}, coloured by priority tier ({k} tiers; tier 1 = highest priority), with county "
                    "boundaries and the largest towns and cities.")
    else:
        title = "Midlands: premises without gigabit-capable broadband"
        subtitle = (f"{level.title}: the share of premises without gigabit-capable broadband (shading) and their "
                    "number (circles, area proportional to premises).")
    fig, ax, top = _figure(title, subtitle)
    lab = Labeller(fig, ax)
    xmin, ymin, xmax, ymax = frame.total_bounds
    _set_extent(ax, xmin, ymin, xmax, ymax)
    handles: list = []
    if kind == "tiers":
        colours = tier_colours(k)
        _fill(ax, frame.geometry, [colours.get(int(t), colours[0]) for t in frame["tier"]])
        handles += _tier_handles(colours, k, {int(t) for t in frame["tier"]})
    else:
        bounds, labels, colours = gap_classes(frame["no_gigabit_share"])
        _draw_gap(ax, frame, bounds, colours)
        per = _circle_scale(frame, ax)
        _draw_circles(ax, frame, per)  # city names may sit over circles (halos keep them readable)
        handles += [Patch(facecolor=c, edgecolor="#555555", lw=0.4, label=lb) for c, lb in zip(colours, labels)]
        handles += _circle_handles(float(frame["no_gigabit_num"].max()), per)
    if _draw_counties(ax, ctx):
        handles.append(Line2D([], [], color=COUNTY_EDGE, lw=0.9, label="County boundary"))
    _scale_bar(ax, lab)
    shown = _label_places(ax, lab, _places_within(ctx, ax), most=14, size=6.2)
    if shown:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=2.2, color=PLACE_COLOUR,
                              label="Town or city"))
    _north_arrow(fig, PANEL_X + 0.2, top - 0.06)
    _legend(fig, handles, "Priority tier" if kind == "tiers" else "Without gigabit", top)
    lines = [release_line + (TIER_NOTE if kind == "tiers" else ""), *attributions]
    if shown and ctx.places_credit:
        lines.append(ctx.places_credit)
    _footer(fig, lines)
    return fig, lab


def area_figure(level, cfg, ctx: MapContext, code: str, *, kind: str, release_line: str, attributions: list[str],
                noun: str):
    """One area outlined and labelled with its neighbours; the rest faded. Returns (figure, labeller)."""
    frame = _base(level)
    target = frame[frame["code"] == code]
    if len(target) != 1:
        raise KeyError(code)
    shape = target.geometry.iloc[0]
    row = target.iloc[0]
    near = frame[frame.geometry.intersects(shape.buffer(250))]
    others = frame[~frame["code"].isin(near["code"])]
    k = cfg.score.tiers.k
    name = str(row["name"])
    if kind == "tiers":
        tier = int(row["tier"])
        label = f"tier {tier} of {k}" if tier > 0 else INSUFFICIENT.lower()
        title = f"{name} ({noun}): investment priority"
        subtitle = (f"{level.title}. {name} ({code}) is in {label} (tier 1 = highest priority); neighbouring areas "
                    "in full colour, other Midlands areas faded.")
    else:
        share, num = row.get("no_gigabit_share"), row.get("no_gigabit_num")
        title = f"{name} ({noun}): premises without gigabit"
        subtitle = (f"{level.title}. In {name}, {count(num)} premises ({percent(share)}) cannot get gigabit-capable "
                    "broadband. Shading: share of premises; circles: number of premises.")
    fig, ax, top = _figure(title, subtitle)
    lab = Labeller(fig, ax)
    xmin, ymin, xmax, ymax = near.total_bounds
    _set_extent(ax, xmin, ymin, xmax, ymax, pad_frac=0.03, within=frame.total_bounds)
    handles: list = []
    if kind == "tiers":
        colours = tier_colours(k)
        for part_frame, alpha, edge, lw in ((others, FADED, "#ffffff", 0.4), (near, 1.0, "#666666", 0.6)):
            _fill(ax, part_frame.geometry, [colours.get(int(t), colours[0]) for t in part_frame["tier"]], edge=edge,
                  lw=lw, alpha=alpha)
        handles += _tier_handles(colours, k, {int(t) for t in near["tier"]} | {int(t) for t in others["tier"]})
    else:
        bounds, labels, colours = gap_classes(frame["no_gigabit_share"])
        _draw_gap(ax, others, bounds, colours, alpha=FADED)
        _draw_gap(ax, near, bounds, colours, edge="#666666", lw=0.6)
        per = _circle_scale(near, ax)
        _draw_circles(ax, near, per, lab)
        handles += [Patch(facecolor=c, edgecolor="#555555", lw=0.4, label=lb) for c, lb in zip(colours, labels)]
        handles += _circle_handles(float(near["no_gigabit_num"].max()), per)
    has_counties = level.key == "la" and _draw_counties(ax, ctx)
    _fill(ax, target.geometry, "none", edge="black", lw=2.0, zorder=5)
    handles.append(Patch(facecolor="none", edgecolor="black", lw=2.0, label=name))
    handles.append(Patch(facecolor="#cccccc", edgecolor="#ffffff", alpha=FADED + 0.2,
                         label="Other Midlands areas (faded, for context)"))
    if has_counties:
        handles.append(Line2D([], [], color=COUNTY_EDGE, lw=0.9, label="County boundary"))
    _scale_bar(ax, lab)
    # labels: the area first, then its neighbours (largest first), then places by population
    p = shape.representative_point()
    lab.add(p.x, p.y, name, size=9.5, weight="bold", offsets=AREA_OFFSETS, zorder=11)
    rest = near[near["code"] != code].assign(_a=lambda d: d.geometry.area).sort_values(["_a", "code"],
                                                                                         ascending=[False, True])
    for _, r in rest.iterrows():
        q = r.geometry.intersection(ax_box(ax)).representative_point() if not r.geometry.within(ax_box(ax)) \
            else r.geometry.representative_point()
        if q.is_empty:
            continue
        lab.add(q.x, q.y, str(r["name"]), size=6.8, offsets=AREA_OFFSETS, colour="#222222", zorder=10)
    shown = _label_places(ax, lab, _places_within(ctx, ax, target.geometry), most=6, size=5.8)
    shown += _label_places(ax, lab, _places_within(ctx, ax, near.geometry), most=8, size=5.8)
    if shown:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=2.2, color=PLACE_COLOUR,
                              label="Town or village"))
    below = _locator(fig, ctx, frame, target, top)
    _north_arrow(fig, PANEL_X + 0.21, below + 0.01)
    _legend(fig, handles, "Priority tier" if kind == "tiers" else "Without gigabit", below - 0.035)
    lines = [release_line + (TIER_NOTE if kind == "tiers" else ""), *attributions]
    if shown and ctx.places_credit:
        lines.append(ctx.places_credit)
    _footer(fig, lines)
    return fig, lab


def ax_box(ax):
    from shapely.geometry import box

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return box(x0, y0, x1, y1)


def midlands_maps(level, cfg, ctx: MapContext, *, release_line: str, attributions: list[str]) -> dict[str, tuple]:
    """{'tiers': (png, pdf), 'gap': (png, pdf)} for the Midlands at one level."""
    ensure_fonts()
    out = {}
    with matplotlib.rc_context(RC):
        for kind in ("tiers", "gap"):
            fig, _ = midlands_figure(level, cfg, ctx, kind=kind, release_line=release_line, attributions=attributions)
            out[kind] = _save(fig)
    return out


def area_maps(level, cfg, ctx: MapContext, code: str, *, release_line: str, attributions: list[str],
              noun: str) -> dict[str, tuple]:
    """{'tiers': (png, pdf), 'gap': (png, pdf)} for one area and its neighbours."""
    ensure_fonts()
    out = {}
    with matplotlib.rc_context(RC):
        for kind in ("tiers", "gap"):
            fig, _ = area_figure(level, cfg, ctx, code, kind=kind, release_line=release_line,
                                 attributions=attributions, noun=noun)
            out[kind] = _save(fig)
    return out
