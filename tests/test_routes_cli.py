"""``geoprospect routes`` through click's CliRunner."""

from __future__ import annotations

import functools
import json

import _support
import geopandas as gpd
import pandas as pd
import pytest


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GEOPROSPECT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cli-sea-cache"))


run = functools.partial(_support.run, catch_exceptions=False)


def test_routes_one_deposit_to_csv(tmp_path):
    out = tmp_path / "r.csv"
    res = run("routes", "--deposit", "Kangankunde", "--k", "2", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "mwi-kangankunde" in res.output and "MZ" in res.output
    table = pd.read_csv(out)
    assert set(table["deposit_id"]) == {"mwi-kangankunde"}
    assert {"cost_usd_per_t_conc", "cost_usd_per_t_ndpr", "co2_kg_per_t", "blocked_by"} <= set(table.columns)


def test_routes_geo_output_has_leg_lines(tmp_path):
    out = tmp_path / "r.geojson"
    res = run("routes", "--deposit", "aus-yangibana", "--to", "JPN", "--avoid", "CHN", "-o", str(out))
    assert res.exit_code == 0, res.output
    legs = gpd.read_file(out)
    assert set(legs.geom_type) == {"LineString"}
    assert {"mode", "from_id", "to_id", "km", "cost_usd_per_t_conc"} <= set(legs.columns)
    again = run("routes", "--deposit", "aus-yangibana", "-o", str(out))
    assert again.exit_code == 2 and "exists" in again.output


def test_routes_json_and_bad_inputs(tmp_path):
    out = tmp_path / "r.json"
    assert run("routes", "--deposit", "ind-chavara", "-o", str(out)).exit_code == 0
    rows = json.loads(out.read_text())["records"]
    assert rows and rows[0]["deposit_id"] == "ind-chavara"
    bad = run("routes", "--deposit", "no-such-deposit")
    assert bad.exit_code == 2 and "no-such-deposit" in bad.output
    bad = run("routes", "--deposit", "ind-chavara", "--avoid-passage", "atlantis")
    assert bad.exit_code == 2 and "atlantis" in bad.output
    bad = run("routes", "--deposit", "ind-chavara", "--status", "dreaming")
    assert bad.exit_code == 2 and "dreaming" in bad.output


def test_one_deposit_sees_every_open_plant_with_its_spare_capacity():
    from geoprospect.io.bundled import layer_path
    from geoprospect.routes import RouteNetwork
    from geoprospect.routes.allocation import plant_options

    net = RouteNetwork.bundled(investor="irel")
    deposits = gpd.read_file(layer_path("deposits.geojson"))
    row = deposits[deposits["id"] == "mwi-kangankunde"]
    options, reason = plant_options(row, net)
    assert not options.empty and reason == ""
    fac = net.facilities.set_index("id")
    for rec in options.to_dict("records"):
        spare = fac.at[rec["plant_id"], "spare_tpa"]
        assert rec["spare_tpa"] == spare or (spare != spare and rec["spare_tpa"] != rec["spare_tpa"])
        assert not spare <= 0 or rec["own"], rec  # a full plant is no option unless it is the owner's
    assert list(options["cost_usd_t"]) == sorted(options["cost_usd_t"])
    eneabba = options.set_index("plant_id").loc["aus-iluka-eneabba"]
    assert eneabba["contracted_tpa"] > 0
    assert eneabba["spare_tpa"] == eneabba["capacity_tpa"] - eneabba["contracted_tpa"]
    # what else is in the file never enters: the same options beside every other deposit
    assert options.equals(plant_options(deposits[deposits["id"] == "mwi-kangankunde"], net)[0])
    res = run("routes", "--deposit", "Kangankunde", "--k", "1")
    assert res.exit_code == 0 and "Plants open to Kangankunde" in res.output
    assert f"{eneabba['spare_tpa']:,.0f}" in res.output


def test_one_deposit_without_an_open_plant_says_why():
    res = run("routes", "--deposit", "Mong Pawk", "--k", "1")
    assert res.exit_code == 0, res.output
    assert "no plant open" in res.output or "no export route" in res.output


def test_one_deposit_overland_plants_are_options_and_none_when_china_is_avoided():
    from geoprospect.io.bundled import layer_path
    from geoprospect.routes.allocation import plant_options
    from geoprospect.routes.scenario import Scenario

    deposits = gpd.read_file(layer_path("deposits.geojson"))
    row = deposits[deposits["id"].str.contains("mong-pawk")]
    assert len(row) == 1
    options, _ = plant_options(row, Scenario(investor="generic-foreign").network())
    assert not options.empty and (options["country"] == "CHN").all()  # across the Shan crossings
    none, reason = plant_options(row, Scenario(investor="generic-foreign", avoid=("CHN",)).network())
    assert none.empty and reason
    res = run("routes", "--deposit", "Mong Pawk", "--k", "1")  # IREL avoids Chinese counterparties
    assert res.exit_code == 0
    assert "only overland, to CHN, whose plants the investor (irel) avoids" in res.output
