"""Layers for the map tests: hostile text in every field, hand-made route legs, facilities."""

from __future__ import annotations

HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=2</script>",
    "${window.__pwned=3}",
    "back`tick` `${window.__pwned=4}`",
    "back\\slash \\u0041 \\x3c trailing\\",
    "quotes \"double\" 'single' <b>bold</b>",
    "稀土 Мьянма ရွှေ مَعدن 𝔑",
    "</script><script>window.__pwned=5</script>",
    "{{ 7*7 }} {% if %} &amp; &lt;b&gt; ;",
    "a\u2028b\u2029c\nnewline",
]
"""Text that would run script or break a folium map if it were not escaped."""

COUNTRIES = ["AUS", "IND", "MWI", "ARG", "MMR"]
CENTRES = {"AUS": (134.0, -25.0), "IND": (78.0, 21.0), "MWI": (34.0, -13.5), "ARG": (-65.0, -32.0),
           "MMR": (96.0, 21.0)}


def hostile_ranked(with_polygon: bool = True, with_missing: bool = True):
    """A ranked deposit layer whose text fields hold :data:`HOSTILE` values.

    One deposit per hostile string, spread out so each can be clicked; plus one polygon deposit
    and one row without geometry (to be skipped and counted).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    n = len(HOSTILE)
    rows = []
    for i, text in enumerate(HOSTILE):
        iso = COUNTRIES[i % len(COUNTRIES)]
        x, y = CENTRES[iso]
        rows.append({
            "id": f"dep-{i}" if i != 2 else "dep-<b>2</b>",
            "name": text, "country": iso, "admin1": text,
            "deposit_type": ["carbonatite", "ionic_clay"][i % 2],
            "minerals": "monazite;" + text, "stage": text, "resource_mt": 10.0 + i, "treo_pct": 1.5,
            "ndpr_pct": 20.0, "contained_ndpr_t": 1000.0 * (i + 1), "score": 90.0 - 5 * i,
            "grade_score": 70.0, "logistics_score": 50.0, "risk_score": 30.0, "rank": i + 1,
            "score_p10": 80.0 - 5 * i, "score_p90": 95.0 - 5 * i, "p_top10": 0.5,
            "flags": "producing;" + text, "route_summary": text, "source": text,
            "source_url": "javascript:window.__pwned=9" if i % 2 else "https://example.org/a?b=1&c=2",
            "sheet_href": ["javascript:window.__pwned=8", "//evil.example/x.html",
                           "../outside.html"][i % 3] if i % 2 else f"sheets/dep-{i} <{i}>.html",
            "location_confidence": "high",
            "geometry": shapely.Point(x + 3.0 * (i // len(COUNTRIES)) - 1.5, y + 2.0 * (i % 2)),
        })
    if with_polygon:
        rows.append({"id": "dep-poly", "name": "Polygon deposit", "country": "AUS",
                     "deposit_type": "carbonatite", "score": 40.0, "rank": n + 1,
                     "geometry": shapely.box(120.0, -20.0, 122.0, -18.0)})
    if with_missing:
        rows.append({"id": "dep-nowhere", "name": "No location", "country": "IND", "score": 10.0,
                     "rank": n + 2, "geometry": None})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    gdf["resource_mt"] = gdf["resource_mt"].astype(float)
    assert np.isfinite(gdf["score"]).all()
    return gdf


def route_legs(ranked):
    """Hand-made best (alternative 0) and second (alternative 1) routes of the first deposits."""
    import geopandas as gpd
    import shapely

    rows = []
    for _, dep in ranked[ranked.geometry.notna()].head(3).iterrows():
        x, y = dep.geometry.centroid.x, dep.geometry.centroid.y
        for alt in (0, 1):
            rows.append({"deposit_id": dep["id"], "alternative": alt, "leg": 1, "mode": "road",
                         "from_id": dep["id"], "to_id": "<port>", "km": 300.0, "days": 2.0,
                         "cost_usd_t": 25.0,
                         "geometry": shapely.LineString([(x, y), (x + 2, y + 1 + alt)])})
            rows.append({"deposit_id": dep["id"], "alternative": alt, "leg": 2, "mode": "sea",
                         "from_id": "<port>", "to_id": "JPTYO `${x}`", "km": 7000.0, "days": 16.0,
                         "cost_usd_t": 60.0,
                         "geometry": shapely.LineString([(x + 2, y + 1 + alt), (139.8, 35.6)])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def facilities():
    """Three facilities: a cracker, a separation plant that also cracks, a magnet maker."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame({
        "id": ["f1", "f2", "f3"],
        "name": ["Cracker <img src=x onerror=window.__pwned=6>", "Separator ${1}", "Magnets `x`"],
        "country": ["AUS", "MYS", "JPN"], "stages": ["cracking", "cracking;separation", "magnet"],
        "status": ["operating"] * 3, "operator": ["op \\ 1", "op 2", "op 3"],
        "product_capacity_tpa": [1000.0, None, 500.0], "product": ["NdPr oxide", None, "NdFeB magnets"],
        "source": ["s1", "s2", "s3"],
    }, geometry=shapely.points([(121.5, -30.7), (103.4, 4.0), (136.9, 35.1)]), crs="EPSG:4326")


def country_risk():
    """A small long-format risk table in the bundled layout."""
    import pandas as pd

    rows = []
    for iso, pct in (("AUS", 90.0), ("MMR", 5.0), ("MWI", 40.0)):
        for ind in ("va", "pv", "ge", "rq", "rl", "cc"):
            rows.append({"iso3": iso, "admin1": "", "indicator": f"wgi_{ind}_pct", "value": pct,
                         "year": 2023})
    rows.append({"iso3": "AUS", "admin1": "", "indicator": "wgi_va_pct", "value": 0.0, "year": 2019})
    return pd.DataFrame(rows)


def page_tables(html: str) -> dict:
    """The columnar payloads of a rendered map page, by table name (``GP.table(name, {...})``)."""
    import json
    import re

    decoder = json.JSONDecoder()
    tables = {}
    for match in re.finditer(r'GP\.table\("(\w+)", ', html):
        tables[match.group(1)], _ = decoder.raw_decode(html, match.end())
    return tables
