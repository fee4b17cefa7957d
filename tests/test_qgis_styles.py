"""QGIS styles of the outputs: read back from the GeoPackage ``layer_styles`` table and from the
sidecar ``.qml``, parsed as XML, with the renderer, attribute and colours the map uses."""

from __future__ import annotations

import itertools
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pytest
from _support import run, sites

from geoprospect.io.bundled import layer_path
from geoprospect.io.read import read_layer
from geoprospect.io.write import write_table
from geoprospect.maps.qgis import plant_style, route_style, style_for
from geoprospect.maps.style import MODE_STYLES, STAGE_COLOURS, colours, score_colormap, top_stage

OGC = "{http://www.opengis.net/ogc}"
SE = "{http://www.opengis.net/se}"


def gpkg_styles(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                            "useAsDefault FROM layer_styles").fetchall()


def renderer(qml: str) -> ET.Element:
    root = ET.fromstring(qml)
    assert root.tag == "qgis"
    return root.find("renderer-v2")


def rgb(colour: str) -> str:
    c = colour.lstrip("#")
    return ",".join(str(int(c[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def symbol_colours(r: ET.Element, key: str = "color") -> list[str]:
    return [s.find(f"layer/Option/Option[@name='{key}']").get("value") for s in r.find("symbols")]


def test_ranked_gpkg_opens_graduated_by_score_sized_by_ndpr(tmp_path):
    out = tmp_path / "ranked.gpkg"
    r = run("rank", "--draws", 0, "-o", out)
    assert r.exit_code == 0, r.output
    [(table, geom, name, qml, sld, default)] = gpkg_styles(out)
    assert (table, geom, default) == ("results", "geom", 1) and name == "geoprospect score"
    rend = renderer(qml)
    assert rend.get("type") == "graduatedSymbol" and rend.get("attr") == "score"
    ranges = rend.find("ranges")
    bounds = [(float(x.get("lower")), float(x.get("upper"))) for x in ranges]
    assert bounds[0][0] == 0 and bounds[-1][1] == 100 and len(bounds) == 10
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))  # no gaps
    mids = [(lo + hi) / 2 for lo, hi in bounds]
    assert symbol_colours(rend) == [rgb(c) for c in colours(np.array(mids), score_colormap())]
    size = rend.find("symbols/symbol/layer/data_defined_properties/Option/Option[@name='properties']"
                     "/Option[@name='size']/Option[@name='expression']").get("value")
    assert '"contained_ndpr_t"' in size
    rules = ET.fromstring(sld).findall(f".//{SE}Rule")
    assert len(rules) == 10 and rules[0].find(f"{OGC}Filter//{OGC}PropertyName").text == "score"
    back = read_layer(out)  # the style table is not a second layer
    assert len(back) == 59 and "score" in back.columns


def test_scored_parquet_and_flatgeobuf_get_a_sidecar_qml(tmp_path):
    src = tmp_path / "sites.parquet"
    sites(30, seed=1).to_parquet(src)
    for ext in (".parquet", ".fgb"):
        r = run("score", src, "-o", tmp_path / f"scored{ext}", "--workers", 1, "-q")
        assert r.exit_code == 0, r.output
        qml = (tmp_path / "scored.qml").read_text()
        rend = renderer(qml)
        assert rend.get("type") == "graduatedSymbol" and rend.get("attr") == "score"
        (tmp_path / "scored.qml").unlink()
    # a .qml of the user's own is kept unless the output may be overwritten
    (tmp_path / "mine.qml").write_text("<qgis>mine</qgis>")
    assert run("score", src, "-o", tmp_path / "mine.parquet", "--workers", 1, "-q").exit_code == 0
    assert (tmp_path / "mine.qml").read_text() == "<qgis>mine</qgis>"
    again = run("score", src, "-o", tmp_path / "mine.parquet", "--workers", 1, "-q", "--overwrite")
    assert again.exit_code == 0
    assert renderer((tmp_path / "mine.qml").read_text()).get("attr") == "score"


def test_scored_gpkg_carries_the_style(tmp_path):
    src = tmp_path / "sites.csv"
    frame = sites(10, seed=2)
    frame.assign(lon=frame.geometry.x, lat=frame.geometry.y).drop(columns="geometry").to_csv(src, index=False)
    assert run("score", src, "-o", tmp_path / "s.gpkg", "--workers", 1, "-q").exit_code == 0
    [(table, _, _, qml, _, _)] = gpkg_styles(tmp_path / "s.gpkg")
    assert table == "results" and renderer(qml).get("attr") == "score"


def test_route_legs_by_mode_in_the_map_colours(tmp_path):
    out = tmp_path / "legs.gpkg"
    assert run("routes", "--deposit", "Nolans", "-o", out).exit_code == 0
    [(table, _, name, qml, sld, _)] = gpkg_styles(out)
    assert (table, name) == ("results", "geoprospect routes")
    rend = renderer(qml)
    assert rend.get("type") == "categorizedSymbol" and rend.get("attr") == "mode"
    cats = {c.get("value"): c.get("symbol") for c in rend.find("categories")}
    assert set(cats) == {*MODE_STYLES} - {"other"} | {""}  # "" = every other mode
    line_colours = dict(zip([c.get("value") or "other" for c in rend.find("categories")],
                            symbol_colours(rend, "line_color"), strict=True))
    assert line_colours == {m: rgb(s["color"]) for m, s in MODE_STYLES.items()}
    sea = rend.find(f"symbols/symbol[@name='{cats['sea']}']/layer/Option/Option[@name='customdash']")
    assert sea.get("value") == MODE_STYLES["sea"]["dashArray"].replace(" ", ";")
    assert ET.fromstring(sld).find(f".//{SE}LineSymbolizer") is not None
    assert route_style().qml == qml


def _sld_matches(test: ET.Element | None, stages: str) -> bool:
    """The few OGC filters plant_style uses, evaluated on one ``stages`` value."""
    if test is None:
        return True
    tag = test.tag.removeprefix(OGC)
    if tag == "And":
        return all(_sld_matches(t, stages) for t in test)
    if tag == "Not":
        return not _sld_matches(test[0], stages)
    assert tag == "PropertyIsLike" and test.find(f"{OGC}PropertyName").text == "stages"
    return test.find(f"{OGC}Literal").text.strip("%") in stages.lower()


def test_plants_by_their_most_downstream_stage():
    plants = gpd.read_file(layer_path("facilities.geojson"))
    style = style_for(plants.columns, "Point")
    assert style == plant_style()
    rend = renderer(style.qml)
    assert rend.get("type") == "categorizedSymbol" and '"stages"' in rend.get("attr")
    values = [c.get("value") for c in rend.find("categories")]
    assert set(values) == set(STAGE_COLOURS)
    assert symbol_colours(rend) == [rgb(STAGE_COLOURS[v]) for v in values]
    rules = ET.fromstring(style.sld).findall(f".//{SE}Rule")
    expected = top_stage(plants["stages"])
    assert set(expected) == set(STAGE_COLOURS)  # every category and multi-stage plants are checked
    for stages, want in zip(plants["stages"].fillna(""), expected, strict=True):
        hits = [r.find(f"{SE}Name").text for r in rules
                if r.find(f"{SE}ElseFilter") is not None or _sld_matches(r.find(f"{OGC}Filter/*"), stages)]
        non_else = [h for h in hits if h != "other"]
        assert (non_else or ["other"]) == [want], stages  # exactly one stage rule, the map's one


def test_facilities_written_as_gpkg_are_styled(tmp_path):
    plants = gpd.read_file(layer_path("facilities.geojson"))
    out = write_table(plants, tmp_path / "plants.gpkg", style=style_for(plants.columns, "Point"),
                      layer_name="plants")
    [(table, geom, name, *_)] = gpkg_styles(out)
    assert (table, geom, name) == ("plants", "geom", "geoprospect plants")


@pytest.mark.parametrize("columns, geometry, renderer_type", [
    (["score"], "Polygon", "graduatedSymbol"),
    (["mode"], "LineString", "categorizedSymbol"),
    (["name"], "Point", None),
])
def test_style_for_picks_by_columns_and_geometry(columns, geometry, renderer_type):
    style = style_for(columns, geometry)
    assert (style and renderer(style.qml).get("type")) == renderer_type
    if geometry == "Polygon":
        assert ET.fromstring(style.qml).find("renderer-v2/symbols/symbol").get("type") == "fill"
