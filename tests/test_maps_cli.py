"""``geoprospect map``: a ranked file in, one HTML file out."""

from __future__ import annotations

import json

import pytest
from _support import run
from mapdata import hostile_ranked, route_legs

from geoprospect.maps.assets import external_references


def _js(text: str) -> str:
    """How folium's layer control writes a layer name into the page script."""
    return json.dumps(text)[1:-1]


@pytest.fixture(scope="module")
def ranked_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    ranked = hostile_ranked()
    path = folder / "ranked.gpkg"
    ranked.to_file(path)
    legs = folder / "legs.geojson"
    route_legs(ranked).to_file(legs)
    return path, legs


def test_offline_map_from_ranked_file(tmp_path, ranked_file):
    ranked, legs = ranked_file
    out = tmp_path / "m.html"
    res = run("map", str(ranked), "-o", str(out), "--offline", "--routes", "2",
              "--route-legs", str(legs), "--title", "Test <b>map</b>")
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "Routes of the top 2 deposits" in html
    assert "<title>Test &lt;b&gt;map&lt;/b&gt;</title>" in html
    assert _js("Facilities — magnet") in html  # bundled facilities
    assert "Country risk (" in html  # bundled WGI table
    drawn = hostile_ranked().geometry.notna().sum()  # the row without a location is skipped
    assert f"wrote {out}: {drawn} deposits, 1 without location (offline)" in res.output


def test_country_filter_and_existing_output(tmp_path, ranked_file):
    ranked, _ = ranked_file
    out = tmp_path / "m.html"
    args = ["map", str(ranked), "-o", str(out), "--country", "India", "--no-facilities", "--no-risk"]
    res = run(*args)
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert _js("Deposits — India (2)") in html and _js("Deposits — Australia") not in html
    assert _js("Facilities —") not in html
    again = run(*args)
    assert again.exit_code == 2 and "exists" in again.output


@pytest.mark.parametrize("args, message", [
    (["-o", "x.png"], ".html"),
    (["-o", "m.html", "--country", "Atlantis"], "Atlantis"),
])
def test_bad_arguments(tmp_path, ranked_file, args, message):
    ranked, _ = ranked_file
    res = run("map", str(ranked), *[a if a != "m.html" else str(tmp_path / a) for a in args])
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_missing_layer_is_one_line(tmp_path):
    res = run("map", str(tmp_path / "nope.gpkg"), "-o", str(tmp_path / "m.html"))
    assert res.exit_code == 2 and "not found" in res.output
