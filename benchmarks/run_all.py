"""Run every benchmark under benchmarks/ (``make bench``); each prints its table and writes
``benchmarks/results/<name>.json``. Benchmarks measure; they never assert on time.

The benchmarks: ``bench_batch`` (``geoprospect score`` end to end, clean and messy, vs floor and
naive; dask), ``bench_messy`` (the issue's "messy 1M" against the clean million and the floor,
in one run), ``bench_maps``, ``bench_rank_vs_score`` (``geoprospect rank`` vs ``score`` on the
same 10,000 sites: wall clock, peak RSS, the ratio), ``bench_rasters``, ``bench_routes`` and
``bench_postgis`` (``geoprospect score`` of 1M sites into PostGIS vs into GeoParquet, on a
throwaway PostgreSQL + PostGIS server).
``python benchmarks/run_all.py batch rank`` runs those whose name contains a word given."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    failed, took = [], {}
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        t = time.perf_counter()
        if subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0:
            failed.append(script.stem)
        took[script.stem] = time.perf_counter() - t
    print("\n" + ", ".join(f"{k} {v:.0f} s" for k, v in took.items())
          + f"; total {sum(took.values()) / 60:.1f} min", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
