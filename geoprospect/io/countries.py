"""Country names and codes, and which country a point lies in.

Names, ISO 3166-1 alpha-2 and alpha-3 codes are all understood (``Australia``, ``AU``, ``AUS``),
case-insensitively, through pycountry's ISO tables plus a short list of common English names
that ISO spells differently (``Burma``, ``South Korea``, ``Russia`` ...).

Point-in-country uses the bundled Natural Earth 1:50m outlines (``layers/countries.geojson``).
A coarse outline misses coastal sites (beach-sand deposits, ports), so a point outside every
outline is given the nearest country within :data:`COASTAL_TOLERANCE_DEG`.
Boundaries are indicative only (see ``BOUNDARY_NOTE``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from geoprospect.core.cache import cache_dir, entry_key, read_npz, write_npz
from geoprospect.io.bundled import layer_path

COASTAL_TOLERANCE_DEG = 0.3
"""Maximum distance (degrees, about 33 km at the equator) from an outline for a point to count
as in that country when it lies in no outline."""

BOUNDARY_NOTE = (
    "Boundaries are indicative: Natural Earth 1:50m, de facto view; they do not imply any "
    "position on disputed territory and differ from India's official depiction."
)
INDIA_VIEW_NOTE = (
    "Boundaries are indicative: Natural Earth 1:50m, with Jammu and Kashmir (including the areas "
    "administered by Pakistan and China) and Siachen drawn within India as India depicts them "
    "(from Natural Earth's disputed areas); they do not imply any position on disputed territory."
)
BOUNDARY_VIEWS = {"de-facto": BOUNDARY_NOTE, "india": INDIA_VIEW_NOTE}
"""Boundary views a map can draw, with the note each carries."""

_EXTRA_NAMES = {
    "burma": "MMR",
    "myanmar (burma)": "MMR",
    "south korea": "KOR",
    "korea": "KOR",
    "republic of korea": "KOR",
    "korea, rep.": "KOR",
    "north korea": "PRK",
    "russia": "RUS",
    "vietnam": "VNM",
    "viet nam": "VNM",
    "laos": "LAO",
    "tanzania": "TZA",
    "iran": "IRN",
    "syria": "SYR",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "uk": "GBR",
    "great britain": "GBR",
    "england": "GBR",
    "usa": "USA",
    "us": "USA",
    "united states of america": "USA",
    "america": "USA",
    "czech republic": "CZE",
    "turkey": "TUR",
    "ivory coast": "CIV",
    "drc": "COD",
    "dr congo": "COD",
    "democratic republic of the congo": "COD",
    "congo, dem. rep.": "COD",
    "the netherlands": "NLD",
    "china, people's republic of": "CHN",
    "prc": "CHN",
    "taiwan": "TWN",
    "greenland": "GRL",
}


@cache
def _lookup_table() -> dict[str, str]:
    import pycountry

    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                table[value.casefold()] = c.alpha_3
    table.update(_EXTRA_NAMES)
    return table


def to_iso3(value: object) -> str | None:
    """Return the ISO 3166-1 alpha-3 code for a country name or code, or None if unknown.

    Parameters
    ----------
    value : object
        A country name (``"Malawi"``), alpha-2 (``"MW"``) or alpha-3 (``"MWI"``) code, in any
        case. Empty values and NaN give None.

    Returns
    -------
    str or None
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    key = str(value).strip().casefold()
    if not key:
        return None
    return _lookup_table().get(key)


def normalise_countries(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map a column of country names/codes to ISO3, vectorised over unique values.

    Returns
    -------
    (iso3, unknown) : tuple of Series
        ``iso3`` holds the codes (None where empty or unknown); ``unknown`` is a boolean mask of
        non-empty values that could not be recognised.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    found = np.array([to_iso3(u) for u in uniques] + [None], dtype=object)
    given = np.array([str(u).strip() != "" for u in uniques] + [False], dtype=bool)
    iso3 = found[codes]  # code -1 (missing) picks the trailing None / False
    unknown = given[codes] & pd.isna(iso3)
    return (pd.Series(iso3, index=values.index, name=values.name, dtype="object"),
            pd.Series(unknown, index=values.index, name=values.name))


def country_name(iso3: str) -> str:
    """Return a readable English name for an ISO3 code (the code itself when unknown)."""
    import pycountry

    c = pycountry.countries.get(alpha_3=iso3)
    if c is None:
        return iso3
    return getattr(c, "common_name", None) or c.name


@cache
def boundaries():
    """Return the bundled admin-0 outlines as a GeoDataFrame (EPSG:4326, columns iso3, name)."""
    import geopandas as gpd


    g = gpd.read_file(layer_path("countries.geojson"))
    return g[g["iso3"].notna()].reset_index(drop=True)


@cache
def display_boundaries(view: str = "de-facto"):
    """The outlines a map draws in a boundary ``view`` (a key of :data:`BOUNDARY_VIEWS`).

    ``de-facto`` is :func:`boundaries`; ``india`` replaces India, China and Pakistan with
    ``layers/countries_india_view.geojson`` (``scripts/build_india_view.py``). Points are always
    located in the de facto outlines (:func:`locate`): the view is for display only.

    Raises
    ------
    LayerError
        An unknown view (with the option ``boundaries``).
    """
    import geopandas as gpd
    import pandas as pd

    from geoprospect.errors import LayerError

    if view not in BOUNDARY_VIEWS:
        raise LayerError(f"unknown boundary view {view!r} (one of {', '.join(BOUNDARY_VIEWS)})",
                         option="boundaries")
    world = boundaries()
    if view == "de-facto":
        return world
    redrawn = gpd.read_file(layer_path("countries_india_view.geojson"))
    kept = world[~world["iso3"].isin(redrawn["iso3"])]
    return gpd.GeoDataFrame(pd.concat([kept, redrawn[["iso3", "name", "geometry"]]], ignore_index=True),
                            crs=world.crs)


def locate(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return the ISO3 code of the country each point lies in (vectorised).

    Points inside no outline take the nearest outline within :data:`COASTAL_TOLERANCE_DEG`;
    points farther out (open sea) get None. Large inputs are first looked up in a 0.1° grid of
    cells wholly inside one outline; the rest (and small inputs) take candidates from an STRtree
    of bounding boxes tested against prepared outlines. Both paths give identical results.

    Parameters
    ----------
    lon, lat : array_like
        Coordinates in degrees (EPSG:4326).

    Returns
    -------
    numpy.ndarray of object
    """

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size >= GRID_MIN_POINTS:
        return _locate_by_grid(lon, lat)
    return _locate_exact(lon, lat)


GRID_MIN_POINTS = 20_000
"""From this many points on, :func:`locate` first looks points up in a 0.1° grid of cells that
lie wholly inside one country; only points in border, coastal or sea cells are tested exactly."""
GRID_RES = 0.1


def _locate_by_grid(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    grid, codes = _grid()
    result = np.full(lon.shape, None, dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    row = np.clip(((90 - lat[ok]) / GRID_RES).astype(int), 0, grid.shape[0] - 1)
    col = np.clip(((lon[ok] + 180) / GRID_RES).astype(int), 0, grid.shape[1] - 1)
    cell = grid[row, col]
    inside = cell > 0
    idx = np.flatnonzero(ok)
    result[idx[inside]] = codes[cell[inside] - 1]
    rest = np.flatnonzero(~ok) if not ok.all() else np.array([], dtype=int)
    rest = np.concatenate([idx[~inside], rest])
    if rest.size:
        result[rest] = _locate_exact(lon[rest], lat[rest])
    return result


GRID_FORMAT = 1


def warm(grid: bool = True) -> None:
    """Build the lookups :func:`locate` and :func:`normalise_countries` build on first use
    (name table, outlines, prepared outlines, STRtree and, with ``grid``, the 0.1° grid), e.g.
    before forking batch workers so that they share them."""
    _lookup_table()
    boundaries()
    _prepared()
    _tree()
    if grid:
        _grid()


@cache
def _grid() -> tuple[np.ndarray, np.ndarray]:
    """0.1° grid: country index + 1 for cells wholly inside one outline, 0 elsewhere.

    Rasterising the outlines takes about 0.5 s, so the grid is kept in the cache folder
    (:mod:`geoprospect.core.cache`), keyed by the code version, the hash of the outlines file and the
    resolution.
    """
    import hashlib


    codes = boundaries()["iso3"].to_numpy(dtype=object)
    digest = hashlib.sha256(layer_path("countries.geojson").read_bytes()).hexdigest()
    target = cache_dir() / f"country-grid-{digest[:20]}-{GRID_RES}-v{GRID_FORMAT}.npz"
    key = entry_key("country-grid", countries_sha256=digest, resolution=GRID_RES, format=GRID_FORMAT)
    z = read_npz(target, key)
    if z is not None and z["grid"].shape == (int(180 / GRID_RES), int(360 / GRID_RES)) \
            and list(z["codes"]) == list(codes):
        return z["grid"], codes
    grid = _build_grid()
    write_npz(target, key, grid=grid, codes=np.array(codes, dtype=str))
    return grid, codes


def _build_grid() -> np.ndarray:
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    world = boundaries()
    shape = (int(180 / GRID_RES), int(360 / GRID_RES))
    transform = from_origin(-180, 90, GRID_RES, GRID_RES)
    geoms = world.geometry.to_numpy()
    grid = rasterize(((g, i + 1) for i, g in enumerate(geoms)), out_shape=shape,
                     transform=transform, fill=0, dtype="uint16")
    edges = rasterize(((b, 1) for b in shapely.boundary(geoms)), out_shape=shape,
                      transform=transform, fill=0, all_touched=True, dtype="uint8")
    grid[edges > 0] = 0  # a cell an outline crosses needs the exact test
    return grid


def _locate_exact(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    import shapely

    result = np.full(lon.shape, None, dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return result
    polys, codes = _prepared()
    tree = _tree()
    points = shapely.points(lon[ok], lat[ok])
    pt_idx, poly_idx = tree.query(points)
    hit = shapely.intersects(polys[poly_idx], points[pt_idx])
    pt_idx, poly_idx = pt_idx[hit], poly_idx[hit]
    found = np.full(points.shape, None, dtype=object)
    # a point on a shared border may hit two outlines: keep the first hit
    first = np.unique(pt_idx, return_index=True)[1]
    found[pt_idx[first]] = codes[poly_idx[first]]
    missing = np.flatnonzero(found == None)  # noqa: E711 - elementwise comparison
    if missing.size:
        near_pt, near_poly = tree.query_nearest(
            points[missing], max_distance=COASTAL_TOLERANCE_DEG, all_matches=False
        )
        found[missing[near_pt]] = codes[near_poly]
    result[ok] = found
    return result


@cache
def _prepared():
    import shapely

    world = boundaries()
    polys = world.geometry.to_numpy().copy()
    shapely.prepare(polys)
    return polys, world["iso3"].to_numpy(dtype=object)


@cache
def _tree():
    import shapely

    return shapely.STRtree(boundaries().geometry.values)
