"""Benchmark of batch scoring (``geoprospect score``): end to end vs the floor vs the naive way.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--rows 1000000] [--dask-rows 10000000]``.
Prints a table and writes ``benchmarks/results/bench_batch.json``. Never a timed test.

* end to end: N synthetic candidate sites (points inside the outlines of India, Argentina,
  Australia, Malawi and Myanmar from :func:`geoprospect.io.countries.boundaries`) read from a
  GeoParquet file, validated, scored and written to a GeoParquet file by the local engine
  (``geoprospect score`` in a child process, ``--workers`` forked workers), three times: with
  an empty cache folder (what a first run on a new machine does: sea matrix, country grid and
  compiled model built), then warm, then warm with one worker. Times include starting Python,
  imports and loading the model; peak RSS is the whole process tree, sampled every 0.2 s;
* floor: the bare nearest-port query (unit-sphere k-d tree) plus scikit-learn's
  ``predict_proba`` (its OpenMP threads on every core) on the same arrays (the model matrix of
  the end-to-end output), in this process, nothing else;
* naive: what a first version would write, geopandas ``apply`` per row with one route call
  (features) and one model call per site, timed on a sample and scaled to N;
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


def _model(workdir: Path, given: Path | None) -> Path:
    """``--model``, else a model fitted on the bundled projects layer with the current features."""
    if given is not None:
        return given
    from geoprospect.features import build_features
    from geoprospect.io.bundled import layer_path
    from geoprospect.io.validate import load_layer
    from geoprospect.model.estimator import save_model
    from geoprospect.model.labels import outcome_label
    from geoprospect.model.predict import fit_scoring_model

    gdf, _ = load_layer(layer_path("projects.geojson"))
    y = outcome_label(gdf)
    keep = y.notna().to_numpy()
    path = workdir / "scratch.skops"
    save_model(fit_scoring_model(build_features(gdf)[keep], y[keep].astype(int)), path, overwrite=True)
    return path


def end_to_end(src: Path, out: Path, model: Path, chunk: int, workers: int, cache: Path) -> dict:
    """``geoprospect score src -o out`` in a child process: wall and CPU time (the process and
    its workers), peak RSS of the whole process tree (sampled) and of its largest process."""
    cmd = [PY, "-m", "geoprospect", "score", str(src), "-o", str(out), "--model", str(model),
           "--chunk-size", str(chunk), "--workers", str(workers), "--json", "-q", "--overwrite"]
    env = {**os.environ, "GEOPROSPECT_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    run = _sampled(cmd, env)
    if run["returncode"] != 0:
        raise SystemExit(f"score failed: {run['stderr'][-2000:]}")
    summary = json.loads(run["stdout"])
    return {"seconds": run["seconds"], "cpu_seconds": run["cpu_seconds"],
            "scoring_seconds": summary["seconds"], "rows": summary["rows_scored"],
            "workers": summary.get("workers", workers), "peak_rss_mb": run["peak_tree_rss_mb"],
            "peak_process_rss_mb": run["peak_process_rss_mb"]}


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


def floor(out: Path, model_path: Path) -> dict:
    """Nearest port (k-d tree on unit-sphere xyz) + predict_proba on the output's model matrix."""
    import geopandas as gpd

    from geoprospect.core.geodesy import SphereIndex
    from geoprospect.model.estimator import load_model
    from geoprospect.model.predict import matrix
    from geoprospect.routes import RouteNetwork

    model = load_model(model_path)
    net = RouteNetwork.bundled()
    g = gpd.read_parquet(out)
    lon, lat = g.geometry.x.to_numpy(), g.geometry.y.to_numpy()
    X = matrix(model, g.reindex(columns=model.feature_names))  # canonical inputs absent: unknown
    del g
    index = SphereIndex(net.ports["lon"].to_numpy(), net.ports["lat"].to_numpy())
    t, c = time.perf_counter(), time.process_time()
    index.query(lon, lat, k=1)
    t_port = time.perf_counter() - t
    t = time.perf_counter()
    model.pipeline.predict_proba(X)
    t_model = time.perf_counter() - t
    return {"seconds": t_port + t_model, "cpu_seconds": time.process_time() - c, "port_seconds": t_port,
            "predict_seconds": t_model, "rows": len(X)}


def naive(src: Path, model_path: Path, sample: int) -> dict:
    """geopandas apply per row: one route call (features) and one model call per site."""
    import geopandas as gpd

    from geoprospect.features import build_features
    from geoprospect.io.validate import normalise, validate
    from geoprospect.model.estimator import load_model
    from geoprospect.model.predict import score_features as score
    from geoprospect.routes import RouteNetwork

    model = load_model(model_path)
    net = RouteNetwork.bundled()
    g = gpd.read_parquet(src).iloc[:sample]
    g.index = range(1, len(g) + 1)

    def one(row):
        site = gpd.GeoDataFrame([row], geometry=[row.geometry], crs="EPSG:4326")
        site, _ = validate(normalise(site, file="naive"), file="naive")
        return float(score(model, build_features(site, network=net))["score"].iloc[0])

    t, c = time.perf_counter(), time.process_time()
    g.apply(one, axis=1)
    seconds = time.perf_counter() - t
    cpu = time.process_time() - c
    return {"sample": sample, "sample_seconds": seconds, "cpu_seconds": cpu,
            "rows_per_second": sample / seconds, "rows_per_cpu_second": sample / cpu}


def dask_run(folder: Path, files: list[Path], out: Path, model: Path, chunk: int, workers: int) -> dict:
    """The dask engine in a child process; the process tree's RSS sampled every 0.2 s."""
    code = ("import sys, json; from pathlib import Path; from geoprospect.batch import Settings, run_dask\n"
            "files=[Path(p) for p in sys.argv[1].split(',')]\n"
            f"s=run_dask(files, Path(sys.argv[2]), Settings(model_path=sys.argv[3], chunk_size={chunk}),"
            f" workers={workers}, overwrite=True)\n"
            "print(json.dumps({'rows': s.rows_scored, 'seconds': s.seconds}))\n")
    run = _sampled([PY, "-c", code, ",".join(map(str, files)), str(out), str(model)])
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
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--naive-sample", type=int, default=300)
    ap.add_argument("--dask-rows", type=int, default=10_000_000, help="0 skips the dask run")
    ap.add_argument("--dask-file-rows", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--model", type=Path, default=None, help="default: fit one on the bundled projects")
    args = ap.parse_args()
    if args.workdir is None:  # generated inputs and outputs take GBs: removed afterwards
        with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
            run(args, Path(tmp))
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args, args.workdir)


def run(args, work: Path) -> None:
    """All measurements, with inputs and outputs in ``work``."""
    from _sites import write_sites

    model = _model(work, args.model)
    src = work / f"sites_{args.rows}.parquet"
    if not src.exists():
        t = time.perf_counter()
        write_sites(src, args.rows, seed=0)
        print(f"generated {args.rows:,} sites in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    cache = work / "cache"  # a fresh cache folder: the first run builds what a new machine builds
    runs = {}
    for label, workers in (("cold cache", args.workers), ("warm cache", args.workers),
                           ("warm cache", 1)):
        key = f"{label}, {workers} worker{'s' if workers > 1 else ''}"
        runs[key] = end_to_end(src, work / f"scored_{workers}.parquet", model, args.chunk_size,
                               workers, cache)
        print(f"end to end, {key}: {runs[key]}", file=sys.stderr)
    headline = runs[f"warm cache, {args.workers} worker{'s' if args.workers > 1 else ''}"]
    fl = floor(work / f"scored_{args.workers}.parquet", model)
    print(f"floor: {fl}", file=sys.stderr)
    nv = naive(src, model, args.naive_sample)
    print(f"naive: {nv}", file=sys.stderr)
    dk = None
    if args.dask_rows:
        files = []
        for i, start in enumerate(range(0, args.dask_rows, args.dask_file_rows)):
            path = work / f"dask_in_{i:03d}.parquet"
            n = min(args.dask_file_rows, args.dask_rows - start)
            if not path.exists():
                write_sites(path, n, seed=100 + i, start=start)
            files.append(path)
        dk = dask_run(work, files, work / "dask_scored.parquet", model, args.chunk_size, args.workers)
        print(f"dask: {dk}", file=sys.stderr)
    table = [(f"end to end, {k}", r["rows"], r["seconds"], r["cpu_seconds"], r["peak_rss_mb"])
             for k, r in runs.items()]
    table += [
        ("floor: port query + predict_proba", fl["rows"], fl["seconds"], fl["cpu_seconds"], None),
        ("naive: apply per row (sample)", nv["sample"], nv["sample_seconds"], nv["cpu_seconds"], None),
    ]
    if dk:
        table.append((f"dask engine, {dk['rows']:,} sites", dk["rows"], dk["seconds"], None,
                      dk["peak_rss_mb"]))
    floor_rate, naive_rate = fl["rows"] / fl["seconds"], nv["rows_per_second"]
    header = (f"{'path':<40}{'rows/s':>10}{'rows/CPU-s':>12}{'peak RSS MB':>13}{'x floor':>9}"
              f"{'x naive':>9}")
    lines = [header]
    for name, n, wall, cpu, rss in table:
        rate = n / wall
        lines.append(f"{name:<40}{rate:>10,.0f}{(f'{n / cpu:,.0f}' if cpu else '-'):>12}"
                     f"{(f'{rss:,.0f}' if rss else '-'):>13}{rate / floor_rate:>9.3f}"
                     f"{rate / naive_rate:>9,.0f}")
    lines.append("(x floor and x naive compare wall-clock rows per second; the floor runs in one "
                 f"process; peak RSS is the whole process tree; load average "
                 f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    lines.append(f"{args.rows:,} sites end to end in {headline['seconds']:.1f} s wall with "
                 f"{headline['workers']} workers (goal <= 10 s), "
                 f"{headline['seconds'] - headline['scoring_seconds']:.1f} s of it starting Python")
    if dk:
        lines.append(f"dask peak RSS by tenth of the run (MB): {dk['peak_rss_by_tenth_mb']}")
    print("\n" + "\n".join(lines))
    result = {"rows": args.rows, "chunk_size": args.chunk_size, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg(), "end_to_end": runs,
              "floor": fl, "naive": nv, "dask": dk, "table": lines}
    out = HERE / "results" / "bench_batch.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
