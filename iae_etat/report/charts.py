"""Charts as inline SVG (matplotlib): one palette, French numbers, readable in black and white."""

from __future__ import annotations

import io
import re
from functools import cache

from iae_etat.tables.formats import nombre

PALETTE = ("#000091", "#6a6af4", "#c9191e", "#fc5d00", "#18753c")
HATCHES = ("", "//", "..", "xx", "\\\\")
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


@cache
def _setup():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "iae-etat", "svg.fonttype": "none",
                         "font.family": "DejaVu Sans", "font.size": 10,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def bar_figure(labels: list[str], values: list[float], unit: str):
    """The figure of ``bar_chart``: each value written just past the end of its bar, inside
    the frame (the axis runs a fifth beyond the longest bar)."""
    plt = _setup()
    height = 0.45 * len(labels) + 1.2
    fig, ax = plt.subplots(figsize=(7, height))
    # Fixed margins in inches: as readable as tight_layout for these short labels, 3× faster.
    fig.subplots_adjust(left=0.9 / 7, right=1 - 0.8 / 7, bottom=0.6 / height,
                        top=1 - 0.2 / height)
    positions = list(range(len(labels)))[::-1]
    bars = ax.barh(positions, values, color=[PALETTE[i % len(PALETTE)] for i in positions],
                   edgecolor="black", linewidth=0.6)
    for bar, hatch in zip(bars, HATCHES * (len(bars) // len(HATCHES) + 1), strict=False):
        bar.set_hatch(hatch)
    ax.set_yticks(positions, labels)
    ax.set_xlabel(unit)
    ax.xaxis.set_major_formatter(lambda x, _pos: nombre(x))
    largest = max(values, default=0)
    if largest > 0:
        ax.set_xlim(0, largest * 1.2)
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(nombre(value, 1), (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    return fig


def bar_chart(labels: list[str], values: list[float], unit: str) -> str:
    """A horizontal bar chart as an SVG string (no XML prolog), values written on the bars.

    The title stays in the page (figure caption), where it wraps and is read by screen readers.
    """
    plt = _setup()
    fig = bar_figure(labels, values, unit)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "iae-etat"})
    plt.close(fig)
    svg = buffer.getvalue()
    return _METADATA.sub("", svg[svg.index("<svg"):])
