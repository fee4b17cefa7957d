"""Benchmark: ``geoprospect rank`` vs ``geoprospect score`` on the same sites, same run.

Run: ``.venv/bin/python benchmarks/bench_rank_vs_score.py [--rows 10000] [--repeats 2]``.
Prints a table and writes ``benchmarks/results/bench_rank_vs_score.json``. Never a timed test.

* inputs: ``--rows`` synthetic sites inside the five countries (:mod:`_sites`), clean as one
  GeoParquet file, and messy as one CSV (aliased headers, ppm grades, country spellings, numbers
  as text with blanks, 5 % rows without coordinates; no invalid rows, since ``rank`` refuses a
  layer with validation errors);
* timed, each in a child process, wall clock from start to exit (Python start, imports, model
  load, read, validate, value, write), peak RSS of the process tree sampled every 0.2 s:
  ``geoprospect rank FILE -o out.parquet --draws 100`` (one process; rank, P(top 10), rank
  stability, route summaries) and ``geoprospect score FILE -o out.parquet`` (per-row columns,
  100 draws a row, default workers = one per core), plus ``score --workers 1`` to compare per
  core. The cache folder is warmed first (sea matrix, country grid) so neither pays for it;
  the commands alternate and the best of ``--repeats`` is reported. Target: rank / score <= 3;
* floor and naive on the same rows (see ``bench_batch.py``): nearest-port k-d tree + the
  closed-form NPV on arrays (rows x 101), and a per-row geopandas ``apply`` of ``score_rows``
  on a sample.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PY = sys.executable


def timed(cmd: list[str], cache: Path) -> dict:
    from bench_batch import _sampled

    env = {**os.environ, "GEOPROSPECT_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    run = _sampled(cmd, env)
    if run["returncode"] != 0:
        raise SystemExit(f"{' '.join(cmd[2:5])} failed: {run['stderr'][-2000:]}")
    return {"seconds": run["seconds"], "cpu_seconds": run["cpu_seconds"],
            "peak_rss_mb": run["peak_tree_rss_mb"], "peak_process_rss_mb": run["peak_process_rss_mb"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--draws", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--naive-sample", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_rank_") as tmp:
        run(args, Path(tmp))


def run(args, work: Path) -> None:
    import pyarrow.parquet as pq
    from _sites import write_messy_sites, write_sites
    from bench_batch import floor, naive

    inputs = {"clean": write_sites(work / "sites.parquet", args.rows, seed=3),
              "messy": write_messy_sites(work / "sites_messy.csv", args.rows, seed=4, bad_share=0.0)}
    cache = work / "cache"
    warm = write_sites(work / "warm.parquet", 50, seed=5)
    timed([PY, "-m", "geoprospect", "score", str(warm), "-o", str(work / "warm_out.parquet"), "-q"], cache)
    more = ["--uncertainty", str(args.draws)] if args.draws != 100 else []
    commands = {
        "rank": lambda src, out: [PY, "-m", "geoprospect", "-q", "rank", str(src), "-o", str(out),
                                  "--draws", str(args.draws)],
        "score": lambda src, out: [PY, "-m", "geoprospect", "score", str(src), "-o", str(out), "-q", *more],
        "score, 1 worker": lambda src, out: [PY, "-m", "geoprospect", "score", str(src), "-o", str(out),
                                             "-q", "--workers", "1", *more],
    }
    results: dict = {"rows": args.rows, "draws": args.draws, "repeats": args.repeats,
                     "cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg(), "inputs": {}}
    k = 0
    for kind, src in inputs.items():
        runs: dict = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, cmd in commands.items():
                k += 1
                out = work / f"out_{k}.parquet"
                runs[name].append(timed(cmd(src, out), cache))
                runs[name][-1]["rows_out"] = pq.read_metadata(out).num_rows
                print(f"{kind} {name}: {runs[name][-1]}", file=sys.stderr, flush=True)
        best = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
        fl = floor(out, None, args.draws)  # the last score output: same rows, same project arrays
        nv = naive(src, args.naive_sample, None, args.draws)
        results["inputs"][kind] = {
            "file": src.name, "runs": runs, "best": best, "floor": fl, "naive": nv,
            "rank_over_score": best["rank"]["seconds"] / best["score"]["seconds"],
            "rank_over_score_1_worker": best["rank"]["seconds"] / best["score, 1 worker"]["seconds"],
            "rank_rss_over_score_rss": best["rank"]["peak_rss_mb"] / best["score"]["peak_rss_mb"],
        }
    lines = [f"{'input':<7}{'command':<18}{'seconds':>9}{'rows/s':>9}{'CPU s':>8}{'peak RSS MB':>13}"
             f"{'x floor':>9}{'x naive':>9}"]
    for kind, r in results["inputs"].items():
        floor_rate = r["floor"]["rows"] / r["floor"]["seconds"]
        for name, b in r["best"].items():
            rate = args.rows / b["seconds"]
            lines.append(f"{kind:<7}{name:<18}{b['seconds']:>9.2f}{rate:>9,.0f}{b['cpu_seconds']:>8.1f}"
                         f"{b['peak_rss_mb']:>13,.0f}{rate / floor_rate:>9.4f}"
                         f"{rate / r['naive']['rows_per_second']:>9,.1f}")
        lines.append(f"{kind:<7}{'floor':<18}{r['floor']['seconds']:>9.3f}{floor_rate:>9,.0f}"
                     f"{r['floor']['cpu_seconds']:>8.2f}{'-':>13}{1:>9.4f}"
                     f"{floor_rate / r['naive']['rows_per_second']:>9,.1f}")
        lines.append(f"{kind:<7}{'naive (sample)':<18}{r['naive']['sample_seconds']:>9.2f}"
                     f"{r['naive']['rows_per_second']:>9,.1f}{r['naive']['cpu_seconds']:>8.1f}{'-':>13}"
                     f"{r['naive']['rows_per_second'] / floor_rate:>9.5f}{1:>9.1f}")
        lines.append(f"{kind:<7}rank / score = {r['rank_over_score']:.2f}x wall (target <= 3x); "
                     f"rank / score --workers 1 = {r['rank_over_score_1_worker']:.2f}x; "
                     f"peak RSS rank / score = {r['rank_rss_over_score_rss']:.2f}x")
    lines.append(f"({args.rows:,} sites, {args.draws} draws, best of {args.repeats}; wall clock of the "
                 f"whole command incl. Python start; load average {os.getloadavg()[0]:.1f} on "
                 f"{os.cpu_count()} cores)")
    results["table"] = lines
    print("\n" + "\n".join(lines))
    out = HERE / "results" / "bench_rank_vs_score.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"bench_rank_vs_score: {time.perf_counter() - t:.0f} s", file=sys.stderr)
