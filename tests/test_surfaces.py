"""Country surfaces: grid, GeoTIFF layout, hand-checked cells, windows == whole, score band, CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from _support import run
from affine import Affine

from geoprospect.errors import OutputError, RasterError
from geoprospect.surfaces.grid import M_PER_DEG_LAT, country_grid, parse_resolution
from geoprospect.surfaces.write import (
    NODATA,
    compute_surface,
    parse_grade,
    write_surface,
)

GRADE = {"treo_pct": 2.5, "ndpr_pct": 20.0, "resource_mt": 10.0, "deposit_type": "carbonatite",
         "minerals": "bastnaesite"}


@pytest.fixture(scope="module")
def net():
    from geoprospect.routes.network import RouteNetwork

    return RouteNetwork.bundled()


@pytest.fixture(scope="module")
def road_net(tmp_path_factory):
    """The bundled network plus a small user road layer from central Malawi to Nacala and Beira."""
    import geopandas as gpd
    import shapely

    from geoprospect.routes.network import RouteNetwork

    lines = [shapely.LineString([(33.0, -11.0), (33.8, -13.9), (35.2, -15.0), (40.69138, -14.51206)]),
             shapely.LineString([(35.2, -15.0), (34.83539, -19.83333)])]
    path = tmp_path_factory.mktemp("net") / "roads.geojson"
    gpd.GeoDataFrame({"mode": ["road", "rail"]}, geometry=lines, crs="EPSG:4326").to_file(path)
    return RouteNetwork.bundled(network_path=path)


@pytest.fixture(scope="module")
def model():
    """The bundled valuation, one value per cell (no Monte Carlo band on a surface)."""
    from geoprospect.pipeline import Valuation

    return Valuation.load(draws=0)


# ------------------------------------------------------------------ grid


def test_parse_resolution():
    assert parse_resolution("1km") == (1000.0, "m")
    assert parse_resolution("250m") == (250.0, "m")
    assert parse_resolution("0.01deg") == (0.01, "deg")
    assert parse_resolution("0.01") == (0.01, "deg")
    assert parse_resolution(0.5) == (0.5, "deg")
    for bad in ("", "1 mile", "-1km", "0", "km"):
        with pytest.raises(RasterError, match=r"expected e.g. 1km|must be positive") as err:
            parse_resolution(bad)
        assert err.value.option == "resolution"


def test_grid_in_degrees_is_snapped_and_covers_the_country():
    g = country_grid("MWI", "0.1")
    minx, miny, maxx, maxy = g.outline.bounds
    assert g.crs == "EPSG:4326"
    assert (g.west, g.north) == pytest.approx((math.floor(minx * 10) / 10, math.ceil(maxy * 10) / 10))
    assert g.width == math.ceil((maxx - g.west) / 0.1) and g.height == math.ceil((g.north - miny) / 0.1)
    assert g.transform == Affine(0.1, 0, g.west, 0, -0.1, g.north)


def test_grid_in_km_uses_the_mean_latitude():
    g = country_grid("Malawi", "1km")
    _, miny, _, maxy = g.outline.bounds
    assert g.dy == pytest.approx(1000 / M_PER_DEG_LAT)
    assert g.dy == pytest.approx(0.0089932, rel=1e-4)  # 1 km of latitude
    assert g.dx == pytest.approx(g.dy / math.cos(math.radians((miny + maxy) / 2)))
    with pytest.raises(RasterError, match="no outline"):
        country_grid("XXX", "1km")


def test_parse_grade():
    assert parse_grade(["treo_pct=2.5,ndpr_pct=20", "minerals=monazite;xenotime"]) == {
        "treo_pct": 2.5, "ndpr_pct": 20.0, "minerals": "monazite;xenotime"}
    for bad, msg in [("treo=1", "unknown attribute"), ("treo_pct", "ATTRIBUTE=VALUE"),
                     ("treo_pct=high", "not a number")]:
        with pytest.raises(RasterError, match=msg):
            parse_grade([bad])


# ------------------------------------------------------------------ values


def test_hand_checked_cells_and_nodata_outside(net):
    from geoprospect.routes.site import site_logistics

    g = country_grid("MWI", "0.1")
    cost = compute_surface(g, network=net)[0]
    assert cost.shape == (g.height, g.width) and cost.dtype == np.float32
    # Lilongwe (33.78 E, 13.96 S): col floor((33.78 - 32.6) / 0.1) = 11, row floor((-9.3 + 13.96) / 0.1) = 46
    # Blantyre (35.01 E, 15.79 S): col 24, row 64; centres are corner + (index + 0.5) * 0.1
    cells = [(46, 11), (64, 24)]
    lon = [32.6 + 11.5 * 0.1, 32.6 + 24.5 * 0.1]
    lat = [-9.3 - 46.5 * 0.1, -9.3 - 64.5 * 0.1]
    ref = site_logistics(lon, lat, "MWI", network=net)["cost_to_plant_usd_t"].to_numpy()
    got = [cost[r, c] for r, c in cells]
    np.testing.assert_allclose(got, ref.astype(np.float32), rtol=0)
    assert 50 < got[0] < 1000
    # top-left cell (32.65 E, 9.35 S) is in Tanzania/Zambia; bottom-left (32.65 E, 17.05 S) in Mozambique
    assert cost[0, 0] == NODATA and cost[-1, 0] == NODATA
    inside = cost != NODATA
    assert 0.3 < inside.mean() < 0.8  # Malawi fills part of its bounding box


def test_windows_equal_whole_bundled_and_user_network(net, road_net):
    g = country_grid("MWI", "0.1")
    whole = compute_surface(g, network=net, block=4096)
    windowed = compute_surface(g, network=net, block=16)
    assert np.array_equal(whole, windowed)
    whole_road = compute_surface(g, network=road_net, block=4096)
    assert np.array_equal(whole_road, compute_surface(g, network=road_net, block=16))
    # the user network really changes the answer (so the equality above is not vacuous)
    assert not np.array_equal(whole, whole_road)


def test_score_band_matches_scoring_one_site(net, model):
    import geopandas as gpd
    import shapely

    from geoprospect.pipeline import score_rows

    g = country_grid("MWI", "0.25")
    out = compute_surface(g, network=net, valuation=model, grade=GRADE, block=16)
    assert out.shape == (2, g.height, g.width)
    r, c = 19, 5  # centre (32.5 + 5.5 * 0.25, -9.25 - 19.5 * 0.25) = (33.875, -14.125)
    assert (g.west, g.north) == pytest.approx((32.5, -9.25))
    site = gpd.GeoDataFrame({"id": ["cell-x"], "country": ["MWI"], **{k: [v] for k, v in GRADE.items()}},
                            geometry=[shapely.Point(33.875, -14.125)], crs="EPSG:4326")
    expected = score_rows(site, valuation=model, network=net).columns
    assert out[1, r, c] == pytest.approx(expected["score"].iloc[0], abs=1e-4)
    assert out[0, r, c] == pytest.approx(expected["cost_to_plant_usd_t"].iloc[0], rel=1e-6)
    assert ((out[1] == NODATA) == (out[0] == NODATA)).all()  # a plant takes bastnaesite from anywhere
    valid = out[1][out[1] != NODATA]
    assert valid.min() >= 0 and valid.max() <= 100


def test_no_compatible_plant_is_nodata_in_the_cost_band_only(net, model):
    from geoprospect.routes import RouteNetwork

    # avoid every country with a plant that takes xenotime concentrate: then no plant can
    fac = net.facilities
    takers = fac[fac["feedstocks"].fillna("").str.contains("xenotime|mixed_concentrate")]
    closed = RouteNetwork.bundled(avoid=tuple(sorted(set(takers["country"]))))
    g = country_grid("MWI", "0.5")
    out = compute_surface(g, network=closed, valuation=model, grade={**GRADE, "minerals": "xenotime"})
    inside = out[1] != NODATA
    assert inside.any() and (out[0][inside] == NODATA).all()  # no plant takes xenotime: no cost
    opened = compute_surface(g, network=net, valuation=model, grade={**GRADE, "minerals": "xenotime"})
    assert (opened[0][inside] != NODATA).all()  # with the plants that take it, every cell has a cost


def test_written_geotiff_layout(tmp_path, net):
    path = write_surface(tmp_path / "mwi.tif", "MWI", "0.1", network=net, block=16)
    g = country_grid("MWI", "0.1")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4326
        assert src.transform.almost_equals(Affine(0.1, 0, 32.6, 0, -0.1, -9.3))
        assert (src.width, src.height, src.count) == (g.width, g.height, 1)
        assert src.nodata == NODATA and src.dtypes[0] == "float32"
        assert src.profile["tiled"] and src.block_shapes[0] == (16, 16)
        assert src.compression.name.lower() == "deflate"
        assert src.overviews(1)[:2] == [2, 4] and len(src.overviews(1)) == 3  # GDAL rounds 8 to 7 here
        assert src.descriptions == ("cost_to_plant_usd_t",)
        assert src.tags(1)["units"] == "USD/t concentrate" and src.tags()["country"] == "MWI"
        np.testing.assert_array_equal(src.read(1), compute_surface(g, network=net)[0])
    with pytest.raises(OutputError, match=r"mwi\.tif: exists; allow overwriting"):
        write_surface(path, "MWI", "0.1", network=net)
    with pytest.raises(RasterError, match="GeoTIFF"):
        write_surface(tmp_path / "x.png", "MWI", "0.5", network=net)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mwi.tif"]  # no temp files left


def test_cli_surface(tmp_path):


    out = tmp_path / "s.tif"
    res = run("surface", "--country", "MWI", "--resolution", "0.5", "-o", str(out))
    assert res.exit_code == 0, res.output
    with rasterio.open(out) as src:
        assert src.count == 1 and (src.read(1) != NODATA).any()
    cases = [(["--resolution", "1 mile"], "resolution"), (["--grade", "colour=red"], "unknown attribute"),
             (["--country", "XX"], "country")]
    for args, msg in cases:
        base = {"--country": "MWI", "--resolution": "0.5"}
        base.update(dict(zip(args[::2], args[1::2], strict=True)))
        argv = ["surface", *[x for kv in base.items() for x in kv], "-o", str(tmp_path / "b.tif")]
        res = run(*argv)
        assert res.exit_code == 2 and msg in res.output, res.output
        assert not (tmp_path / "b.tif").exists()
