"""The sheet's charts as inline SVG (matplotlib): value waterfall, NPV band, tornado.

Figures are drawn on a :class:`matplotlib.figure.Figure` with the SVG canvas (no pyplot state,
no GUI backend). Text is written as SVG ``<text>`` in a generic sans-serif family
(``svg.fonttype = none``), so the page never fetches a font; the XML prolog, DOCTYPE and
metadata (which holds the creation date) are dropped, so the same numbers give the same bytes.
Labels are fixed words and numbers formatted here: no layer text enters a chart.
"""

from __future__ import annotations

import io
import re

import numpy as np

RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 6.5,
    "axes.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.major.width": 0.5,
    "ytick.major.width": 0.5,
    "xtick.major.size": 2,
    "ytick.major.size": 2,
    "axes.titlesize": 7,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
}
UP, DOWN, TOTAL, REF = "#1a9641", "#d7191c", "#2b8cbe", "#9e9e9e"
LOW, HIGH = "#fdae61", "#2b8cbe"


def _svg(fig, salt: str) -> str:
    """The figure as an ``<svg>`` element (ids salted per chart so inline charts do not share ids)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({**RC, "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def _figure(width_in: float, height_in: float, margins: tuple[float, float, float, float]):
    """A figure with fixed margins (left, bottom, right, top) in inches (no layout engine: the
    sheet's charts have known labels, and a layout pass costs more than the drawing)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    left, bottom, right, top = margins
    fig.subplots_adjust(left=left / width_in, bottom=bottom / height_in, right=1 - right / width_in,
                        top=1 - top / height_in)
    return fig


def _musd(v: float) -> str:
    return "—" if not np.isfinite(v) else f"{v:+,.0f}".replace("-", "−")


def waterfall_svg(reference: float, steps: list[tuple[str, float]], total: float, *,
                  width_in: float = 3.6, height_in: float = 1.75) -> str:
    """Waterfall from the reference project's NPV through the pillar steps to the deposit's NPV.

    Parameters
    ----------
    reference : float
        NPV of the reference project (USD million).
    steps : list of (str, float)
        Pillar name and its USD million (they add up to ``total - reference``).
    total : float
        The deposit's median-input NPV.
    width_in, height_in : float
        Figure size in inches.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(width_in, height_in, (0.45, 0.2, 0.05, 0.22))
        ax = fig.add_subplot()
        labels = ["Reference", *(name.capitalize() for name, _ in steps), "Deposit NPV"]
        x = np.arange(len(labels))
        bars = [(reference, 0.0, REF, f"{reference:,.0f}")]
        level = reference
        for _, v in steps:
            bars.append((v, level, UP if v >= 0 else DOWN, _musd(v)))
            level += v
        bars.append((total, 0.0, TOTAL, f"{total:,.0f}"))
        for xi, (height, bottom, colour, text) in zip(x, bars, strict=True):
            ax.bar(xi, height, bottom=bottom, color=colour, width=0.6)
            ax.annotate(text.replace("-", "−"), (xi, max(bottom, bottom + height)), xytext=(0, 1.5),
                        textcoords="offset points", ha="center", va="bottom", fontsize=6)
            if xi:
                joint = bottom if xi < len(x) - 1 else level
                ax.plot([xi - 0.7, xi - 0.3], [joint, joint], color="#555", lw=0.4)
        ax.axhline(0, color="#333", lw=0.5)
        ax.set_xticks(x, labels)
        ax.set_ylabel("NPV, USD M")
        ax.use_sticky_edges = False  # a bar that ends at the top would cancel the margin
        ax.margins(y=0.22)
        ax.set_title("Value waterfall: reference project → deposit (USD M)")
        return _svg(fig, "waterfall")


def band_svg(p10: float, p50: float, p90: float, npv: float, p_positive: float, *,
             width_in: float = 3.6, height_in: float = 0.85) -> str:
    """The NPV band: P10–P90 bar, P50 and the median-input NPV as markers, zero line.

    Parameters
    ----------
    p10, p50, p90 : float
        The band (USD million; NaN when the row was valued without draws).
    npv : float
        The median-input NPV (the diamond).
    p_positive : float
        P(NPV > 0), a fraction.
    width_in, height_in : float
        Figure size in inches.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(width_in, height_in, (0.1, 0.3, 0.1, 0.18))
        ax = fig.add_subplot()
        if np.isfinite(p10) and np.isfinite(p90):
            ax.barh(0, p90 - p10, left=p10, height=0.5, color="#c6dbef", edgecolor=TOTAL, lw=0.6)
            ax.annotate("P10", (p10, 0.3), ha="left", va="bottom", fontsize=5.5)
            ax.annotate("P90", (p90, 0.3), ha="right", va="bottom", fontsize=5.5)
        if np.isfinite(p50):
            ax.plot([p50, p50], [-0.25, 0.25], color="#08519c", lw=1.6)
            ax.annotate("P50", (p50, -0.3), ha="center", va="top", fontsize=5.5)
        if np.isfinite(npv):
            ax.plot(npv, 0, marker="D", color="#333", ms=3.5)
        ax.axvline(0, color=DOWN, lw=0.6, ls="--")
        ax.set_yticks([])
        ax.set_ylim(-0.9, 0.9)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel("NPV, USD M (◆ median inputs)")
        shown = "—" if not np.isfinite(p_positive) else f"{100 * p_positive:.0f} %"
        band = " · ".join(f"{name} {v:,.0f}" for name, v in (("P10", p10), ("P50", p50), ("P90", p90))
                          if np.isfinite(v))
        ax.set_title(f"NPV band {band} · P(NPV > 0) {shown}".replace("-", "−"))
        ax.margins(x=0.05)
        return _svg(fig, "band")


def tornado_svg(table, base: float, *, width_in: float = 3.6, height_in: float = 1.9) -> str:
    """Tornado of the median-input NPV: one bar per shock, low and high case.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`geoprospect.sheets.sensitivity.tornado` (largest swing first); the low case
        is drawn orange, the high case blue.
    base : float
        The row's median-input NPV.
    width_in, height_in : float
        Figure size in inches.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(width_in, height_in, (0.95, 0.34, 0.05, 0.2))
        ax = fig.add_subplot()
        n = len(table)
        y = np.arange(n)[::-1]
        for yi, rec in zip(y, table.itertuples(index=False), strict=True):
            for v, colour in ((rec.npv_low, LOW), (rec.npv_high, HIGH)):
                ax.barh(yi, v - base, left=base, height=0.6, color=colour)
                ax.annotate(f"{v:,.0f}".replace("-", "−"), (v, yi), xytext=(2 if v >= base else -2, 0),
                            textcoords="offset points", ha="left" if v >= base else "right", va="center",
                            fontsize=5.5)
        ax.axvline(base, color="#333", lw=0.6)
        names = [f"{r.label}\n{r.low_label} / {r.high_label}" for r in table.itertuples(index=False)]
        ax.set_yticks(y, names, fontsize=6)
        ax.margins(x=0.22)
        ax.set_xlabel("NPV, USD M (orange: low case, blue: high case)")
        ax.set_title(f"Sensitivity of the NPV (base {base:,.0f})".replace("-", "−"))
        return _svg(fig, "tornado")
