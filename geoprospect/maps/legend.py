"""The legend and title panels, as small HTML/SVG built from the branca colormaps.

Plain HTML/SVG (no d3) so that the same legend works online and in offline files. Every text
that could come from a caller (title, labels, counts) is escaped here.
"""

from __future__ import annotations

import pandas as pd

from geoprospect.maps import style
from geoprospect.maps.safe import escape_text


def _gradient(colormap, gid: str, left: str, right: str) -> str:
    stops = "".join(f'<stop offset="{o:.2f}" stop-color="{c}"/>' for o, c in style.gradient_stops(colormap))
    return (
        f'<svg width="180" height="24" role="img"><defs><linearGradient id="{gid}">{stops}'
        f'</linearGradient></defs><rect x="0" y="0" width="180" height="10" fill="url(#{gid})" '
        f'stroke="#999"/><text x="0" y="22" font-size="10">{left}</text>'
        f'<text x="180" y="22" font-size="10" text-anchor="end">{right}</text></svg>'
    )


def legend_html(*, facility_stages=(), route_modes=(), risk_label: str | None = None) -> str:
    """Return the legend panel's HTML.

    Parameters
    ----------
    facility_stages : iterable of str
        Chain-stage keys (from :data:`style.STAGE_COLOURS`) present on the map.
    route_modes : iterable of str
        Transport-mode keys (from :data:`style.MODE_STYLES`) present on the map.
    risk_label : str, optional
        Caption of the country-risk choropleth, when drawn.
    """
    parts = ['<div class="gp-h">Deposit score (0–100)</div>',
             _gradient(style.score_colormap(), "gp-score-grad", "0 low", "100 high"),
             f'<div><span class="gp-key" style="background:{style.MISSING_COLOUR}"></span>no score</div>',
             '<div class="gp-h">Contained NdPr (t)</div><svg width="180" height="34" role="img">']
    x = 10
    for tonnes in (1_000, 100_000, 1_000_000):  # label below each circle
        r = float(style.radius(pd.Series([tonnes]))[0])
        parts.append(f'<circle cx="{x + r:.0f}" cy="14" r="{r:.1f}" fill="#bbb" stroke="#222"/>'
                     f'<text x="{x + r:.0f}" y="33" font-size="9" text-anchor="middle">{tonnes:,}</text>')
        x += 2 * r + 34
    parts.append("</svg>")
    stages = [s for s in (*style.CHAIN_STAGES, "other") if s in set(facility_stages)]
    if stages:
        parts.append('<div class="gp-h">Facilities (most downstream stage)</div>')
        parts += [f'<div><span class="gp-key gp-fac-key" style="background:{style.STAGE_COLOURS[s]}">'
                  f"</span>{s}</div>" for s in stages]
    modes = [m for m in style.MODE_STYLES if m in set(route_modes)]
    if modes:
        parts.append('<div class="gp-h">Route legs</div>')
        for m in modes:
            s = style.MODE_STYLES[m]
            dash = f' stroke-dasharray="{s["dashArray"]}"' if s["dashArray"] else ""
            parts.append(f'<div><svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" '
                         f'stroke="{s["color"]}" stroke-width="{s["weight"]}"{dash}/></svg> {m}</div>')
    if risk_label:
        parts.append(f'<div class="gp-h">{escape_text(risk_label)}</div>')
        parts.append(_gradient(style.risk_colormap(), "gp-risk-grad", "0 lower risk", "100 higher"))
    return "".join(parts)


def title_html(title: str, data_date: str | None, shown: int, skipped: int) -> str:
    """Return the title panel's HTML: title, data date, and how many deposits are shown."""
    note = f"{shown:,} deposits"
    if skipped:
        note += f" · {skipped:,} without location not shown"
    date = f"data as of {escape_text(data_date)} · " if data_date else ""
    return (f'<div class="gp-t"><b>{escape_text(title)}</b></div>'
            f'<div class="gp-date">{date}{note}</div>')
