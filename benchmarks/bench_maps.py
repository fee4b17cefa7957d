"""Benchmark: HTML size, build time, headless-Chromium load time and popup time of offline maps,
this tree against a baseline git ref (default ``main``), on the same inputs in the same run.

Cases:

* ``synthetic N`` (100, 10,000 and 100,000 by default): random deposits in the five countries'
  bounding boxes with every map column filled (the benchmark of earlier runs);
* ``rank 10k``: what ``geoprospect rank SITES --map M.html --offline`` publishes for 10,000
  synthetic candidate sites (``benchmarks/_sites.py``): the ranked rows with every output column,
  the best routes of the top ten, the bundled facilities and the country-risk choropleth.

Each tree builds the maps in its own process (the baseline from ``git archive REF``); the page
is then opened in Debian's Chromium with the network cut off. Load time = navigation start until
the map runtime reports ready (all layers built, first view set); popup time = a deposit click
until its popup's HTML is in the page. Run ``.venv/bin/python benchmarks/bench_maps.py
[--sizes 100,10000] [--baseline main|none]``; writes ``benchmarks/results/bench_maps.json``.
Measurements only: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BOXES = {"AUS": (115, -35, 150, -15), "IND": (70, 10, 88, 30), "MWI": (33, -17, 36, -10),
         "ARG": (-70, -45, -58, -25), "MMR": (94, 16, 99, 27)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
RANK_SITES = 10_000
REPEATS = 3


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


def write_inputs(folder: Path, sizes: list[int], with_rank: bool) -> list[dict]:
    """Write every case's input layers (GeoParquet) into ``folder``; return the case list."""
    cases = []
    for n in sizes:
        synthetic(n).to_parquet(folder / f"synthetic_{n}.parquet")
        cases.append({"case": f"synthetic {n:,}", "file": f"synthetic_{n}", "deposits": n})
    if with_rank:
        sys.path.insert(0, str(HERE))
        from _sites import sites_frame

        from geoprospect.pipeline import rank_layer

        sites = folder / "sites.gpkg"
        sites_frame(RANK_SITES).to_file(sites)
        t0 = time.perf_counter()
        ranked = rank_layer(str(sites), routes=10)
        print(f"ranked {len(ranked):,} sites in {time.perf_counter() - t0:.1f} s", flush=True)
        legs = ranked.attrs.get("route_legs")
        ranked.attrs = {}
        ranked.to_parquet(folder / "rank_10k.parquet")
        if legs is not None:
            legs.to_parquet(folder / "rank_10k_legs.parquet")
        cases.append({"case": "rank 10k", "file": "rank_10k", "deposits": len(ranked)})
    return cases


def build(inputs: Path, out: Path) -> None:
    """Child process: build every input's map with the importable geoprospect (timed)."""
    import geopandas as gpd

    from geoprospect.io.bundled import layer_path
    from geoprospect.maps import make_map, save_map

    times = {}
    for path in sorted(inputs.glob("*.parquet")):
        if path.stem.endswith("_legs"):
            continue
        gdf = gpd.read_parquet(path)
        legs_path = path.with_name(path.stem + "_legs.parquet")
        t0 = time.perf_counter()
        if path.stem.startswith("rank"):  # what `rank --map --offline` draws
            m = make_map(gdf, facilities=gpd.read_file(layer_path("facilities.geojson")),
                         route_legs=gpd.read_parquet(legs_path) if legs_path.exists() else None,
                         country_risk=layer_path("country_risk.csv"), offline=True, top_routes=10)
        else:
            m = make_map(gdf, offline=True)
        save_map(m, out / f"{path.stem}.html", offline=True, overwrite=True)
        times[path.stem] = round(time.perf_counter() - t0, 2)
    (out / "build.json").write_text(json.dumps(times))


def build_tree(tree: Path, inputs: Path, out: Path) -> dict:
    """Run :func:`build` in a fresh process whose ``geoprospect`` is the one under ``tree``."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, __file__, "--build", str(inputs), str(out)], env=env, check=True,
                   cwd=tree)
    return json.loads((out / "build.json").read_text())


def baseline_tree(ref: str, folder: Path) -> tuple[Path, str]:
    """``git archive REF`` unpacked into ``folder`` (its geoprospect, layers and models)."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder, commit


def measure(browser, path: Path) -> dict:
    """Load time, deposits drawn, aborted requests and the time to open one deposit's popup
    (the last drawn: the best-ranked deposit)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    aborted = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
               else (aborted.append(r.request.url), r.abort()))
    start = time.perf_counter()
    page.goto(path.resolve().as_uri(), timeout=300_000)
    page.wait_for_function("window.GP && window.GP.ready === true", timeout=300_000, polling=20)
    load = time.perf_counter() - start
    ids = page.evaluate("GP.visibleDepositIds(GP.map).length")
    popup_ms = page.evaluate(
        """() => { const d = GP.deposits[GP.deposits.length - 1], t = performance.now();
                   const ll = d.layer.getLatLng ? d.layer.getLatLng() : d.layer.getBounds().getCenter();
                   d.layer.fire("click", {latlng: ll}, true);
                   const ok = !!document.querySelector(".leaflet-popup .gp-name");
                   return ok ? performance.now() - t : null; }""")
    context.close()
    return {"load_s": round(load, 2), "ids_on_page": ids, "aborted_requests": len(aborted),
            "popup_ms": None if popup_ms is None else round(popup_ms, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--baseline", default="main", help="git ref to compare with, or 'none'")
    parser.add_argument("--no-rank", action="store_true", help="skip the rank 10k case")
    parser.add_argument("--build", nargs=2, metavar=("INPUTS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[0]), Path(args.build[1]))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    exe = shutil.which("chromium")
    results, baseline = [], None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "inputs").mkdir()
        cases = write_inputs(tmp / "inputs", sizes, with_rank=not args.no_rank)
        trees = {"this": (ROOT, None)}
        if args.baseline != "none":
            (tmp / "base").mkdir()
            trees["baseline"] = baseline_tree(args.baseline, tmp / "base")
            baseline = {"ref": args.baseline, "commit": trees["baseline"][1]}
        built = {name: build_tree(tree, tmp / "inputs", tmp / f"out_{name}")
                 for name, (tree, _) in trees.items()}
        browser = pw = None
        if exe:
            from playwright.sync_api import sync_playwright

            pw = sync_playwright().start()
            browser = pw.chromium.launch(executable_path=exe, args=ARGS)
        if browser is not None:  # a first page warms the browser up; it is not counted
            measure(browser, tmp / "out_this" / f"{cases[0]['file']}.html")
        for case in cases:
            rows = {}
            for name in trees:
                html = tmp / f"out_{name}" / f"{case['file']}.html"
                rows[name] = {"case": case["case"], "deposits": case["deposits"], "tree": name,
                              "html_mb": round(html.stat().st_size / 1e6, 2),
                              "build_s": built[name][case["file"]],
                              "load_s": None, "ids_on_page": None, "popup_ms": None}
            if browser is not None:  # the trees take turns; the median of REPEATS loads is kept
                runs = {name: [] for name in trees}
                for _ in range(REPEATS):
                    for name in trees:
                        runs[name].append(measure(browser, tmp / f"out_{name}" / f"{case['file']}.html"))
                for name, got in runs.items():
                    load = np.median([r["load_s"] for r in got])
                    popup = np.nanmedian([r["popup_ms"] or np.nan for r in got])
                    rows[name].update(got[0], load_s=round(float(load), 2), popup_ms=round(float(popup), 1))
            for name, row in rows.items():
                results.append(row)
                print(f"{case['case']:>18} {name:>8}  {row['html_mb']:>6} MB  build {row['build_s']:>6} s  "
                      f"load {row['load_s']} s  popup {row['popup_ms']} ms  ids {row['ids_on_page']}",
                      flush=True)
        if browser is not None:
            browser.close()
            pw.stop()
    out = HERE / "results" / "bench_maps.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                   "offline": True, "baseline": baseline, "results": results}, indent=1))
    tmp_out.replace(out)
    print("\n| case | tree | HTML (MB) | build (s) | browser load (s) | popup (ms) |\n"
          "|---|---|---:|---:|---:|---:|")
    for r in results:
        tree = r["tree"]
        if tree == "baseline" and baseline is not None:
            tree = f"{baseline['ref']} {baseline['commit']}"
        print(f"| {r['case']} | {tree} | {r['html_mb']} | {r['build_s']} | {r['load_s']} | {r['popup_ms']} |")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
