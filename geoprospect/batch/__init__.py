"""Batch scoring at scale: many inputs, chunked, on the local engine or dask.distributed.

Public API
----------
expand_inputs
    Files, globs and folders -> ordered list of layer files.
Settings, score_chunk
    What a worker needs, and the vectorised per-chunk function both engines run.
plan, run_local, Job, WholeSet
    The local engine (one merged output or one per input).
run_dask
    The dask engine (partitioned GeoParquet in and out).
Summary
    Counts, rejected rows with reasons, timings (``--json``).
"""

from geoprospect.batch.chunks import ReadOptions, iter_chunks
from geoprospect.batch.engine_dask import run_dask as _run
from geoprospect.batch.engine_local import Job, WholeSet, plan, run_local
from geoprospect.batch.inputs import expand_inputs
from geoprospect.batch.pipeline import Settings, score_chunk
from geoprospect.batch.summary import Summary


def run_dask(*args, **kwargs):
    """See :func:`geoprospect.batch.engine_dask.run_dask` (imports dask only when called)."""

    return _run(*args, **kwargs)


__all__ = ["Job", "ReadOptions", "Settings", "Summary", "WholeSet", "expand_inputs", "iter_chunks",
           "plan", "run_dask", "run_local", "score_chunk"]
