"""Distances on the sphere and fast nearest-neighbour search on unit-sphere coordinates.

Great-circle distances use the haversine formula on a sphere of mean Earth radius
(:data:`EARTH_RADIUS_KM`, IUGG mean radius R1 = 6371.0088 km). Nearest-neighbour search converts
lon/lat to unit-sphere xyz and queries a :class:`scipy.spatial.cKDTree`: on the unit sphere the
chord length is monotonic in the great-circle angle, so the k nearest by chord are the k nearest
by great-circle distance (design.md: agrees with a haversine BallTree and runs ~2.4M points/s,
whereas nearest-in-degrees picks the wrong neighbour for ~20 % of points).
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km between points (broadcasting numpy arrays or scalars).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Decimal degrees (WGS84 treated as a sphere). NaN in, NaN out.

    Returns
    -------
    numpy.ndarray
        Distances in kilometres.
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    # the atan2 form of the great-circle angle (Vincenty's formula on the sphere): well
    # conditioned for every separation, where the haversine's arcsin(sqrt(a)) is not near antipodes
    dlon = lon2 - lon1
    c1, s1, c2, s2 = np.cos(lat1), np.sin(lat1), np.cos(lat2), np.sin(lat2)
    y = np.hypot(c2 * np.sin(dlon), c1 * s2 - s1 * c2 * np.cos(dlon))
    x = s1 * s2 + c1 * c2 * np.cos(dlon)
    return EARTH_RADIUS_KM * np.arctan2(y, x)


def path_length_km(coords) -> float:
    """Length in km of a polyline given as an (n, 2) sequence of lon/lat pairs."""
    xy = np.asarray(coords, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return 0.0
    return float(haversine_km(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum())


def to_xyz(lon, lat) -> np.ndarray:
    """Unit-sphere cartesian coordinates, shape (n, 3), of lon/lat in degrees."""
    lon = np.radians(np.asarray(lon, dtype=float).ravel())
    lat = np.radians(np.asarray(lat, dtype=float).ravel())
    cl = np.cos(lat)
    return np.column_stack((cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)))


def chord_to_km(chord) -> np.ndarray:
    """Great-circle km for a unit-sphere chord length (inverse of the xyz embedding)."""
    chord = np.clip(np.asarray(chord, dtype=float), 0.0, 2.0)
    return 2 * EARTH_RADIUS_KM * np.arcsin(chord / 2)


class SphereIndex:
    """K-nearest search over fixed points on the sphere (cKDTree on unit-sphere xyz).

    Parameters
    ----------
    lon, lat : array_like
        Coordinates of the indexed points, decimal degrees. Must be finite.

    Examples
    --------
    >>> idx = SphereIndex([0.0, 10.0], [0.0, 0.0])
    >>> km, i = idx.query([9.0], [0.0], k=1)
    >>> int(i[0, 0])
    1
    """

    def __init__(self, lon, lat) -> None:
        from scipy.spatial import cKDTree

        self.lon = np.asarray(lon, dtype=float).ravel()
        self.lat = np.asarray(lat, dtype=float).ravel()
        if not (np.isfinite(self.lon).all() and np.isfinite(self.lat).all()):
            raise ValueError("SphereIndex needs finite coordinates")
        self.n = len(self.lon)
        self._tree = cKDTree(to_xyz(self.lon, self.lat)) if self.n else None

    def query(self, lon, lat, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest indexed points of each query point.

        Parameters
        ----------
        lon, lat : array_like
            Query coordinates (degrees). Rows with NaN get distance inf and index -1.
        k : int
            Neighbours wanted; capped at the number of indexed points.

        Returns
        -------
        (km, index) : tuple of numpy.ndarray, each shape (n, k)
            Great-circle km (ascending along axis 1) and indices into the indexed points.
        """
        lon = np.asarray(lon, dtype=float).ravel()
        lat = np.asarray(lat, dtype=float).ravel()
        k_eff = max(1, min(int(k), self.n))
        km = np.full((len(lon), k_eff), np.inf)
        idx = np.full((len(lon), k_eff), -1, dtype=np.int64)
        if self.n == 0:
            return km, idx
        ok = np.isfinite(lon) & np.isfinite(lat)
        if ok.any():
            chord, found = self._tree.query(to_xyz(lon[ok], lat[ok]), k=k_eff)
            km[ok] = chord_to_km(np.asarray(chord).reshape(-1, k_eff))
            idx[ok] = np.asarray(found).reshape(-1, k_eff)
        return km, idx


def nearest_k(points_lon, points_lat, lon, lat, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Convenience wrapper: k nearest of ``points`` for each query point; see :class:`SphereIndex`."""
    return SphereIndex(points_lon, points_lat).query(lon, lat, k=k)


def lonlat(geoms) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of each geometry's representative point, vectorised.

    A point is its own representative point; any other geometry uses a point on its surface
    (:func:`shapely.point_on_surface`). Missing and empty geometries give NaN.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        A GeoSeries, a geometry array or a plain sequence (``None`` allowed).

    Returns
    -------
    lon, lat : numpy.ndarray
        Float arrays of the same length as ``geoms``.

    Examples
    --------
    >>> import shapely
    >>> lon, lat = lonlat([shapely.Point(10, 20), None])
    >>> float(lon[0]), bool(np.isnan(lat[1]))
    (10.0, True)
    """
    import warnings

    import pandas as pd
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    ok = np.asarray(pd.notna(geoms), dtype=bool)
    ok[ok] = ~shapely.is_empty(geoms[ok])
    if ok.any():
        g = geoms[ok]
        reps = g.copy()
        other = shapely.get_type_id(g) != 0  # points are their own representative point
        if other.any():
            with warnings.catch_warnings():  # invalid polygons warn; the point is still usable
                warnings.simplefilter("ignore")
                reps[other] = shapely.point_on_surface(g[other])
        lon[ok] = shapely.get_x(reps)
        lat[ok] = shapely.get_y(reps)
    return lon, lat
