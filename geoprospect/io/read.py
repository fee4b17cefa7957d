"""Read any vector layer into a GeoDataFrame in EPSG:4326.

Formats: GeoPackage (``layer=`` when it holds several), GeoJSON, GeoJSON sequences
(``.geojsonl``/``.geojsons``/``.ndjson``), Shapefile (also zipped), FlatGeobuf, GeoParquet, KML,
CSV/TSV/TXT and XLSX with coordinate columns (``lat``/``latitude``/``y`` and
``lon``/``lng``/``long``/``longitude``/``x``, any case) or a WKT column.

The index of the returned frame is the 1-based row number in the file, so every later message
can name the row. Problems found while reading (an unparsable coordinate, bad WKT) are collected
in ``gdf.attrs["problems"]`` rather than raised, so that validation reports all of them at once.
"""

from __future__ import annotations

import csv
import io as _stdio
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.core.messages import short, undecodable
from geoprospect.errors import CRSError, LayerError
from geoprospect.io.coordinates import LAT_NAMES, LON_NAMES, WKT_NAMES, geometry_from_columns
from geoprospect.io.findings import Findings
from geoprospect.io.styles import data_layers

DELIMITED = {".csv", ".tsv", ".txt", ".tab"}
SPREADSHEET = {".xlsx", ".xlsm"}
PARQUET = {".parquet", ".geoparquet", ".pq"}
GEOJSONSEQ = {".geojsonl", ".geojsons", ".geojsonseq", ".ndjson", ".jsonl"}
VECTOR = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".kml", ".kmz", ".gml", ".gpx"}
LONLAT_SHARE = 0.5
"""A layer without CRS is taken as lon/lat when at least this share of its geometries fits;
the few rows that do not are then reported by validation, row by row."""
SUPPORTED = DELIMITED | SPREADSHEET | PARQUET | GEOJSONSEQ | VECTOR
__all__ = ["LAT_NAMES", "LON_NAMES", "SUPPORTED", "WKT_NAMES", "geometry_from_columns", "read_layer",
           "sniff_delimiter", "to_wgs84"]


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    columns=None,
):
    """Read a vector layer from any supported file into EPSG:4326.

    Parameters
    ----------
    path : str, Path or PostgisSource
        The file to read. It is never modified. A ``postgresql://`` URI with ``table=`` or
        ``sql=`` (or a ``PostgisSource``) reads a PostGIS table or query
        (:func:`geoprospect.io.postgis_read.read_postgis`).
    layer : str, optional
        Layer name for multi-layer containers (GeoPackage, KML; required when there are several),
        or the sheet of a spreadsheet (the first sheet by default).
    crs : str, optional
        CRS of the coordinates when the file does not say (every CSV), e.g. ``"EPSG:32736"``.
    encoding : str, optional
        Text encoding of delimited files and of GDAL-read layers (GeoJSON, Shapefile ...);
        UTF-8 (with or without BOM) by default.
    columns : ColumnMap, optional
        The user's column mapping; its ``lat``/``lon``/``wkt`` entries name the coordinate
        columns of a table (the other entries apply in :func:`geoprospect.io.validate.normalise`).

    Returns
    -------
    geopandas.GeoDataFrame
        Index = 1-based row number; ``attrs["problems"]`` holds read-time problems
        (:class:`~geoprospect.io.findings.Findings`) and
        ``attrs["source"]`` the file name.

    Raises
    ------
    LayerError
        File missing or empty, unknown format, unreadable (bad encoding, corrupt, a zip without a
        layer, several layers and no ``layer``), no geometry or coordinate columns.
    CRSError
        No CRS and coordinates that are not longitude/latitude, or an unknown CRS.
    """
    from geoprospect.io.postgis import is_database

    if is_database(path):
        from geoprospect.io.postgis_read import read_postgis

        return read_postgis(path, crs=crs, columns=columns)
    path = Path(path)
    if not path.exists():
        raise LayerError(f"{path}: file not found")
    if path.is_dir():
        raise LayerError(f"{path}: is a folder, not a layer file")
    ext = layer_extension(path)
    if ext not in SUPPORTED:
        raise LayerError(
            f"{path.name}: unsupported format {ext or '(no extension)'}; "
            f"use one of {', '.join(sorted(SUPPORTED))}"
        )
    if path.stat().st_size == 0:
        raise LayerError(f"{path.name}: file is empty")
    if ext == ".zip":
        _check_zip(path)
    problems = Findings(path.name)
    if ext in DELIMITED or ext in SPREADSHEET:
        frame = _read_table(path, ext, encoding, layer)
        gdf = geometry_from_columns(frame, path, problems, columns)
    elif ext in PARQUET:
        gdf = _read_parquet(path, problems, columns)
    else:
        gdf = _read_vector(path, ext, layer, encoding)
    gdf = to_wgs84(gdf, path, crs)
    gdf.index = pd.RangeIndex(1, len(gdf) + 1, name="row")
    gdf.attrs["problems"] = problems
    gdf.attrs["source"] = path.name
    return gdf


def layer_extension(path: Path) -> str:
    """The format-deciding extension of ``path``, lower case (``.shp.zip`` -> ``.zip``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-2:] == [".shp", ".zip"]:
        return ".zip"
    return suffixes[-1] if suffixes else ""


ZIPPED_LAYERS = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".gml", ".tab", ".mif")


def _check_zip(path: Path) -> None:
    """Fail with a clear message when a zip is corrupt or holds no layer GDAL could read."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if not m.endswith("/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise LayerError(f"{path.name}: not a valid zip archive ({short(exc)})") from exc
    if not any(m.lower().endswith(ZIPPED_LAYERS) for m in members):
        shown = ", ".join(members[:8]) or "nothing"
        raise LayerError(f"{path.name}: the zip holds no shapefile (.shp) or other layer (found: {shown})")


def _read_vector(path: Path, ext: str, layer: str | None, encoding: str | None = None):
    import pyogrio

    source = str(path)
    try:
        layers = pyogrio.list_layers(source)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise LayerError(f"{path.name}: cannot open as a vector layer ({short(exc)})") from exc
    names = data_layers(layers[:, 0]) if len(layers) else []
    if layer is None and len(names) > 1 and ext in {".gpkg", ".kml", ".kmz", ".gml", ".zip"}:
        raise LayerError(
            f"{path.name}: holds {len(names)} layers ({', '.join(names)}); choose one",
            option="layer",
        )
    if layer is not None and layer not in names:
        raise LayerError(f"{path.name}: no layer {layer!r}; layers are {', '.join(names)}")
    if layer is None and len(names) == 1 and len(layers) > 1:
        layer = names[0]  # a GeoPackage whose other table is its QGIS style
    kwargs: dict = {"layer": layer} if layer is not None else {}
    if encoding:
        kwargs["encoding"] = encoding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(source, **kwargs)
    except UnicodeDecodeError as exc:
        raise LayerError(undecodable(path.name, encoding, byte=exc.object[exc.start]),
                         option="encoding") from exc
    except LookupError as exc:
        raise LayerError(f"{path.name}: unknown encoding {encoding!r}") from exc
    except Exception as exc:
        raise LayerError(f"{path.name}: cannot read ({short(exc)})") from exc
    if "geometry" not in gdf:
        raise LayerError(f"{path.name}: the layer has no geometry")
    return gdf


def _read_parquet(path: Path, problems: Findings, columns=None):
    import geopandas as gpd

    try:
        return gpd.read_parquet(path)
    except ValueError:
        # plain Parquet (no geo metadata): coordinates in columns, like a CSV
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:
            raise LayerError(f"{path.name}: cannot read Parquet ({short(exc)})") from exc
        return geometry_from_columns(frame, path, problems, columns)
    except Exception as exc:
        raise LayerError(f"{path.name}: cannot read GeoParquet ({short(exc)})") from exc


def _read_table(path: Path, ext: str, encoding: str | None, layer: str | None = None) -> pd.DataFrame:
    if ext in SPREADSHEET:
        return _read_sheet(path, layer)
    raw = path.read_bytes()
    text = _decode(raw, path, encoding)
    if not text.strip():
        raise LayerError(f"{path.name}: file is empty")
    sep = "\t" if ext in {".tsv", ".tab"} else sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            _stdio.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.ParserError as exc:
        raise LayerError(f"{path.name}: malformed table ({short(exc)})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.replace({"": np.nan})


def _read_sheet(path: Path, sheet: str | None) -> pd.DataFrame:
    """Read one sheet (``sheet`` = ``--layer``; the first sheet by default) as text."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            if sheet is not None and sheet not in names:
                raise LayerError(f"{path.name}: no sheet {sheet!r}; sheets are {', '.join(names)}")
            frame = pd.read_excel(book, sheet_name=sheet if sheet is not None else 0, dtype=str,
                                  keep_default_na=False)
    except LayerError:
        raise
    except Exception as exc:
        raise LayerError(f"{path.name}: cannot read spreadsheet ({short(exc)})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.replace({"": np.nan})


def _decode(raw: bytes, path: Path, encoding: str | None) -> str:
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except LookupError as exc:
        raise LayerError(f"{path.name}: unknown encoding {enc!r}") from exc
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise LayerError(undecodable(path.name, enc, line=line, byte=raw[exc.start]),
                         option="encoding") from exc


def sniff_delimiter(text: str) -> str:
    """The field delimiter of a delimited text's header line (``,`` ``;`` tab or ``|``)."""
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def to_wgs84(gdf, path: Path, crs: str | None):
    """Reproject ``gdf`` to EPSG:4326, honouring a user ``crs`` and guessing lon/lat for a file
    without one (only when most coordinates fit); raises :class:`CRSError` otherwise."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    if crs is not None:
        try:
            user_crs = CRS.from_user_input(crs)
        except ProjCRSError as exc:
            raise CRSError(f"{path.name}: {crs!r} is not a known CRS", option="crs") from exc
        if gdf.crs is not None and CRS(gdf.crs) != user_crs:
            warnings.warn(
                f"{path.name}: file says {gdf.crs.to_string()}, using the given CRS {crs} instead",
                stacklevel=3,
            )
        gdf = gdf.set_crs(user_crs, allow_override=True)
    if gdf.crs is None:
        share, bounds = _lonlat_share(gdf)
        if share < LONLAT_SHARE:
            raise CRSError(
                f"{path.name}: no CRS, and the coordinates (x {bounds[0]:.6g}..{bounds[2]:.6g}, "
                f"y {bounds[1]:.6g}..{bounds[3]:.6g}) are not longitude/latitude; "
                "say which CRS they are in (e.g. EPSG:32736)",
                option="crs",
            )
        return gdf.set_crs("EPSG:4326")
    if CRS(gdf.crs).equals(CRS("EPSG:4326"), ignore_axis_order=True):
        return gdf.set_crs("EPSG:4326", allow_override=True)
    try:
        return gdf.to_crs("EPSG:4326")
    except Exception as exc:
        raise CRSError(f"{path.name}: cannot reproject from {gdf.crs} ({short(exc)})") from exc


def _lonlat_share(gdf) -> tuple[float, np.ndarray]:
    """Share of geometries whose coordinates look like lon/lat (or swapped lat/lon)."""
    import shapely

    geoms = gdf.geometry.to_numpy()
    valid = pd.notna(geoms)
    valid[valid] = ~shapely.is_empty(geoms[valid])
    if not valid.any():
        return 1.0, np.zeros(4)
    b = shapely.bounds(geoms[valid])
    fits = (np.abs(b) <= 180).all(axis=1) & (
        (np.abs(b[:, [1, 3]]) <= 90).all(axis=1) | (np.abs(b[:, [0, 2]]) <= 90).all(axis=1)
    )
    total = np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])
    return float(fits.mean()), total
