"""Write result tables and layers atomically, in the format the file extension names.

``.csv`` (point coordinates as ``lon``/``lat``, other geometries as WKT), ``.geojson``,
``.geojsonl`` (GeoJSON sequence), ``.gpkg``, ``.parquet`` (GeoParquet), ``.fgb``, ``.json``
(plain records), ``.xlsx`` (a formatted Results sheet, Columns, Sources and Metadata sheets;
:mod:`geoprospect.io.xlsx`). CSV text that a spreadsheet would run as a formula is written with a
leading ``'`` unless asked not to (:mod:`geoprospect.io.csvsafe`).
A ``postgresql://`` target writes a PostGIS table (:mod:`geoprospect.io.postgis_write`).

Every write goes to a temporary file beside the target and is renamed over it only when
complete, so an interrupted or failed write leaves any existing target intact. An existing
target is refused unless ``overwrite=True``. Inputs are never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import OutputError
from geoprospect.io.csvsafe import guard_frame

FORMATS = {
    ".csv": "CSV", ".geojson": "GeoJSON", ".geojsonl": "GeoJSONSeq", ".gpkg": "GPKG",
    ".parquet": "GeoParquet", ".fgb": "FlatGeobuf", ".json": "JSON records", ".xlsx": "XLSX",
}


def output_format(path: str | Path) -> str:
    """Return the format name for an output path, or raise OutputError for an unknown one."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise OutputError(
            f"{Path(path).name}: unknown output format {ext or '(none)'}; "
            f"use one of {', '.join(FORMATS)}"
        )
    return FORMATS[ext]


@contextlib.contextmanager
def atomic_path(target: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    The temporary file keeps the target's extension (GDAL picks drivers by extension). On any
    exception, KeyboardInterrupt included, the temporary file is removed and ``target`` is left
    as it was. Its name carries this process's id, so that the temporary file of a run killed
    outright (``kill -9``) is removed by the next write of the same target.
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; allow overwriting to replace it", option="overwrite")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{target}: folder {parent} does not exist")
    _remove_stale(parent, target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.{os.getpid()}-", suffix=f".tmp{target.suffix}",
                               dir=parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # drivers such as GPKG refuse to open an existing empty file
    try:
        yield tmp_path
        if not tmp_path.exists():
            raise OutputError(f"{target}: nothing was written")
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            if tmp_path.is_dir():
                import shutil

                shutil.rmtree(tmp_path)
            else:
                tmp_path.unlink()
        raise



def _remove_stale(parent: Path, target: Path) -> None:
    """Remove temporary files of ``target`` left by processes that no longer exist."""
    import re
    import shutil

    from geoprospect.core.procs import alive

    pattern = re.compile(rf"^\.{re.escape(target.stem)}\.(\d+)-[^.]+\.tmp{re.escape(target.suffix)}$")
    for path in parent.glob(f".{glob_escape(target.stem)}.*.tmp{glob_escape(target.suffix)}"):
        hit = pattern.match(path.name)
        if hit and int(hit.group(1)) != os.getpid() and not alive(int(hit.group(1))):
            with contextlib.suppress(OSError):
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def glob_escape(text: str) -> str:
    """``text`` with glob wildcards escaped."""
    import glob

    return glob.escape(text)


@contextlib.contextmanager
def written(target: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """:func:`atomic_path` that reports an operating-system failure as :class:`OutputError`.

    Parameters
    ----------
    target : str or Path
        The file to write.
    overwrite : bool
        Replace an existing ``target``.

    Yields
    ------
    Path
        The temporary path to write to.

    Raises
    ------
    OutputError
        ``target`` exists without ``overwrite``, its folder is missing, nothing was written, or
        the system refused (``<target>: cannot write (No space left on device)``).
    """
    try:
        with atomic_path(target, overwrite=overwrite) as tmp:
            yield tmp
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from exc


def write_table(
    gdf,
    path: str | Path,
    *,
    overwrite: bool = False,
    metadata: dict | None = None,
    sources=None,
    layer_name: str = "results",
    guard_csv: bool = True,
    style=None,
):
    """Write a (Geo)DataFrame atomically in the format given by ``path``'s extension, or into a
    PostGIS table in one transaction (:mod:`geoprospect.io.postgis_write`).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or pandas.DataFrame
        The table to write. Geometry, when present, must be in EPSG:4326.
    path : str, Path or PostgisTarget
        Target file; the extension picks the format (see module docstring). A
        ``postgresql://`` URI with ``table=`` (or a ``PostgisTarget``) writes a PostGIS table.
    overwrite : bool
        Replace an existing file (or table).
    metadata : dict, optional
        Provenance (data date, model hash, tool version). Written as columns ``data_date`` and
        ``model_sha256`` in every format, and in full into GeoPackage/Parquet/XLSX metadata.
    sources : pandas.DataFrame, optional
        A table of sources; written as the Sources sheet of XLSX outputs.
    layer_name : str
        Layer name inside GeoPackage outputs.
    guard_csv : bool
        CSV: prefix text cells that start with ``=``, ``+``, ``-``, ``@``, tab or carriage return
        with ``'`` (spreadsheets would run them as formulas); False writes text as it is.
    style : geoprospect.io.styles.LayerStyle, optional
        A QGIS style: the default style of a GeoPackage layer (``layer_styles``), a sidecar
        ``.qml`` beside GeoParquet and FlatGeobuf files.

    Returns
    -------
    Path or PostgisTarget
        The written file (or table).
    """
    from geoprospect.io.postgis import is_database

    frame = _with_provenance(gdf, metadata)
    if is_database(path):
        from geoprospect.io.postgis_write import write_postgis

        return write_postgis(frame, path, overwrite=overwrite, metadata=metadata)
    path = Path(path)
    fmt = output_format(path)
    with written(path, overwrite=overwrite) as tmp:
        try:
            if fmt == "CSV" and guard_csv:
                frame = guard_frame(frame)
            _WRITERS[fmt](frame, tmp, metadata or {}, sources, layer_name)
            if style is not None and fmt == "GPKG" and _is_geo(frame):
                from geoprospect.io.styles import store_gpkg_style

                store_gpkg_style(tmp, layer_name, style)
        except OutputError as exc:  # the writers' messages do not know the target's name
            raise OutputError(f"{path}: {exc}") from exc
    if style is not None and path.suffix.lower() in (".parquet", ".fgb") and _is_geo(frame):
        from geoprospect.io.styles import write_sidecar

        write_sidecar(path, style, overwrite=overwrite)
    return path


def _with_provenance(gdf, metadata: dict | None):
    frame = gdf.copy()
    frame.attrs = {}  # in-memory extras (route legs, problems) are not part of the table
    if metadata:
        for key in ("data_date", "model_sha256"):
            if metadata.get(key) and key not in frame.columns:
                frame[key] = metadata[key]
    for col in frame.columns:
        if col != getattr(frame, "_geometry_column_name", None) and frame[col].dtype == object:
            frame[col] = frame[col].map(_plain, na_action="ignore")
    return frame


def _plain(v):
    if isinstance(v, (list, tuple, set)):
        return ";".join(map(str, v))
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return v


def _is_geo(frame) -> bool:
    return hasattr(frame, "geometry") and getattr(frame, "_geometry_column_name", None) in frame


def _flat(frame) -> pd.DataFrame:
    """Drop geometry into lon/lat (points) or WKT (others) columns."""
    if not _is_geo(frame):
        return pd.DataFrame(frame)
    geom = frame.geometry
    data = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if len(frame) and (geom.geom_type.dropna() == "Point").all():
        data["lon"] = geom.x.round(6)
        data["lat"] = geom.y.round(6)
    else:
        data["wkt"] = geom.to_wkt(rounding_precision=6)
    return data


def _write_csv(frame, tmp, metadata, sources, layer_name):
    _flat(frame).to_csv(tmp, index=False, encoding="utf-8")


def _write_json(frame, tmp, metadata, sources, layer_name):
    records = _flat(frame).replace({np.nan: None}).to_dict(orient="records")
    payload = {"metadata": metadata, "records": records}
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=1, default=_json_default)


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return str(v)


def _ogr(driver):
    def write(frame, tmp, metadata, sources, layer_name):
        import pyogrio

        if not _is_geo(frame):
            raise OutputError(f"{tmp.suffix} output needs geometries; use .csv/.json/.xlsx")
        from pyogrio.errors import DataLayerError, DataSourceError

        kwargs: dict = {}
        if driver == "GPKG":
            kwargs["layer"] = layer_name
            kwargs["metadata"] = {k: str(v) for k, v in metadata.items()}
        if driver == "FlatGeobuf":
            # the spatial index sorts features along a Hilbert curve; keep the table's order
            kwargs["layer_options"] = {"SPATIAL_INDEX": "NO"}
        try:
            pyogrio.write_dataframe(frame, tmp, driver=driver, **kwargs)
        except (DataLayerError, DataSourceError) as exc:
            raise OutputError(f"cannot write {driver} ({str(exc).strip().splitlines()[0][:200]})") from exc

    return write


def _write_parquet(frame, tmp, metadata, sources, layer_name):
    if _is_geo(frame):
        frame.to_parquet(tmp, index=False, geometry_encoding="WKB", schema_version="1.1.0")
    else:
        frame.to_parquet(tmp, index=False)
    if metadata:
        import pyarrow.parquet as pq

        table = pq.read_table(tmp)
        meta = dict(table.schema.metadata or {})
        meta[b"geoprospect"] = json.dumps(metadata, default=str).encode()
        pq.write_table(table.replace_schema_metadata(meta), tmp)


def _write_xlsx(frame, tmp, metadata, sources, layer_name):
    from geoprospect.io.xlsx import write_workbook

    write_workbook(_flat(frame), tmp, metadata=metadata, sources=sources)


_WRITERS = {
    "CSV": _write_csv,
    "JSON records": _write_json,
    "GeoJSON": _ogr("GeoJSON"),
    "GeoJSONSeq": _ogr("GeoJSONSeq"),
    "GPKG": _ogr("GPKG"),
    "FlatGeobuf": _ogr("FlatGeobuf"),
    "GeoParquet": _write_parquet,
    "XLSX": _write_xlsx,
}
