"""Routes on small hand-made networks (great-circle sea legs; no searoute, no cache)."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geoprospect.errors import RouteError
from geoprospect.routes import RouteNetwork, build_routes, site_logistics
from geoprospect.routes.sea import great_circle_matrix

PORTS = [  # locode, country, lon, lat
    ("AANEA", "AAA", 10.0, 0.0), ("AAFAR", "AAA", 14.0, 0.0), ("BBPOR", "BBB", 30.0, 0.0),
    ("CCPOR", "CCC", 30.0, 10.0), ("DDPOR", "DDD", 50.0, 0.0),
]
BASE = {"status": "operating", "third_party_policy": "yes", "radioactive_licence": "yes",
        "operator": "Plant Co", "port_locode": None}
FACILITIES = [
    dict(id="b-crack", country="BBB", x=30.2, y=0.0, stages="cracking;separation",
         feedstocks="monazite_concentrate", port_locode="BBPOR"),
    dict(id="c-crack", country="CCC", x=30.2, y=10.0, stages="cracking;separation",
         feedstocks="monazite_concentrate;bastnaesite_concentrate"),
    dict(id="c-unlicensed", country="CCC", x=30.3, y=10.0, stages="cracking;separation",
         feedstocks="monazite_concentrate", radioactive_licence=None),
    dict(id="b-captive", country="BBB", x=30.1, y=0.1, stages="cracking;separation",
         feedstocks="mixed_concentrate", third_party_policy="no", operator="Acme Mining"),
    dict(id="d-magnet", country="DDD", x=50.2, y=0.0, stages="magnet", feedstocks="separated_oxide",
         third_party_policy=None, radioactive_licence=None),
    dict(id="b-planned", country="BBB", x=30.0, y=0.5, stages="cracking;separation",
         feedstocks="monazite_concentrate", status="planned"),
]


def make_net(*, facilities=FACILITIES, slow_near_port=False, policies=None, **kw) -> RouteNetwork:
    ports = gpd.GeoDataFrame(
        {"locode": [p[0] for p in PORTS], "name": [p[0] for p in PORTS], "country": [p[1] for p in PORTS]},
        geometry=[Point(p[2], p[3]) for p in PORTS], crs="EPSG:4326")
    rows = [{**BASE, **f} for f in facilities]
    fac = gpd.GeoDataFrame(pd.DataFrame(rows).drop(columns=["x", "y"]),
                           geometry=[Point(f["x"], f["y"]) for f in rows], crs="EPSG:4326")
    sea = great_circle_matrix(ports["locode"], ports.geometry.x, ports.geometry.y)
    if slow_near_port:  # the nearest port has no good sailing: every voyage from it is very long
        sea.km[0, 1:] = 60000.0
    kw.setdefault("destination", "DDD")
    return RouteNetwork(ports, fac, corridors=None, policies=policies, sea=sea, **kw)


def deposits(minerals="monazite", x=10.5, owner="Someone Else", country="AAA", **extra):
    data = {"id": ["dep"], "name": ["Test deposit"], "country": [country], "minerals": [minerals],
            "owner": [owner], **{k: [v] for k, v in extra.items()}}
    return gpd.GeoDataFrame(data, geometry=[Point(x, 0.0)], crs="EPSG:4326")


def legs_of(plan, alt=0):
    legs = plan.legs
    return legs[(legs["deposit_id"] == "dep") & (legs["alternative"] == alt)].sort_values("leg")


def test_best_route_and_chain():
    plan = build_routes(deposits(), make_net(), k=3)
    best = plan.best().iloc[0]
    assert best["export_port"] == "AANEA"
    assert best["plants"] == "b-crack" and best["magnet_maker"] == "d-magnet"
    assert best["cost_usd_per_t_ndpr"] > best["cost_usd_per_t_conc"] > 0
    assert pd.isna(best["blocked_by"])
    assert "d-magnet" in best["summary"]


def test_every_route_joins_end_to_end():
    plan = build_routes(deposits(), make_net(), k=3)
    assert plan.table["alternative"].nunique() >= 2
    for alt in plan.table["alternative"]:
        legs = legs_of(plan, alt)
        assert legs["from_id"].iloc[0] == "dep"
        assert legs["to_id"].iloc[-1] == plan.table.set_index("alternative").at[alt, "magnet_maker"]
        assert (legs["to_id"].iloc[:-1].to_numpy() == legs["from_id"].iloc[1:].to_numpy()).all()
        ends = [np.asarray(g.coords)[[0, -1]] for g in legs.geometry]
        for (_, end), (start, _) in itertools.pairwise(ends):
            np.testing.assert_allclose(end, start, atol=1e-9)
        total = plan.table.set_index("alternative").loc[alt]
        assert legs["km"].sum() == pytest.approx(total["total_km"])
        assert legs["cost_usd_t"].sum() == pytest.approx(total["cost_usd_per_t_conc"])
    assert plan.legs.crs.to_epsg() == 4326
    assert set(plan.legs.geom_type) == {"LineString"}


def test_alternatives_are_sorted_by_cost():
    t = build_routes(deposits(), make_net(), k=3).table
    assert t["cost_usd_per_t_conc"].is_monotonic_increasing


def test_licensing_excludes_unlicensed_plant_for_monazite():
    plan = build_routes(deposits(), make_net(), k=10)
    assert not plan.table["plants"].str.contains("c-unlicensed").any()
    bast = build_routes(deposits("bastnaesite"), make_net(), k=10)
    # bastnaesite is not Th-bearing; the licensed CCC cracker that takes it is used
    assert bast.best().iloc[0]["plants"] == "c-crack"


def test_captive_plant_only_for_its_owner():
    others = build_routes(deposits("eudialyte"), make_net(), k=5)
    assert others.best().iloc[0]["summary"].endswith(")")  # no route: only a captive plant takes it
    assert "no route" in others.best().iloc[0]["summary"]
    own = build_routes(deposits("eudialyte", owner="Acme Mining Ltd"), make_net(), k=5)
    assert own.best().iloc[0]["plants"] == "b-captive"


def test_status_selects_facilities():
    plan = build_routes(deposits(), make_net(), k=10)
    assert not plan.table["plants"].str.contains("b-planned").any()
    planned = build_routes(deposits(), make_net(status=("operating", "planned")), k=10)
    assert planned.table["plants"].str.contains("b-planned").any()


def test_avoid_country_removes_its_ports_and_facilities():
    net = make_net(avoid=["BBB"])
    plan = build_routes(deposits(), net, k=5)
    assert plan.best().iloc[0]["plants"] == "c-crack"
    used = set(plan.legs["from_id"]) | set(plan.legs["to_id"])
    assert not {"BBPOR", "b-crack", "b-captive", "b-planned"} & used
    with pytest.raises(RouteError):
        make_net(destination=())


def test_export_port_minimises_total_cost_not_distance():
    net = make_net(slow_near_port=True)
    best = build_routes(deposits(), net, k=1).best().iloc[0]
    assert best["export_port"] == "AAFAR"  # 3.5 degrees further by road, far shorter at sea
    site = site_logistics([10.5], [0.0], ["AAA"], minerals=["monazite"], network=net)
    assert site.at[0, "export_port"] == "AAFAR"
    assert site.at[0, "port_km"] > 300  # not the nearest port, 55 km away
    near = site_logistics([10.5], [0.0], ["AAA"], minerals=["monazite"], network=make_net())
    assert near.at[0, "export_port"] == "AANEA"


def test_policy_block_names_the_rule():
    events = pd.DataFrame([{"id": "aaa-ban", "iso3": "AAA", "admin1": None,
                            "blocks": "raw_concentrate_export", "in_force": "yes"}])
    home = dict(id="a-crack", country="AAA", x=12.0, y=3.0, stages="cracking;separation",
                feedstocks="monazite_concentrate")
    free = build_routes(deposits(), make_net(facilities=[*FACILITIES, home]), k=1).best().iloc[0]
    plan = build_routes(deposits(), make_net(facilities=[*FACILITIES, home], policies=events), k=2)
    best = plan.best().iloc[0]
    assert best["plants"] == "a-crack" and pd.isna(best["blocked_by"])
    blocked = plan.table[plan.table["blocked_by"].notna()]
    assert not blocked.empty and (blocked["blocked_by"] == "aaa-ban").all()
    assert free["plants"] == "b-crack"  # the ban is what moved the route
    assert blocked["cost_usd_per_t_conc"].min() < best["cost_usd_per_t_conc"]
    # not in force: no effect
    off = events.assign(in_force="no")
    assert build_routes(deposits(), make_net(policies=off), k=1).best().iloc[0]["plants"] == "b-crack"


def test_site_logistics_matches_first_plant_and_is_per_row():
    net = make_net()
    lon = np.array([10.5, np.nan, 13.9, 10.6])
    lat = np.array([0.0, 0.0, 0.0, 0.1])
    iso = np.array(["AAA", "AAA", "AAA", None], dtype=object)
    mins = np.array(["monazite", "monazite", "bastnaesite", None], dtype=object)
    out = site_logistics(lon, lat, iso, minerals=mins, network=net)
    assert list(out.columns[:8]) == ["export_port", "port_km", "land_km", "land_cost_usd_t", "plant_id",
                                     "sea_km", "cost_to_plant_usd_t", "days_to_plant"]
    assert len(out) == 4 and out.at[1, "export_port"] is None and np.isnan(out.at[1, "cost_to_plant_usd_t"])
    assert out.at[0, "plant_id"] == "b-crack" and out.at[2, "plant_id"] == "c-crack"
    assert out.at[3, "plant_id"] is None  # unknown mineralogy: only the captive plant takes mixed feed
    assert out.at[0, "land_km"] == pytest.approx(out.at[0, "port_km"] * net.costs.circuity("road"))
    # each row depends only on itself
    alone = site_logistics(lon[2:3], lat[2:3], iso[2:3], minerals=mins[2:3], network=net)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), out.iloc[2:3].reset_index(drop=True))
    # cost agrees with the first part of the best route
    plan = build_routes(deposits(), net, k=1)
    legs = legs_of(plan)
    to_plant = legs.iloc[: int(np.argmax(legs["to_id"].to_numpy() == "b-crack")) + 1]
    assert to_plant["cost_usd_t"].sum() == pytest.approx(out.at[0, "cost_to_plant_usd_t"])


def test_user_road_network_changes_land_legs(tmp_path):
    # a road that goes far north before reaching the port: longer than great circle x circuity
    road = gpd.GeoDataFrame({"mode": ["road"]}, geometry=[
        LineString([(10.5, 0.0), (10.5, 3.0), (10.0, 3.0), (10.0, 0.0)])], crs="EPSG:4326")
    path = tmp_path / "roads.geojson"
    road.to_file(path, driver="GeoJSON")
    net = make_net(network_path=path)
    leg = net.land.leg(10.5, 0.0, 10.0, 0.0, "road", port="AANEA")
    assert float(leg["km"]) == pytest.approx(2 * 333.6 + 55.6, rel=0.01)  # along the road, not 55 km x 1.2
    plain = site_logistics([10.5], [0.0], ["AAA"], minerals=["monazite"], network=make_net())
    routed = site_logistics([10.5], [0.0], ["AAA"], minerals=["monazite"], network=net)
    assert plain.at[0, "export_port"] == "AANEA"
    assert routed.at[0, "land_cost_usd_t"] > plain.at[0, "land_cost_usd_t"]
    # the road detour makes the other port (reached by a short connector) the cheaper export port
    assert routed.at[0, "export_port"] == "AAFAR"


def test_network_layer_must_be_lines(tmp_path):
    pts = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs="EPSG:4326")
    path = tmp_path / "pts.geojson"
    pts.to_file(path, driver="GeoJSON")
    with pytest.raises(RouteError, match="line layer"):
        make_net(network_path=path)


def test_site_logistics_scalars_and_empty_input():
    net = make_net()
    out = site_logistics(np.array([10.5, 10.6]), np.array([0.0, 0.0]), "AAA", minerals="monazite",
                         th_ppm=10.0, network=net)
    assert list(out["plant_id"]) == ["b-crack", "b-crack"]
    empty = site_logistics([], [], [], network=net)
    assert len(empty) == 0 and "cost_to_plant_usd_t" in empty.columns
