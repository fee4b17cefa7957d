"""``geoprospect score``: batch-score candidate sites with the model ``rank`` uses.

Exit codes (as for every command): 0 every row was scored; 3 the output was written without
the rows that failed validation (reported); 2 nothing could be done as asked (bad option,
unreadable input, output exists, ``--strict`` and a bad row, every row rejected) or an input
file failed as a whole (the other files' output is still written); 130 interrupted (no output
left behind).
"""

from __future__ import annotations

import click

from geoprospect.batch import Settings, Summary, WholeSet, expand_inputs, plan, run_dask, run_local
from geoprospect.batch.chunks import ReadOptions, count_rows
from geoprospect.batch.engine_local import Hooks
from geoprospect.cli import EXIT_SKIPPED, quiet
from geoprospect.cli.database import database_options
from geoprospect.cli.options import (
    overwrite_option,
    raster_option,
    read_options,
    valuation_options,
    weights_option,
)
from geoprospect.cli.progress import Bar
from geoprospect.cli.rows import Reporter, finish_network, network_rows
from geoprospect.cli.scenario import parse_scenario, scenario_options
from geoprospect.core.cache import file_sha256
from geoprospect.io.bundled import data_date, models_dir
from geoprospect.io.postgis import is_database


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(), default=None,
              help="One merged output; format by extension (.parquet and .csv are streamed; .gpkg "
                   ".geojson .geojsonl .fgb .json .xlsx are written at the end). With --engine dask: "
                   "a folder of GeoParquet parts. Or a PostGIS table, streamed in one transaction: "
                   "postgresql://USER@HOST:PORT/DB with --table SCHEMA.TABLE.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="One output per input, named <input>_scored<ext>, in this folder.")
@click.option("--format", "fmt", default="parquet", show_default=True,
              type=click.Choice(["parquet", "csv", "gpkg", "geojson", "geojsonl", "fgb", "json", "xlsx"]),
              help="Output format with --out-dir.")
@read_options
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="A valuation .skops model (default: the bundled one; `geoprospect train`).")
@valuation_options
@weights_option
@raster_option
@scenario_options
@click.option("--rank", "add_rank", is_flag=True,
              help="Add the rank over the whole set (gathers the scored rows in memory).")
@click.option("--uncertainty", "draws", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="N", help="Monte Carlo draws of every row's NPV band (default 100) and, when "
              "given, P(top-10) over the whole set.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --uncertainty.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Rows scored at a time by each worker (bounds memory).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: score partitions on dask.distributed (pip install 'geoprospect[dask]').")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="With --engine dask: an existing cluster (default: a LocalCluster).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes scoring chunks in parallel (default: one per core, at most 8; 1 scores "
                   "in this process). With --engine dask: LocalCluster workers (default: one per core).")
@click.option("--threads", "threads", is_flag=True,
              help="With --engine dask and no --scheduler: LocalCluster workers as threads of this "
                   "process (quicker start, shared memory) instead of processes.")
@click.option("--strict", is_flag=True, help="Any row that fails validation aborts the run (exit 2, "
              "nothing written); by default such rows are left out and reported (exit 3).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON summary on stdout (every rejected row, with its reason).")
@click.option("--raw-csv", is_flag=True,
              help="CSV output: write text exactly as it is (no ' before =, +, -, @; for programs).")
@overwrite_option
@database_options(inputs="inputs")
@click.pass_context
def score(ctx, inputs, output, out_dir, fmt, layer, crs, encoding, columns, model_path,
          price_scenario, ndpr_price, discount_rate, weights, rasters, investor, as_of, lift_policy,
          apply_policy, avoid, status, avoid_passage, to, network_path, add_rank, draws, seed,
          chunk_size,
          engine, scheduler, workers,
          threads, strict, as_json, raw_csv, overwrite):
    """Score every row of INPUT... (files, globs, folders) with the model `rank` uses.

    \b
    INPUT is a layer file of any supported format; a glob ('sites/*.gpkg', 'data/**/*.csv',
    expanded by geoprospect, so quote it); or a folder (every supported file directly in it,
    sorted; hidden, temporary and shapefile sidecar files left out). A file named twice is
    read once; a glob or folder with no layer in it is an error.

    Writes every input column plus the per-row columns of `geoprospect rank` (score, pillar
    scores, contributions, drivers, route features, flags); a merged output of several inputs
    also gets source_file and source_row. Rows that fail validation are reported (file, row,
    reason) and skipped; the rest are scored (--strict: nothing is written).
    """

    silent = quiet(ctx)
    if engine == "dask" and (out_dir or add_rank or draws):
        raise click.UsageError("--engine dask writes one partitioned GeoParquet output (-o); "
                               "--out-dir, --rank and --uncertainty need --engine local")
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    if out_dir and any(map(is_database, inputs)):
        raise click.UsageError("--out-dir writes files; score a PostGIS input with -o")
    files = expand_inputs(inputs)
    settings = Settings(
        model_path=model_path, investor=investor, chunk_size=chunk_size,
        scenario=parse_scenario(avoid, status, avoid_passage, to, network_path, investor, as_of,
                                lift_policy, apply_policy),
        weights=tuple(sorted(weights.items())) if weights else None,
        rasters=tuple((name, str(path)) for name, path in (rasters or {}).items()),
        price_scenario=price_scenario, ndpr_price=ndpr_price, discount_rate=discount_rate,
        value_draws=draws if draws > 0 else 100,
        read=ReadOptions(layer=layer, crs=crs, encoding=encoding, columns=columns),
    )
    metadata = _metadata(model_path)
    summary = Summary(engine=engine)
    network = network_rows(settings.scenario.network(), strict=strict) \
        if settings.scenario.network_path else None
    reporter = Reporter(ctx, verb="rejected")
    counts = [count_rows(f, settings.read) for f in files]
    total = sum(counts) if all(c is not None for c in counts) else None
    with Bar("scoring", total, enabled=not silent) as bar:
        hooks = Hooks(progress=bar.advance, problems=reporter, ready=bar.start)
        if engine == "dask":
            bar.start()
            if not output:
                raise click.UsageError("--engine dask needs -o/--output (a folder of GeoParquet parts)")

            run = run_dask
            if is_database(output):
                from geoprospect.batch.postgis import run_dask_into_postgis as run
            run(files, output, settings, scheduler=scheduler, workers=workers, processes=not threads,
                strict=strict, overwrite=overwrite, metadata=metadata, summary=summary, hooks=hooks)
        else:
            jobs = plan(files, output, out_dir, "." + fmt)
            run_local(jobs, settings, workers=workers, strict=strict, whole=WholeSet(add_rank, draws, seed),
                      overwrite=overwrite, metadata=metadata, summary=summary, hooks=hooks,
                      guard_csv=not raw_csv)
    reporter.close(summary, line=False)
    if not silent:
        tail = f"; exit code {EXIT_SKIPPED}" if summary.rows_rejected else ""
        click.echo(f"scored {summary.rows_scored:,} of {summary.rows_read:,} rows ({summary.rows_rejected:,} "
                   f"rejected{tail}) in {summary.seconds or 0:.1f} s -> "
                   f"{', '.join(map(str, summary.outputs))}", err=True)
    if network is not None:
        finish_network(ctx, network)
    if as_json:
        import json

        doc = summary.to_dict()
        if network is not None:
            doc["network"] = network.to_dict()
        click.echo(json.dumps(doc, indent=1, default=str))
    if summary.failed_files:
        n = len(summary.failed_files)
        click.echo(f"Error: {n} of {len(summary.files)} input file(s) could not be scored "
                   f"(first: {summary.failed_files[0].error})", err=True)
        ctx.exit(2)
    if summary.rows_rejected or (network is not None and network.rows_skipped):
        ctx.exit(EXIT_SKIPPED)


def _metadata(model_path) -> dict:
    from geoprospect import __version__

    meta = {"data_date": data_date(), "geoprospect_version": __version__}
    try:
        from pathlib import Path


        meta["model_sha256"] = file_sha256(Path(model_path) if model_path
                                           else models_dir() / "valuation.skops")
    except OSError:
        pass
    return meta
