"""make_map / save_map: rendered HTML, layers, offline self-containment, escaping."""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from mapdata import HOSTILE, country_risk, facilities, hostile_ranked, page_tables, route_legs

from geoprospect.errors import LayerError, OutputError
from geoprospect.maps import escape_text, make_map, save_map
from geoprospect.maps.assets import external_references
from geoprospect.maps.basemap import country_risk_index
from geoprospect.maps.columnar import decode


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
    assert info["layers"]["Routes of the top 2 deposits"] == 4  # alternative 1 left out
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
    deposits = page_tables(m.get_root().render())["deposits"]
    assert m.geoprospect_info["shown"] == len(ranked) - 1 == deposits["n"]
    ids = decode(deposits, "id")
    points = ranked[ranked.geometry.notna() & (ranked.geometry.geom_type == "Point")]
    assert len(points) == 10
    for dep in points.itertuples():
        i = ids.index(escape_text(dep.id))
        assert (deposits["x"][i], deposits["y"][i]) == (round(dep.geometry.x, 5), round(dep.geometry.y, 5))
    polygon = ids.index("dep-poly")
    assert deposits["x"][polygon] is None and deposits["g"][polygon]["type"] == "Polygon"
    assert deposits["g"][polygon]["coordinates"][0][0] == [120.0, -20.0]  # degrees, not metres


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


def test_one_table_per_dataset_shared_by_its_layers(offline_html, ranked):
    m, html = offline_html
    tables = page_tables(html)
    assert sorted(tables) == ["countries", "deposits", "facilities", "routes"]
    assert html.count('GP.table("countries"') == 1  # basemap and risk layer share the outlines
    deposits = tables["deposits"]
    assert deposits["n"] == m.geoprospect_info["shown"]
    # drawn best last within each country layer; layers cover the table once, in order
    calls = re.findall(r'GP\.depositLayer\(\s*map_\w+, "deposits", (\{.*?\})\);', html)
    ranges = [json.loads(r) for r in calls]
    spans = [(r["from"], r["to"]) for r in ranges]
    assert spans[0][0] == 0 and spans[-1][1] == deposits["n"]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    ranks = decode(deposits, "rk")
    for start, stop in spans:
        assert ranks[start:stop] == sorted(ranks[start:stop], reverse=True)
    assert "c" not in deposits["c"] and "r" not in deposits["c"]  # colour, radius: computed by the page
    assert "<div" not in html.split('GP.table("deposits"')[1].split("GP.depositLayer")[0]  # no popup HTML


def test_deposit_payload_round_trips_the_escaped_text(ranked):
    from geoprospect.maps.payload import deposit_payload

    located = ranked[ranked.geometry.notna()].reset_index(drop=True)
    payload = deposit_payload(located)
    names = decode(payload, "nm")
    for i, row in located.iterrows():
        assert names[i] == escape_text(row["name"].strip())
        assert decode(payload, "st")[i] == (escape_text(row["stage"].strip()) if isinstance(row["stage"], str)
                                           else None)
    assert decode(payload, "cc")[0] == "AUS" and payload["cn"]["AUS"] == "Australia"


def test_route_summary_loses_its_first_hop_only_when_it_is_the_deposit():
    import geopandas as gpd

    from geoprospect.maps.payload import deposit_payload

    gdf = gpd.GeoDataFrame({
        "id": ["a", "b", "c", "d"], "name": ["Mt <X>", "B", None, "D"],
        "route_summary": ["Mt <X> → road 10 km → AUFRE; USD 5/t conc., 1.0 d",
                          "Elsewhere → rail 3 km → P", "site → road 1 km → P", "D"],
    }, geometry=[shapely.Point(i, i) for i in range(4)], crs="EPSG:4326")
    routes = decode(deposit_payload(gdf), "ro")
    assert routes == ["road 10 km → AUFRE; USD 5/t conc., 1.0 d", "Elsewhere → rail 3 km → P",
                      "road 1 km → P", "D"]
    assert decode(deposit_payload(gdf), "nm") == ["Mt &lt;X&gt;", "B", None, "D"]
    nowhere = gdf.assign(route_summary=None).head(1)  # e.g. the one row of a deal sheet's minimap
    assert "ro" not in deposit_payload(nowhere)["c"]


def test_sheet_links_only_relative_and_escaped():
    import geopandas as gpd

    from geoprospect.maps.payload import deposit_payload

    hrefs = ["sheets/dep-1.html", "javascript:window.__pwned=1", "../../etc/passwd", "https://x.example/s",
             "sheets/a b&c.html", None, "//evil.example/s.html", "sheets/%2e%2e/x.html"]
    gdf = gpd.GeoDataFrame({"id": [f"d{i}" for i in range(len(hrefs))], "sheet_href": hrefs},
                           geometry=[shapely.Point(i, 0) for i in range(len(hrefs))], crs="EPSG:4326")
    assert decode(deposit_payload(gdf), "sh") == ["sheets/dep-1.html", None, None, None,
                                                    "sheets/a%20b&amp;c.html", None, None, None]
    without = deposit_payload(gdf.drop(columns="sheet_href"))
    assert "sh" not in without["c"]


def test_every_text_cell_of_every_table_is_escaped(offline_html):
    """Whatever form a column takes (plain, dictionary, template), its decoded cells hold no
    character that HTML, a JS literal or branca's Jinja pass would act on."""
    _, html = offline_html
    seen = 0
    for name, table in page_tables(html).items():
        for key in table["c"]:
            for cell in decode(table, key):
                if isinstance(cell, str):
                    seen += 1
                    assert not any(ch in cell for ch in "<>`$\\\"'{}"), (name, key, cell)
    assert seen > 200
    deposits = page_tables(html)["deposits"]
    assert escape_text(HOSTILE[0]) in decode(deposits, "nm")


def test_india_view_draws_kashmir_within_india_and_says_so(ranked):
    from geoprospect.io.countries import display_boundaries
    from geoprospect.maps.basemap import simplified_outlines

    gilgit, aksai_chin = shapely.Point(74.31, 35.92), shapely.Point(79.5, 35.2)
    lahore = shapely.Point(74.35, 31.55)
    for view, expect in (("de-facto", ("PAK", "CHN")), ("india", ("IND", "IND"))):
        world = display_boundaries(view)
        holder = [world.loc[world.contains(p), "iso3"].tolist() for p in (gilgit, aksai_chin, lahore)]
        assert holder == [[expect[0]], [expect[1]], ["PAK"]], view
        assert set(simplified_outlines(view=view)["iso3"]) == set(world["iso3"])
    india = make_map(ranked, offline=True, boundaries="india")
    html = india.get_root().render()
    assert "Boundaries are indicative (India" in html and "with Jammu and Kashmir" in html
    assert india.geoprospect_info["boundaries"] == "india"
    assert "(India" not in make_map(ranked, offline=True).get_root().render().split("Boundaries are")[1][:40]
    with pytest.raises(LayerError, match="unknown boundary view 'pov'"):
        make_map(ranked, boundaries="pov")


def test_popups_carry_the_allocation_and_plant_use():
    from geoprospect.maps.payload import deposit_payload, facility_payload

    gdf = gpd.GeoDataFrame({
        "id": ["a", "b"], "assigned_plant_id": ["p1", None], "assigned_share": [0.6, None],
        "unplaced_tpa": [0.0, 1200.0], "allocation_note": ["", "1,200 t/yr unplaced: no <open> plant"],
        "product": ["concentrate", "mixed_chemical"], "uncommitted_ndpr_tpa": [300.0, 0.0],
    }, geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs="EPSG:4326")
    payload = deposit_payload(gdf, pd.Series({"p1": "Plant <One>"}))
    assert decode(payload, "ap") == ["Plant &lt;One&gt;", None]
    assert decode(payload, "as") == [0.6, None] and decode(payload, "un") == [0, 1200]
    assert decode(payload, "an")[1] == "1,200 t/yr unplaced: no &lt;open&gt; plant"
    assert decode(deposit_payload(gdf), "ap")[0] == "p1"  # no facility names: the id
    fac = gpd.GeoDataFrame({"id": ["p1", "p2"], "name": ["One", "Two"], "stages": ["cracking", "magnet"]},
                           geometry=[shapely.Point(5, 5), shapely.Point(6, 6)], crs="EPSG:4326")
    use = pd.DataFrame({"plant_id": ["p1"], "allocated_tpa": [720.0], "own_feed_tpa": [0.0],
                        "contracted_tpa": [100.0], "spare_tpa": [900.0], "utilisation": [0.41]})
    plants = facility_payload(fac, use)
    assert decode(plants, "al") == [720, None] and decode(plants, "ut") == [0.41, None]
    assert "ut" not in facility_payload(fac)["c"]
