"""The published map in a real browser (headless Chromium), offline, with hostile text."""

from __future__ import annotations

import json
import re

import pytest
from mapdata import HOSTILE, country_risk, facilities, hostile_ranked, route_legs

from geoprospect.maps import make_map, save_map

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def layer():
    return hostile_ranked()


@pytest.fixture(scope="module")
def offline_file(tmp_path_factory, layer):
    m = make_map(layer, facilities=facilities(), route_legs=route_legs(layer), country_risk=country_risk(),
                 offline=True, top_routes=2, data_date="2026-01-02")
    return save_map(m, tmp_path_factory.mktemp("maps") / "hostile.html", offline=True)


@pytest.fixture
def visit(open_offline, offline_file):
    v = open_offline(offline_file)
    yield v
    page = v.page
    # nothing smuggled in through the layer ever ran, whatever the test did
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert v.dialogs == []
    assert v.errors == []
    assert v.aborted == [] and v.file_requests == []


def _located(layer):
    return layer[layer.geometry.notna()]


def _ids_on_page(page):
    return sorted(page.evaluate("GP.visibleDepositIds(GP.map)"))


def _centre_on(page, predicate_js: str) -> tuple[float, float]:
    """Centre the map (zoom 7) on the first drawn feature matching ``predicate_js(props)`` (the
    decoded row, ``GP.props``); return its page coordinates."""
    return page.evaluate(
        """(src) => {
            const pred = eval(src);
            let hit = null;
            const find = (kind) => GP.map.eachLayer(l => {
                if (!hit && l.feature && l[kind]) {
                    const p = GP.props(l);
                    if (p && pred(p)) { hit = l; }
                }
            });
            find("getLatLng");
            find("getBounds");
            const ll = hit.getLatLng ? hit.getLatLng() : hit.getBounds().getCenter();
            GP.map.closePopup();
            GP.map.setView(ll, 7, {animate: false});
            const p = GP.map.latLngToContainerPoint(ll);
            const r = GP.map.getContainer().getBoundingClientRect();
            return [p.x + r.left, p.y + r.top];
        }""", predicate_js)


def _popup_name(page) -> str:
    popup = page.locator(".leaflet-popup .gp-name")
    popup.wait_for(timeout=5000)
    return popup.text_content()


def _click_deposit(page, dep_id):
    """Zoom to a deposit and click its marker with the mouse; return the popup's name text."""
    pred = f"(p) => p.kind === 'deposits' && GP.decode(p.id) === {json.dumps(dep_id)}"
    x, y = _centre_on(page, pred)
    page.mouse.click(x, y)
    return _popup_name(page)


def test_offline_map_loads_with_no_network_and_no_errors(visit):
    page = visit.page
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".gp-fullscreen").count() == 1
    assert page.locator(".gp-search input").count() == 1
    assert page.locator(".gp-legend svg").count() >= 2
    assert "Boundaries are indicative" in page.locator(".leaflet-control-attribution").text_content()
    assert "2026-01-02" in page.locator(".gp-title").text_content()
    assert "1 without location not shown" in page.locator(".gp-title").text_content()
    assert page.locator(".leaflet-tile").count() == 0  # no tile layer offline


def test_each_deposit_drawn_exactly_once(visit, layer):
    page = visit.page
    expected = sorted(_located(layer)["id"])
    assert _ids_on_page(page) == expected
    assert page.locator("path.gp-deposit").count() == len(expected)


def test_click_opens_popup_with_the_literal_text(visit, layer, offline_file):
    page = visit.page
    for i in range(len(HOSTILE)):
        row = layer.iloc[i]
        assert _click_deposit(page, row["id"]) == row["name"].strip()
        assert page.locator(".leaflet-popup").count() == 1  # one shared popup
        popup = page.locator(".leaflet-popup-content")
        assert popup.locator("img, script").count() == 0
        assert popup.locator("b").filter(has_text="bold").count() == 0
        assert row["route_summary"].strip() in popup.locator(".gp-route").text_content()
        assert row["stage"].strip() in popup.text_content()
        hrefs = popup.locator("a").evaluate_all("els => els.map(e => e.href)")
        assert all(h.startswith(("https://", "file://")) for h in hrefs)
        assert len(hrefs) == (0 if i % 2 else 2)  # javascript:, //host and ../ links were dropped
        assert popup.locator(".gp-bar span").count() == 3
        sheet = popup.locator(".gp-sheet a")
        if i % 2:
            assert sheet.count() == 0
        else:  # a relative link beside the map, percent-encoded, shown as "Deal sheet"
            assert sheet.text_content() == "Deal sheet"
            assert sheet.get_attribute("href") == f"sheets/dep-{i}%20%3C{i}%3E.html"
            assert sheet.evaluate("a => a.href") == offline_file.parent.joinpath(
                f"sheets/dep-{i} <{i}>.html").as_uri()


def test_polygon_deposit_and_tooltip(visit):
    page = visit.page
    assert _click_deposit(page, "dep-poly") == "Polygon deposit"
    page.mouse.move(5, 450)
    x, y = _centre_on(page, "(p) => p.kind === 'deposits' && p.id === 'dep-0'")
    page.mouse.move(x, y)
    tip = page.locator(".leaflet-tooltip").filter(has_text=re.compile(r"^#1 "))
    tip.wait_for(timeout=5000)
    assert tip.text_content() == "#1 " + HOSTILE[0]


def _toggle(page, label_start):
    page.locator(".leaflet-control-layers").hover()  # the list opens on hover when collapsed
    label = page.locator(".leaflet-control-layers-overlays label").filter(has_text=label_start)
    assert label.count() == 1, label_start
    label.locator("input").click()


def _route_legs_on_map(page) -> int:
    return page.evaluate("""() => {
        let n = 0;
        GP.map.eachLayer(l => { if (l.feature && GP.props(l).kind === "routes") n++; });
        return n;
    }""")


def test_layer_toggles(visit, layer):
    page = visit.page
    n = len(_located(layer))
    _toggle(page, "Deposits — Australia")
    assert len(_ids_on_page(page)) == n - 3
    assert page.locator("path.gp-deposit").count() == n - 3
    _toggle(page, "Deposits — Australia")
    assert len(_ids_on_page(page)) == n
    assert _route_legs_on_map(page) == 4
    _toggle(page, "Routes of the top")
    assert _route_legs_on_map(page) == 0
    assert page.locator(".gp-fac").count() == 3
    _toggle(page, "Facilities — magnet")
    assert page.locator(".gp-fac").count() == 2
    assert page.locator("path.gp-risk").count() >= 3
    _toggle(page, "Country risk")
    assert page.locator("path.gp-risk").count() == 0
    assert page.locator("path.gp-land").count() > 100  # the offline basemap stays


def test_deposit_type_filter(visit, layer):
    page = visit.page
    located = _located(layer)
    clays = int((located["deposit_type"] == "ionic_clay").sum())
    box = page.locator(".gp-types label").filter(has_text="ionic_clay")
    box.locator("input").click()
    assert len(_ids_on_page(page)) == len(located) - clays
    box.locator("input").click()
    assert len(_ids_on_page(page)) == len(located)


@pytest.mark.parametrize("query, index", [("稀土", 6), ("${window", 2), ("back`tick", 3)])
def test_search_box_finds_and_opens(visit, query, index):
    page = visit.page
    box = page.locator(".gp-search input")
    box.fill(query)
    box.press("Enter")
    popup = page.locator(".leaflet-popup .gp-name")
    popup.wait_for(timeout=5000)
    assert popup.text_content() == HOSTILE[index].strip()


def test_search_box_no_match(visit):
    page = visit.page
    box = page.locator(".gp-search input")
    box.fill("<img src=x onerror=window.__pwned=7>")
    box.press("Enter")
    assert page.locator(".gp-search .gp-msg").text_content() == "No deposit matches."


@pytest.mark.parametrize("name", ["Cracker <img src=x onerror=window.__pwned=6>", "Separator ${1}",
                                  "Magnets `x`"])
def test_facility_popup_is_literal(visit, name):
    page = visit.page
    x, y = _centre_on(page, f"(p) => p.kind === 'facilities' && GP.decode(p.nm) === {json.dumps(name)}")
    page.mouse.click(x, y)
    assert _popup_name(page) == name
    assert page.locator("img[src='x']").count() == 0


def test_large_layer_on_canvas_with_shared_strings(open_offline, tmp_path):
    """3,500 deposits: canvas renderer, dictionary-encoded repeated text, every id drawn once."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geoprospect.maps.build import CANVAS_THRESHOLD

    n = CANVAS_THRESHOLD + 500
    rng = np.random.default_rng(1)
    names = np.array([f"Site {i} {HOSTILE[i % len(HOSTILE)]}" for i in range(n)], dtype=object)
    gdf = gpd.GeoDataFrame({
        "id": [f"s{i}" for i in range(n)], "name": names, "country": "AUS",
        "source": np.array(HOSTILE, dtype=object)[np.arange(n) % 3],  # repeated: dictionary-encoded
        "deposit_type": "carbonatite", "score": rng.random(n) * 100, "rank": np.arange(1, n + 1),
    }, geometry=shapely.points(115 + rng.random(n) * 30, -35 + rng.random(n) * 20), crs="EPSG:4326")
    path = save_map(make_map(gdf, offline=True), tmp_path / "big.html", offline=True)
    v = open_offline(path)
    page = v.page
    assert len(_ids_on_page(page)) == n
    assert page.locator("path.gp-deposit").count() == 0 and page.locator("canvas").count() >= 1
    assert _click_deposit(page, "s7") == names[7].strip()
    assert HOSTILE[7 % 3] in page.locator(".leaflet-popup .gp-source").text_content()
    assert v.errors == [] and v.aborted == [] and v.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_route_leg_tooltip_is_literal(visit):
    page = visit.page
    xy = page.evaluate(
        """() => {
            let hit = null;
            GP.map.eachLayer(l => { if (!hit && l.feature && GP.props(l).md === "sea") hit = l; });
            const ll = hit.getCenter();
            GP.map.setView(ll, 5, {animate: false});
            const p = GP.map.latLngToContainerPoint(ll);
            const r = GP.map.getContainer().getBoundingClientRect();
            return [p.x + r.left, p.y + r.top];
        }""")
    page.mouse.move(xy[0] - 3, xy[1] - 3)
    page.mouse.move(xy[0], xy[1])
    tip = page.locator(".leaflet-tooltip").filter(has_text="leg 2")
    tip.wait_for(timeout=5000)
    assert "<port> → JPTYO `${x}`" in tip.text_content()
    assert "7,000 km" in tip.text_content()


def test_popups_show_the_assigned_plant_and_plant_use(open_offline, tmp_path, layer):
    import pandas as pd

    allocated = layer.copy()
    allocated["assigned_plant_id"] = ["f1" if i == 0 else None for i in range(len(allocated))]
    allocated["assigned_share"] = [0.75 if i == 0 else None for i in range(len(allocated))]
    allocated["allocation_note"] = ["" if i == 0 else HOSTILE[i % len(HOSTILE)]
                                    for i in range(len(allocated))]
    use = pd.DataFrame({"plant_id": ["f1"], "allocated_tpa": [720.0], "own_feed_tpa": [0.0],
                        "contracted_tpa": [100.0], "spare_tpa": [900.0], "utilisation": [0.82]})
    m = make_map(allocated, facilities=facilities(), offline=True, plant_use=use, boundaries="india")
    v = open_offline(save_map(m, tmp_path / "allocated.html", offline=True))
    page = v.page
    _click_deposit(page, "dep-0")
    popup = page.locator(".leaflet-popup-content")
    assert "Assigned plant" in popup.text_content()
    assert "Cracker <img src=x onerror=window.__pwned=6> (75 %)" in popup.text_content()
    assert popup.locator("img").count() == 0
    _click_deposit(page, "dep-1")
    assert HOSTILE[1] in page.locator(".leaflet-popup-content").text_content()  # the note, literal
    pred = "(p) => p.kind === 'facilities' && GP.decode(p.id) === 'f1'"
    x, y = _centre_on(page, pred)
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")  # faded out
    page.mouse.click(x, y)
    page.locator(".leaflet-popup .gp-name").wait_for(timeout=5000)
    text = page.locator(".leaflet-popup-content").text_content()
    assert "Utilisation82 % after allocation" in text.replace("\n", "")
    assert "Allocated720 t/yr" in text and "Under contract100 t/yr" in text
    assert "India" in page.locator(".leaflet-control-attribution").text_content()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert v.errors == [] and v.aborted == []
