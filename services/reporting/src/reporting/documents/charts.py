"""Pure: the outline's charts as PNG (matplotlib's Agg renderer, no pyplot and no global backend), in the CJK font of
Debian's fonts-wqy-microhei. Same chart, same bytes: a fixed size and dpi, no timestamp or software name in the PNG."""
from __future__ import annotations

import io
import os
from functools import lru_cache
from typing import Any

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_PACKAGE = "fonts-wqy-microhei"
DPI = 150
SIZE_INCHES = (6.4, 3.4)
COLOURS = ("#C00000", "#1F4E79", "#7F7F7F", "#BF9000")


class FontMissing(RuntimeError):
    pass


def font_path() -> str:
    """The CJK font every document is set in; without it Chinese would print as boxes, so there is no fallback."""
    if not os.path.isfile(FONT_PATH):
        raise FontMissing(f"the CJK font {FONT_PATH} is missing: install the Debian package {FONT_PACKAGE} "
                          f"(apt-get install {FONT_PACKAGE}, as `make install` / infra/stack.sh install does as root)")
    return FONT_PATH


@lru_cache(maxsize=1)
def _font():
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path)


def chart_png(chart: dict[str, Any]) -> bytes:
    """One chart of the outline (`kind` bar: `categories`, `series` [{name, values}], `unit`) as PNG bytes. A value of
    None (a rate that is unknown) draws no bar and is labelled "—"."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _font()
    with rc_context({"font.family": font.get_name(), "axes.unicode_minus": False, "svg.hashsalt": "bulletin",
                     "path.simplify": False}):
        fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        categories = chart["categories"]
        series = chart["series"]
        n = max(len(series), 1)
        width = 0.8 / n
        percent = chart.get("unit") == "%"
        top = max([v for s in series for v in s["values"] if v is not None] or [0])
        for i, s in enumerate(series):
            xs = [j + (i - (n - 1) / 2) * width for j in range(len(categories))]
            values = [0 if v is None else v for v in s["values"]]
            bars = ax.bar(xs, values, width * 0.92, label=s["name"], color=COLOURS[i % len(COLOURS)])
            labels = ["—" if v is None else (f"{v:.1f}" if percent else f"{int(v)}") for v in s["values"]]
            ax.bar_label(bars, labels=labels, fontsize=6.5, padding=1.5)
        ax.set_xticks(range(len(categories)), categories, fontsize=8, rotation=30 if len(categories) > 8 else 0,
                      ha="right" if len(categories) > 8 else "center")
        ax.set_ylabel(f"（{chart.get('unit', '')}）" if chart.get("unit") else "", fontsize=8)
        ax.set_ylim(0, max(120.0, top * 1.2) if percent else max(1.0, top * 1.25))  # headroom for the legend
        if percent:
            ax.set_yticks(range(0, 101, 20))
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(chart["title"], fontsize=10)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if len(series) > 1:
            ax.legend(fontsize=7, frameon=False, loc="upper right", ncols=len(series))
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def charts(outline: dict[str, Any]) -> dict[str, bytes]:
    """Every chart of the outline as PNG, by its id."""
    return {c["id"]: chart_png(c) for c in outline["charts"]}
