"""Locator maps of the fiches territoriales: the département, one territory in dark blue."""

from __future__ import annotations

import math
from pathlib import Path

from iae_etat.report.charts import _METADATA, _setup
from iae_etat.report.maps import (
    _NUMBER,
    _PATH_DATA,
    LEVEL_COLUMNS,
    Rings,
    borders,
    geo_files,
    load_outlines,
)


def insets(project_dir: Path, millesime: int, territoires, codes: list[str],
           level: str = "epci") -> dict[str, str]:
    """Territory code → locator map, for the fiches; empty without outlines."""
    files = geo_files(project_dir, millesime)
    column = LEVEL_COLUMNS[level]
    if not files or not codes or column not in territoires:
        return {}
    group_of = dict(zip(territoires["code_commune"].astype(str),
                        territoires[column].astype(str), strict=True))
    outlines = {c: r for c, r in load_outlines(files).items() if c in group_of}
    if not outlines:
        return {}
    present = {group_of[c] for c in outlines}
    return _draw(outlines, group_of, [code for code in codes if code in present])


def _draw(outlines: dict[str, Rings], group_of: dict[str, str],
          codes: list[str]) -> dict[str, str]:
    """One locator map per code: the département drawn once (communes light, territory
    borders), each territory's communes added in dark blue, saved, then taken off again."""
    import io

    from matplotlib.collections import LineCollection, PolyCollection

    plt = _setup()
    lines = [_thin(line) for line in borders(outlines, group_of)]
    outlines = {code: [_thin(ring) for ring in rings] for code, rings in outlines.items()}
    xs = [x for rings in outlines.values() for ring in rings for x, _ in ring]
    ys = [y for rings in outlines.values() for ring in rings for _, y in ring]
    fig, ax = plt.subplots(figsize=(2.2, 2.2))
    everything = [r for _, rings in sorted(outlines.items()) for r in rings]
    ax.add_collection(PolyCollection(everything, facecolors="#e8e8e8", edgecolors="#e8e8e8",
                                     linewidths=0.8))  # covers the slivers of thinning
    ax.add_collection(LineCollection(lines, colors="#555555",
                                     linewidths=0.4, zorder=3))
    ax.set_xlim(min(xs), max(xs))
    ax.set_ylim(min(ys), max(ys))
    ax.set_aspect(1 / math.cos(math.radians((min(ys) + max(ys)) / 2)))
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)
    out = {}
    for code in codes:
        inside = [r for c, rings in sorted(outlines.items()) if group_of.get(c) == code
                  for r in rings]
        layer = ax.add_collection(PolyCollection(inside, facecolors="#000091",
                                                 edgecolors="#000091", linewidths=0.8,
                                                 zorder=2))
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "iae-etat"})
        layer.remove()
        svg = buffer.getvalue()
        svg = _METADATA.sub("", svg[svg.index("<svg"):])
        out[code] = _PATH_DATA.sub(
            lambda m: ' d="' + _NUMBER.sub(lambda n: n.group(1), m.group(1)) + '"', svg)
    plt.close(fig)
    return out


def _thin(points: list, step: int = 4) -> list:
    """Every ``step``-th point, ends kept: a 5 cm map needs no more detail."""
    return points if len(points) <= 2 * step else [*points[:-1:step], points[-1]]
