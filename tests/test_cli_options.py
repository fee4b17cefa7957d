"""CLI options that had no test (issue 18 item 6): ``rank --prices``, ``--exclude-flagged``,
``--investor``, ``--avoid`` (rank and score), ``--network`` (rank, score, surface) and
``score --engine dask --scheduler``. Each test asserts a behaviour that fails when the option is
ignored: the same input is run with and without it and the difference is checked."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
from _support import INSIDE, read_any, run, sites

from geoprospect.core.geodesy import haversine_km
from geoprospect.features.flags import blocking_flags
from geoprospect.io.bundled import layer_path


def _rank(tmp_path, name, *args):
    out = tmp_path / f"{name}.json"
    r = run("rank", *args, "--draws", 0, "--top", 1, "-o", out)
    assert r.exit_code == 0, r.output
    return pd.DataFrame(json.loads(out.read_text(encoding="utf-8"))["records"]).set_index("id")


def _flags(value) -> set[str]:
    return set(filter(None, str(value or "").split(";")))


# --- rank --prices ----------------------------------------------------------------------------

def _deck(tmp_path, name, ndpr_price):
    """The bundled deck plus a 2025 annual NdPr price (the latest annual figure wins)."""
    path = tmp_path / name
    text = layer_path("prices.csv").read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + f'\nNdPr oxide,{ndpr_price},test deck,2025,"test",\n', encoding="utf-8")
    return path


def test_rank_prices_deck_moves_the_basket_value(tmp_path):
    base = _rank(tmp_path, "base")
    up = _rank(tmp_path, "up", "--prices", _deck(tmp_path, "up.csv", 102))
    down = _rank(tmp_path, "down", "--prices", _deck(tmp_path, "down.csv", 25.5))
    known = base["basket_usd_t_ore"].notna() & (base["ndpr_pct"] > 0)
    assert known.sum() >= 3
    b, u, d = (f.loc[base.index[known], "basket_usd_t_ore"] for f in (base, up, down))
    assert (u > b).all() and (d < b).all()
    # worked number: the bundled deck's latest annual NdPr price is USD 51/kg (2024); a kg of REO
    # carries ndpr_pct/100 kg NdPr, a tonne of ore treo_pct/100 t REO, so +USD 51/kg NdPr adds
    # 51 * 1000 * treo/100 * ndpr/100 USD per tonne of ore
    k = base.loc[known]
    np.testing.assert_allclose(u - b, 51 * 1000 * k["treo_pct"] / 100 * k["ndpr_pct"] / 100, rtol=1e-9)
    # rows without a basket stay without one
    assert up.loc[base.index[base["basket_usd_t_ore"].isna()], "basket_usd_t_ore"].isna().all()


def test_rank_prices_deck_with_a_non_numeric_price_exits_2(tmp_path):
    path = _deck(tmp_path, "broken.csv", "abc")
    with open(path, encoding="utf-8") as fh:
        row = sum(1 for _ in csv.DictReader(fh))  # the bad row is the last data row
    r = run("rank", "--draws", 0, "--prices", path)
    assert r.exit_code == 2, r.output
    assert f"broken.csv: row {row}: price_usd_per_kg: 'abc' is not a number" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


# --- rank --exclude-flagged / --investor --------------------------------------------------------

def test_rank_exclude_flagged_drops_exactly_the_blocked_rows(tmp_path):
    every = _rank(tmp_path, "all")
    kept = _rank(tmp_path, "kept", "--exclude-flagged")
    blocked = every["flags"].map(lambda f: bool(_flags(f) & set(blocking_flags())))
    assert blocked.sum() >= 3  # the bundled layer has armed-group / conflict / unlicensed rows
    assert len(kept) == len(every) - blocked.sum()
    assert set(kept.index) == set(every.index[~blocked])
    assert not any(_flags(f) & set(blocking_flags()) for f in kept["flags"])
    # ranked again among the kept rows (ties share a rank), in the full ranking's order
    again = every.loc[kept.index, "rank"].rank(method="min").astype(int)
    assert kept["rank"].tolist() == again.tolist() and kept["rank"].max() < every["rank"].max()


def test_rank_investor_foreign_flags_indian_state_reservations(tmp_path):
    state = _rank(tmp_path, "state", "--investor", "state")
    foreign = _rank(tmp_path, "foreign", "--investor", "foreign")
    ind = state.index[state["country"] == "IND"]
    reserved_state = {i for i in ind if "state_reserved" in _flags(state.at[i, "flags"])}
    reserved_foreign = {i for i in ind if "state_reserved" in _flags(foreign.at[i, "flags"])}
    assert reserved_state == set()  # an Indian state company is not barred at home
    assert len(reserved_foreign) >= 3  # monazite is a prescribed substance (Atomic Energy Act)
    other = state.index[state["country"] != "IND"]
    assert (state.loc[other, "flags"].fillna("") == foreign.loc[other, "flags"].fillna("")).all()
    # and the flag is blocking for the foreign investor only
    kept = _rank(tmp_path, "kept", "--investor", "foreign", "--exclude-flagged")
    assert not (reserved_foreign & set(kept.index))


# --- --avoid CHN on rank and score --------------------------------------------------------------

CHINESE_OWNED = (
    "id,name,country,lat,lon,treo_pct,ndpr_pct,resource_mt,minerals,owner,th_ppm\n"
    "c1,Shan Hill,MMR,21.0,96.0,2.0,20,10,bastnaesite,China Northern Rare Earth Baotou,50\n"
    "c2,Eastern,AUS,-28.86,122.55,2.0,20,10,bastnaesite,China Northern Rare Earth Baotou,50\n"
)
"""Non-radioactive bastnaesite owned by a Chinese operator: with the Malaysian and Vietnamese
plants avoided, its cheapest first plant is Chinese (they take only their owners' ore)."""


def _score(src, out, *args):
    r = run("score", src, "-o", out, "-q", *args)
    assert r.exit_code == 0, r.output
    return pd.read_csv(out).set_index("id")


@pytest.mark.parametrize("command", ["rank", "score"])
def test_avoid_chn_keeps_chinese_plants_out(tmp_path, command):
    src = tmp_path / "chn.csv"
    src.write_text(CHINESE_OWNED, encoding="utf-8")
    # a generic foreign investor avoids no counterparty (IREL, the default, avoids Chinese plants)
    who = ("--investor", "generic-foreign")
    if command == "rank":
        before = _rank(tmp_path, "before", src, "--avoid", "MYS,VNM", *who)
        after = _rank(tmp_path, "after", src, "--avoid", "MYS,VNM,CHN", *who)
    else:
        before = _score(src, tmp_path / "before.csv", "--avoid", "MYS,VNM", *who)
        after = _score(src, tmp_path / "after.csv", "--avoid", "MYS,VNM,CHN", *who)
    assert before["plant_id"].str.startswith("chn-").all()  # the option has something to remove
    assert after["plant_id"].notna().all()
    assert not after["plant_id"].str.startswith("chn-").any()


def test_rank_avoid_chn_on_the_bundled_layer(tmp_path):
    ranked = _rank(tmp_path, "r", "--avoid", "CHN")
    assert not ranked["plant_id"].dropna().str.startswith("chn-").any()
    assert ranked["plant_id"].notna().sum() >= 40


# --- --network on rank, score and surface ------------------------------------------------------

SITE = INSIDE["MWI"]


def _site(tmp_path):
    src = tmp_path / "site.csv"
    src.write_text("id,name,country,lat,lon,treo_pct,ndpr_pct,resource_mt,minerals\n"
                   f"m1,Test Hill,MWI,{SITE[1]},{SITE[0]},2.0,20,10,bastnaesite\n", encoding="utf-8")
    return src


def _road(tmp_path, port):
    """One straight road from the site to ``port``'s location (a GeoPackage of LineStrings)."""
    import geopandas as gpd
    import shapely

    ports = gpd.read_file(layer_path("ports.geojson"))
    p = ports.loc[ports["locode"] == port].geometry.iloc[0]
    road = gpd.GeoDataFrame({"mode": ["road"]}, geometry=[shapely.LineString([SITE, (p.x, p.y)])],
                            crs="EPSG:4326")
    path = tmp_path / "roads.gpkg"
    road.to_file(path, driver="GPKG")
    return path, float(haversine_km(SITE[0], SITE[1], p.x, p.y))


def test_network_changes_land_km_on_rank_and_score(tmp_path):
    src = _site(tmp_path)
    plain = _rank(tmp_path, "plain", src)
    port = plain.at["m1", "export_port"]
    roads, straight_km = _road(tmp_path, port)
    routed = _rank(tmp_path, "routed", src, "--network", roads)
    assert routed.at["m1", "export_port"] == port
    # without a network: great circle x circuity (> the straight line); along the road: the road
    assert plain.at["m1", "land_km"] > straight_km * 1.05
    assert routed.at["m1", "land_km"] == pytest.approx(straight_km, rel=1e-6)
    scored = _score(src, tmp_path / "s.csv", "--network", roads)
    assert scored.at["m1", "land_km"] == pytest.approx(straight_km, rel=1e-6)
    unrouted = _score(src, tmp_path / "u.csv")
    assert unrouted.at["m1", "land_km"] == pytest.approx(plain.at["m1", "land_km"], rel=1e-9)


def test_network_changes_surface_band_1(tmp_path):
    import rasterio

    plain, routed = tmp_path / "plain.tif", tmp_path / "routed.tif"
    base = ("surface", "--country", "MWI", "--resolution", "0.5")
    assert run(*base, "-o", plain).exit_code == 0
    roads, _ = _road(tmp_path, "MZBEW")
    r = run(*base, "-o", routed, "--network", roads)
    assert r.exit_code == 0, r.output
    with rasterio.open(plain) as a, rasterio.open(routed) as b:
        x, y = a.read(1), b.read(1)
    inside = x != a.nodata
    assert inside.sum() >= 20 and ((y != b.nodata) == inside).all()
    assert np.abs(x[inside] - y[inside]).max() > 1.0  # USD/t: the land legs follow the road


@pytest.mark.parametrize("command", ["rank", "score", "surface"])
def test_bad_network_file_exits_2_with_one_line(tmp_path, command):
    import geopandas as gpd
    import shapely

    pts = tmp_path / "points.geojson"
    points = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    points.to_file(pts, driver="GeoJSON")
    args = {"rank": ("rank", _site(tmp_path), "--draws", 0),
            "score": ("score", _site(tmp_path), "-o", tmp_path / "o.csv"),
            "surface": ("surface", "--country", "MWI", "--resolution", "0.5", "-o", tmp_path / "o.tif")}
    for bad, message in ((pts, "--network needs a line layer (found Point)"),
                         (tmp_path / "missing.gpkg", "missing.gpkg")):
        r = run(*args[command], "--network", bad)
        assert r.exit_code == 2, (command, r.output)
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in r.output, (command, r.output)
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.tif").exists()


# --- score --engine dask --scheduler ------------------------------------------------------------

def test_score_on_an_existing_dask_scheduler_matches_local(tmp_path):
    pytest.importorskip("distributed")
    from dask.distributed import LocalCluster

    src = tmp_path / "sites.parquet"
    sites(8, seed=5).to_parquet(src)
    local = tmp_path / "local.parquet"
    assert run("score", src, "-o", local, "-q").exit_code == 0
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        out = tmp_path / "dask.parquet"
        r = run("score", src, "-o", out, "--engine", "dask", "--scheduler", address, "-q", "--json")
        assert r.exit_code == 0, r.output
        summary = json.loads(r.stdout)
        assert summary["engine"] == "dask" and summary["rows_scored"] == 8
        # the tasks ran on the cluster started here
        assert "score_partition" in cluster.scheduler.task_prefixes  # the tasks ran on this cluster
    got, want = read_any(out), read_any(local)
    assert len(got) == 8 and {"score", "land_km", "plant_id", "flags"} <= set(got.columns)
    pd.testing.assert_frame_equal(got, want)


def test_scheduler_without_dask_engine_exits_2(tmp_path):
    src = tmp_path / "sites.parquet"
    sites(2).to_parquet(src)
    r = run("score", src, "-o", tmp_path / "o.parquet", "--scheduler", "tcp://127.0.0.1:1")
    assert r.exit_code == 2 and "--scheduler needs --engine dask" in r.output
    assert not (tmp_path / "o.parquet").exists()
