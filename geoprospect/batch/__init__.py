"""Batch scoring at scale: many inputs, chunked, on the local engine or dask.distributed.

Public API
----------
expand_inputs
    Files, globs and folders -> ordered list of layer files.
Settings, score_chunk
    What a worker needs, and the vectorised per-chunk function both engines run.
plan, run_local, Job, WholeSet
    The local engine (one merged output or one per input).
score_files
    Both in one call, as ``geoprospect score`` does (``gp.score_files``).
run_dask
    The dask engine (partitioned GeoParquet in and out).
Summary
    Counts, rejected rows with reasons, timings (``--json``).
"""

from pathlib import Path

from geoprospect.batch.chunks import ReadOptions, iter_chunks
from geoprospect.batch.engine_dask import run_dask as _run
from geoprospect.batch.engine_local import Job, WholeSet, plan, run_local
from geoprospect.batch.inputs import expand_inputs
from geoprospect.batch.pipeline import Settings, score_chunk
from geoprospect.batch.summary import Summary


def score_files(inputs, output=None, *, out_dir=None, fmt: str = "parquet", workers: int | None = 1,
                strict: bool = False, rank: bool = False, overwrite: bool = False, **settings):
    """Batch-score layer files (paths, globs or folders) into ``output`` (or one file per input in
    ``out_dir``), as ``geoprospect score`` does; ``settings`` are :class:`Settings` fields.
    Inputs and ``output`` may be PostGIS (``postgresql://...?table=...`` or ``sql=...``).

    Examples
    --------
    >>> import geoprospect as gp
    >>> gp.score_files(["sites.parquet"], "scored.parquet", chunk_size=50_000)   # doctest: +SKIP
    """
    from geoprospect.io.postgis import is_database
    from geoprospect.io.postgis_write import parse_target

    if is_database(output):
        output = parse_target(output)
    elif output:
        output = Path(output)
    jobs = plan(expand_inputs([i if is_database(i) else str(i) for i in inputs]), output,
                Path(out_dir) if out_dir else None, "." + fmt)
    return run_local(jobs, Settings(**settings), workers=workers, strict=strict,
                     whole=WholeSet(rank=rank), overwrite=overwrite)


def run_dask(*args, **kwargs):
    """See :func:`geoprospect.batch.engine_dask.run_dask` (imports dask only when called)."""

    return _run(*args, **kwargs)


__all__ = ["Job", "ReadOptions", "Settings", "Summary", "WholeSet", "expand_inputs", "iter_chunks",
           "plan", "run_dask", "run_local", "score_chunk", "score_files"]
