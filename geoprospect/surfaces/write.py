"""Logistics-cost and score surfaces over a country, computed window by window into a GeoTIFF.

For every cell whose centre lies inside the country, band 1 is the cost (USD/t concentrate) of
the best route from the cell centre to the cheapest compatible first plant
(:func:`geoprospect.routes.site.site_logistics`); with ``grade`` attributes, band 2 is the value
score (0-100, :func:`geoprospect.model.valuation.value_score` of the median-input screening NPV)
of a hypothetical deposit with those attributes at the cell centre, from the one pipeline
(:func:`geoprospect.pipeline.score_rows`).

Why windows are exact
---------------------
A cell's value depends only on its own centre and on tables prepared once for the whole run: the
port/plant cost tables and, with a user road network (``--network``), one Dijkstra per export
port over the *entire* network (:class:`geoprospect.routes.land.RoadNetwork`). A cell then joins
its nearest network vertex (k-d tree over all vertices) and reads the precomputed cost. Nothing
is clipped to the window, so no overlap (halo) is needed and a surface computed in windows is
bit-for-bit the one computed whole (tested). A raster cost-distance (friction surface
accumulated cell to cell) would differ: there a window needs a halo at least as wide as the
longest detour a least-cost path can make outside it, and the error of a smaller halo is bounded
only by the cost of that detour — geoprospect avoids the issue by routing on the vector network.

Memory holds one window (``block`` x ``block`` cells, default 512) at a time, plus the network.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from geoprospect.errors import RasterError
from geoprospect.io.write import atomic_path
from geoprospect.pipeline import Valuation, score_rows
from geoprospect.routes.network import RouteNetwork
from geoprospect.routes.site import site_logistics
from geoprospect.surfaces.grid import BLOCK, SurfaceGrid, country_grid

NODATA = -9999.0
NUMERIC_ATTRS = ("treo_pct", "ndpr_pct", "dytb_pct", "resource_mt", "th_ppm", "u_ppm")
TEXT_ATTRS = ("deposit_type", "minerals", "admin1", "conflict_area")
BANDS = {"cost_to_plant_usd_t": "USD/t concentrate", "score": "0-100"}


def parse_grade(values) -> dict[str, float | str]:
    """Turn ``("treo_pct=2.5", "minerals=monazite;xenotime")`` (or ``"a=1,b=2"``) into a dict.

    Numeric attributes: :data:`NUMERIC_ATTRS`; text attributes: :data:`TEXT_ATTRS`.

    Raises
    ------
    RasterError
        Unknown attribute, missing ``=``, or a non-numeric value for a numeric attribute.
    """
    out: dict[str, float | str] = {}
    for item in values or ():
        for part in str(item).split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not value:
                raise RasterError(f"{part!r}: expected ATTRIBUTE=VALUE", option="grade")
            if key in NUMERIC_ATTRS:
                try:
                    out[key] = float(value)
                except ValueError:
                    raise RasterError(f"{key}: {value!r} is not a number", option="grade") from None
            elif key in TEXT_ATTRS:
                out[key] = value
            else:
                raise RasterError(f"{key}: unknown attribute (one of "
                                  f"{', '.join(NUMERIC_ATTRS + TEXT_ATTRS)})", option="grade")
    return out


def surface_window(grid: SurfaceGrid, window, *, network=None, valuation=None,
                   grade=None) -> np.ndarray:
    """Values of one window: array ``(bands, height, width)`` float32, :data:`NODATA` outside.

    Parameters
    ----------
    grid : SurfaceGrid
    window : rasterio.windows.Window
    network : RouteNetwork, optional
        Bundled network when None.
    valuation : Valuation, optional
        Required when ``grade`` is given (its Monte Carlo draws are not used: one value a cell).
    grade : dict, optional
        Attributes of the hypothetical deposit (see :func:`parse_grade`); adds the score band.
    """

    lon, lat = grid.centres(window)
    inside = grid.inside(window)
    n_bands = 2 if grade is not None else 1
    out = np.full((n_bands, *inside.shape), NODATA, dtype=np.float32)
    if not inside.any():
        return out
    x, y = lon[inside], lat[inside]
    attrs = dict(grade or {})
    if grade is None:
        cost = site_logistics(x, y, grid.iso3, minerals=attrs.get("minerals"),
                              th_ppm=attrs.get("th_ppm"), u_ppm=attrs.get("u_ppm"),
                              network=network)["cost_to_plant_usd_t"].to_numpy(dtype=float)
    else:
        cost, score = _score_cells(x, y, grid.iso3, attrs, network, valuation)
        out[1][inside] = np.where(np.isfinite(score), score, NODATA)
    out[0][inside] = np.where(np.isfinite(cost), cost, NODATA)
    return out


def _score_cells(x, y, iso3, attrs, network, valuation):
    import geopandas as gpd
    import shapely

    if valuation is None:
        raise RasterError("a score surface needs a valuation model")
    ids = np.char.add("cell-", np.arange(len(x)).astype(str))
    gdf = gpd.GeoDataFrame({"id": ids, "country": iso3, **attrs}, index=np.arange(len(x)),
                           geometry=shapely.points(x, y), crs="EPSG:4326")
    rows = score_rows(gdf, valuation=valuation, network=network).columns
    return rows["cost_to_plant_usd_t"].to_numpy(float), rows["score"].to_numpy(float)


def compute_surface(grid: SurfaceGrid, *, block: int = BLOCK, **kwargs) -> np.ndarray:
    """The whole surface in memory (small grids and tests); same values as :func:`write_surface`.

    ``kwargs`` go to :func:`surface_window`.
    """
    n_bands = 2 if kwargs.get("grade") is not None else 1
    out = np.full((n_bands, grid.height, grid.width), NODATA, dtype=np.float32)
    for win in grid.windows(block):
        r, c = int(win.row_off), int(win.col_off)
        out[:, r:r + int(win.height), c:c + int(win.width)] = surface_window(grid, win, **kwargs)
    return out


def write_surface(path: str | Path, country: str, resolution: str | float, *, grade=None,
                  valuation=None, network=None, block: int = BLOCK, overwrite: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> Path:
    """Compute a country surface window by window and write a tiled, compressed GeoTIFF.

    Parameters
    ----------
    path : str or Path
        Output ``.tif`` (written atomically).
    country : str
        ISO3 code or name.
    resolution : str or float
        ``1km``, ``250m``, ``0.01deg`` or a bare number of degrees (see :mod:`geoprospect.surfaces.grid`).
    grade : dict, optional
        Hypothetical deposit attributes (:func:`parse_grade`); adds band 2 ``score``.
    valuation : Valuation, optional
        Used with ``grade``; the bundled model and default prices when None.
    network : RouteNetwork, optional
        Route scenario; bundled when None.
    block : int
        Window and tile side in cells (a multiple of 16).
    overwrite : bool
    progress : callable(done, total), optional
        Called after each window.

    Returns
    -------
    Path
        The written file. Band 1 ``cost_to_plant_usd_t`` (USD/t), band 2 ``score`` (0-100) when
        ``grade`` is given; float32, nodata :data:`NODATA` outside the country (and where no route
        exists); DEFLATE-compressed, ``block`` x ``block`` tiles, overviews 2..N (average).
    """
    import rasterio
    from rasterio.enums import Resampling


    if block % 16:
        raise RasterError(f"block size {block} must be a multiple of 16")
    grid = country_grid(country, resolution)
    if grade is not None and valuation is None:
        valuation = Valuation.load(draws=0)
    if network is None:

        network = RouteNetwork.bundled()
    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        raise RasterError(f"{path}: a surface is a GeoTIFF; use a .tif file name")
    names = ["cost_to_plant_usd_t"] + (["score"] if grade is not None else [])
    profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=len(names),
                   dtype="float32", crs=grid.crs, transform=grid.transform, nodata=NODATA,
                   tiled=True, blockxsize=block, blockysize=block, compress="deflate",
                   predictor=3, zlevel=6, BIGTIFF="IF_SAFER")
    windows = list(grid.windows(block))
    with atomic_path(path, overwrite=overwrite) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            for i, name in enumerate(names, start=1):
                dst.set_band_description(i, name)
                dst.update_tags(i, name=name, units=BANDS[name])
            dst.update_tags(country=grid.iso3, resolution=str(resolution),
                            grade=";".join(f"{k}={v}" for k, v in (grade or {}).items()),
                            model_sha256=valuation.sha256 if grade is not None else "",
                            network=network.describe(), producer="geoprospect surface")
            for k, win in enumerate(windows):
                values = surface_window(grid, win, network=network, valuation=valuation, grade=grade)
                dst.write(values, window=win)
                if progress:
                    progress(k + 1, len(windows))
        factors = _overview_factors(grid.width, grid.height, block)
        if factors:
            with rasterio.open(tmp, "r+") as dst:
                dst.build_overviews(factors, Resampling.average)
                dst.update_tags(ns="rio_overview", resampling="average")
    return path


def _overview_factors(width: int, height: int, block: int) -> list[int]:
    """2, 4, 8, ... until the overview fits in one tile (at least one level for grids > 256)."""
    factors, f = [], 2
    while max(width, height) / (f // 2) > min(block, 256):
        factors.append(f)
        f *= 2
    return factors
