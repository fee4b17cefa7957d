"""Benchmark: ``geoprospect score`` of 1M sites into PostGIS vs into GeoParquet, in one run.

Run: ``.venv/bin/python benchmarks/bench_postgis.py [--rows 1000000] [--uri postgresql://...]``.
Prints a table and writes ``benchmarks/results/bench_postgis.json``. Never a timed test.

* server: a throwaway PostgreSQL + PostGIS started for the run (``tests/_postgis_server.py``:
  initdb, as the ``postgres`` user when run as root, on 127.0.0.1 with a password, default
  durability settings: fsync on), or the database of ``--uri`` (``PGPASSWORD`` as libpq reads
  it). Same machine as the scoring, so the server's work competes for the same cores;
* input: ``--rows`` synthetic sites inside the five countries (:mod:`_sites`) in one GeoParquet
  file (row groups of ``--chunk-size``);
* timed, each in a child process, wall clock from start to exit (Python start, imports, model
  load, read, validate, value, write), peak RSS of the process tree sampled every 0.2 s (the
  server's processes are not in it): ``geoprospect score sites.parquet -o out.parquet`` and
  ``geoprospect score sites.parquet -o postgresql://... --table scored`` (COPY into a staging
  table, index, comment, analyse, commit), alternating, ``--repeats`` times each; the best of
  each is reported (and every run), since other work on the machine slows runs at random; the
  cache folder is warmed first;
* writers alone, in this process, on the scored table (no scoring): GeoParquet written with
  pyarrow vs the PostGIS writer (:class:`geoprospect.io.postgis_write.PostgisWriter`, chunks of
  ``--chunk-size``), and reading the table back in chunks (as ``score`` reads it) vs the Parquet file;
  sizes on disk (the file; the table with its indexes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
PY = sys.executable


def score(src: Path, target: list[str], cache: Path, chunk: int, workers: int) -> dict:
    from bench_batch import _sampled

    cmd = [PY, "-m", "geoprospect", "score", str(src), *target, "--chunk-size", str(chunk),
           "--workers", str(workers), "--json", "-q", "--overwrite"]
    run = _sampled(cmd, {**os.environ, "GEOPROSPECT_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"})
    if run["returncode"] != 0:
        raise SystemExit(f"score failed: {run['stderr'][-2000:]}")
    summary = json.loads(run["stdout"])
    return {"seconds": round(run["seconds"], 2), "cpu_seconds_client": round(run["cpu_seconds"], 2),
            "scoring_seconds": summary["seconds"], "rows_scored": summary["rows_scored"],
            "rows_per_second": round(summary["rows_scored"] / run["seconds"], 1),
            "workers": summary["workers"], "peak_rss_mb": round(run["peak_tree_rss_mb"], 1)}


def writers(scored: Path, uri: str, chunk: int) -> dict:
    """The output cost alone: the scored table rewritten as GeoParquet and into PostGIS."""
    import pyarrow.parquet as pq

    from geoprospect.io.postgis_read import iter_postgis, parse_source
    from geoprospect.io.postgis_write import PostgisWriter, parse_target

    pf = pq.ParquetFile(scored)
    n = pf.metadata.num_rows
    out: dict = {"rows": n}
    t = time.perf_counter()
    with pq.ParquetWriter(scored.with_name("rewrite.parquet"), pf.schema_arrow, compression="snappy") as w:
        for batch in pf.iter_batches(batch_size=chunk):
            w.write_batch(batch)
    out["geoparquet_write_s"] = round(time.perf_counter() - t, 2)
    writer = PostgisWriter(parse_target(uri, table="rewrite", mode="replace"), metadata={"bench": 1}).open()
    t = time.perf_counter()
    import pyarrow as pa

    for batch in pf.iter_batches(batch_size=chunk):
        writer.write(pa.Table.from_batches([batch]))
    copied = time.perf_counter() - t
    writer.commit()
    out["postgis_copy_s"] = round(copied, 2)
    out["postgis_write_s"] = round(time.perf_counter() - t, 2)  # + index, comment, analyse, commit
    t = time.perf_counter()
    rows = sum(len(p.geometry) for p in iter_postgis(parse_source(uri, table="rewrite"), chunk))
    out["postgis_read_s"] = round(time.perf_counter() - t, 2)
    assert rows == n
    t = time.perf_counter()
    import shapely

    for batch in pf.iter_batches(batch_size=chunk):
        shapely.from_wkb(batch.column("geometry").to_numpy(zero_copy_only=False))
    out["geoparquet_read_s"] = round(time.perf_counter() - t, 2)
    return out


def sizes(uri: str, scored: Path) -> dict:
    from geoprospect.io.postgis import connect, parse_source

    with connect(parse_source(uri, table="scored")) as conn:
        total, heap = conn.execute("SELECT pg_total_relation_size('scored'), "
                                   "pg_relation_size('scored')").fetchone()
    return {"geoparquet_mb": round(scored.stat().st_size / 2**20, 1),
            "postgis_table_mb": round(heap / 2**20, 1), "postgis_with_indexes_mb": round(total / 2**20, 1)}


@contextlib.contextmanager
def database(uri: str | None, work: Path):
    if uri:
        yield uri, {"server": "given by --uri"}
        return
    import _postgis_server as pgs

    folder = work / "server"
    folder.mkdir(mode=0o755)
    os.chmod(work, 0o755)
    server = pgs.start_server(folder)
    try:
        if not server.postgis:
            raise SystemExit(f"no PostgreSQL with PostGIS: {server.reason}")
        os.environ["PGPASSWORD"] = pgs.PASSWORD
        yield pgs.create_database(server, "bench"), {"server": "throwaway, default durability (fsync on)",
                                                      "bin": server.bin}
    finally:
        pgs.stop_server(server)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--uri", default=None, help="An existing database (default: a throwaway server).")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_postgis_") as tmp:
        run(args, Path(tmp))


def run(args, work: Path) -> None:
    from _sites import write_sites

    from geoprospect.batch.parallel import default_workers

    workers = args.workers or default_workers()
    cache = work / "cache"
    cache.mkdir()
    t = time.perf_counter()
    src = write_sites(work / "sites.parquet", args.rows, seed=0, row_group=args.chunk_size)  # as bench_batch
    made = time.perf_counter() - t
    warm = write_sites(work / "warm.parquet", 20_000, seed=8)
    score(warm, ["-o", str(work / "warm_out.parquet")], cache, args.chunk_size, workers)  # warm the cache
    results: dict = {"rows": args.rows, "chunk_size": args.chunk_size, "workers": workers,
                     "cpu_count": os.cpu_count(), "python": platform.python_version(),
                     "sites_generated_s": round(made, 1)}
    with database(args.uri, work) as (uri, about):
        results["database"] = about
        from geoprospect.io.postgis import connect, parse_source

        with connect(parse_source(uri, table="x")) as conn:
            results["database"]["version"] = conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
            results["database"]["postgis"] = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        out = work / "scored.parquet"
        runs: dict = {"score_into_geoparquet": [], "score_into_postgis": []}
        for _ in range(args.repeats):
            runs["score_into_geoparquet"].append(score(src, ["-o", str(out)], cache, args.chunk_size,
                                                       workers))
            runs["score_into_postgis"].append(score(src, ["-o", uri, "--table", "scored"], cache,
                                                    args.chunk_size, workers))
            runs.setdefault("load_average_after", []).append(os.getloadavg())
        for key in ("score_into_geoparquet", "score_into_postgis"):
            results[key] = min(runs[key], key=lambda r: r["seconds"])
        results["every_run"] = runs
        a, b = results["score_into_geoparquet"], results["score_into_postgis"]
        results["postgis_over_geoparquet_wall"] = round(b["seconds"] / a["seconds"], 3)
        results["writers_alone"] = writers(out, uri, args.chunk_size)
        results["sizes"] = sizes(uri, out)
        results["load_average"] = os.getloadavg()
    _print(results)
    path = HERE / "results" / "bench_postgis.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {path}")


def _print(r: dict) -> None:
    print(f"{r['rows']:,} sites, chunk {r['chunk_size']:,}, {r['workers']} workers, {r['cpu_count']} cores; "
          f"{r['database']['version']}, PostGIS {r['database']['postgis']}")
    print(f"{'score into':<12} {'wall s':>8} {'rows/s':>10} {'peak MB':>8}")
    for key, name in (("score_into_geoparquet", "GeoParquet"), ("score_into_postgis", "PostGIS")):
        x = r[key]
        print(f"{name:<12} {x['seconds']:>8.1f} {x['rows_per_second']:>10,.0f} {x['peak_rss_mb']:>8.0f}")
    print(f"PostGIS / GeoParquet wall clock: {r['postgis_over_geoparquet_wall']:.3f}")
    w = r["writers_alone"]
    print(f"writers alone ({w['rows']:,} scored rows): GeoParquet {w['geoparquet_write_s']} s, PostGIS "
          f"{w['postgis_write_s']} s (COPY {w['postgis_copy_s']} s); read back: GeoParquet "
          f"{w['geoparquet_read_s']} s, PostGIS {w['postgis_read_s']} s")
    print(f"sizes: {r['sizes']}")


if __name__ == "__main__":
    main()
