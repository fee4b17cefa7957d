"""Benchmark: HTML size, build time and headless-Chromium load time of offline maps.

Run: ``.venv/bin/python benchmarks/bench_maps.py [--sizes 100,10000,100000]``. Prints a table and
writes ``benchmarks/results/bench_maps.json``. Synthetic deposits (random points in the five
countries' bounding boxes, random scores); the network is cut off while the page loads.
Load time = navigation start until the map runtime reports ready (all layers built).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

BOXES = {"AUS": (115, -35, 150, -15), "IND": (70, 10, 88, 30), "MWI": (33, -17, 36, -10),
         "ARG": (-70, -45, -58, -25), "MMR": (94, 16, 99, 27)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def synthetic(n: int, seed: int = 0):
    """``n`` ranked deposits with every map column filled."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    codes = np.array(list(BOXES))
    country = codes[rng.integers(0, len(codes), n)]
    box = np.array([BOXES[c] for c in country], dtype=float)
    x = box[:, 0] + rng.random(n) * (box[:, 2] - box[:, 0])
    y = box[:, 1] + rng.random(n) * (box[:, 3] - box[:, 1])
    score = rng.random(n) * 100
    frame = pd.DataFrame({
        "id": np.char.add("syn-", np.arange(n).astype(str)),
        "name": np.char.add("Prospect ", np.arange(n).astype(str)),
        "country": country, "admin1": "Region", "deposit_type": rng.choice(
            ["carbonatite", "ionic_clay", "heavy_mineral_sands", "alkaline_complex"], n),
        "minerals": "monazite;xenotime", "stage": rng.choice(["exploration", "feasibility"], n),
        "resource_mt": rng.random(n) * 100, "treo_pct": rng.random(n) * 5,
        "ndpr_pct": 15 + rng.random(n) * 10,
        "score": score, "grade_score": rng.random(n) * 100, "logistics_score": rng.random(n) * 100,
        "risk_score": rng.random(n) * 100, "score_p10": score - 5, "score_p90": score + 5,
        "p_top10": rng.random(n), "flags": "", "route_summary": "road 420 km to port, sea 11 days to Japan",
        "source": "synthetic benchmark row", "source_url": "https://example.org/",
    })
    frame["rank"] = frame["score"].rank(ascending=False, method="first").astype(int)
    return gpd.GeoDataFrame(frame, geometry=shapely.points(x, y), crs="EPSG:4326")


def load_time(browser, path: Path) -> tuple[float, int, int]:
    """(seconds to ready, distinct deposit ids on the page, aborted requests)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    aborted = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
               else (aborted.append(r.request.url), r.abort()))
    start = time.perf_counter()
    page.goto(path.resolve().as_uri(), timeout=300_000)
    page.wait_for_function("window.GP && window.GP.ready === true", timeout=300_000, polling=50)
    elapsed = time.perf_counter() - start
    ids = page.evaluate("GP.visibleDepositIds(GP.map).length")
    context.close()
    return elapsed, ids, len(aborted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from geoprospect.maps import make_map, save_map

    browser = None
    exe = shutil.which("chromium")
    if exe:
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=exe, args=ARGS)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            gdf = synthetic(n)
            t0 = time.perf_counter()
            m = make_map(gdf, offline=True)
            path = save_map(m, Path(tmp) / f"bench_{n}.html", offline=True)
            build = time.perf_counter() - t0
            row = {"deposits": n, "html_mb": round(path.stat().st_size / 1e6, 2),
                   "build_s": round(build, 2), "load_s": None, "ids_on_page": None}
            if browser is not None:
                load, ids, aborted = load_time(browser, path)
                row.update(load_s=round(load, 2), ids_on_page=ids, aborted_requests=aborted)
            results.append(row)
            print(f"{n:>8,} deposits  {row['html_mb']:>7} MB  build {row['build_s']:>6} s  "
                  f"load {row['load_s']} s  ids {row['ids_on_page']}", flush=True)
    if browser is not None:
        browser.close()
        pw.stop()
    out = Path(__file__).parent / "results" / "bench_maps.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": __import__("os").cpu_count(),
                               "offline": True, "results": results}, indent=1))
    print("\n| deposits | HTML (MB) | build (s) | browser load (s) |\n|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['deposits']:,} | {r['html_mb']} | {r['build_s']} | {r['load_s']} |")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
