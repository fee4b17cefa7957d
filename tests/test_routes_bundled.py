"""Routes on the bundled layers (searoute sea matrix cached in a temporary directory)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoprospect.core.geodesy import haversine_km, path_length_km
from geoprospect.io.bundled import layer_path
from geoprospect.routes import RouteNetwork, build_routes, site_logistics
from geoprospect.routes.feedstock import accepts, deposit_feed


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        d = tmp_path_factory.mktemp("sea-cache")
        mp.setenv("GEOPROSPECT_CACHE_DIR", str(d))
        yield d


@pytest.fixture(scope="module")
def deposits():
    return gpd.read_file(layer_path("deposits.geojson"))


@pytest.fixture(scope="module")
def net(cache):
    return RouteNetwork.bundled()


@pytest.fixture(scope="module")
def plan(net, deposits):
    return build_routes(deposits, net, k=3)


def port_country(net, code):
    return net.ports.set_index("locode").at[code, "country"]


def test_sea_matrix_cached_on_disk(net, cache):
    files = list(cache.glob("sea-*.npz"))
    assert len(files) == 1
    again = RouteNetwork.bundled()
    assert again.sea.from_cache
    np.testing.assert_array_equal(again.sea.km, net.sea.km)


def test_malawi_leaves_through_mozambique(plan, net):
    best = plan.best().set_index("deposit_id")
    mwi = [d for d in best.index if d.startswith("mwi-") and isinstance(best.at[d, "export_port"], str)]
    assert mwi, "some Malawi deposit must have a route"
    for dep in mwi:
        assert port_country(net, best.at[dep, "export_port"]) == "MOZ"
    # the export ban on raw concentrate is named on those routes, except where the ban's own
    # record exempts the deposit (Kangankunde: regulator's letter of 28 Oct 2025) and where the
    # deposit's own study ships a processed product (Songwe Hill's mixed chemical)
    ban = "mwi-2025-10-raw-mineral-export-ban"
    exempt = set(net.policy.exempt[ban])
    assert "mwi-kangankunde" in exempt
    processed = {"mwi-songwe-hill"}
    named = best.loc[mwi, "blocked_by"].fillna("").str.contains(ban)
    assert named[[d for d in mwi if d not in exempt | processed]].all()
    assert not named[[d for d in mwi if d in exempt | processed]].any()


def test_malawi_site_logistics_uses_corridor_ports(net):
    out = site_logistics([34.93, 35.2], [-15.0, -15.5], ["MWI", "MWI"], minerals=["bastnaesite", "ionic"],
                         network=net)
    assert set(out["export_port"]) <= {"MZMNC", "MZBEW", "TZDAR", "ZADUR"}
    assert out["export_port"].map(lambda c: c.startswith("MZ")).all()


def test_australian_monazite_reaches_third_party_plant_then_japanese_magnets(cache, deposits):
    net = RouteNetwork.bundled(destination="JPN")
    dep = deposits[deposits["id"] == "aus-yangibana"]
    best = build_routes(dep, net, k=1).best().iloc[0]
    fac = net.facilities.set_index("id")
    first = best["plants"].split(" > ")[0]
    feed = deposit_feed(dep["minerals"].iloc[0], dep["th_ppm"].iloc[0], dep["u_ppm"].iloc[0])
    assert feed.product == "monazite_concentrate"
    assert accepts(fac.loc[first].to_dict(), feed.product, feed, owner=dep["owner"].iloc[0]) is None
    assert fac.at[first, "third_party_policy"] in ("yes", "case_by_case")
    assert fac.at[first, "radioactive_licence"] == "yes"
    assert fac.at[best["magnet_maker"], "country"] == "JPN"
    assert "magnet" in fac.at[best["magnet_maker"], "stages"]


def test_avoid_china_keeps_china_off_every_route(cache, deposits):
    net = RouteNetwork.bundled(avoid=["CHN"], status=("operating", "construction", "planned"))
    plan = build_routes(deposits, net, k=3)
    assert not plan.legs.empty
    places = set(plan.legs["from_id"]) | set(plan.legs["to_id"])
    ports = net.ports.set_index("locode")["country"]
    fac = gpd.read_file(layer_path("facilities.geojson")).set_index("id")["country"]
    countries = {ports.get(p) for p in places} | {fac.get(p) for p in places}
    assert "CHN" not in countries
    assert not (net.facilities["country"] == "CHN").any()
    assert not net.ports.loc[net.ports["country"] == "CHN", "usable"].any()


def test_no_sea_leg_shorter_than_great_circle(plan, net):
    sea = plan.legs[plan.legs["mode"] == "sea"]
    assert len(sea) > 10
    xy = net.ports.set_index("locode")[["lon", "lat"]]
    a, b = xy.loc[sea["from_id"]].to_numpy(), xy.loc[sea["to_id"]].to_numpy()
    gc = haversine_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert (sea["km"].to_numpy() >= gc - 1e-6).all()
    # and over the whole matrix
    ports = net.ports
    full = haversine_km(ports["lon"].to_numpy()[:, None], ports["lat"].to_numpy()[:, None],
                        ports["lon"].to_numpy()[None, :], ports["lat"].to_numpy()[None, :])
    finite = np.isfinite(net.sea.km)
    assert (net.sea.km[finite] >= full[finite] - 1e-6).all()


def test_sea_leg_geometry_follows_searoute(plan, net):
    sea = plan.legs[plan.legs["mode"] == "sea"]
    assert len(sea) > 10
    xy = net.ports.set_index("locode")[["lon", "lat"]]
    coords = [np.asarray(g.coords) for g in sea.geometry]
    # a network path (not a straight port-to-port line) from the leg's port to the other one ...
    assert all(len(c) > 2 for c in coords)
    np.testing.assert_allclose([c[0] for c in coords], xy.loc[sea["from_id"]].to_numpy(), atol=1e-9)
    end_gap = np.array([c[-1] for c in coords]) - xy.loc[sea["to_id"]].to_numpy()
    end_gap[:, 0] = (end_gap[:, 0] + 180) % 360 - 180  # a path drawn across the antimeridian
    np.testing.assert_allclose(end_gap, 0, atol=1e-9)
    # ... whose length is the leg's distance
    np.testing.assert_allclose([path_length_km(c) for c in coords], sea["km"], rtol=1e-9)


def test_every_bundled_route_joins_end_to_end(plan):
    for (dep, alt), legs in plan.legs.groupby(["deposit_id", "alternative"]):
        legs = legs.sort_values("leg")
        assert legs["from_id"].iloc[0] == dep
        assert (legs["to_id"].iloc[:-1].to_numpy() == legs["from_id"].iloc[1:].to_numpy()).all(), (dep, alt)


def test_avoid_suez_routes_around(cache):
    net = RouteNetwork.bundled(avoid_passages=["suez"])
    base = RouteNetwork.bundled()
    assert "suez" in base.sea.crossed("INCOK", "FRLRH")
    assert "suez" not in net.sea.crossed("INCOK", "FRLRH")
    assert net.sea.distance("INCOK", "FRLRH") > base.sea.distance("INCOK", "FRLRH") + 3000


def test_site_logistics_on_bundled_deposits(net, deposits):
    out = site_logistics(deposits.geometry.x, deposits.geometry.y, deposits["country"],
                         minerals=deposits["minerals"], th_ppm=deposits["th_ppm"], u_ppm=deposits["u_ppm"],
                         network=net, owner=deposits["owner"])
    assert len(out) == len(deposits)
    have = out["cost_to_plant_usd_t"].notna()
    assert have.sum() > len(deposits) / 2
    assert (out.loc[have, "land_km"] >= out.loc[have, "port_km"]).all()
    weld = out[deposits["id"].to_numpy() == "aus-mount-weld"].iloc[0]
    assert weld["plant_id"] == "mys-lynas-lamp-gebeng"  # its owner's licensed plant, via its own port
    without_owner = site_logistics(deposits.geometry.x, deposits.geometry.y, deposits["country"],
                                   minerals=deposits["minerals"], network=net)
    weld_alone = without_owner[deposits["id"].to_numpy() == "aus-mount-weld"].iloc[0]
    fac = net.facilities.set_index("id")
    # without its owner a deposit only reaches plants sourced as taking third-party ore
    assert fac.at[weld_alone["plant_id"], "third_party_policy"] in ("yes", "case_by_case")
    captive = fac.index[fac["third_party_policy"] == "no"]
    assert not without_owner["plant_id"].isin(captive).any()
    pd.testing.assert_series_equal(out["export_port"].isna(), out["plant_id"].isna(), check_names=False)


def test_leg_objects_and_vectorised_route_give_the_same_cost_days_and_co2(net, deposits):
    """One route cost: the legs drawn for a deposit sum to its vectorised figures."""
    from geoprospect.core.geodesy import lonlat
    from geoprospect.routes.legs import first_plant_legs

    x, y = lonlat(deposits.geometry)
    out = site_logistics(x, y, deposits["country"], minerals=deposits["minerals"],
                         th_ppm=deposits["th_ppm"], u_ppm=deposits["u_ppm"], owner=deposits["owner"],
                         network=net)
    checked = 0
    for i, did in enumerate(deposits["id"]):
        row = out.iloc[i].to_dict()
        legs = first_plant_legs(net, did, (x[i], y[i]), row)
        if legs is None:
            assert not isinstance(row["plant_id"], str) or not np.isfinite(x[i])
            continue
        checked += 1
        assert legs[-1].to_id == row["plant_id"] and legs[0].to_id == row["export_port"]
        got = [sum(leg.cost_t for leg in legs), sum(leg.days for leg in legs), sum(leg.co2_t for leg in legs)]
        want = [row["cost_to_plant_usd_t"], row["days_to_plant"], row["co2_kg_t"]]
        np.testing.assert_allclose(got, want, rtol=1e-9, err_msg=did)
    assert checked > len(deposits) / 2
