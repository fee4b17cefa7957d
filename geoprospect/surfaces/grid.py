"""The lon/lat grid of a surface: resolution parsing, country extent, windows, inside-country mask.

Every surface is written on a lon/lat grid (EPSG:4326), so cell centres go straight into the
great-circle logistics and the map overlays it without warping. A resolution in metres or
kilometres (``1km``, ``250m``) is converted to degrees at the country's mean latitude (the middle
of its bounding box): ``dlat = m / M_PER_DEG_LAT`` and ``dlon = dlat / cos(mean latitude)``, so a
cell is N x N metres there; north and south of it the east-west size scales with
``cos(lat) / cos(mean lat)`` (Malawi, 9.4-17.1 deg S: within +/-1.7 %). A bare number or
``Ndeg`` is a square cell in degrees. The grid's origin is snapped to a multiple of the cell size.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from geoprospect.errors import RasterError
from geoprospect.io.countries import boundaries, to_iso3

M_PER_DEG_LAT = math.pi * 6371008.8 / 180
"""Metres per degree of latitude on the mean-radius sphere used by :mod:`geoprospect.core.geodesy`."""
BLOCK = 512
"""Window (and GeoTIFF tile) side in cells."""

_RES = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(km|m|deg|d|°)?\s*$", re.IGNORECASE)


def parse_resolution(text: str | float) -> tuple[float, str]:
    """``"1km"`` -> ``(1000.0, "m")``, ``"250m"`` -> ``(250.0, "m")``, ``"0.01deg"`` or ``"0.01"``
    -> ``(0.01, "deg")``.

    Raises
    ------
    RasterError
        Not a positive number with an optional unit (km, m, deg).
    """
    match = _RES.match(str(text))
    if not match:
        raise RasterError(f"{text!r}: expected e.g. 1km, 250m, 0.01deg or 0.01 (degrees)",
                          option="resolution")
    value, unit = float(match.group(1)), (match.group(2) or "deg").lower()
    if value <= 0:
        raise RasterError(f"{text!r}: must be positive", option="resolution")
    if unit == "km":
        return value * 1000.0, "m"
    return (value, "m") if unit == "m" else (value, "deg")


@dataclass(frozen=True)
class SurfaceGrid:
    """A north-up lon/lat grid over one country.

    Attributes
    ----------
    iso3 : str
    west, north : float
        Outer corner of the top-left cell (degrees).
    dx, dy : float
        Cell size in degrees (both positive).
    width, height : int
    outline : shapely geometry
        The country outline (EPSG:4326) that decides which cells are inside.
    """

    iso3: str
    west: float
    north: float
    dx: float
    dy: float
    width: int
    height: int
    outline: object

    crs = "EPSG:4326"

    @property
    def transform(self):
        """The affine transform of the grid."""
        from affine import Affine

        return Affine(self.dx, 0.0, self.west, 0.0, -self.dy, self.north)

    def windows(self, block: int = BLOCK) -> Iterator:
        """``rasterio.windows.Window`` objects tiling the grid in blocks of ``block`` cells."""
        from rasterio.windows import Window

        for r in range(0, self.height, block):
            for c in range(0, self.width, block):
                yield Window(c, r, min(block, self.width - c), min(block, self.height - r))

    def centres(self, window) -> tuple[np.ndarray, np.ndarray]:
        """Lon, lat of the cell centres of ``window`` (2-D arrays of its shape)."""
        cols = np.arange(int(window.col_off), int(window.col_off) + int(window.width))
        rows = np.arange(int(window.row_off), int(window.row_off) + int(window.height))
        lon = self.west + (cols + 0.5) * self.dx
        lat = self.north - (rows + 0.5) * self.dy
        return np.meshgrid(lon, lat)

    def inside(self, window) -> np.ndarray:
        """Boolean mask of the cells of ``window`` whose centre lies inside the country."""
        from rasterio.features import geometry_mask
        from rasterio.windows import transform as window_transform

        shape = (int(window.height), int(window.width))
        return geometry_mask([self.outline], shape, window_transform(window, self.transform), invert=True)


def country_grid(iso3: str, resolution: str | float) -> SurfaceGrid:
    """The grid covering a country's outline (bundled Natural Earth boundaries).

    Parameters
    ----------
    iso3 : str
        Country (ISO3, or any name :func:`geoprospect.io.countries.to_iso3` understands).
    resolution : str or float
        See :func:`parse_resolution`.
    """

    code = to_iso3(iso3)
    world = boundaries()
    rows = world[world["iso3"] == code]
    if code is None or rows.empty:
        raise RasterError(f"{iso3!r}: no outline for this country in the bundled boundaries",
                          option="country")
    outline = rows.geometry.union_all()
    minx, miny, maxx, maxy = outline.bounds
    value, unit = parse_resolution(resolution)
    if unit == "m":
        dy = value / M_PER_DEG_LAT
        dx = dy / math.cos(math.radians((miny + maxy) / 2))
    else:
        dx = dy = value
    west = math.floor(minx / dx) * dx
    north = math.ceil(maxy / dy) * dy
    width = max(1, math.ceil((maxx - west) / dx - 1e-9))
    height = max(1, math.ceil((north - miny) / dy - 1e-9))
    if width * height > 2_000_000_000:
        raise RasterError(f"{resolution}: {width} x {height} cells is too many", option="resolution")
    return SurfaceGrid(code, west, north, dx, dy, width, height, outline)
