"""Read any supported layer as a stream of chunks of at most ``chunk_size`` rows.

A :class:`Chunk` holds the input's attribute columns exactly as read (an Arrow table, so types
survive the round trip to the output untouched), the geometries in EPSG:4326, the global
1-based row number of its first row and the read-time problems (rows already global).

Readers, one pass each, memory bounded by the chunk size:

* GeoParquet / Parquet: :meth:`pyarrow.parquet.ParquetFile.iter_batches` (plain Parquet with
  coordinate columns works like a CSV);
* CSV/TSV/TXT: :func:`pandas.read_csv` with ``chunksize``, every cell read as text (like
  :func:`geoprospect.io.read.read_layer`);
* GDAL formats (GeoPackage, GeoJSON, FlatGeobuf, Shapefile, KML ...): :func:`pyogrio.open_arrow`;
* spreadsheets are read whole by :func:`geoprospect.io.read.read_layer`, then sliced;
* PostGIS tables and queries: one streamed ``COPY ... TO STDOUT`` (:mod:`geoprospect.batch.postgis`).

CRS handling is the one of :func:`geoprospect.io.read.read_layer` (``--crs`` for files that do not
say; files without CRS must hold lon/lat).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.batch.geometry import Projector, decode_geometry, geo_metadata, geoparquet_crs
from geoprospect.core.messages import short, undecodable
from geoprospect.errors import LayerError
from geoprospect.io.findings import Findings
from geoprospect.io.postgis import is_database, source_name
from geoprospect.io.read import (
    DELIMITED,
    PARQUET,
    SPREADSHEET,
    geometry_from_columns,
    layer_extension,
    read_layer,
    sniff_delimiter,
)
from geoprospect.io.styles import data_layers


@dataclass
class Chunk:
    """Rows ``start .. start + len - 1`` (1-based) of one input file."""

    path: Path
    start: int
    raw: object  # pyarrow.Table of the attribute columns as read
    geometry: np.ndarray  # shapely geometries, EPSG:4326 (None = no location)
    problems: Findings | list = field(default_factory=list)  # read-time problems, rows global
    coords_from_columns: bool = False

    def __len__(self) -> int:
        return len(self.geometry)

    @property
    def file(self) -> str:
        return self.path.name

    def frame(self):
        """The chunk as a GeoDataFrame indexed by global row number (what ``normalise`` takes)."""
        import geopandas as gpd

        data = self.raw.to_pandas()
        data.index = pd.RangeIndex(self.start, self.start + len(self), name="row")
        gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(self.geometry, index=data.index),
                               crs="EPSG:4326")
        gdf.attrs["problems"] = Findings(self.file)
        gdf.attrs["problems"].extend(self.problems)
        gdf.attrs["source"] = self.file
        return gdf


@dataclass
class ReadOptions:
    """Options of :func:`geoprospect.io.read.read_layer` that apply to every input, and the
    user's column mapping (:class:`~geoprospect.io.mapping.ColumnMap`)."""

    layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    columns: object = None


def kind_of(path: Path) -> str:
    """``parquet``, ``csv``, ``sheet``, ``ogr`` or ``postgis`` (a table or query)."""

    if is_database(path):
        return "postgis"
    ext = layer_extension(path)
    if ext in PARQUET:
        return "parquet"
    if ext in DELIMITED:
        return "csv"
    if ext in SPREADSHEET:
        return "sheet"
    return "ogr"


def count_rows(path: Path, opts: ReadOptions | None = None) -> int | None:
    """Number of rows when the format knows it cheaply (Parquet, GDAL), else None."""
    kind = kind_of(path)
    try:
        if kind == "postgis":
            from geoprospect.io.postgis_read import count_postgis

            return count_postgis(path)
        if kind == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if kind == "ogr":
            import pyogrio

            n = pyogrio.read_info(str(path), layer=(opts or ReadOptions()).layer)["features"]
            return int(n) if n >= 0 else None
    except Exception:
        return None
    return None


def iter_chunks(path: str | Path, chunk_size: int, opts: ReadOptions | None = None,
                first_row: int = 1, last_row: int | None = None) -> Iterator[Chunk]:
    """Yield the rows of ``path`` in chunks of at most ``chunk_size`` rows.

    Parameters
    ----------
    path : str or Path
        Any format :func:`geoprospect.io.read.read_layer` reads.
    chunk_size : int
        Rows per chunk (>= 1).
    opts : ReadOptions, optional
        ``layer``, ``crs``, ``encoding``.
    first_row, last_row : int, optional
        Only for Parquet (the dask engine's partitions): 1-based inclusive row range.

    Raises
    ------
    LayerError
        The file cannot be read at all (missing, empty, unknown format, no coordinates).
    """
    opts = opts or ReadOptions()
    if is_database(path):
        from geoprospect.batch.postgis import postgis_chunks

        yield from postgis_chunks(path, chunk_size, opts)
        return
    path = _checked(path, chunk_size)
    kind = kind_of(path)
    if kind == "parquet":
        yield from _parquet_chunks(path, chunk_size, opts, first_row, last_row)
    elif kind == "csv":
        yield from _csv_chunks(path, chunk_size, opts)
    elif kind == "sheet":
        yield from _sheet_chunks(path, chunk_size, opts)
    else:
        yield from _ogr_chunks(path, chunk_size, opts)


def _checked(path: str | Path, chunk_size: int) -> Path:
    path = Path(path)
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    if not path.exists():
        raise LayerError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise LayerError(f"{path.name}: file is empty")
    return path


def raw_fields(path: str | Path, opts: ReadOptions | None = None) -> tuple[list, bool]:
    """Input columns of ``path`` as Arrow fields (from its first row) and whether its
    coordinates are columns of the table (CSV, plain Parquet, spreadsheets)."""
    with contextlib.closing(iter_chunks(path, 1, opts)) as chunks:
        first = next(chunks, None)
    if first is None:
        raise LayerError(f"{source_name(path)}: the layer has no rows")
    return list(first.raw.schema), first.coords_from_columns


def _from_columns(frame: pd.DataFrame, path: Path, start: int, project: Projector, raw=None,
                  columns=None) -> Chunk:
    """A chunk of a table with coordinate (or WKT) columns; the table's columns are all kept."""
    import pyarrow as pa

    problems = Findings(path.name)
    gdf = geometry_from_columns(frame, path, problems, columns)
    geoms = project(gdf.geometry.to_numpy())
    if raw is None:  # text tables: every column is text, whatever a chunk happens to hold
        schema = pa.schema([(str(c), pa.string()) for c in frame.columns])
        raw = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    return Chunk(path, start, raw, geoms, problems.shifted(start - 1), coords_from_columns=True)


# ---------------------------------------------------------------- readers
def _parquet_chunks(path, chunk_size, opts, first_row, last_row):
    pf = _open_parquet(path)
    decode = ParquetDecoder(path, pf.schema_arrow, opts)
    total = pf.metadata.num_rows
    last = total if last_row is None else min(last_row, total)
    for start, table in _parquet_range(pf, first_row, last, chunk_size):
        yield decode(start, table)


class ParquetDecoder:
    """Turn pieces of one Parquet file (its Arrow schema carries the GeoParquet metadata) into
    chunks: geometry decoded (or built from coordinate columns) and brought to EPSG:4326."""

    def __init__(self, path: Path, schema, opts: ReadOptions) -> None:
        self.path = Path(path)
        self.columns = opts.columns
        geo = geo_metadata(schema)
        self.column = self.spec = None
        if geo is None:
            self.project = Projector(self.path, None, opts.crs)
        else:
            self.column = geo["primary_column"]
            self.spec = geo["columns"][self.column]
            self.project = Projector(self.path, geoparquet_crs(self.spec), opts.crs)

    def __call__(self, start: int, table) -> Chunk:
        if self.column is None:
            return _from_columns(table.to_pandas(), self.path, start, self.project, raw=table,
                                 columns=self.columns)
        geoms = decode_geometry(table.column(self.column), self.spec.get("encoding", "WKB"), self.path)
        return Chunk(self.path, start, table.drop_columns([self.column]), self.project(geoms))


def _open_parquet(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:
        raise LayerError(f"{path.name}: cannot read Parquet ({short(exc)})") from exc


def _parquet_range(pf, first: int, last: int, chunk_size: int):
    """(1-based start, table) pieces covering rows first..last, read by row group."""
    md = pf.metadata
    offset = 1
    for rg in range(md.num_row_groups):
        n = md.row_group(rg).num_rows
        lo, hi = offset, offset + n - 1
        offset += n
        if hi < first or lo > last:
            continue
        table = pf.read_row_group(rg)
        a, b = max(first, lo) - lo, min(last, hi) - lo + 1
        for s in range(a, b, chunk_size):
            e = min(s + chunk_size, b)
            yield lo + s, table.slice(s, e - s)


def _csv_chunks(path, chunk_size, opts):

    enc = opts.encoding or "utf-8-sig"
    try:
        with open(path, encoding=enc, newline="") as fh:
            head = fh.read(65536)
    except LookupError as exc:
        raise LayerError(f"{path.name}: unknown encoding {enc!r}") from exc
    except UnicodeDecodeError as exc:
        raise LayerError(undecodable(path.name, enc), option="encoding") from exc
    if not head.strip():
        raise LayerError(f"{path.name}: file is empty")
    sep = "\t" if path.suffix.lower() in {".tsv", ".tab"} else sniff_delimiter(head)
    project = Projector(path, None, opts.crs)
    start = 1
    try:
        with pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True,
                         encoding=enc, chunksize=chunk_size) as reader:  # closed if left midway
            for frame in reader:
                frame.columns = [str(c).strip() for c in frame.columns]
                frame = frame.replace({"": None})
                yield _from_columns(frame, path, start, project, columns=opts.columns)
                start += len(frame)
    except pd.errors.ParserError as exc:
        raise LayerError(f"{path.name}: malformed table ({short(exc)})") from exc
    except UnicodeDecodeError as exc:
        raise LayerError(undecodable(path.name, enc), option="encoding") from exc


def _sheet_chunks(path, chunk_size, opts):
    import pyarrow as pa


    gdf = read_layer(path, layer=opts.layer, crs=opts.crs, encoding=opts.encoding, columns=opts.columns)
    problems = gdf.attrs.get("problems") or Findings(path.name)
    data = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geoms = gdf.geometry.to_numpy()
    for s in range(0, len(gdf), chunk_size):
        e = min(s + chunk_size, len(gdf))
        raw = pa.Table.from_pandas(data.iloc[s:e], preserve_index=False)
        yield Chunk(path, s + 1, raw, geoms[s:e], problems.within(s + 1, e, whole_file=s == 0),
                    coords_from_columns=True)


def _ogr_chunks(path, chunk_size, opts):
    import pyogrio

    source = str(path)
    try:
        layers = pyogrio.list_layers(source)
    except Exception as exc:
        raise LayerError(f"{path.name}: cannot open as a vector layer ({short(exc)})") from exc
    names = data_layers(layers[:, 0]) if len(layers) else []
    if opts.layer is None and len(names) > 1:
        raise LayerError(f"{path.name}: holds {len(names)} layers ({', '.join(names)}); "
                         "choose one", option="layer")
    if opts.layer is not None and opts.layer not in names:
        raise LayerError(f"{path.name}: no layer {opts.layer!r}; layers are {', '.join(names)}")
    kwargs: dict = {"batch_size": chunk_size, "use_pyarrow": True}
    if opts.layer is not None or 0 < len(names) < len(layers):
        kwargs["layer"] = opts.layer or names[0]
    if opts.encoding:
        kwargs["encoding"] = opts.encoding
    start = 1
    try:
        with pyogrio.open_arrow(source, **kwargs) as (meta, reader):
            geom_col = meta.get("geometry_name") or "wkb_geometry"
            project = Projector(path, meta.get("crs"), opts.crs)
            for batch in reader:
                import pyarrow as pa

                table = pa.Table.from_batches([batch])
                if geom_col not in table.column_names:
                    raise LayerError(f"{path.name}: the layer has no geometry")
                geoms = decode_geometry(table.column(geom_col), "WKB", path)
                raw = table.drop_columns([geom_col])
                yield Chunk(path, start, raw, project(geoms))
                start += table.num_rows
    except LayerError:
        raise
    except UnicodeDecodeError as exc:
        raise LayerError(undecodable(path.name, opts.encoding), option="encoding") from exc
    except Exception as exc:
        raise LayerError(f"{path.name}: cannot read ({short(exc)})") from exc
