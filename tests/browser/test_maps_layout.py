"""Where things sit on the page: popups above every control, the first view, collapsed panels,
and the page's own colours and decoding against Python's."""

from __future__ import annotations

import json

import pytest
from mapdata import country_risk, facilities, hostile_ranked, page_tables, route_legs

from geoprospect.maps import make_map, save_map

pytestmark = pytest.mark.browser

CONTROLS = (".gp-legend", ".leaflet-control-layers", ".gp-search", ".gp-types", ".gp-fullscreen",
            ".leaflet-control-zoom", ".gp-title", ".leaflet-control-scale")


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory):
    layer = hostile_ranked()
    m = make_map(layer, facilities=facilities(), route_legs=route_legs(layer), country_risk=country_risk(),
                 offline=True, top_routes=2, data_date="2026-01-02")
    return save_map(m, tmp_path_factory.mktemp("layout") / "hostile.html", offline=True)


def _clean(v):
    assert v.errors == [] and v.aborted == [] and v.dialogs == []
    assert v.page.evaluate("typeof window.__pwned") == "undefined"


def _rect(page, selector) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {l: r.left, t: r.top, r: r.right, b: r.bottom}; }")


def _overlap(a, b) -> float:
    width = min(a["r"], b["r"]) - max(a["l"], b["l"])
    height = min(a["b"], b["b"]) - max(a["t"], b["t"])
    return max(0.0, width) * max(0.0, height)


def _open_popup_at(page, dep_id: str, x: float, y: float) -> None:
    """Put deposit ``dep_id`` at page point (x, y) and open its popup as a click would."""
    page.evaluate(
        """([id, x, y]) => {
            const d = GP.deposits.find(d => GP.decode(GP.depositCell(d, "id")) === id);
            const box = GP.map.getContainer().getBoundingClientRect();
            const ll = d.layer.getLatLng();
            const now = GP.map.latLngToContainerPoint(ll);
            GP.map.panBy([now.x - (x - box.left), now.y - (y - box.top)], {animate: false});
            d.layer.fire("click", {latlng: ll}, true);
        }""", [dep_id, x, y])
    page.locator(".leaflet-popup .gp-name").wait_for(timeout=5000)
    # the popup may pan the map to fit in view (animated): wait until it stands still
    page.wait_for_function(
        """() => { const r = document.querySelector(".leaflet-popup-content-wrapper").getBoundingClientRect();
                   const key = r.left + "," + r.top, same = window.__gpLastPopup === key;
                   window.__gpLastPopup = key; return same; }""", polling=150, timeout=5000)


def _popup_on_top(page) -> list:
    """What the browser shows at the popup's corners and centre: True where it is the popup."""
    return page.evaluate(
        """() => {
            const r = document.querySelector(".leaflet-popup-content-wrapper").getBoundingClientRect();
            const pts = [[r.left + 3, r.top + 3], [r.right - 3, r.top + 3], [r.left + 3, r.bottom - 3],
                         [r.right - 3, r.bottom - 3], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
            return pts.map(([x, y]) => {
                const el = document.elementFromPoint(x, y);
                return !!(el && el.closest(".leaflet-popup"));
            });
        }""")


@pytest.mark.parametrize("control", [".gp-legend", ".leaflet-control-layers", ".gp-search", ".gp-types"])
def test_popup_is_above_every_control(open_offline, hostile_file, control):
    v = open_offline(hostile_file)
    page = v.page
    page.evaluate("GP.layerControls.forEach(c => c.expand())")  # the layer list at its largest
    box = _rect(page, control)
    _open_popup_at(page, "dep-0", (box["l"] + box["r"]) / 2, box["t"] + 60)
    popup = _rect(page, ".leaflet-popup-content-wrapper")
    assert _overlap(popup, _rect(page, control)) > 1000  # the popup does lie over the control
    assert _popup_on_top(page) == [True] * 5
    _clean(v)


def test_popup_follows_its_marker_when_the_map_moves(open_offline, hostile_file):
    v = open_offline(hostile_file)
    page = v.page
    _open_popup_at(page, "dep-0", 700, 600)

    def tip_minus_marker():
        return page.evaluate(
            """() => {
                const d = GP.deposits.find(d => GP.depositCell(d, "id") === "dep-0");
                const p = GP.map.latLngToContainerPoint(d.layer.getLatLng());
                const box = GP.map.getContainer().getBoundingClientRect();
                const t = document.querySelector(".leaflet-popup-tip-container").getBoundingClientRect();
                return [Math.round((t.left + t.right) / 2 - box.left - p.x),
                        Math.round(t.bottom - box.top - p.y)];
            }""")

    def same(a, b):  # to the pixel: positions are rounded to whole pixels on either side
        return abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1

    before = tip_minus_marker()
    assert abs(before[0]) <= 1 and -15 <= before[1] <= 10  # the tip points at the marker
    page.evaluate("GP.map.panBy([-180, 120], {animate: false})")
    assert same(tip_minus_marker(), before)
    page.mouse.move(500, 500)
    page.mouse.down()
    page.mouse.move(420, 450, steps=5)  # a drag with the mouse
    page.mouse.up()
    page.wait_for_function("!(GP.map._panAnim && GP.map._panAnim._inProgress)")  # inertia ends
    assert same(tip_minus_marker(), before)
    page.evaluate("GP.map.setZoom(GP.map.getZoom() + 1, {animate: false})")
    assert same(tip_minus_marker(), before)
    _clean(v)


def _marker_points(page) -> list:
    return page.evaluate(
        """() => GP.deposits.filter(d => d.layer.getLatLng).map(d => {
            const p = GP.map.latLngToContainerPoint(d.layer.getLatLng());
            const box = GP.map.getContainer().getBoundingClientRect();
            return [p.x + box.left, p.y + box.top, d.layer.getRadius()];
        })""")


def test_first_view_holds_the_deposits_clear_of_every_control(open_offline, hostile_file):
    v = open_offline(hostile_file)
    page = v.page
    points = _marker_points(page)
    assert len(points) == 10
    rects = [_rect(page, sel) for sel in CONTROLS]
    for x, y, r in points:
        assert 0 <= x - r and x + r <= 1400 and 0 <= y - r and y + r <= 900
        for sel, rect in zip(CONTROLS, rects, strict=True):
            assert _overlap({"l": x - r, "t": y - r, "r": x + r, "b": y + r}, rect) == 0, sel
    _clean(v)


def test_first_view_zooms_to_a_small_area(open_offline, tmp_path):
    layer = hostile_ranked(with_polygon=False, with_missing=False)
    layer = layer[layer["country"] == "MWI"].copy()  # two deposits in Malawi, 2° apart
    v = open_offline(save_map(make_map(layer, offline=True), tmp_path / "mwi.html", offline=True))
    zoom, inside = v.page.evaluate(
        """() => [GP.map.getZoom(),
                  GP.deposits.every(d => GP.map.getBounds().contains(d.layer.getLatLng()))]""")
    assert zoom >= 6 and inside
    _clean(v)


def test_first_view_leaves_a_lone_outlier_unless_it_ranks_high(open_offline, tmp_path):
    """Twenty deposits in Australia and one far off in Argentina: the first view is Australia,
    unless the outlier is among the ten best."""
    import geopandas as gpd
    import shapely

    n = 21
    xs = [116 + 1.5 * i for i in range(n - 1)] + [-65]
    gdf = gpd.GeoDataFrame({"id": [f"d{i}" for i in range(n)], "score": [50.0] * n,
                            "rank": list(range(1, n + 1)), "country": ["AUS"] * (n - 1) + ["ARG"]},
                           geometry=shapely.points(xs, [-25] * n), crs="EPSG:4326")
    v = open_offline(save_map(make_map(gdf, offline=True), tmp_path / "aus.html", offline=True))
    west, east = v.page.evaluate("[GP.map.getBounds().getWest(), GP.map.getBounds().getEast()]")
    assert 60 < west < 116 and 145 < east < 200
    phone = open_offline(tmp_path / "aus.html", viewport=(390, 760))  # panels folded: the width is data's
    zoom, inside = phone.page.evaluate(
        """() => [GP.map.getZoom(),
                  GP.deposits.filter(d => GP.map.getBounds().contains(d.layer.getLatLng())).length]""")
    assert zoom >= 4 and inside == n - 1
    gdf["rank"] = [*range(2, n + 1), 1]  # the outlier is now the best deposit: it is in view
    v = open_offline(save_map(make_map(gdf, offline=True), tmp_path / "aus2.html", offline=True))
    assert v.page.evaluate("GP.map.getBounds().getWest()") < -65
    _clean(v)


def test_small_screen_collapses_the_panels(open_offline, hostile_file):
    v = open_offline(hostile_file, viewport=(390, 700))
    page = v.page
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    assert page.locator(".gp-legend details").get_attribute("open") is None
    assert page.locator(".gp-types details").get_attribute("open") is None
    page.locator(".gp-legend summary").click()
    assert page.locator(".gp-legend details").get_attribute("open") is not None
    assert page.locator(".gp-legend svg").first.is_visible()
    _clean(v)


def test_large_screen_few_layers_list_open_many_collapsed(open_offline, hostile_file, tmp_path):
    layer = hostile_ranked(with_polygon=False, with_missing=False)
    few = save_map(make_map(layer[layer["country"] == "AUS"], offline=True), tmp_path / "few.html",
                   offline=True)
    v = open_offline(few)
    assert v.page.locator(".leaflet-control-layers-expanded").count() == 1
    assert v.page.locator(".gp-legend details").get_attribute("open") is not None
    v = open_offline(hostile_file)  # ten layers
    assert v.page.locator(".leaflet-control-layers-expanded").count() == 0
    v.page.locator(".leaflet-control-layers").hover()
    assert v.page.locator(".leaflet-control-layers-expanded").count() == 1
    _clean(v)


def test_page_colours_radii_and_cells_match_python(open_offline, tmp_path):
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from geoprospect.maps import style
    from geoprospect.maps.columnar import decode

    n = 600
    rng = np.random.default_rng(3)
    scores = np.r_[rng.random(n - 4) * 100, [0.0, 100.0, 50.05, np.nan]]
    gdf = gpd.GeoDataFrame({
        "id": [f"s{i}" for i in range(n)], "score": scores, "country": "AUS",
        "contained_ndpr_t": np.r_[10 ** (rng.random(n - 1) * 7), [np.nan]],
        "route_summary": [f"s{i} → road {i * 7:,} km → AUFRE → sea {i * 3} km → p{i % 4}; USD {i % 50}/t"
                          for i in range(n)],
        "deposit_type": np.array(["a", "b", "c"])[np.arange(n) % 3],
    }, geometry=shapely.points(115 + rng.random(n) * 30, -35 + rng.random(n) * 20), crs="EPSG:4326")
    path = save_map(make_map(gdf, offline=True), tmp_path / "cols.html", offline=True)
    payload = page_tables(path.read_text(encoding="utf-8"))["deposits"]
    assert "ro" in payload["t"] and "dt" in payload["d"]
    v = open_offline(path)
    page = v.page
    cells = page.evaluate("""keys => { const t = GP.tables.deposits, out = {};
        keys.forEach(k => { out[k] = []; for (let i = 0; i < t.n; i++) out[k].push(t.get(k, i)); });
        return out; }""", sorted(payload["c"]))
    for key in payload["c"]:
        assert cells[key] == decode(payload, key), key
    drawn = page.evaluate("""() => GP.deposits.map(d => [GP.depositCell(d, "id"), d.layer.options.fillColor,
                                                      d.layer.options.radius])""")
    by_id = gdf.set_index("id")
    ids = [d[0] for d in drawn]
    expected_colour = style.colours(by_id.loc[ids, "score"].round(1).to_numpy(), style.score_colormap())
    expected_radius = style.radius(pd.Series(by_id.loc[ids, "contained_ndpr_t"]).round(0))
    assert [d[1] for d in drawn] == list(expected_colour)
    assert np.allclose([d[2] for d in drawn], expected_radius, atol=1e-9)
    assert json.dumps(drawn)  # plain data
    _clean(v)


def test_online_page_runs_when_leaflet_loads_after_the_runtime(chromium, tmp_path):
    """The online page loads Leaflet from a CDN *after* geoprospect's inline runtime. Served here
    from the xstatic wheel (the MiniMap plugin by a stub); tiles and the rest are cut off."""
    from geoprospect.maps.assets import leaflet_dir

    layer = hostile_ranked()
    path = save_map(make_map(layer, offline=False), tmp_path / "online.html")
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        url = r.request.url
        if url.startswith("file:"):
            return r.continue_()
        if url.endswith("/leaflet.js"):
            return r.fulfill(path=str(leaflet_dir() / "leaflet.js"), content_type="text/javascript")
        if url.endswith("/leaflet.css"):
            return r.fulfill(path=str(leaflet_dir() / "leaflet.css"), content_type="text/css")
        if "minimap" in url.lower() and url.endswith(".js"):
            return r.fulfill(content_type="text/javascript", body=(
                "L.Control.MiniMap = L.Control.extend({"
                " initialize: function (l, o) { L.setOptions(this, o); },"
                " onAdd: function () { return L.DomUtil.create('div'); }});"))
        return r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.GP && window.GP.ready === true", timeout=30_000)
    assert errors == []
    assert len(page.evaluate("GP.visibleDepositIds(GP.map)")) == 11
    assert page.evaluate("GP.layerControls.length") == 1
    context.close()
