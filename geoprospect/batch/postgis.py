"""PostGIS in batch scoring: tables and queries read chunk by chunk, scored rows streamed into a
table in one transaction.

* :func:`postgis_chunks`: a :class:`~geoprospect.io.postgis.PostgisSource` as
  :class:`~geoprospect.batch.chunks.Chunk` s (one streamed COPY; the parent reads, the
  workers score, as for any non-Parquet input);
* :class:`PostgisSink`: the :class:`~geoprospect.batch.sinks.Sink` of a PostGIS target: every
  chunk goes into one ``COPY`` into a staging table that :meth:`~PostgisSink.commit` swaps in
  (:class:`~geoprospect.io.postgis_write.PostgisWriter`); an error or Ctrl-C before that rolls
  everything back and leaves the target as it was;
* :func:`run_dask_into_postgis`: the dask engine's partitioned GeoParquet, then loaded into the
  table in input order, in one transaction.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from geoprospect.batch.chunks import Chunk, ReadOptions
from geoprospect.batch.sinks import Sink, conform
from geoprospect.errors import OutputError


def postgis_chunks(source, chunk_size: int, opts: ReadOptions) -> Iterator[Chunk]:
    """The rows of a table or query as chunks of at most ``chunk_size`` rows."""
    from geoprospect.io.postgis_read import iter_postgis

    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    for piece in iter_postgis(source, chunk_size, crs=opts.crs, columns=opts.columns):
        yield Chunk(source, piece.start, piece.raw, piece.geometry, piece.problems,
                    coords_from_columns=bool(piece.coordinate_columns))


class PostgisSink(Sink):
    """Scored chunks into a PostGIS table (same life cycle and schema as a file :class:`Sink`).

    Parameters
    ----------
    target : PostgisTarget
    input_fields : list of pyarrow.Field
        Input columns of every table written (union over the inputs).
    overwrite : bool
        Replace an existing table (``target.mode`` may say ``append`` instead).
    metadata : dict, optional
        Provenance, stored as the table comment.
    coords_in_columns, guard_csv : bool
        As :class:`~geoprospect.batch.sinks.Sink` takes them; a table needs neither.
    """

    def __init__(self, target, input_fields: list, *, overwrite: bool = False,
                 metadata: dict | None = None, coords_in_columns: bool = False,
                 guard_csv: bool = True) -> None:
        from geoprospect.io.postgis_write import PostgisWriter

        if overwrite and target.mode == "fail":
            target = replace(target, mode="replace")
        self.target = target
        self.input_fields = input_fields
        self.overwrite = overwrite
        self.metadata = metadata or {}
        self.rows = 0
        self.schema = None
        self._db = PostgisWriter(target, metadata=self.metadata)

    def open(self) -> PostgisSink:
        """Connect; refuse an existing table unless replacing or appending (before any work)."""
        self._db.open()
        return self

    def write(self, table) -> None:
        """Stream one scored chunk into the table's COPY."""
        if table is None or table.num_rows == 0:
            return
        if self.schema is None:
            self.schema = self._schema(table)
        table = conform(table, self.schema)
        self._db.write(table)
        self.rows += table.num_rows

    def commit(self):
        """Swap the table in and commit (one transaction)."""
        if self.rows == 0:
            self.abort()
            raise OutputError(f"{self.target}: no row could be scored; nothing written")
        return self._db.commit()

    def abort(self) -> None:
        """Roll back: the target is left as it was."""
        self._db.abort()


def run_dask_into_postgis(inputs: list, target, settings, *, overwrite: bool = False,
                          metadata: dict | None = None, summary=None, **kwargs):
    """The dask engine into a PostGIS table: parts in a temporary folder, then one transaction.

    The target is checked first (so a refused table fails before any scoring); ``kwargs`` go to
    :func:`geoprospect.batch.engine_dask.run_dask`.
    """
    import pyarrow.parquet as pq

    from geoprospect.batch.engine_dask import run_dask
    from geoprospect.io.postgis_write import PostgisWriter

    if overwrite and target.mode == "fail":
        target = replace(target, mode="replace")
    writer = PostgisWriter(target, metadata=metadata).open()
    try:
        with tempfile.TemporaryDirectory(prefix="geoprospect-dask-") as tmp:
            parts = Path(tmp) / "scored.parquet"
            summary = run_dask(inputs, parts, settings, overwrite=False, metadata=metadata,
                               summary=summary, **kwargs)
            schema = None
            for part in sorted(parts.glob("part-*.parquet")):
                with contextlib.closing(pq.ParquetFile(part)) as pf:
                    for batch in pf.iter_batches(batch_size=settings.chunk_size):
                        import pyarrow as pa

                        table = pa.Table.from_batches([batch])
                        schema = schema or table.schema
                        writer.write(conform(table, schema))
            summary.outputs[:] = [writer.commit()]
    except BaseException:
        writer.abort()
        raise
    return summary
