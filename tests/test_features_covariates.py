"""Sampling covariate rasters at sites: CRS transforms, nodata, extent, polygons, block reads."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from geoprospect.errors import RasterError
from geoprospect.features.covariates import parse_raster_options, sample_one, sample_rasters

# UTM 36S grid over southern Malawi: 1 km cells, origin (E 600000, N 8500000), 300 x 400 cells
UTM = "EPSG:32736"
X0, Y0, CELL = 600_000.0, 8_500_000.0, 1000.0
W, H = 300, 400


def _values(h: int = H, w: int = W) -> np.ndarray:
    rows, cols = np.mgrid[0:h, 0:w]
    return (rows * 1000 + cols).astype("float32")


@pytest.fixture
def utm_raster(tmp_path):
    """value = row * 1000 + col; nodata -1 at row 10, col 20; tiled 64 x 64."""
    data = _values()
    data[10, 20] = -1
    path = tmp_path / "utm.tif"
    with rasterio.open(path, "w", driver="GTiff", width=W, height=H, count=1, dtype="float32",
                       crs=UTM, transform=Affine(CELL, 0, X0, 0, -CELL, Y0), nodata=-1,
                       tiled=True, blockxsize=64, blockysize=64) as dst:
        dst.write(data, 1)
    return path


def _utm_to_lonlat(x, y):
    from pyproj import Transformer

    return Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(x, y)


def _points(lon, lat, crs="EPSG:4326"):
    return gpd.GeoDataFrame({"id": [f"p{i}" for i in range(len(lon))]},
                            geometry=shapely.points(np.c_[lon, lat]), crs=crs,
                            index=np.arange(1, len(lon) + 1))


def test_sampling_in_another_crs_matches_hand_computation(utm_raster):
    # points placed at known UTM positions, given to the sampler in lon/lat
    ux = np.array([X0 + 5.5 * CELL, X0 + 123.2 * CELL, X0 + 299.9 * CELL])
    uy = np.array([Y0 - 7.5 * CELL, Y0 - 250.7 * CELL, Y0 - 0.1 * CELL])
    lon, lat = _utm_to_lonlat(ux, uy)
    got = sample_rasters(_points(lon, lat), {"elev": utm_raster})
    # hand computation: col = floor((x - X0) / CELL), row = floor((Y0 - y) / CELL)
    expected = [r * 1000 + c for r, c in [(7, 5), (250, 123), (0, 299)]]
    assert list(got.columns) == ["elev"]
    assert list(got.index) == [1, 2, 3]
    np.testing.assert_allclose(got["elev"].to_numpy(), expected)


def test_sampling_points_given_in_a_projected_crs(utm_raster):
    # the layer itself in Web Mercator: it is transformed to UTM, not read as lon/lat
    from pyproj import Transformer

    ux, uy = np.array([X0 + 42.5 * CELL]), np.array([Y0 - 17.5 * CELL])
    lon, lat = _utm_to_lonlat(ux, uy)
    mx, my = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    got = sample_one(_points(mx, my, crs="EPSG:3857"), utm_raster)
    assert got[0] == 17 * 1000 + 42


def test_nodata_and_outside_extent_are_missing(utm_raster):
    ux = np.array([X0 + 20.5 * CELL, X0 - 3 * CELL, X0 + 10 * CELL, X0 + W * CELL + 1, X0 + 1.5 * CELL])
    uy = np.array([Y0 - 10.5 * CELL, Y0 - 5 * CELL, Y0 + 2 * CELL, Y0 - 5 * CELL, Y0 - 1.5 * CELL])
    lon, lat = _utm_to_lonlat(ux, uy)
    got = sample_one(_points(lon, lat), utm_raster)
    assert np.isnan(got[:4]).all()  # nodata cell, west of, north of, east of the grid
    assert got[4] == 1 * 1000 + 1


def test_empty_geometry_is_missing_and_far_points_too(utm_raster):
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c"]},
                           geometry=[None, shapely.Point(), shapely.Point(-60.0, 10.0)], crs="EPSG:4326")
    assert np.isnan(sample_one(gdf, utm_raster)).all()


def test_polygon_takes_mean_over_footprint(utm_raster):
    # footprint covering cell centres of rows 100..102 and cols 50..53 (UTM), given in lon/lat
    x0, x1 = X0 + 50.2 * CELL, X0 + 53.8 * CELL
    y0, y1 = Y0 - 102.8 * CELL, Y0 - 100.2 * CELL
    ring = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
    # densify edges so the lon/lat polygon maps back to (almost) the same rectangle
    dense = np.vstack([np.linspace(ring[i], ring[i + 1], 50) for i in range(4)])
    lon, lat = _utm_to_lonlat(dense[:, 0], dense[:, 1])
    poly = shapely.Polygon(np.c_[lon, lat])
    small = shapely.Point(*_utm_to_lonlat(X0 + 7.5 * CELL, Y0 - 8.5 * CELL)).buffer(1e-4)  # < 1 cell
    gdf = gpd.GeoDataFrame({"id": ["big", "small"]}, geometry=[poly, small], crs="EPSG:4326")
    got = sample_one(gdf, utm_raster)
    rows, cols = np.mgrid[100:103, 50:54]
    assert got[0] == pytest.approx(float((rows * 1000 + cols).mean()))
    assert got[1] == 8 * 1000 + 7


def test_polygon_mean_skips_nodata_cells(utm_raster):
    # rows 9..11 x cols 19..21 around the nodata cell (10, 20): mean of the 8 valid cells
    x0, x1, y0, y1 = X0 + 19 * CELL, X0 + 22 * CELL, Y0 - 12 * CELL, Y0 - 9 * CELL
    poly = shapely.box(x0 + 1, y0 + 1, x1 - 1, y1 - 1)
    gdf = gpd.GeoDataFrame({"id": ["p"]}, geometry=[poly], crs=UTM)
    rows, cols = np.mgrid[9:12, 19:22]
    vals = (rows * 1000 + cols).astype(float)
    vals[1, 1] = np.nan
    assert sample_one(gdf, utm_raster)[0] == pytest.approx(np.nanmean(vals))


def test_block_reads_equal_rasterio_sample(utm_raster, tmp_path):
    rng = np.random.default_rng(3)
    ux = rng.uniform(X0 - 10 * CELL, X0 + (W + 10) * CELL, 2000)
    uy = rng.uniform(Y0 - (H + 10) * CELL, Y0 + 10 * CELL, 2000)
    lon, lat = _utm_to_lonlat(ux, uy)
    got = sample_one(_points(lon, lat), utm_raster)
    from pyproj import Transformer

    bx, by = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(lon, lat)
    with rasterio.open(utm_raster) as src:
        ref = np.array([v[0] for v in src.sample(zip(bx, by, strict=True), masked=True)], dtype=object)
    ref = np.array([np.nan if np.ma.is_masked(v) else float(v) for v in ref])
    inside = (bx >= X0) & (bx < X0 + W * CELL) & (by <= Y0) & (by > Y0 - H * CELL)
    ref[~inside] = np.nan  # sample() returns the fill value outside; geoprospect says missing
    np.testing.assert_array_equal(got, ref)
    assert np.isnan(got).sum() >= (~inside).sum()


def test_striped_geographic_raster_with_scale_and_int_nodata(tmp_path):
    path = tmp_path / "th.tif"
    data = np.arange(20 * 30, dtype="int16").reshape(20, 30)
    data[0, 0] = -32768
    with rasterio.open(path, "w", driver="GTiff", width=30, height=20, count=1, dtype="int16",
                       crs="EPSG:4326", transform=Affine(0.1, 0, 33.0, 0, -0.1, -10.0), nodata=-32768) as dst:
        dst.write(data, 1)
        dst.scales = (0.5,)
        dst.offsets = (1.0,)
    gdf = _points(np.array([33.05, 33.95, 36.5]), np.array([-10.05, -11.25, -10.5]))
    got = sample_rasters(gdf, [f"th={path}"])["th"].to_numpy()
    assert math.isnan(got[0])  # nodata
    assert got[1] == (12 * 30 + 9) * 0.5 + 1.0  # row 12, col 9, scaled
    assert math.isnan(got[2])  # east of the grid


def test_raster_without_crs_and_unreadable_file(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32") as dst:
        dst.write(np.ones((4, 4), "float32"), 1)
    gdf = _points(np.array([0.5]), np.array([0.5]))
    with pytest.raises(RasterError, match="no CRS"):
        sample_one(gdf, path)
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    with pytest.raises(RasterError, match=r"bad\.tif: cannot read raster"):
        sample_one(gdf, bad)


def test_parse_raster_options(tmp_path):
    a = tmp_path / "a.tif"
    a.write_bytes(b"")
    assert parse_raster_options([f"elev={a}"]) == {"elev": a}
    assert parse_raster_options({"elev": str(a)}) == {"elev": a}
    assert parse_raster_options(()) == {}
    for bad, msg in [("elev", "NAME=PATH"), (f"1x={a}", "NAME must"), (f"treo_pct={a}", "clashes"),
                     ("elev=missing.tif", "not found")]:
        with pytest.raises(RasterError, match=msg):
            parse_raster_options([bad])
    with pytest.raises(RasterError, match="twice"):
        parse_raster_options([f"e={a}", f"e={a}"])


def test_raster_option_in_a_click_command(tmp_path):
    import click
    from click.testing import CliRunner

    from geoprospect.cli.options import raster_option

    @click.command()
    @raster_option
    def cmd(rasters):
        click.echo(repr(sorted((k, v.name) for k, v in rasters.items())))

    a = tmp_path / "a.tif"
    a.write_bytes(b"")
    res = CliRunner().invoke(cmd, ["--raster", f"elev={a}", "--raster", f"th={a}"])
    assert res.exit_code == 0 and "('elev', 'a.tif'), ('th', 'a.tif')" in res.output
    res = CliRunner().invoke(cmd, ["--raster", "elev"])
    assert res.exit_code == 2 and "NAME=PATH" in res.output


def test_join_rasters_adds_and_replaces_columns(utm_raster):
    import pandas as pd

    from geoprospect.features.covariates import join_rasters

    lon, lat = _utm_to_lonlat(np.array([X0 + 2.5 * CELL]), np.array([Y0 - 3.5 * CELL]))
    gdf = _points(lon, lat)
    feats = pd.DataFrame({"score_input": [1.0], "elev": [np.nan]}, index=gdf.index)
    out = join_rasters(feats, gdf, {"elev": utm_raster})
    assert list(out.columns) == ["score_input", "elev"] and out["elev"].iloc[0] == 3 * 1000 + 2
    assert join_rasters(feats, gdf, {}) is feats
