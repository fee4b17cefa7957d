"""Ranked rows for the deal-sheet tests: the bundled deposits plus one with hostile text, ranked
once per process, and a reader of the numbers a sheet carries in its data attributes."""

from __future__ import annotations

import re
from functools import cache
from html import unescape

from mapdata import HOSTILE

HOSTILE_NAME = "<img src=x onerror=alert(1)>${x}{{7*7}}"
HOSTILE_ID = "hostile-<b>1</b>"
DRAWS = 40


@cache
def ranked_with_valuation():
    """(ranked, valuation): the bundled deposits plus a copy of Kangankunde whose every text field
    is hostile, ranked with :data:`DRAWS` draws."""
    import geopandas as gpd
    import pandas as pd

    from geoprospect.io.bundled import layer_path
    from geoprospect.io.validate import load_layer
    from geoprospect.pipeline import Valuation, rank

    gdf, _ = load_layer(layer_path("deposits.geojson"))
    twin = gdf[gdf["id"] == "mwi-kangankunde"].copy()
    twin["id"] = HOSTILE_ID
    twin["name"] = HOSTILE_NAME
    for i, col in enumerate(("owner", "equity_split", "offtake_summary", "partner_sought",
                             "government_finance", "legal_status", "source", "notes")):
        twin[col] = HOSTILE[i % len(HOSTILE)]
    twin["source_url"] = "javascript:window.__pwned=9"
    layer = gpd.GeoDataFrame(pd.concat([gdf, twin], ignore_index=True), crs="EPSG:4326")
    valuation = Valuation.load(draws=DRAWS)
    return rank(layer, valuation=valuation, routes=0), valuation


def sheet_numbers(html: str) -> dict[str, float | None]:
    """``data-field`` -> the exact number of ``data-value`` (None where the sheet shows '—')."""
    out = {}
    for field, value in re.findall(r'data-field="([^"]+)" data-value="([^"]*)"', html):
        out[unescape(field)] = float(value) if value else None
    return out
