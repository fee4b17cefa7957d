"""A surface GeoTIFF as an embeddable PNG image overlay plus its legend (for ``map --surface``).

Needs only rasterio and numpy: the PNG is encoded with zlib + struct, so the image travels inside
the HTML as a ``data:`` URI and an offline map keeps it. Band choice: ``score`` when the file has
it, else band 1. Scores are coloured red (low) to green (high); costs the other way round, so
green always means better. Nodata cells are transparent.
"""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import numpy as np

from geoprospect.errors import RasterError
from geoprospect.maps.safe import escape_text
from geoprospect.maps.style import SURFACE_COLOURS, ramp_rgb, surface_colormap

MAX_PIXELS = 1024
"""Longest side of the overlay image; bigger rasters are read through overviews, averaged."""


def png_data_uri(rgba: np.ndarray) -> str:
    """Encode an ``(h, w, 4)`` uint8 array as a ``data:image/png;base64,...`` URI."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w, _ = rgba.shape
    raw = np.zeros((h, 1 + 4 * w), dtype=np.uint8)  # filter byte 0 (None) on every scanline
    raw[:, 1:] = rgba.reshape(h, 4 * w)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def colourise(values: np.ndarray, lo: float, hi: float, *, reverse: bool = False) -> np.ndarray:
    """Map a 2-D float array onto :func:`~geoprospect.maps.style.surface_colormap` (NaN
    transparent) -> ``(h, w, 4)`` uint8."""
    finite = np.isfinite(values)
    t = np.zeros(values.shape)
    if hi > lo:
        t[finite] = (values[finite] - lo) / (hi - lo)
    else:
        t[finite] = 0.5
    t = np.clip(1 - t if reverse else t, 0, 1)
    out = np.zeros((*values.shape, 4), dtype=np.uint8)
    out[..., :3] = ramp_rgb(t, surface_colormap()).astype(np.uint8)
    out[..., 3] = np.where(finite, 255, 0)
    return out


def read_band(path, band: int | None = None) -> tuple[np.ndarray, tuple[float, float, float, float], dict]:
    """Read a band at most :data:`MAX_PIXELS` wide/high, warped to EPSG:4326 when needed.

    Returns the float array (NaN = nodata), ``(west, south, east, north)`` and the band's
    ``name``/``units`` tags.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    path = Path(path)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise RasterError(f"{path}: raster has no CRS")
            names = [d or "" for d in src.descriptions]
            b = band or (names.index("score") + 1 if "score" in names else 1)
            if not 1 <= b <= src.count:
                raise RasterError(f"{path}: no band {b} (the file has {src.count})")
            tags = {"name": names[b - 1] or f"band {b}", **src.tags(b)}
            ds = src if src.crs.to_epsg() == 4326 else WarpedVRT(src, crs="EPSG:4326")
            scale = max(ds.width / MAX_PIXELS, ds.height / MAX_PIXELS, 1.0)
            shape = (max(1, round(ds.height / scale)), max(1, round(ds.width / scale)))
            data = ds.read(b, out_shape=shape, masked=True, resampling=Resampling.average)
            bounds = tuple(float(v) for v in ds.bounds)
    except rasterio.errors.RasterioIOError as exc:
        raise RasterError(f"{path}: cannot read raster ({str(exc).splitlines()[0]})") from None
    arr = np.ma.filled(data.astype(float), np.nan)
    arr[~np.isfinite(arr)] = np.nan
    return arr, bounds, tags


def surface_overlay(path, *, band: int | None = None) -> tuple[str, list[list[float]], str]:
    """A surface GeoTIFF as ``(png_data_uri, bounds, legend_html)`` for a folium ImageOverlay.

    Parameters
    ----------
    path : str or Path
        GeoTIFF (any CRS; written by ``geoprospect surface`` or not).
    band : int, optional
        Band to show; default the ``score`` band if present, else band 1.

    Returns
    -------
    png_data_uri : str
        ``data:image/png;base64,...`` (transparent where nodata).
    bounds : list
        ``[[south, west], [north, east]]`` in degrees (folium's order).
    legend_html : str
        A small self-contained HTML block: escaped title, colour ramp, min and max with units.
        The caller chooses the overlay opacity (0.6 reads well over a basemap).

    Raises
    ------
    RasterError
        Unreadable file, no CRS, no such band, or no data at all.
    """
    arr, (west, south, east, north), tags = read_band(path, band)
    finite = np.isfinite(arr)
    if not finite.any():
        raise RasterError(f"{path}: the raster holds no data")
    lo, hi = float(arr[finite].min()), float(arr[finite].max())
    name = str(tags.get("name", ""))
    reverse = "cost" in name.lower()
    uri = png_data_uri(colourise(arr, lo, hi, reverse=reverse))
    return uri, [[south, west], [north, east]], legend_html(
        f"{name} ({Path(path).name})", lo, hi, str(tags.get("units", "")), reverse=reverse)


def legend_html(title: str, lo: float, hi: float, units: str = "", *, reverse: bool = False) -> str:
    """HTML legend: escaped title, gradient bar (CSS, no external assets), min/max labels."""
    stops = ", ".join(SURFACE_COLOURS[::-1] if reverse else SURFACE_COLOURS)
    unit = f" {escape_text(units)}" if units else ""
    return (
        '<div class="gp-surface-legend" style="background:#fff;padding:6px 8px;border-radius:4px;'
        'font:12px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f'<div style="font-weight:bold;margin-bottom:4px">{escape_text(title)}</div>'
        f'<div style="width:160px;height:10px;border:1px solid #999;'
        f'background:linear-gradient(to right, {stops})"></div>'
        '<div style="display:flex;justify-content:space-between;width:162px">'
        f'<span>{lo:.4g}{unit}</span><span>{hi:.4g}{unit}</span></div></div>'
    )
