"""Benchmark: country surfaces at 1 km and 250 m (time, peak memory), and raster sampling speed
(block reads vs one rasterio ``sample()`` per point, same points, same values).

Run: ``python benchmarks/bench_rasters.py [--country MWI] [--resolutions 1km,250m] [--no-score]
[--points N]``. Each surface runs in a fresh child process so its peak RSS is its own; the child
also reports its RSS just before the surface starts (imports, network, model), so the surface's
own share is the difference. Prints a table and writes ``benchmarks/results/bench_rasters.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRADE = {"treo_pct": 2.5, "ndpr_pct": 20.0, "resource_mt": 10.0, "deposit_type": "carbonatite",
         "minerals": "bastnaesite"}

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
args = json.loads(sys.argv[1])
from geoprospect.surfaces.grid import country_grid
from geoprospect.surfaces.write import write_surface
from geoprospect.routes.network import RouteNetwork
net = RouteNetwork.bundled()
model = None
if args["grade"]:
    import numpy as np, pandas as pd
    from geoprospect.features import FEATURE_NAMES
    from geoprospect.model.estimator import load_model
    from geoprospect.model.predict import fit_scoring_model
    try:
        model = load_model(None)
        args["model"] = "bundled default"
    except Exception:
        rng = np.random.default_rng(0); n = 60
        f = pd.DataFrame(rng.normal(size=(n, len(FEATURE_NAMES))), columns=list(FEATURE_NAMES))
        f["treo_pct"] = rng.uniform(0.1, 5, n); f["cost_to_plant_usd_t"] = rng.uniform(80, 200, n)
        y = ((f.treo_pct / 5 - (f.cost_to_plant_usd_t - 80) / 120 + rng.normal(0, .3, n)) > 0).astype(int)
        model = fit_scoring_model(f, y)
        args["model"] = "synthetic"
grid = country_grid(args["country"], args["resolution"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
write_surface(args["out"], args["country"], args["resolution"], grade=args["grade"], model=model,
              network=net, overwrite=True)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import rasterio, numpy as np
with rasterio.open(args["out"]) as src:
    inside = 0
    for _, win in src.block_windows(1):
        inside += int((src.read(1, window=win) != src.nodata).sum())
print(json.dumps({"cells": grid.width * grid.height, "inside": inside, "width": grid.width,
                  "height": grid.height, "seconds": elapsed, "rss_before_mb": base, "peak_rss_mb": peak,
                  "file_mb": Path(args["out"]).stat().st_size / 2**20, "model": args.get("model")}))
"""


def surface_case(country: str, resolution: str, grade: dict | None, tmp: Path) -> dict:
    out = tmp / f"{country}_{resolution}_{'score' if grade else 'cost'}.tif"
    payload = json.dumps({"country": country, "resolution": resolution, "grade": grade, "out": str(out)})
    proc = subprocess.run([sys.executable, "-c", CHILD, payload], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sampling_case(n_points: int, tmp: Path) -> dict:
    """A 4096 x 4096 float32 UTM raster in 512 x 512 tiles; ``n_points`` random lon/lat sites."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    import shapely
    from affine import Affine
    from pyproj import Transformer

    from geoprospect.features.covariates import sample_one

    path = tmp / "cov.tif"
    size, cell, x0, y0 = 4096, 100.0, 600_000.0, 8_500_000.0
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
                       crs="EPSG:32736", transform=Affine(cell, 0, x0, 0, -cell, y0), nodata=-1,
                       tiled=True, blockxsize=512, blockysize=512, compress="deflate") as dst:
        for _, win in dst.block_windows(1):
            rows, cols = np.mgrid[win.row_off:win.row_off + win.height, win.col_off:win.col_off + win.width]
            dst.write((rows * 0.5 + cols).astype("float32"), 1, window=win)
    rng = np.random.default_rng(0)
    ux = rng.uniform(x0, x0 + size * cell, n_points)
    uy = rng.uniform(y0 - size * cell, y0, n_points)
    lon, lat = Transformer.from_crs("EPSG:32736", "EPSG:4326", always_xy=True).transform(ux, uy)
    gdf = gpd.GeoDataFrame(geometry=shapely.points(np.c_[lon, lat]), crs="EPSG:4326")
    t = time.perf_counter()
    block = sample_one(gdf, path)
    t_block = time.perf_counter() - t
    # per-point sample(): the same points, transformed the same way, one generator step each
    t = time.perf_counter()
    bx, by = Transformer.from_crs("EPSG:4326", "EPSG:32736", always_xy=True).transform(lon, lat)
    with rasterio.open(path) as src:
        per_point = np.array([v[0] for v in src.sample(zip(bx, by, strict=True))], dtype=float)
    t_sample = time.perf_counter() - t
    per_point[per_point == -1] = np.nan
    same = bool(np.array_equal(block, per_point, equal_nan=True))
    return {"points": n_points, "raster": f"{size}x{size} float32, 512x512 tiles, EPSG:32736",
            "block_seconds": t_block, "block_points_per_s": n_points / t_block,
            "sample_seconds": t_sample, "sample_points_per_s": n_points / t_sample,
            "speedup": t_sample / t_block, "identical_values": same}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--country", default="MWI")
    ap.add_argument("--resolutions", default="1km,250m")
    ap.add_argument("--no-score", action="store_true", help="Cost band only (skip the score band runs).")
    ap.add_argument("--points", type=int, default=200_000, help="Points for the sampling comparison.")
    args = ap.parse_args(argv)

    results: dict = {"machine": platform.machine(), "cpus": os.cpu_count(), "country": args.country,
                     "load_avg_at_start": os.getloadavg()[0], "surfaces": [], "sampling": None}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for res in [r.strip() for r in args.resolutions.split(",") if r.strip()]:
            for grade in ([None] if args.no_score else [None, GRADE]):
                row = {"resolution": res, "bands": "cost+score" if grade else "cost",
                       **surface_case(args.country, res, grade, tmp)}
                results["surfaces"].append(row)
                print(f"  {res:>6} {row['bands']:<10} {row['seconds']:7.1f} s", flush=True)
        if args.points:
            results["sampling"] = sampling_case(args.points, tmp)

    print(f"\nSurfaces for {args.country} (lon/lat grid, 512x512 windows; load avg at start "
          f"{results['load_avg_at_start']:.1f} on {results['cpus']} cpus)")
    print(f"{'res':>6} {'bands':<10} {'grid':>11} {'inside':>9} {'time s':>8} {'cells/s':>9} "
          f"{'RSS before':>10} {'peak RSS':>9} {'file MB':>8}")
    for r in results["surfaces"]:
        print(f"{r['resolution']:>6} {r['bands']:<10} {r['width']:>5}x{r['height']:<5} {r['inside']:>9} "
              f"{r['seconds']:>8.1f} {r['inside'] / r['seconds']:>9.0f} {r['rss_before_mb']:>8.0f}MB "
              f"{r['peak_rss_mb']:>7.0f}MB {r['file_mb']:>8.2f}")
    s = results["sampling"]
    if s:
        print(f"\nSampling {s['points']} points on a {s['raster']}:")
        print(f"  block reads   {s['block_seconds']:7.2f} s  {s['block_points_per_s']:>10.0f} points/s")
        print(f"  sample()      {s['sample_seconds']:7.2f} s  {s['sample_points_per_s']:>10.0f} points/s")
        print(f"  speed-up {s['speedup']:.0f}x, identical values: {s['identical_values']}")
    out = HERE / "results" / "bench_rasters.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out}")
    return results


if __name__ == "__main__":
    main()
