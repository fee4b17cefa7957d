"""What goes between the local engine and its worker processes, in forms that are cheap to send.

Pickling a :class:`~geoprospect.batch.chunks.Chunk` as is costs more than scoring it (each
shapely geometry is pickled on its own, and a slice of an Arrow table pickles its parent's whole
buffers), so the parent sends the least it can, and the worker does the rest:

* :class:`RowRange`: Parquet files whose row groups hold at most a chunk: the rows of one
  chunk, which the worker reads itself (the parent reads nothing);
* :class:`ParquetSlice`: other Parquet files: the chunk's rows as stored, read batch by batch
  by the parent (so that they pickle on their own); the worker decodes the geometry;
* :class:`PackedChunk`: every other format, read by the parent: the attribute columns and the
  geometry as coordinates (2D points) or WKB.

The chunk boundaries are always those of a serial run. Results come back as
:class:`SpooledTable`: the worker writes the scored table to an Arrow IPC file that the parent
memory-maps, which costs a tenth of pickling it through the result pipe.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geoprospect.batch.chunks import (
    Chunk,
    ParquetDecoder,
    _checked,
    _open_parquet,
    _parquet_range,
    count_rows,
    iter_chunks,
    kind_of,
)
from geoprospect.batch.pipeline import Settings


def tasks(path: Path, settings: Settings) -> Iterator[RowRange | ParquetSlice | PackedChunk]:
    """The chunks of ``path`` for the workers, in order (reading errors raise here, in order)."""
    if kind_of(path) == "parquet":
        ranges = parquet_ranges(path, settings.chunk_size)
        if ranges is not None:
            for first, last in ranges:
                yield RowRange(path, first, last)
            return
        for start, table in parquet_pieces(path, settings.chunk_size):
            yield ParquetSlice(path, start, _compact(table))
        return
    for chunk in iter_chunks(path, settings.chunk_size, settings.read):
        yield PackedChunk.of(chunk)


@dataclass(frozen=True)
class RowRange:
    """Rows ``first .. last`` (1-based) of a Parquet file, read by the worker."""

    path: Path
    first: int
    last: int

    def chunk(self, settings: Settings) -> Chunk:
        with _quiet_after_first(self.first):
            return next(iter_chunks(self.path, settings.chunk_size, settings.read, self.first, self.last))


@dataclass(frozen=True)
class ParquetSlice:
    """One chunk of a Parquet file as stored (Arrow IPC), decoded by the worker."""

    path: Path
    start: int
    table: object  # pyarrow.Table

    def chunk(self, settings: Settings) -> Chunk:
        with _quiet_after_first(self.start):
            return ParquetDecoder(self.path, self.table.schema, settings.read)(self.start, self.table)


@dataclass(frozen=True)
class PackedChunk:
    """A chunk the parent read, packed: coordinates or WKB for the geometry."""

    path: Path
    start: int
    raw: object  # pyarrow.Table of the attribute columns
    present: np.ndarray  # rows that have a geometry
    coords: np.ndarray | None  # (n, 2) when every geometry is a 2D point
    wkb: np.ndarray | None  # otherwise
    problems: list
    coords_from_columns: bool

    @classmethod
    def of(cls, chunk: Chunk) -> PackedChunk:
        import shapely

        geoms = np.asarray(chunk.geometry, dtype=object)
        present = ~shapely.is_missing(geoms)
        shown = geoms[present]
        coords = wkb = None
        has_m = getattr(shapely, "has_m", lambda g: np.zeros(len(g), dtype=bool))
        if (shapely.get_type_id(shown) == 0).all() and not (
                shapely.has_z(shown).any() or has_m(shown).any() or shapely.is_empty(shown).any()):
            coords = shapely.get_coordinates(shown)
        else:
            wkb = shapely.to_wkb(shown)
        return cls(chunk.path, chunk.start, _compact(chunk.raw), present, coords, wkb, chunk.problems,
                   chunk.coords_from_columns)

    def chunk(self, settings: Settings) -> Chunk:
        import shapely

        geoms = np.full(len(self.present), None, dtype=object)
        geoms[self.present] = shapely.points(self.coords) if self.coords is not None \
            else shapely.from_wkb(self.wkb)
        return Chunk(self.path, self.start, self.raw, geoms, self.problems, self.coords_from_columns)


@dataclass(frozen=True)
class SpooledTable:
    """A scored table a worker wrote to an Arrow IPC file; the parent maps it (no copy)."""

    path: str

    @classmethod
    def write(cls, table, path: str) -> SpooledTable:
        import pyarrow as pa

        with pa.OSFile(path, "wb") as fh, pa.ipc.new_file(fh, table.schema) as writer:
            writer.write_table(table)
        return cls(path)

    def load(self):
        import pyarrow as pa

        table = pa.ipc.open_file(pa.memory_map(self.path)).read_all()
        os.unlink(self.path)  # the mapping lives on until the table is freed
        return table


def parquet_ranges(path: Path, chunk_size: int) -> list[tuple[int, int]] | None:
    """The row ranges (1-based, inclusive) of a serial run's chunks of a Parquet file when
    every row group holds at most ``chunk_size`` rows (one chunk per row group); None when one
    holds more (each worker would read it whole) or the file cannot be read."""
    import pyarrow.parquet as pq

    try:
        md = pq.ParquetFile(path).metadata
    except Exception:
        return None
    sizes = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    if not sizes or max(sizes) > chunk_size:
        return None
    out, first = [], 1
    for n in sizes:
        if n:
            out.append((first, first + n - 1))
        first += n
    return out


def parquet_pieces(path: str | Path, chunk_size: int) -> Iterator[tuple[int, object]]:
    """The chunks of a Parquet file as stored (geometry not decoded), read batch by batch so
    that each has buffers of its own: (1-based first row, :class:`pyarrow.Table`) pairs, cut
    where :func:`~geoprospect.batch.chunks.iter_chunks` cuts."""
    import pyarrow as pa

    path = _checked(path, chunk_size)
    pf = _open_parquet(path)
    md, offset = pf.metadata, 1
    for rg in range(md.num_row_groups):
        n = md.row_group(rg).num_rows
        batches = pf.iter_batches(batch_size=chunk_size, row_groups=[rg])
        for s in range(0, n, chunk_size):
            batch = next(batches, None)
            if batch is None or batch.num_rows != min(chunk_size, n - s):  # not cut as asked
                yield from _parquet_range(pf, offset + s, offset + n - 1, chunk_size)
                break
            yield offset + s, pa.Table.from_batches([batch])
        offset += n


def count_chunks(files: list[Path], settings: Settings, limit: int) -> int:
    """Chunks the inputs hold, counted up to ``limit`` (a count that is not cheap to know
    counts as ``limit``; CSV lines are an upper bound of the rows)."""
    total = 0
    for path in files:
        if total >= limit:
            break
        kind = kind_of(path)
        if kind == "postgis":
            rows = count_rows(path, settings.read)
            total += limit if rows is None else math.ceil(rows / settings.chunk_size)
            continue
        path = Path(path)
        if not path.is_file():
            continue
        rows = count_rows(path, settings.read) if kind in ("parquet", "ogr") else None
        if kind == "parquet" and (ranges := parquet_ranges(path, settings.chunk_size)) is not None:
            total += len(ranges)
            continue
        if rows is None and kind == "csv":
            rows = _lines_up_to(path, limit * settings.chunk_size)
        total += limit if rows is None else math.ceil(rows / settings.chunk_size)
    return total


def _lines_up_to(path: Path, most: int) -> int:
    lines = 0
    with open(path, "rb") as fh:
        while lines <= most and (block := fh.read(1 << 20)):
            lines += block.count(b"\n")
    return lines + 1


def _compact(table):
    """``table`` with buffers of its own: a slice of a bigger table pickles the whole of it."""
    if table.get_total_buffer_size() <= 1.25 * table.nbytes + 4096:
        return table
    import pyarrow as pa

    sink = pa.BufferOutputStream()  # an IPC stream holds the slice's own bytes only
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all()


@contextlib.contextmanager
def _quiet_after_first(first_row: int):
    """A serial run warns (about ``--crs``) on a file's first chunk only; so do the workers."""
    with warnings.catch_warnings():
        if first_row > 1:
            warnings.simplefilter("ignore", UserWarning)
        yield
