"""Benchmark: country surfaces at 1 km and 250 m (time, peak memory; the score band against the
floor and the naive way), and raster sampling speed (block reads vs one rasterio ``sample()``
per point, same points, same values), each on a clean and on a messy input.

Run: ``python benchmarks/bench_rasters.py [--country MWI] [--resolutions 1km,250m] [--no-score]
[--points N] [--messy-resolutions 1km]``. Each surface runs in a fresh child process so its peak
RSS is its own; the child also reports its RSS just before the surface starts (imports,
network, valuation model), so the surface's own share is the difference. Prints a table and
writes ``benchmarks/results/bench_rasters.json``.

* score band: a hypothetical deposit in every cell, valued by the screening valuation
  (``models/valuation.skops`` via :meth:`geoprospect.pipeline.Valuation.load` with ``draws=0``,
  what ``write_surface`` does: one median-input value a cell). Clean = a fully specified deposit
  (:data:`GRADE`); messy = only a grade and a mineral list in odd case (:data:`MESSY_GRADE`): the
  imputer fills tonnage, NdPr and Dy+Tb shares;
* floor (score band): the k-d-tree nearest port of every inside cell plus the closed-form NPV
  (:func:`geoprospect.model.economics.npv`) on plain arrays (the project of a 1,000-cell sample
  tiled to every cell), no features, no imputation, no IO;
* naive (score band): :func:`geoprospect.pipeline.score_rows` applied per cell on a one-row
  GeoDataFrame (geopandas ``apply``), timed on a sample and compared per cell;
* sampling: clean = every point inside the raster; messy = 10 % outside its extent, 5 % with
  no geometry (NaN expected).
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
MESSY_GRADE = {"treo_pct": 2.5, "minerals": "Monazite; XENOTIME"}

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
args = json.loads(sys.argv[1])
from geoprospect.surfaces.grid import country_grid
from geoprospect.surfaces.write import write_surface
from geoprospect.routes.network import RouteNetwork
net = RouteNetwork.bundled()
valuation = None
if args["grade"]:
    from geoprospect.pipeline import Valuation
    valuation = Valuation.load(draws=0)  # what write_surface uses: one value a cell
grid = country_grid(args["country"], args["resolution"])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
write_surface(args["out"], args["country"], args["resolution"], grade=args["grade"], valuation=valuation,
              network=net, overwrite=True)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import rasterio, numpy as np
with rasterio.open(args["out"]) as src:
    inside = 0
    for _, win in src.block_windows(1):
        inside += int((src.read(1, window=win) != src.nodata).sum())
result = {"cells": grid.width * grid.height, "inside": inside, "width": grid.width,
          "height": grid.height, "seconds": elapsed, "rss_before_mb": base, "peak_rss_mb": peak,
          "file_mb": Path(args["out"]).stat().st_size / 2**20,
          "model": "bundled valuation (draws=0)" if args["grade"] else None}
if args["grade"]:
    import geopandas as gpd, shapely
    from geoprospect.core.geodesy import SphereIndex
    from geoprospect.io.terms import product_treo_fraction
    from geoprospect.model.economics import Project, npv
    from geoprospect.pipeline import score_rows
    xs, ys = [], []
    for win in grid.windows():
        lon, lat = grid.centres(win)
        ins = grid.inside(win)
        xs.append(lon[ins]); ys.append(lat[ins])
    x, y = np.concatenate(xs), np.concatenate(ys)
    n = len(x)
    def frame(i):
        return gpd.GeoDataFrame({"id": np.char.add("cell-", i.astype(str)), "country": grid.iso3,
                                 **args["grade"]}, index=i, geometry=shapely.points(x[i], y[i]),
                                crs="EPSG:4326")
    rng = np.random.default_rng(0)
    sample = frame(rng.choice(n, min(1000, n), replace=False))
    v = score_rows(sample, valuation=valuation, network=net).columns
    conc = product_treo_fraction("concentrate")
    arr = lambda c: np.resize(np.nan_to_num(v[c].to_numpy(float)), n)
    treo_tpa = arr("treo_tpa")
    opex = arr("opex_usd_per_kg") * treo_tpa / 1e3 + arr("cost_to_plant_usd_t") * treo_tpa / conc / 1e6
    project = Project(capex=arr("capex_musd"), revenue=arr("revenue_musd_yr"), opex=opex,
                      life=arr("mine_life_yr"), royalty=arr("royalty_pct") / 100, tax=arr("tax_pct") / 100,
                      carry=arr("state_carry_pct") / 100)
    rate = arr("discount_rate_pct") / 100
    index = SphereIndex(net.ports["lon"].to_numpy(), net.ports["lat"].to_numpy())
    t = time.perf_counter()
    index.query(x, y, k=1)
    t_port = time.perf_counter() - t
    t = time.perf_counter()
    with np.errstate(all="ignore"):
        npv(project, rate)
    t_npv = time.perf_counter() - t
    result["floor"] = {"cells": n, "seconds": t_port + t_npv, "port_seconds": t_port, "npv_seconds": t_npv,
                       "cells_per_s": n / (t_port + t_npv)}
    k = args["naive_sample"]
    cells = frame(rng.choice(n, k, replace=False))
    one = lambda row: float(score_rows(gpd.GeoDataFrame([row], geometry=[row.geometry], crs="EPSG:4326"),
                                       valuation=valuation, network=net).columns["score"].iloc[0])
    one(cells.iloc[0])
    t = time.perf_counter()
    cells.apply(one, axis=1)
    t_naive = time.perf_counter() - t
    result["naive"] = {"cells": k, "seconds": t_naive, "cells_per_s": k / t_naive}
print(json.dumps(result))
"""


def surface_case(country: str, resolution: str, grade: dict | None, tmp: Path,
                 naive_sample: int = 100) -> dict:
    out = tmp / f"{country}_{resolution}_{'score' if grade else 'cost'}.tif"
    payload = json.dumps({"country": country, "resolution": resolution, "grade": grade, "out": str(out),
                          "naive_sample": naive_sample})
    proc = subprocess.run([sys.executable, "-c", CHILD, payload], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sampling_case(n_points: int, tmp: Path, messy: bool = False) -> dict:
    """A 4096 x 4096 float32 UTM raster in 512 x 512 tiles; ``n_points`` random lon/lat sites
    (``messy``: 10 % outside the raster's extent, 5 % with no geometry)."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    import shapely
    from pyproj import Transformer

    from geoprospect.features.covariates import sample_one

    path = tmp / "cov.tif"
    size, cell, x0, y0 = 4096, 100.0, 600_000.0, 8_500_000.0
    if not path.exists():
        _write_covariate(path, size, cell, x0, y0)
    rng = np.random.default_rng(1 if messy else 0)
    ux = rng.uniform(x0, x0 + size * cell, n_points)
    uy = rng.uniform(y0 - size * cell, y0, n_points)
    if messy:
        out = rng.random(n_points) < 0.10
        ux[out] += size * cell * rng.choice([-1.5, 1.5], out.sum())
    lon, lat = Transformer.from_crs("EPSG:32736", "EPSG:4326", always_xy=True).transform(ux, uy)
    geometry = shapely.points(np.c_[lon, lat])
    missing = (rng.random(n_points) < 0.05) if messy else np.zeros(n_points, bool)
    geometry[missing] = None
    gdf = gpd.GeoDataFrame(geometry=geometry, crs="EPSG:4326")
    t = time.perf_counter()
    block = sample_one(gdf, path)
    t_block = time.perf_counter() - t
    # per-point sample(): the same points, transformed the same way, one generator step each
    t = time.perf_counter()
    bx, by = Transformer.from_crs("EPSG:4326", "EPSG:32736", always_xy=True).transform(lon, lat)
    with rasterio.open(path) as src:
        left, bottom, right, top = src.bounds
        ok = ~missing & (left <= bx) & (bx < right) & (bottom < by) & (by <= top)
        per_point = np.full(n_points, np.nan)
        per_point[ok] = [v[0] for v in src.sample(zip(bx[ok], by[ok], strict=True))]
    t_sample = time.perf_counter() - t
    per_point[per_point == -1] = np.nan
    same = bool(np.array_equal(block, per_point, equal_nan=True))
    return {"points": n_points, "input": "messy" if messy else "clean",
            "missing_geometry": int(missing.sum()), "nan_values": int(np.isnan(block).sum()),
            "raster": f"{size}x{size} float32, 512x512 tiles, EPSG:32736",
            "block_seconds": t_block, "block_points_per_s": n_points / t_block,
            "sample_seconds": t_sample, "sample_points_per_s": n_points / t_sample,
            "speedup": t_sample / t_block, "identical_values": same}


def _write_covariate(path, size, cell, x0, y0):
    import numpy as np
    import rasterio
    from affine import Affine

    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
                       crs="EPSG:32736", transform=Affine(cell, 0, x0, 0, -cell, y0), nodata=-1,
                       tiled=True, blockxsize=512, blockysize=512, compress="deflate") as dst:
        for _, win in dst.block_windows(1):
            rows, cols = np.mgrid[win.row_off:win.row_off + win.height, win.col_off:win.col_off + win.width]
            dst.write((rows * 0.5 + cols).astype("float32"), 1, window=win)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--country", default="MWI")
    ap.add_argument("--resolutions", default="1km,250m")
    ap.add_argument("--messy-resolutions", default="1km",
                    help="Resolutions of the messy score-band runs ('' skips them; 250m adds ~2 min).")
    ap.add_argument("--no-score", action="store_true", help="Cost band only (skip the score band runs).")
    ap.add_argument("--naive-sample", type=int, default=100, help="Cells of the per-cell naive run.")
    ap.add_argument("--points", type=int, default=100_000, help="Points for the sampling comparison.")
    args = ap.parse_args(argv)

    results: dict = {"machine": platform.machine(), "cpus": os.cpu_count(), "country": args.country,
                     "load_avg_at_start": os.getloadavg()[0], "grade": GRADE, "messy_grade": MESSY_GRADE,
                     "surfaces": [], "sampling": []}
    messy_res = [r.strip() for r in args.messy_resolutions.split(",") if r.strip()]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for res in [r.strip() for r in args.resolutions.split(",") if r.strip()]:
            cases = [("clean", None)]
            if not args.no_score:
                cases.append(("clean", GRADE))
                if res in messy_res:
                    cases.append(("messy", MESSY_GRADE))
            for kind, grade in cases:
                row = {"resolution": res, "bands": "cost+score" if grade else "cost", "input": kind,
                       **surface_case(args.country, res, grade, tmp, args.naive_sample)}
                results["surfaces"].append(row)
                print(f"  {res:>6} {row['bands']:<10} {kind:<6} {row['seconds']:7.1f} s", flush=True)
        if args.points:
            results["sampling"] = [sampling_case(args.points, tmp, messy) for messy in (False, True)]

    lines = [f"Surfaces for {args.country} (lon/lat grid, 512x512 windows; load avg at start "
             f"{results['load_avg_at_start']:.1f} on {results['cpus']} cpus)",
             f"{'res':>6} {'bands':<10} {'input':<6} {'grid':>11} {'inside':>9} {'time s':>8} {'cells/s':>9} "
             f"{'RSS before':>10} {'peak RSS':>9} {'file MB':>8} {'x floor':>8} {'x naive':>8}"]
    for r in results["surfaces"]:
        rate = r["inside"] / r["seconds"]
        xf = f"{rate / r['floor']['cells_per_s']:.4f}" if "floor" in r else "-"
        xn = f"{rate / r['naive']['cells_per_s']:,.0f}" if "naive" in r else "-"
        lines.append(f"{r['resolution']:>6} {r['bands']:<10} {r['input']:<6} "
                     f"{r['width']:>5}x{r['height']:<5} {r['inside']:>9} {r['seconds']:>8.1f} {rate:>9.0f} "
                     f"{r['rss_before_mb']:>8.0f}MB "
                     f"{r['peak_rss_mb']:>7.0f}MB {r['file_mb']:>8.2f} {xf:>8} {xn:>8}")
    for r in results["surfaces"]:
        if "floor" in r:
            lines.append(f"  {r['resolution']} {r['input']} score band: floor (port query + NPV) "
                         f"{r['floor']['cells_per_s']:,.0f} cells/s; naive score_rows per cell "
                         f"{r['naive']['cells_per_s']:,.1f} cells/s ({r['naive']['cells']} cells)")
    for s in results["sampling"]:
        lines.append(f"Sampling {s['points']} {s['input']} points on a {s['raster']} "
                     f"({s['missing_geometry']} without geometry, {s['nan_values']} NaN):")
        lines.append(f"  block reads   {s['block_seconds']:7.2f} s  {s['block_points_per_s']:>10.0f} pts/s")
        lines.append(f"  sample()      {s['sample_seconds']:7.2f} s  {s['sample_points_per_s']:>10.0f} pts/s")
        lines.append(f"  speed-up {s['speedup']:.0f}x, identical values: {s['identical_values']}")
    results["table"] = lines
    print("\n" + "\n".join(lines))
    out = HERE / "results" / "bench_rasters.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out}")
    return results


if __name__ == "__main__":
    main()
