"""The dask engine: the same per-chunk function on dask.distributed, GeoParquet in and out.

Install with ``pip install geoprospect[dask]``. Inputs must be (Geo)Parquet files (or folders
of them): each file is cut into partitions of about ``chunk_size`` rows along its row groups,
and each partition is one task that reads its rows, scores them with
:func:`geoprospect.batch.pipeline.score_chunk` and writes one part file. The output is a
partitioned GeoParquet dataset: a folder of ``part-<file>-<first row>.parquet`` files whose
name order is the input order, readable with ``geopandas.read_parquet(folder)``.

The cluster is a :class:`distributed.LocalCluster` (one single-threaded worker per core) unless
``scheduler`` names an existing one (``tcp://host:port``); workers then need to see the input
and output paths (a shared file system) and the model file. Each worker loads the model and
builds the route network once. Results equal the local engine's, row for row (measured: a
spatial shuffle with dask-geopandas is slow and brittle on small machines; plain partitions of
points scored with the vectorised function are enough).

The parts are written into a temporary folder beside the target, which is renamed into place
when every task has finished; an error or Ctrl-C removes it.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from pathlib import Path

from geoprospect.batch.chunks import iter_chunks, kind_of, raw_fields
from geoprospect.batch.engine_local import Hooks
from geoprospect.batch.pipeline import WHOLE_SET_COLUMNS, Settings, context, score_chunk
from geoprospect.batch.sinks import Sink, unify
from geoprospect.batch.summary import Summary
from geoprospect.errors import GeoprospectError, LayerError, OutputError, ValidationFailed
from geoprospect.io.findings import Findings
from geoprospect.io.report import strict_message


def partitions(path: Path, index: int, chunk_size: int) -> list[dict]:
    """Row ranges of one Parquet file, about ``chunk_size`` rows each, along row groups."""
    import pyarrow.parquet as pq

    md = pq.ParquetFile(path).metadata
    parts, start, pending = [], 1, 0
    for rg in range(md.num_row_groups):
        n = md.row_group(rg).num_rows
        pos = 0
        while pos < n:
            take = min(n - pos, chunk_size - pending)
            pending += take
            pos += take
            if pending >= chunk_size:
                parts.append(pending)
                pending = 0
    if pending:
        parts.append(pending)
    out = []
    for n in parts:
        out.append({"path": str(path), "index": index, "first": start, "last": start + n - 1})
        start += n
    return out


def score_partition(task: dict, settings: Settings, fields: list, folder: str, merged: bool,
                    metadata: dict | None = None) -> dict:
    """Score one partition and write its part file (runs on a worker)."""
    import numpy as np
    import pyarrow as pa

    ctx = context(settings)
    path = Path(task["path"])
    target = Path(folder) / f"part-{task['index']:05d}-{task['first']:012d}.parquet"
    sink = Sink(target, fields, metadata=metadata, styled=False).open()
    stats = {"path": task["path"], "rows_read": 0, "rows_scored": 0, "findings": Findings(path.name),
             "error": None}
    try:
        for chunk in iter_chunks(path, settings.chunk_size, settings.read, task["first"], task["last"]):
            res = score_chunk(chunk, ctx, drop=WHOLE_SET_COLUMNS)
            stats["rows_read"] += res.rows_read
            stats["rows_scored"] += res.rows_scored
            stats["findings"].extend(res.findings)  # arrays: cheap to send back
            if res.table is not None:
                table = res.table
                if merged:
                    name = pa.array(np.full(table.num_rows, str(path), dtype=object), type=pa.string())
                    table = table.append_column("source_file", name).append_column(
                        "source_row", pa.array(res.rows, type=pa.int64()))
                sink.write(table)
        if sink.rows:
            sink.commit()
        else:
            sink.abort()
    except (LayerError, ValidationFailed) as exc:
        sink.abort()
        stats["error"] = str(exc)
    except BaseException:
        sink.abort()
        raise
    return stats


def run_dask(inputs: list[Path], target: Path, settings: Settings, *, scheduler: str | None = None,
             workers: int | None = None, processes: bool = True, strict: bool = False,
             overwrite: bool = False, metadata: dict | None = None, summary: Summary | None = None,
             hooks=None) -> Summary:
    """Score Parquet inputs on dask.distributed into the partitioned dataset ``target``.

    Parameters
    ----------
    inputs : list of Path
        (Geo)Parquet files.
    target : Path
        Output folder (created; conventionally named ``*.parquet``).
    scheduler : str, optional
        Address of a running scheduler; a LocalCluster otherwise.
    workers : int, optional
        LocalCluster workers (default: one per core).
    processes : bool
        LocalCluster workers as processes (default) or threads.
    strict : bool
        Any rejected row (or failed file) fails the run and leaves no output.
    """

    hooks = hooks or Hooks()
    summary = summary or Summary(engine="dask")
    summary.engine = "dask"
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise GeoprospectError("the dask engine needs the optional extra: "
                               "pip install 'geoprospect[dask]'") from exc
    target = Path(target)
    not_parquet = [p for p in inputs if kind_of(p) != "parquet"]
    if not_parquet:
        raise LayerError(f"{not_parquet[0].name}: the dask engine reads (Geo)Parquet inputs only; "
                         "convert it or use --engine local")
    if target.suffix.lower() not in ("", ".parquet"):
        raise OutputError(f"{target.name}: the dask engine writes a folder of GeoParquet parts; "
                          "name it *.parquet (or give no extension)")
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; pass --overwrite to replace it")
    if not target.parent.is_dir():
        raise OutputError(f"{target}: folder {target.parent} does not exist")
    merged = len(inputs) > 1
    fields = unify([_schema(raw_fields(p, settings.read)[0]) for p in inputs])
    if merged:
        import pyarrow as pa

        fields += [pa.field("source_file", pa.string()), pa.field("source_row", pa.int64())]
    tasks = [t for i, p in enumerate(inputs) for t in partitions(p, i, settings.chunk_size)]
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    stack = contextlib.ExitStack()
    futures: list = []
    try:
        if scheduler:
            client = stack.enter_context(Client(scheduler))
        else:
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=processes,
                dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        summary.workers = len(client.scheduler_info().get("workers", {})) or workers or 0
        futures = client.map(score_partition, tasks, settings=settings, fields=fields,
                             folder=str(tmp.resolve()), merged=merged, metadata=metadata, pure=False)
        for future in as_completed(futures):
            stats = future.result()
            _collect(stats, summary, hooks, strict)
        stack.close()
        if summary.rows_scored == 0:
            raise OutputError(f"{target}: no row could be scored; nothing written")
        _replace_dir(tmp, target)
        summary.outputs.append(target)
    except BaseException:
        with contextlib.suppress(BaseException):
            if futures:
                futures[0].client.cancel(futures)  # a remote cluster would go on otherwise
            stack.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary.finish()


def _collect(stats: dict, summary: Summary, hooks, strict: bool) -> None:
    path = stats["path"]
    hooks.problems(summary.add(path, stats["rows_read"], stats["rows_scored"], stats["findings"]))
    hooks.progress(stats["rows_read"])
    if stats["error"]:
        if strict:
            raise ValidationFailed(stats["error"])
        summary.fail(path, stats["error"])
    if strict and stats["rows_read"] > stats["rows_scored"]:
        raise ValidationFailed(f"{strict_message(stats['findings'])}; no output written",
                               stats["findings"].first(1), option="strict")


def _replace_dir(tmp: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


def _schema(fields):
    import pyarrow as pa

    return pa.schema(fields)
