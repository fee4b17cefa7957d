"""Geometry and CRS of batch chunks: GeoParquet metadata, WKB decoding, reprojection.

The rules are those of :func:`geoprospect.io.read.read_layer` (``--crs`` for files that do not say;
files without CRS must hold lon/lat), applied chunk after chunk.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.read import to_wgs84


class Projector:
    """Bring one file's geometries to EPSG:4326 with read_layer's rules, chunk after chunk."""

    def __init__(self, path: Path, file_crs, user_crs: str | None) -> None:
        self.path, self.file_crs, self.user_crs = path, file_crs, user_crs
        self._warned = False
        self._lonlat: bool | None = None  # the file says lon/lat and no --crs: nothing to do

    def __call__(self, geoms: np.ndarray) -> np.ndarray:
        import geopandas as gpd

        if self._lonlat is None:
            from pyproj import CRS

            self._lonlat = (self.user_crs is None and self.file_crs is not None
                            and CRS(self.file_crs).equals(CRS("EPSG:4326"), ignore_axis_order=True))
        if self._lonlat:
            return geoms


        gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms), crs=self.file_crs)
        with warnings.catch_warnings():
            if self._warned:
                warnings.simplefilter("ignore", UserWarning)
            out = to_wgs84(gdf, self.path, self.user_crs)
        self._warned = True
        return out.geometry.to_numpy()


def geo_metadata(schema) -> dict | None:
    """The GeoParquet ``geo`` metadata of an Arrow schema, or None (plain Parquet)."""
    meta = schema.metadata or {}
    raw = meta.get(b"geo")
    if not raw:
        return None
    try:
        geo = json.loads(raw)
        geo["columns"][geo["primary_column"]]
        return geo
    except (ValueError, KeyError, TypeError):
        return None


def geoparquet_crs(spec: dict):
    """GeoParquet: a missing crs means OGC:CRS84 (lon/lat), an explicit null means unknown."""
    if "crs" not in spec:
        return "OGC:CRS84"
    crs = spec["crs"]
    if crs is None:
        return None
    from pyproj import CRS

    return CRS.from_user_input(crs if isinstance(crs, str) else json.dumps(crs))


def decode_geometry(column, encoding: str, path: Path) -> np.ndarray:
    """Shapely geometries (None where null or unreadable) from a GeoParquet geometry column."""
    import shapely

    enc = str(encoding).lower()
    if enc == "wkb":
        values = column.to_numpy(zero_copy_only=False)
        out = np.full(len(values), None, dtype=object)
        present = pd.notna(values)
        out[present] = shapely.from_wkb(values[present], on_invalid="ignore")
        return out
    if enc == "point":
        import pyarrow.compute as pc

        x = pc.struct_field(column, "x").to_numpy(zero_copy_only=False)
        y = pc.struct_field(column, "y").to_numpy(zero_copy_only=False)
        return np.asarray(shapely.points(x, y), dtype=object)
    raise LayerError(f"{path.name}: GeoParquet geometry encoding {encoding!r} is not supported "
                     "(write it with WKB encoding)")
