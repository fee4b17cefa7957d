"""make_map / save_map: rendered HTML, layers, offline self-containment, escaping."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from mapdata import HOSTILE, country_risk, facilities, hostile_ranked, route_legs

from geoprospect.errors import LayerError, OutputError
from geoprospect.maps import make_map, save_map
from geoprospect.maps.assets import external_references
from geoprospect.maps.basemap import country_risk_index


@pytest.fixture(scope="module")
def ranked():
    return hostile_ranked()


@pytest.fixture(scope="module")
def offline_html(ranked):
    m = make_map(ranked, facilities=facilities(), route_legs=route_legs(ranked),
                 country_risk=country_risk(), offline=True, data_date="2026-01-02", top_routes=2)
    return m, m.get_root().render()


def test_offline_page_is_self_contained(offline_html):
    _, html = offline_html
    assert external_references(html) == []
    assert "cdn.jsdelivr" not in html and "tile.openstreetmap" not in html
    assert "L.control.scale().addTo(map_" in html
    assert "window.L=" in html  # Leaflet inlined


def test_no_hostile_text_reaches_the_page_raw(offline_html):
    _, html = offline_html
    for text in HOSTILE:
        if any(ch in text for ch in "<>`$\\\"'"):
            assert text not in html
    assert "<img src=x" not in html
    assert "<script>window.__pwned" not in html
    assert "javascript:window" not in html  # unsafe source_url dropped
    # branca re-parses rendered scripts as Jinja: braces must arrive escaped, not evaluated
    assert "\\u0026#123;\\u0026#123; 7*7 \\u0026#125;\\u0026#125;" in html


def test_counts_layers_and_skipped_rows(offline_html, ranked):
    m, html = offline_html
    info = m.geoprospect_info
    assert info["shown"] == len(ranked) - 1 and info["skipped"] == 1
    deposit_layers = {k: v for k, v in info["layers"].items() if k.startswith("Deposits")}
    assert sum(deposit_layers.values()) == info["shown"]  # each deposit in exactly one layer
    assert "Deposits — Australia (3)" in deposit_layers
    assert any(k.startswith("Facilities — cracking") for k in info["layers"])
    assert info["layers"]["Facilities — separation (1)"] == 1  # drawn once, at its top stage
    assert info["layers"]["Best routes of the top 2 deposits"] == 4  # alternative 1 left out
    assert info["layers"]["Country risk (3 countries)"] >= 3  # outline parts
    assert "1 without location not shown" in html
    assert "2026-01-02" in html


def test_online_map_keeps_tiles_cdn_and_minimap(ranked):
    html = make_map(ranked, offline=False).get_root().render()
    assert "tile.openstreetmap.org" in html
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3" in html
    assert "new L.Control.MiniMap(" in html


def test_missing_columns_and_empty_layer():
    g = gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.Point(10, 10)], crs="EPSG:4326")
    m = make_map(g, offline=True)
    assert m.geoprospect_info["shown"] == 1
    empty = gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    assert make_map(empty, offline=True).geoprospect_info["shown"] == 0


def test_projected_input_is_reprojected(ranked):
    m = make_map(ranked.to_crs("EPSG:3857"), offline=True)
    html = m.get_root().render()
    assert m.geoprospect_info["shown"] == len(ranked) - 1
    page = html.replace(" ", "")
    # each point deposit arrives in the payload at its lon/lat, geometry first: [[lon,lat],"id"
    plain = ranked[ranked.geometry.notna() & (ranked.geometry.geom_type == "Point")
                   & ranked["id"].str.fullmatch(r"[\w-]+")]
    assert len(plain) >= 5
    for dep in plain.itertuples():
        point = json.dumps([[round(dep.geometry.x, 5), round(dep.geometry.y, 5)], dep.id]).replace(" ", "")
        assert point[:-1] in page, point  # e.g. [[132.5,-25.0],"dep-0"
    assert not re.search(r"\[\[-?\d{6,}\.\d*,", page)  # no metre coordinates left as a point


def test_not_a_geodataframe():
    with pytest.raises(LayerError):
        make_map(pd.DataFrame({"a": [1]}))


def test_save_map_atomic_and_overwrite(tmp_path, offline_html):
    m, _ = offline_html
    target = tmp_path / "m.html"
    save_map(m, target, offline=True)
    assert target.stat().st_size > 100_000
    with pytest.raises(OutputError, match="exists"):
        save_map(m, target, offline=True)
    save_map(m, target, offline=True, overwrite=True)
    with pytest.raises(OutputError, match=r"\.html"):
        save_map(m, tmp_path / "m.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html"]


def test_online_map_cannot_be_saved_offline(tmp_path, ranked):
    with pytest.raises(OutputError, match="online"):
        save_map(make_map(ranked), tmp_path / "x.html", offline=True)
    assert not (tmp_path / "x.html").exists()


def test_country_risk_index_layouts():
    values, label = country_risk_index(country_risk())
    assert values.to_dict() == {"AUS": 10.0, "MMR": 95.0, "MWI": 60.0}  # latest year only
    assert "WGI" in label
    wide, _ = country_risk_index(pd.DataFrame({"iso3": ["ind"], "risk": [140]}))
    assert wide.to_dict() == {"IND": 100.0}
    with pytest.raises(LayerError):
        country_risk_index(pd.DataFrame({"iso3": ["IND"], "x": [1]}))


def test_bundled_risk_table():
    from geoprospect.io.bundled import layer_path

    values, _ = country_risk_index(layer_path("country_risk.csv"))
    assert {"IND", "AUS", "MWI", "ARG", "MMR"} <= set(values.index)
    assert values.between(0, 100).all()


def test_surface_overlay(tmp_path, ranked):
    import numpy as np
    import rasterio
    from rasterio.transform import from_bounds

    path = tmp_path / "s.tif"
    data = np.arange(100, dtype="float32").reshape(10, 10)
    data[0, 0] = -9999
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_bounds(110, -40, 150, -10, 10, 10),
                       nodata=-9999) as dst:
        dst.write(data, 1)
    html = make_map(ranked, offline=True, surface=path).get_root().render()
    assert "data:image/png;base64," in html and "Surface: s.tif" in html
    assert external_references(html) == []


def test_payload_dictionary_encoding_round_trips():
    from geoprospect.maps.payload import _rows

    n = 200
    text = pd.Series([["a&amp;", "b", None][i % 3] for i in range(n)], dtype=object)
    unique = pd.Series([f"u{i}" for i in range(n)], dtype=object)
    out = _rows([[0.0, 0.0]] * n, {"t": text, "u": unique})
    assert list(out["dicts"]) == ["t"]  # only the repetitive column is encoded
    decoded = [None if r[1] is None else out["dicts"]["t"][r[1]] for r in out["rows"]]
    assert decoded == text.tolist()
    assert [r[2] for r in out["rows"]] == unique.tolist()
