"""Benchmark of batch scoring (``geoprospect score``): end to end vs the floor vs the naive way,
on clean and on messy inputs.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--rows 1000000] [--messy-rows 20000]
[--dask-rows 400000]``. Prints a table and writes ``benchmarks/results/bench_batch.json``.
Never a timed test.

* end to end: N synthetic candidate sites (points inside the outlines of India, Argentina,
  Australia, Malawi and Myanmar from :func:`geoprospect.io.countries.boundaries`) read from a
  GeoParquet file, validated, valued (the screening valuation, ``models/valuation.skops``, 100
  Monte Carlo draws a row: ``Settings.value_draws``) and written to a GeoParquet file by the
  local engine (``geoprospect score`` in a child process, ``--workers`` forked workers), three
  times: with an empty cache folder (what a first run on a new machine does: sea matrix and
  country grid built), then warm, then warm with one worker. Times include starting Python,
  imports and loading the model; peak RSS is the whole process tree, sampled every 0.2 s;
* messy: the same kind of sites as a user's CSV (:func:`_sites.write_messy_sites`: aliased
  headers, ppm grades, country names / ISO2 / ISO3 in any case, numbers as text with blanks and
  ``n/a``, 5 % rows without coordinates, 1 % rows that fail validation), warm cache, N and 1
  workers, and once as one single chunk (how the validation cost grows with chunk size);
* floor: the bare nearest-port query (unit-sphere k-d tree, :class:`SphereIndex`) plus the
  valuation's closed-form NPV (:func:`geoprospect.model.economics.npv`) on plain arrays (the
  end-to-end output's capex, revenue, opex, life, terms, rate), once per row and Monte Carlo draw
  (rows x (1 + draws)), in this process, one core, no validation, no IO;
* naive: what a first version would write, geopandas ``apply`` per row: normalise + validate +
  :func:`geoprospect.pipeline.score_rows` on a one-row frame, timed on a sample;
* dask: the dask engine (LocalCluster, one process worker per core) on ``--dask-rows`` sites
  generated file by file; the process tree's RSS is sampled while it runs to show that peak
  memory stays flat as rows go through.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PY = sys.executable


def end_to_end(src: Path, out: Path, model: Path | None, chunk: int, workers: int, cache: Path,
               draws: int = 100) -> dict:
    """``geoprospect score src -o out`` in a child process: wall and CPU time (the process and
    its workers), peak RSS of the whole process tree (sampled) and of its largest process."""
    cmd = [PY, "-m", "geoprospect", "score", str(src), "-o", str(out), "--chunk-size", str(chunk),
           "--workers", str(workers), "--json", "-q", "--overwrite"]
    if model is not None:
        cmd += ["--model", str(model)]
    if draws != 100:  # --uncertainty N also adds the whole-set P(top 10): only when asked
        cmd += ["--uncertainty", str(draws)]
    env = {**os.environ, "GEOPROSPECT_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    run = _sampled(cmd, env)
    if run["returncode"] not in (0, 3):  # 3: done, with rejected rows
        raise SystemExit(f"score failed: {run['stderr'][-2000:]}")
    summary = json.loads(run["stdout"])
    return {"seconds": run["seconds"], "cpu_seconds": run["cpu_seconds"],
            "scoring_seconds": summary["seconds"], "rows": summary["rows_scored"],
            "rows_read": summary["rows_read"], "rows_rejected": summary["rows_rejected"],
            "chunk_size": chunk, "workers": summary.get("workers", workers),
            "peak_rss_mb": run["peak_tree_rss_mb"], "peak_process_rss_mb": run["peak_process_rss_mb"]}


def _sampled(cmd: list[str], env: dict | None = None, watch_parts: Path | None = None) -> dict:
    """Run ``cmd``; sample the RSS of its process tree every 0.2 s while it runs."""
    import psutil

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    samples: list[tuple[float, float, float]] = []
    root = psutil.Process(proc.pid)

    def watch():
        while proc.poll() is None:
            try:
                rss = [p.memory_info().rss for p in (root, *root.children(recursive=True))]
                samples.append((time.perf_counter() - t, sum(rss) / 2**20, max(rss) / 2**20))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
            time.sleep(0.2)

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    stdout, stderr = proc.communicate()
    th.join()
    wall = time.perf_counter() - t
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    arr = np.array(samples) if samples else np.zeros((1, 3))
    return {"returncode": proc.returncode, "stdout": stdout, "stderr": stderr, "seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before, "samples": arr,
            "peak_tree_rss_mb": float(arr[:, 1].max()), "peak_process_rss_mb": float(arr[:, 2].max())}


def floor(out: Path, model_path: Path | None = None, draws: int = 100, block: int = 10_000) -> dict:
    """Nearest port (k-d tree on unit-sphere xyz) + the closed-form NPV on plain arrays.

    The arrays are the scored output's own project (capex, revenue, opex incl. logistics, life,
    royalty, tax, carry, rate); the NPV is evaluated once per row (the central value) and once
    per row and draw (``draws`` fixed multipliers on capex, revenue and opex stand in for the
    Monte Carlo inputs), in blocks of ``block`` rows as the product does. No validation, no IO,
    no imputation, no percentiles: the arithmetic the answer cannot do without."""
    import geopandas as gpd

    from geoprospect.core.geodesy import SphereIndex
    from geoprospect.io.terms import product_treo_fraction
    from geoprospect.model.economics import Project, npv
    from geoprospect.routes import RouteNetwork

    conc = product_treo_fraction("concentrate")  # t TREO per t of concentrate shipped
    net = RouteNetwork.bundled()
    cols = ["capex_musd", "revenue_musd_yr", "opex_usd_per_kg", "treo_tpa", "cost_to_plant_usd_t",
            "mine_life_yr", "royalty_pct", "tax_pct", "state_carry_pct", "discount_rate_pct"]
    g = gpd.read_parquet(out, columns=[*cols, "geometry"])
    located = ~(g.geometry.isna() | g.geometry.is_empty).to_numpy()
    lon, lat = g.geometry[located].x.to_numpy(), g.geometry[located].y.to_numpy()
    v = {c: np.nan_to_num(g[c].to_numpy(dtype=float)) for c in cols}
    n = len(g)
    del g
    opex = v["opex_usd_per_kg"] * v["treo_tpa"] / 1e3 + v["cost_to_plant_usd_t"] * v["treo_tpa"] / conc / 1e6
    base = dict(capex=v["capex_musd"], revenue=v["revenue_musd_yr"], opex=opex, life=v["mine_life_yr"],
                royalty=v["royalty_pct"] / 100, tax=v["tax_pct"] / 100, carry=v["state_carry_pct"] / 100)
    rate = v["discount_rate_pct"] / 100
    mult = np.exp(np.random.default_rng(0).normal(0, 0.2, (3, draws)))
    index = SphereIndex(net.ports["lon"].to_numpy(), net.ports["lat"].to_numpy())
    t, c = time.perf_counter(), time.process_time()
    index.query(lon, lat, k=1)
    t_port = time.perf_counter() - t
    t = time.perf_counter()
    central = npv(Project(**base), rate)
    t_central = time.perf_counter() - t
    t = time.perf_counter()
    with np.errstate(all="ignore"):
        for a in range(0, n, block):
            sl = slice(a, min(n, a + block))
            col = {k: x[sl, None] for k, x in base.items()}
            col["capex"] = col["capex"] * mult[0]
            col["revenue"] = col["revenue"] * mult[1]
            col["opex"] = col["opex"] * mult[2]
            npv(Project(**col), rate[sl, None])
    t_draws = time.perf_counter() - t
    cpu = time.process_time() - c
    assert np.isfinite(central).mean() > 0.5
    return {"seconds": t_port + t_central + t_draws, "cpu_seconds": cpu, "port_seconds": t_port,
            "npv_central_seconds": t_central, "npv_draws_seconds": t_draws, "draws": draws,
            "rows": n, "located_rows": int(located.sum()),
            "rows_per_second_one_npv_a_row": n / (t_port + t_central)}


def valuation_floor(src: Path, sample: int = 100_000, model_path: Path | None = None,
                    draws: int = 100) -> dict:
    """The product's own per-row computation alone: :func:`geoprospect.pipeline.score_rows` on
    the first ``sample`` rows of a clean file as one frame, in this process, one core, after
    reading, normalising and validating them untimed (no IO, no chunking, no workers, no
    writing). What the batch machinery adds is end to end / (this per row x rows / workers)."""
    from geoprospect.io.read import read_layer
    from geoprospect.io.validate import errors_in, normalise, validate
    from geoprospect.pipeline import Valuation, score_rows
    from geoprospect.routes import RouteNetwork

    valuation = Valuation.load(model_path, draws=draws)
    net = RouteNetwork.bundled()
    g = read_layer(src).iloc[:sample]
    g.attrs = {}
    g, problems = validate(normalise(g, file="floor"), file="floor")
    if errors_in(problems):
        raise ValueError(f"{src}: the valuation floor wants a clean file")
    score_rows(g.iloc[:100], valuation=valuation, network=net)  # lazy imports and tables
    t, c = time.perf_counter(), time.process_time()
    score_rows(g, valuation=valuation, network=net)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    return {"sample": len(g), "seconds": seconds, "cpu_seconds": cpu, "seconds_per_row": seconds / len(g),
            "draws": draws}


def naive(src: Path, sample: int, model_path: Path | None = None, draws: int = 100) -> dict:
    """geopandas ``apply`` per row: a one-row frame normalised, validated and valued with
    :func:`geoprospect.pipeline.score_rows` (one route lookup, one valuation a site). Rows that
    fail validation are counted and skipped, as the product does."""
    import geopandas as gpd

    from geoprospect.io.read import read_layer
    from geoprospect.io.validate import errors_in, normalise, validate
    from geoprospect.pipeline import Valuation, score_rows
    from geoprospect.routes import RouteNetwork

    valuation = Valuation.load(model_path, draws=draws)
    net = RouteNetwork.bundled()
    g = read_layer(src).iloc[:sample]
    g.attrs = {}
    rejected = 0

    def one(row):
        nonlocal rejected
        site = gpd.GeoDataFrame([row], geometry=[row.geometry], crs="EPSG:4326")
        site, problems = validate(normalise(site, file="naive"), file="naive")
        if errors_in(problems):
            rejected += 1
            return np.nan
        return float(score_rows(site, valuation=valuation, network=net).columns["score"].iloc[0])

    one(g.iloc[0])  # first call: lazy imports and tables, not per-row cost
    rejected = 0
    t, c = time.perf_counter(), time.process_time()
    g.apply(one, axis=1)
    seconds = time.perf_counter() - t
    cpu = time.process_time() - c
    return {"sample": sample, "rejected": rejected, "sample_seconds": seconds, "cpu_seconds": cpu,
            "rows_per_second": sample / seconds, "rows_per_cpu_second": sample / cpu}


def dask_run(folder: Path, files: list[Path], out: Path, model: Path | None, chunk: int, workers: int,
             cache: Path) -> dict:
    """The dask engine in a child process; the process tree's RSS sampled every 0.2 s."""
    code = ("import sys, json; from pathlib import Path; from geoprospect.batch import Settings, run_dask\n"
            "files=[Path(p) for p in sys.argv[1].split(',')]\n"
            "model=sys.argv[3] or None\n"
            f"s=run_dask(files, Path(sys.argv[2]), Settings(model_path=model, chunk_size={chunk}, "
            f"value_draws=100), workers={workers}, overwrite=True)\n"
            "print(json.dumps({'rows': s.rows_scored, 'seconds': s.seconds}))\n")
    env = {**os.environ, "GEOPROSPECT_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    run = _sampled([PY, "-c", code, ",".join(map(str, files)), str(out), str(model or "")], env)
    wall, stdout = run["seconds"], run["stdout"]
    if run["returncode"] != 0:
        raise SystemExit(f"dask run failed: {run['stderr'][-2000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    # peak RSS in each tenth of the run: flat = bounded by the partition size, not the input size
    arr = run["samples"]
    deciles = []
    for k in range(10):
        sel = (arr[:, 0] >= wall * k / 10) & (arr[:, 0] < wall * (k + 1) / 10)
        deciles.append(round(float(arr[sel, 1].max()), 1) if sel.any() else None)
    return {"rows": result["rows"], "seconds": wall, "rows_per_second": result["rows"] / wall,
            "peak_rss_mb": float(arr[:, 1].max()), "peak_rss_by_tenth_mb": deciles,
            "workers": workers, "files": len(files)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000,
                    help="clean sites (~7 min of `make bench` at 1,000,000 on 2 cores)")
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--messy-rows", type=int, default=20_000)
    ap.add_argument("--messy-chunk-size", type=int, default=5_000)
    ap.add_argument("--naive-sample", type=int, default=200)
    ap.add_argument("--draws", type=int, default=100, help="Monte Carlo draws a row (the default 100)")
    ap.add_argument("--dask-rows", type=int, default=400_000,
                    help="0 skips the dask run (10,000,000 would take ~30 min at ~5,600 rows/s on 2 cores)")
    ap.add_argument("--dask-file-rows", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--model", type=Path, default=None, help="a valuation .skops (default: the bundled one)")
    args = ap.parse_args()
    if args.workdir is None:  # generated inputs and outputs take GBs: removed afterwards
        with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
            run(args, Path(tmp))
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args, args.workdir)


def _plural(workers: int) -> str:
    return f"{workers} worker{'s' if workers > 1 else ''}"


def run(args, work: Path) -> None:
    """All measurements, with inputs and outputs in ``work``."""
    from _sites import write_messy_sites, write_sites

    model = args.model
    src = work / f"sites_{args.rows}.parquet"
    messy = work / f"messy_{args.messy_rows}.csv"
    t = time.perf_counter()
    if not src.exists():
        write_sites(src, args.rows, seed=0)
    if not messy.exists():
        write_messy_sites(messy, args.messy_rows, seed=7)
    print(f"generated {args.rows:,} clean + {args.messy_rows:,} messy sites in "
          f"{time.perf_counter() - t:.1f} s", file=sys.stderr)
    cache = work / "cache"  # a fresh cache folder: the first run builds what a new machine builds
    runs = {}
    cases = [("clean", "cold cache", src, args.chunk_size, args.workers),
             ("clean", "warm cache", src, args.chunk_size, args.workers),
             ("clean", "warm cache", src, args.chunk_size, 1),
             ("messy", "warm cache", messy, args.messy_chunk_size, args.workers),
             ("messy", "warm cache", messy, args.messy_chunk_size, 1),
             ("messy", "one chunk", messy, args.messy_rows, 1)]
    for kind, label, path, chunk, workers in cases:
        key = f"{kind}, {label}, {_plural(workers)}"
        runs[key] = end_to_end(path, work / f"scored_{kind}_{workers}.parquet", model, chunk, workers,
                               cache, args.draws)
        runs[key]["input"] = kind
        print(f"end to end, {key}: {runs[key]}", file=sys.stderr)
    headline = runs[f"clean, warm cache, {_plural(args.workers)}"]
    floors = {kind: floor(work / f"scored_{kind}_{args.workers}.parquet", model, args.draws)
              for kind in ("clean", "messy")}
    print(f"floor: {floors}", file=sys.stderr)
    naives = {"clean": naive(src, args.naive_sample, model, args.draws),
              "messy": naive(messy, args.naive_sample, model, args.draws)}
    print(f"naive: {naives}", file=sys.stderr)
    dk = None
    if args.dask_rows:
        files = []
        for i, start in enumerate(range(0, args.dask_rows, args.dask_file_rows)):
            path = work / f"dask_in_{i:03d}.parquet"
            n = min(args.dask_file_rows, args.dask_rows - start)
            if not path.exists():
                write_sites(path, n, seed=100 + i, start=start)
            files.append(path)
        dk = dask_run(work, files, work / "dask_scored.parquet", model, args.chunk_size, args.workers, cache)
        print(f"dask: {dk}", file=sys.stderr)
    header = (f"{'path':<44}{'rows/s':>10}{'rows/CPU-s':>12}{'peak RSS MB':>13}{'x floor':>9}"
              f"{'x naive':>9}")
    lines = [header]

    def line(name, n, wall, cpu, rss, kind):
        rate = n / wall
        fl, nv = floors[kind], naives[kind]
        lines.append(f"{name:<44}{rate:>10,.0f}{(f'{n / cpu:,.0f}' if cpu else '-'):>12}"
                     f"{(f'{rss:,.0f}' if rss else '-'):>13}{rate / (fl['rows'] / fl['seconds']):>9.4f}"
                     f"{rate / nv['rows_per_second']:>9,.1f}")

    for k, r in runs.items():
        line(k, r["rows"], r["seconds"], r["cpu_seconds"], r["peak_rss_mb"], r["input"])
    for kind in ("clean", "messy"):
        fl, nv = floors[kind], naives[kind]
        line(f"{kind}: floor (port query + NPV x{1 + args.draws})", fl["rows"], fl["seconds"],
             fl["cpu_seconds"], None, kind)
        line(f"{kind}: naive apply per row ({nv['sample']})", nv["sample"], nv["sample_seconds"],
             nv["cpu_seconds"], None, kind)
    if dk:
        line(f"clean: dask engine, {dk['rows']:,} sites", dk["rows"], dk["seconds"], None,
             dk["peak_rss_mb"], "clean")
    lines.append("(x floor and x naive compare wall-clock rows per second with the floor / naive of the "
                 "same input; the floor runs in one process on one core; peak RSS is the whole process "
                 f"tree; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    lines.append(f"sizes: clean {args.rows:,} sites (GeoParquet, chunks of {args.chunk_size:,}); messy "
                 f"{args.messy_rows:,} sites (CSV, chunks of {args.messy_chunk_size:,}, and one chunk); "
                 f"{args.draws} draws a row; naive sample {args.naive_sample}; dask {args.dask_rows:,}")
    lines.append(f"{args.rows:,} clean sites end to end in {headline['seconds']:.1f} s wall with "
                 f"{headline['workers']} workers, {headline['seconds'] - headline['scoring_seconds']:.1f} s "
                 "of it starting Python and loading")
    if dk:
        lines.append(f"dask peak RSS by tenth of the run (MB): {dk['peak_rss_by_tenth_mb']}")
    print("\n" + "\n".join(lines))
    result = {"rows": args.rows, "chunk_size": args.chunk_size, "messy_rows": args.messy_rows,
              "messy_chunk_size": args.messy_chunk_size, "draws": args.draws,
              "naive_sample": args.naive_sample, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg(), "end_to_end": runs, "floor": floors, "naive": naives,
              "dask": dk, "table": lines}
    out = HERE / "results" / "bench_batch.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
