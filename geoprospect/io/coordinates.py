"""Point geometry from the coordinate (or WKT) columns of a table: CSV, TSV, XLSX, plain Parquet.

Which columns hold the coordinates: the user's mapping (``--columns lat=...,lon=...`` or
``wkt=...``), else the usual names (:data:`LAT_NAMES`, :data:`LON_NAMES`, :data:`WKT_NAMES`, any
case). Cells that cannot be read become findings (kept as arrays, not raised), so validation
reports them all at once; a table with no coordinate columns at all is an error that suggests
the headers that look like coordinates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.findings import Findings, rule

# approx_lat/approx_lon: USGS USMIN deposit releases (see io.vocabulary); latitud/longitud: Spanish
LAT_NAMES = ("lat", "latitude", "y", "lat_dd", "latitude_dd", "lat_wgs84", "decimallatitude",
             "approx_lat", "latitud")
LON_NAMES = (
    "lon", "lng", "long", "longitude", "x", "lon_dd", "longitude_dd", "lon_wgs84",
    "decimallongitude", "approx_lon", "longitud",
)
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape")


def _find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


@rule("coords.empty", "warning", "coordinates are empty")
def _coords_empty() -> str:
    return "coordinates are empty"


@rule("coords.half", "error", "one coordinate empty")
def _coords_half() -> str:
    return "is empty while the other coordinate is given"


@rule("coords.number", "error", "coordinate not a number")
def _coords_number(value) -> str:
    return f"{_clip(value)!r} is not a number"


@rule("wkt", "error", "not valid WKT")
def _bad_wkt(value) -> str:
    return f"not valid WKT: {_clip(value)!r}"


def _mapped_column(columns: list[str], mapping, target: str, path: Path) -> str | None:
    """The header the user's mapping names for ``lat``/``lon``/``wkt`` (checked to exist)."""
    from geoprospect.io.mapping import find_header, missing_header

    header = mapping.get(target) if mapping else None
    if header is None:
        return None
    found = find_header(header, columns)
    if found is None:
        raise LayerError(missing_header(path.name, target, header, columns), option="columns")
    return found


def geometry_from_columns(frame: pd.DataFrame, path: Path, problems: Findings, columns=None):
    """Point geometry from lon/lat (or WKT) columns of a table; bad cells become problems.

    ``columns`` (a :class:`~geoprospect.io.mapping.ColumnMap`) may name the ``lat``, ``lon``
    or ``wkt`` column; otherwise the usual names are looked for.
    """
    import geopandas as gpd
    import shapely

    headers = list(frame.columns)
    lat_col = _mapped_column(headers, columns, "lat", path) or _find_column(headers, LAT_NAMES)
    lon_col = _mapped_column(headers, columns, "lon", path) or _find_column(headers, LON_NAMES)
    wkt_col = _mapped_column(headers, columns, "wkt", path)
    rows = np.arange(1, len(frame) + 1)
    if lat_col and lon_col and not wkt_col:
        lon = _numeric(frame[lon_col], lon_col, rows, problems)
        lat = _numeric(frame[lat_col], lat_col, rows, problems)
        ok = np.isfinite(lon) & np.isfinite(lat)
        geoms = np.full(len(frame), None, dtype=object)
        geoms[ok] = shapely.points(lon[ok], lat[ok])
        lon_na = frame[lon_col].isna().to_numpy()
        lat_na = frame[lat_col].isna().to_numpy()
        problems.add("coords.empty", f"{lat_col}/{lon_col}", rows[lon_na & lat_na])
        problems.add("coords.half", lat_col, rows[lat_na & ~lon_na])
        problems.add("coords.half", lon_col, rows[lon_na & ~lat_na])
        data = frame.drop(columns=[lat_col, lon_col])
        return gpd.GeoDataFrame(data, geometry=geoms)
    wkt_col = wkt_col or _find_column(headers, WKT_NAMES)
    if wkt_col:
        text = frame[wkt_col].astype("object").to_numpy()
        geoms = np.full(len(frame), None, dtype=object)
        present = pd.notna(text)
        parsed = shapely.from_wkt(text[present], on_invalid="ignore")
        geoms[present] = parsed
        bad = np.flatnonzero(present)[pd.isna(parsed)]
        problems.add("wkt", wkt_col, rows[bad], value=text[bad])
        return gpd.GeoDataFrame(frame.drop(columns=[wkt_col]), geometry=geoms)
    raise LayerError(
        f"{path.name}: no coordinate columns; expected lat/latitude/y and lon/lng/longitude/x, "
        f"or a WKT column (found: {', '.join(map(str, headers[:12]))}){_coordinate_hint(headers)}",
        option="columns",
    )


def _coordinate_hint(headers: list) -> str:
    """``; did you mean LAT_DEG and LON_DEG?`` when headers look like coordinate names."""
    from geoprospect.io.mapping import suggest

    lat = suggest_among(headers, LAT_NAMES, suggest)
    lon = suggest_among(headers, LON_NAMES, suggest)
    found = [h for h in (lat, lon) if h]
    if not found:
        return ""
    return f"; did you mean {' and '.join(found)}?"


def suggest_among(headers: list, names: tuple[str, ...], suggest) -> str | None:
    """The header closest to any of ``names`` (None when none is close)."""
    for name in names:
        hit = suggest(name, headers)
        if hit:
            return hit
    return None


def _numeric(series: pd.Series, column: str, rows, problems: Findings):
    values = pd.to_numeric(series.astype("string").str.strip(), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    bad = np.isnan(values) & series.notna().to_numpy()
    problems.add("coords.number", column, rows[bad], value=series.to_numpy(dtype=object)[bad])
    return values


def _clip(value, n: int = 40) -> str:
    s = str(value)
    return s if len(s) <= n else s[: n - 1] + "…"
