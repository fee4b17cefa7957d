"""Benchmark: route every bundled deposit with a cold and a warm sea-matrix cache, and compare the
matrix (one Dijkstra per port on searoute's graph) with one ``searoute()`` call per port pair.

Run: ``python benchmarks/bench_routes.py [--pairs N] [--points N]``. Prints a results table and
writes ``benchmarks/results/bench_routes.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=0, help="searoute() pairs to time (0 = every port pair)")
    ap.add_argument("--points", type=int, default=1_000_000, help="site_logistics batch size (0 = skip)")
    args = ap.parse_args(argv)

    import geopandas as gpd
    import numpy as np
    import searoute

    from geoprospect.io.bundled import layer_path
    from geoprospect.routes import RouteNetwork, build_routes, site_logistics

    deposits = gpd.read_file(layer_path("deposits.geojson"))
    results: dict = {"deposits": len(deposits), "machine": platform.machine(), "cpus": os.cpu_count(),
                     "searoute": getattr(searoute, "__version__", "?")}
    with tempfile.TemporaryDirectory() as cache:
        os.environ["GEOPROSPECT_CACHE_DIR"] = cache
        net, t_cold_net = _timed(RouteNetwork.bundled)
        plan, t_cold_routes = _timed(lambda: build_routes(deposits, net, k=3))
        net2, t_warm_net = _timed(RouteNetwork.bundled)
        assert net2.sea.from_cache
        _, t_warm_routes = _timed(lambda: build_routes(deposits, net2, k=3))
        fresh = type(net.sea)(net.sea.codes, net.sea.lon, net.sea.lat, net.sea.restrictions)
        _, t_matrix = _timed(fresh.build)
    codes = net.sea.codes
    pairs = [(i, j) for i in range(len(codes)) for j in range(len(codes)) if i != j]
    if args.pairs:
        pairs = pairs[: args.pairs]
    lon, lat = net.sea.lon, net.sea.lat
    diffs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        for i, j in pairs:
            feat = searoute.searoute([lon[i], lat[i]], [lon[j], lat[j]], units="km")
            length = feat.properties["length"]
            if np.isfinite(net.sea.km[i, j]) and length > 50:
                diffs.append(abs(net.sea.km[i, j] - length) / length)
        t_pairs = time.perf_counter() - t
    per_pair = t_pairs / max(len(pairs), 1)
    all_pairs = len(codes) * (len(codes) - 1)
    results.update(
        ports=len(codes), routes=len(plan.table), legs=len(plan.legs),
        cold_network_s=t_cold_net, cold_routes_s=t_cold_routes, cold_total_s=t_cold_net + t_cold_routes,
        warm_network_s=t_warm_net, warm_routes_s=t_warm_routes, warm_total_s=t_warm_net + t_warm_routes,
        matrix_build_s=t_matrix, searoute_pairs_timed=len(pairs), searoute_per_pair_ms=per_pair * 1000,
        searoute_all_pairs_est_s=per_pair * all_pairs,
        speedup_matrix_vs_searoute=per_pair * all_pairs / t_matrix,
        speedup_warm_vs_searoute=per_pair * all_pairs / t_warm_net,
        length_diff_median_pct=float(np.median(diffs) * 100) if diffs else None,
        length_diff_p95_pct=float(np.percentile(diffs, 95) * 100) if diffs else None,
    )
    if args.points:
        rng = np.random.default_rng(0)
        i = rng.integers(0, len(deposits), args.points)
        ok = deposits.geometry.notna().to_numpy()[i]
        x = np.where(ok, deposits.geometry.x.to_numpy()[i], 0) + rng.normal(0, 1, args.points)
        y = np.where(ok, deposits.geometry.y.to_numpy()[i], 0) + rng.normal(0, 1, args.points)
        iso, mins = deposits["country"].to_numpy()[i], deposits["minerals"].to_numpy()[i]
        site_logistics(x[:10], y[:10], iso[:10], minerals=mins[:10], network=net2)  # warm imports
        _, t_sites = _timed(lambda: site_logistics(x, y, iso, minerals=mins, network=net2))
        results.update(site_points=args.points, site_logistics_s=t_sites,
                       site_points_per_s=args.points / t_sites)
    _print(results)
    out = Path(__file__).parent / "results" / "bench_routes.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    return results


def _print(r: dict) -> None:
    rows = [
        ("bundled deposits / ports", f"{r['deposits']} / {r['ports']}"),
        ("routes (k=3) / legs", f"{r['routes']} / {r['legs']}"),
        ("cold cache: network (sea matrix built) s", f"{r['cold_network_s']:.2f}"),
        ("cold cache: route all deposits s", f"{r['cold_routes_s']:.2f}"),
        ("warm cache: network (matrix read) s", f"{r['warm_network_s']:.2f}"),
        ("warm cache: route all deposits s", f"{r['warm_routes_s']:.2f}"),
        ("matrix build alone (Dijkstra per port) s", f"{r['matrix_build_s']:.2f}"),
        (f"searoute() per pair ms ({r['searoute_pairs_timed']} pairs)", f"{r['searoute_per_pair_ms']:.1f}"),
        ("searoute() for every port pair s (est.)", f"{r['searoute_all_pairs_est_s']:.1f}"),
        ("speed-up matrix build vs searoute() per pair", f"{r['speedup_matrix_vs_searoute']:.1f}x"),
        ("speed-up warm cache vs searoute() per pair", f"{r['speedup_warm_vs_searoute']:.0f}x"),
        ("sea km vs searoute: median / p95 diff %",
         f"{r['length_diff_median_pct']:.3f} / {r['length_diff_p95_pct']:.3f}"
         if r["length_diff_median_pct"] is not None else "n/a"),
    ]
    if "site_logistics_s" in r:
        rows.append((f"site_logistics {r['site_points']:,} points s", f"{r['site_logistics_s']:.2f}"))
    width = max(len(a) for a, _ in rows)
    print(f"{'measure':<{width}}  value")
    for a, b in rows:
        print(f"{a:<{width}}  {b}")


if __name__ == "__main__":
    main()
