"""A surface as an embedded PNG overlay with its legend (for ``map --surface``)."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
import pytest
import rasterio
from affine import Affine

from geoprospect.errors import RasterError
from geoprospect.maps.raster_overlay import png_data_uri, surface_overlay


def _decode(uri: str) -> np.ndarray:
    """Minimal PNG reader for 8-bit RGBA, filter 0 (what png_data_uri writes)."""
    assert uri.startswith("data:image/png;base64,")
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(png):
        (n,), tag = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", png[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(tag + data)
        if tag == b"IHDR":
            size = struct.unpack(">II", data[:8])
            assert data[8:10] == b"\x08\x06"  # 8-bit RGBA
        elif tag == b"IDAT":
            idat += data
        pos += 12 + n
    w, h = size
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + 4 * w)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 4)


def _write(path, data, crs="EPSG:4326", transform=None, desc=None, units=None):
    transform = transform or Affine(0.5, 0, 30, 0, -0.5, -10)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=-9999) as dst:
        dst.write(data.astype("float32"), 1)
        if desc:
            dst.set_band_description(1, desc)
        if units:
            dst.update_tags(1, units=units)
    return path


def test_png_round_trip():
    rgba = np.random.default_rng(1).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    np.testing.assert_array_equal(_decode(png_data_uri(rgba)), rgba)


def test_overlay_image_bounds_and_legend(tmp_path):
    data = np.arange(12, dtype=float).reshape(3, 4)
    data[0, 0] = -9999
    path = _write(tmp_path / "s.tif", data, desc="score", units="0-100")
    uri, bounds, legend = surface_overlay(path)
    img = _decode(uri)
    assert img.shape == (3, 4, 4)
    assert img[0, 0, 3] == 0 and (img[..., 3].ravel()[1:] == 255).all()  # nodata transparent
    assert tuple(img[0, 1, :3]) == (215, 48, 39)  # lowest score: red
    assert tuple(img[2, 3, :3]) == (26, 152, 80)  # highest score: green
    assert bounds == [[-11.5, 30.0], [-10.0, 32.0]]
    assert "score (s.tif)" in legend and "1 0-100" in legend and "11 0-100" in legend


def test_cost_surface_is_reversed_and_title_escaped(tmp_path):
    data = np.array([[100.0, 200.0]])
    path = _write(tmp_path / "c.tif", data, desc="cost <img src=x onerror=alert(1)> `${x}`")
    uri, _, legend = surface_overlay(path)
    img = _decode(uri)
    assert tuple(img[0, 0, :3]) == (26, 152, 80)  # cheapest: green
    assert "<img" not in legend and "&lt;img" in legend
    assert "`" not in legend and "${" not in legend


def test_projected_surface_is_warped_to_lonlat(tmp_path):
    data = np.ones((10, 10))
    path = _write(tmp_path / "u.tif", data, crs="EPSG:32736",
                  transform=Affine(1000, 0, 600000, 0, -1000, 8500000))
    _, ((south, west), (north, east)), _ = surface_overlay(path)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:32736", "EPSG:4326", always_xy=True).transform(
        [600000, 610000, 600000, 610000], [8500000, 8500000, 8490000, 8490000])
    assert (west, east) == pytest.approx((min(lon), max(lon)), abs=2e-3)
    assert (south, north) == pytest.approx((min(lat), max(lat)), abs=2e-3)


def test_overlay_of_a_real_surface_and_errors(tmp_path):
    from geoprospect.routes.network import RouteNetwork
    from geoprospect.surfaces.write import write_surface

    path = write_surface(tmp_path / "m.tif", "MWI", "0.25", network=RouteNetwork.bundled())
    uri, bounds, legend = surface_overlay(path)
    assert _decode(uri)[..., 3].any() and "cost_to_plant_usd_t" in legend and "USD/t" in legend
    with rasterio.open(path) as src:
        assert bounds == [[src.bounds.bottom, src.bounds.left], [src.bounds.top, src.bounds.right]]
    empty = _write(tmp_path / "e.tif", np.full((2, 2), -9999.0))
    with pytest.raises(RasterError, match="no data"):
        surface_overlay(empty)
    with pytest.raises(RasterError, match="no band 3"):
        surface_overlay(path, band=3)
    (tmp_path / "bad.tif").write_text("x")
    with pytest.raises(RasterError, match="cannot read"):
        surface_overlay(tmp_path / "bad.tif")
