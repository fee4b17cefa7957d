"""The local engine: inputs read chunk by chunk, scored, written as they come.

Chunks are scored in this process (``workers=1``, or a single chunk) or in worker processes
forked once the model is loaded (:mod:`geoprospect.batch.parallel`); results are written in
input order either way, so the outputs are identical.

One output per :class:`Job`: either every input merged into one file (``-o``) or one output
per input (``--out-dir``). All outputs are committed together at the end; an error or Ctrl-C
before that removes every temporary file and leaves no output behind.

``--rank`` and ``--uncertainty N`` need the whole set: the scored rows of an output are then
gathered in memory, ranked (:func:`geoprospect.pipeline.rank_order`; with ``--uncertainty``,
P(top-10) over the rows' NPV draws) and written at the end.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.batch import lifecycle, parallel
from geoprospect.batch.chunks import iter_chunks, raw_fields
from geoprospect.batch.pipeline import (
    WHOLE_SET_COLUMNS,
    ChunkResult,
    Context,
    Settings,
    context,
    score_chunk,
)
from geoprospect.batch.sinks import Sink, conform, open_sink, unify
from geoprospect.batch.summary import Summary
from geoprospect.errors import LayerError, OutputError, ValidationFailed
from geoprospect.io.findings import Findings
from geoprospect.io.postgis import is_database, source_name
from geoprospect.io.problems import Problem
from geoprospect.io.report import strict_message
from geoprospect.pipeline import ScoredRows, whole_set

SOURCE_COLUMNS = ("source_file", "source_row")
"""Added to a merged output of several inputs: where each row came from."""


@dataclass
class Job:
    """Inputs that go to one output file."""

    inputs: list[Path]
    target: Path


@dataclass
class WholeSet:
    """Whole-set columns wanted: ``rank`` and/or the Monte Carlo band with ``draws`` draws."""

    rank: bool = False
    draws: int = 0
    seed: int = 0

    @property
    def wanted(self) -> bool:
        return self.rank or self.draws > 0


@dataclass
class Hooks:
    """Callbacks for the CLI: scoring starts (model loaded, workers forked: a progress bar's
    thread may start now), rows done (progress, called as rows finish, also from a thread of
    the parent that follows the workers) and new findings (stderr report)."""

    progress: Callable[[int], None] = lambda n: None
    problems: Callable[[object], None] = lambda findings: None
    ready: Callable[[], None] = lambda: None


@dataclass
class _Gathered:
    tables: list = field(default_factory=list)
    inputs: list = field(default_factory=list)


def plan(inputs: list[Path], output: Path | None, out_dir: Path | None, fmt: str = ".parquet") -> list[Job]:
    """One merged job (``output``) or one job per input written to ``out_dir/<stem>_scored<fmt>``."""

    if (output is None) == (out_dir is None):
        raise OutputError("give either an output file or an output folder, not both or neither",
                          option="output")
    if output is not None:
        return [Job(list(inputs), output if is_database(output) else Path(output))]
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputError(f"{out_dir}: folder does not exist")
    fmt = fmt if fmt.startswith(".") else "." + fmt
    jobs, names = [], {}
    for path in inputs:
        stem = path.name.replace(".", "_") if is_database(path) else path.stem.split(".")[0]
        target = out_dir / f"{stem}_scored{fmt}"
        if target in names:
            raise OutputError(f"{path} and {names[target]} would both be written to {target.name}; "
                              "rename one or merge them with -o")
        names[target] = path
        jobs.append(Job([path], target))
    return jobs


def run_local(jobs: list[Job], settings: Settings, *, workers: int | None = 1, strict: bool = False,
              whole: WholeSet | None = None, overwrite: bool = False, metadata: dict | None = None,
              summary: Summary | None = None, hooks: Hooks | None = None,
              guard_csv: bool = True) -> Summary:
    """Score every job's inputs and write its output; returns the run summary.

    Parameters
    ----------
    jobs : list of Job
        From :func:`plan`.
    settings : Settings
        Model, scenario, investor, read options, chunk size.
    workers : int or None
        Worker processes scoring chunks (None: one per core, at most 8); 1, a single chunk or
        a platform without ``fork`` scores in this process.
    strict : bool
        Any row that fails validation (and any unreadable file) aborts the run, writing nothing.
    whole : WholeSet, optional
        ``--rank`` / ``--uncertainty N``.
    overwrite : bool
        Replace existing outputs.
    metadata : dict, optional
        Provenance stored with the outputs.
    guard_csv : bool
        CSV outputs: prefix text a spreadsheet would run as a formula with ``'`` (False: raw).

    Raises
    ------
    ValidationFailed
        With ``strict``, the first rejected row; or a whole file failing midway (its earlier rows
        were already written), or no row scored at all.
    WorkerError
        A worker process died.
    """

    summary = summary or Summary(engine="local")
    hooks = hooks or Hooks()
    lifecycle.remove_stale_spools()  # left by a run that was killed outright
    whole = whole or WholeSet()
    ctx = context(settings)
    files = [path for job in jobs for path in job.inputs]
    summary.workers = parallel.plan_workers(workers, files, settings)
    keep = whole.draws > 0
    sinks: list[Sink] = []
    with contextlib.ExitStack() as stack:
        if summary.workers > 1:
            parallel.warm(settings.chunk_size)
            pool = stack.enter_context(parallel.ChunkPool(
                ctx, summary.workers, files, drop=WHOLE_SET_COLUMNS, keep_whole_set=keep,
                progress=hooks.progress))
            scored = pool.results
        else:
            scored = functools.partial(_scored_here, ctx=ctx, settings=settings, keep_whole_set=keep,
                                       progress=hooks.progress)
        hooks.ready()
        try:
            for job in jobs:
                sinks.append(_run_job(job, scored, ctx, settings, strict, whole, overwrite, metadata,
                                      summary, hooks, guard_csv))
            if not any(s.rows for s in sinks) and summary.rows_read == 0 and summary.failed_files:
                raise LayerError(summary.failed_files[0].error)
            if summary.rows_read and not summary.rows_scored:
                raise LayerError(f"all {summary.rows_read:,} rows were rejected; nothing written "
                                 f"(first: {summary.first_errors(1)[0]})")
            for sink in sinks:
                summary.outputs.append(sink.commit())
        except BaseException:
            for sink in sinks:
                sink.abort()
            raise
    return summary.finish()


def _scored_here(path: Path, *, ctx: Context, settings: Settings, keep_whole_set: bool,
                 progress=None) -> Iterator[ChunkResult]:
    """The serial path: every chunk of ``path`` scored in this process."""
    for chunk in iter_chunks(path, settings.chunk_size, settings.read):
        yield score_chunk(chunk, ctx, drop=WHOLE_SET_COLUMNS, keep_whole_set=keep_whole_set,
                          progress=progress)


def _run_job(job, scored, ctx: Context, settings, strict, whole, overwrite, metadata, summary,
             hooks, guard_csv: bool = True) -> Sink:
    readable, fields, coords = [], [], []
    for path in job.inputs:
        try:
            f, c = raw_fields(path, settings.read)
        except LayerError as exc:
            if strict:
                raise
            summary.fail(path, str(exc))
            hooks.problems(_file_problem(path, exc))
            continue
        readable.append(path)
        fields.append(f)
        coords.append(c)
    merged = len(job.inputs) > 1
    input_fields = unify([_schema(f) for f in fields])
    if merged:
        import pyarrow as pa

        input_fields += [pa.field("source_file", pa.string()), pa.field("source_row", pa.int64())]
    sink = open_sink(job.target, input_fields, overwrite=overwrite, metadata=metadata,
                     coords_in_columns=bool(coords) and all(coords), guard_csv=guard_csv)
    gathered = _Gathered() if whole.wanted else None
    try:
        for path in readable:
            _run_file(path, scored, sink, gathered, merged, strict, summary, hooks)
        if gathered is not None:
            sink.write(_whole_set(gathered, ctx, whole))
    except BaseException:
        sink.abort()
        raise
    return sink


def _run_file(path, scored, sink, gathered, merged, strict, summary, hooks) -> None:
    written = 0
    try:
        for res in scored(path):
            hooks.problems(summary.add(path, res.rows_read, res.rows_scored, res.findings))
            if strict and res.rows_rejected:
                raise ValidationFailed(f"{strict_message(res.findings)}; no output written",
                                       res.findings.first(1), option="strict")
            table = res.table
            if table is None:
                continue
            if merged:
                table = _with_source(table, path, res)
            if gathered is not None:
                gathered.tables.append(table)
                gathered.inputs.append(res.whole_set)
            else:
                sink.write(table)
            written += table.num_rows
    except (LayerError, ValidationFailed) as exc:
        if strict or written:
            raise
        summary.fail(path, str(exc))
        hooks.problems(_file_problem(path, exc))


def _with_source(table, path, res):
    import pyarrow as pa

    name = pa.array(np.full(table.num_rows, str(path), dtype=object), type=pa.string())
    return table.append_column("source_file", name) \
        .append_column("source_row", pa.array(res.rows, type=pa.int64()))


def _schema(fields):
    import pyarrow as pa

    return pa.schema(fields)


def _file_problem(path, exc) -> Findings:
    """A file that could not be scored, as findings for the report."""
    findings = Findings(source_name(path))
    findings.note(Problem(source_name(path), None, "file", f"{exc} (file skipped)"))
    return findings


def _whole_set(gathered: _Gathered, ctx: Context, whole: WholeSet):
    """Rank and/or P(top-10) over every scored row of one output."""
    import pyarrow as pa

    if not gathered.tables:
        return None

    schema = pa.schema(unify([t.schema for t in gathered.tables]))
    table = pa.concat_tables([conform(t, schema) for t in gathered.tables])
    names = [c for c in ("score", "npv_musd_p50", "valuation_tier", "value_score") if c in table.column_names]
    columns = pd.DataFrame({c: table.column(c).to_pandas() for c in names})
    draws = np.concatenate(gathered.inputs) if whole.draws > 0 and gathered.inputs else None
    added = whole_set(columns, ScoredRows(columns, columns, draws), ranks=whole.rank, sensitivity=False)
    if whole.rank:
        table = table.append_column("rank", pa.array(added["rank"].to_numpy(dtype=np.int64),
                                                     type=pa.int64()))
    if draws is not None:
        table = table.append_column("p_top10", pa.array(added["p_top10"].to_numpy(dtype=float),
                                                        type=pa.float64()))
    return table
