"""Supply chain as the investor sees it: investor profiles, spare capacity after contracts, the
capacity-constrained allocation, committed offtake, and named scenarios."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _support import run

from geoprospect.errors import LayerError, RouteError
from geoprospect.features.offtake import committed_ndpr
from geoprospect.io.bundled import layer_path
from geoprospect.routes.allocation import allocate
from geoprospect.routes.capacity import plant_capacity
from geoprospect.routes.investor import investor_names, load_investor
from geoprospect.routes.scenario import Scenario
from geoprospect.scenarios import load_scenarios

# --- investor profiles -------------------------------------------------------------------------


def test_bundled_profiles_load_and_name_known_plants():
    facilities = gpd.read_file(layer_path("facilities.geojson"))["id"]
    assert {"irel", "jogmec", "sojitz", "korean-buyer", "generic-foreign"} <= set(investor_names())
    for name in investor_names():
        profile = load_investor(name, facility_ids=facilities)
        assert set(profile.own_plants) | set(profile.partner_plants) <= set(facilities)
    irel = load_investor("state")  # the first landing's name still works
    assert irel.short == "irel" and irel.may_hold_reserved and irel.home_country == "IND"
    assert irel.avoids("CHN", "no") and not irel.avoids("AUS", "yes")


def _profile(tmp_path, text: str):
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (layer_path("investors") / "generic-foreign.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "change, expected",
    [
        (('kind = "generic"', 'kind = "hedge_fund"'), r"p\.toml: key 'kind' \(line \d+\): must be one of"),
        (
            ("avoid_state_linked = false", 'avoid_state_linked = "no"'),
            r"p\.toml: key 'avoid_state_linked' \(line \d+\): must be true or false",
        ),
        (
            ('default_exclusions = ["unlicensed"', 'default_exclusions = ["bad_flag"'),
            r"p\.toml: key 'default_exclusions' \(line \d+\): unknown flag 'bad_flag'",
        ),
        (("own_plants = []", 'own_plants = "x"'), r"p\.toml: key 'own_plants' \(line \d+\): must be a list"),
        (("name = ", "nom = "), r"p\.toml: key 'name': missing"),
        (('kind = "generic"', "kind = "), r"p\.toml: not valid TOML"),
    ],
)
def test_malformed_profile_one_line_with_file_key_and_line(tmp_path, change, expected):
    path = _profile(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(LayerError, match=expected) as err:
        load_investor(str(path))
    assert "\n" not in str(err.value) and err.value.option == "investor"


def test_unknown_plant_in_profile_names_key_and_line(tmp_path):
    path = _profile(tmp_path, GOOD.replace("own_plants = []", 'own_plants = ["no-such-plant"]'))
    facilities = gpd.read_file(layer_path("facilities.geojson"))["id"]
    with pytest.raises(LayerError, match=r"key 'own_plants' \(line \d+\): unknown facility 'no-such-plant'"):
        load_investor(str(path), facility_ids=facilities)


def test_cli_bad_investor_file_exits_2_one_line(tmp_path):
    path = _profile(tmp_path, GOOD.replace("may_hold_reserved = false", "may_hold_reserved = 3"))
    r = run("rank", "--draws", 0, "--investor", str(path))
    assert r.exit_code == 2
    assert "may_hold_reserved" in r.output and "line" in r.output and "Traceback" not in r.output


# --- spare capacity ----------------------------------------------------------------------------


def _offtakes(*rows):
    cols = ["id", "deposit_id", "plant_id", "tpa", "tpa_basis", "binding", "status", "start_year"]
    return pd.DataFrame(list(rows), columns=cols)


def test_spare_capacity_after_captive_share_and_contracts_in_force():
    fac = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "feed_capacity_tpa": [10_000, 5_000, np.nan, np.nan],
            "contracted_feed_share_pct": [20, np.nan, 100, np.nan],
        }
    )
    off = _offtakes(
        ("o1", "x", "a", 3000, "t/yr concentrate", "binding", "in_force", None),
        ("o2", "x", "a", 9999, "t/yr concentrate", "mou", "in_force", None),  # not binding
        ("o3", "x", "a", 9999, "t/yr concentrate", "binding", "conditional", None),  # not in force
        ("o4", "x", "a", 9999, "t/yr NdPr oxide", "binding", "in_force", None),  # not plant feed
        ("o5", "x", "b", 9000, "t/yr monazite", "binding", "in_force", None),
    )
    cap = plant_capacity(fac, off)
    assert cap.loc["a", "spare_tpa"] == 10_000 - 2_000 - 3_000 and cap.loc["a", "contracts"] == "o1"
    assert cap.loc["b", "spare_tpa"] == 0.0  # contracted beyond capacity: full, never negative
    assert cap.loc["c", "spare_tpa"] == 0.0  # wholly captive although its tonnage is unknown
    assert np.isnan(cap.loc["d", "spare_tpa"])  # unknown stays unknown


# --- allocation ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def net():
    return Scenario().network()


def _deposits(rows):
    return gpd.GeoDataFrame(
        [
            {
                "id": i,
                "country": c,
                "admin1": None,
                "minerals": m,
                "main_ree_minerals": m,
                "owner": o,
                "th_ppm": None,
            }
            for i, c, m, o, _ in rows
        ],
        geometry=[shapely.Point(*xy) for *_, xy in rows],
        crs="EPSG:4326",
    )


def test_allocation_never_exceeds_spare_capacity_and_honours_contracts(net):
    # three monazite deposits in Western Australia, far more concentrate than the open plants hold
    rows = _deposits(
        [
            ("d1", "AUS", "monazite", "A", (115.9, -29.3)),
            ("d2", "AUS", "monazite", "B", (116.5, -30.0)),
            ("mwi-kangankunde", "MWI", "monazite", "Lindian", (34.92, -15.13)),
        ]
    )
    supply = np.array([60_000.0, 60_000.0, 20_000.0])
    result = allocate(rows, supply, net)
    fac = net.facilities.set_index("id")
    third = result.flows[result.flows["basis"] == "allocated"].groupby("plant_id")["tpa"].sum()
    for plant, t in third.items():
        spare = fac.at[plant, "spare_tpa"]
        assert np.isfinite(spare) and t <= spare + 1e-6, (plant, t, spare)
    # Kangankunde's binding offtake with Iluka (6,000 t/yr) goes to Eneabba first
    k = result.flows[
        (result.flows["deposit_id"] == "mwi-kangankunde") & result.flows["basis"].str.startswith("contract")
    ]
    assert k["plant_id"].tolist() == ["aus-iluka-eneabba"] and k["tpa"].iloc[0] == 6000.0
    # every tonne is placed or left unplaced with its reason
    placed = (
        result.flows.groupby("deposit_id")["tpa"].sum().reindex(["d1", "d2", "mwi-kangankunde"]).fillna(0)
    )
    np.testing.assert_allclose(
        placed.to_numpy() + result.deposits["unplaced_tpa"].to_numpy(), supply, rtol=1e-6
    )
    short = result.deposits[result.deposits["unplaced_tpa"] > 0]
    assert len(short) and short["allocation_note"].str.contains("unplaced").all()


def test_investor_own_plant_takes_its_feed(net):
    # OSCOM takes third-party feed only case by case; as IREL's own plant it takes IREL's feed,
    # and an Indian monazite deposit owned by IREL goes to it
    rows = _deposits([("own", "IND", "monazite", "IREL (India) Limited", (84.98, 19.37))])
    result = allocate(rows, np.array([2000.0]), net)
    assert result.deposits["assigned_plant_id"].iloc[0] == "ind-irel-oscom-mopp"


def test_own_feed_fills_its_plant_before_third_party_feed_of_any_priority(net):
    # IREL's own beach-sand monazite, valued conditionally (lower priority), still goes to IREL's
    # OSCOM plant before an estimated third-party deposit's concentrate does
    rows = _deposits([("own", "IND", "monazite", "IREL (India) Limited", (84.98, 19.37)),
                      ("other", "IND", "monazite", "X", (84.9, 19.4))])
    result = allocate(rows, np.array([8000.0, 8000.0]), net, priority=[1, 0])
    oscom = result.flows[result.flows["plant_id"] == "ind-irel-oscom-mopp"].set_index("deposit_id")["tpa"]
    assert oscom.get("own", 0.0) == pytest.approx(8000.0)
    assert oscom.sum() <= 10_000.0 + 1e-6  # the plant's capacity
    assert result.flows.loc[result.flows["deposit_id"] == "own", "basis"].eq("own feed").all()


def test_a_project_that_separates_on_site_has_nothing_to_place(net):
    rows = _deposits([("sep", "AUS", "monazite", "A", (115.9, -29.3)),
                      ("conc", "AUS", "monazite", "B", (116.5, -30.0))])
    result = allocate(rows, np.array([5000.0, 5000.0]), net,
                      products=["separated_oxide", "concentrate"])
    per = result.deposits.set_index("deposit_id")
    assert per.at["sep", "unplaced_tpa"] == 0 and "separates on site" in per.at["sep", "allocation_note"]
    assert "sep" not in set(result.flows["deposit_id"]) and "conc" in set(result.flows["deposit_id"])


def test_map_routes_go_through_the_assigned_plant():
    import geoprospect as gp

    ranked = gp.rank_layer(routes=10)
    legs = ranked.attrs["route_legs"]
    top = ranked.head(10).set_index("id")
    for did, own in legs.groupby("deposit_id"):
        plant = top.at[did, "assigned_plant_id"]
        if isinstance(plant, str):
            assert plant in set(own["to_id"]), did  # the drawn chain reaches the assigned plant
    assert (legs["alternative"] == 0).all()


def test_blocked_export_stays_at_home_and_says_why(net):
    # Malawi bars raw concentrate exports (Kangankunde is exempted): a non-exempt Malawian monazite
    # deposit has no plant at home, so nothing is placed, and the note names the rule
    rows = _deposits([("mwi-elsewhere", "MWI", "monazite", "X", (35.0, -15.5))])
    result = allocate(rows, np.array([5000.0]), net)
    assert result.flows.empty
    assert "mwi-2025-10-raw-mineral-export-ban" in result.deposits["allocation_note"].iloc[0]
    exempt = allocate(
        _deposits([("mwi-kangankunde", "MWI", "monazite", "Lindian", (34.92, -15.13))]),
        np.array([5000.0]),
        net,
    )
    assert exempt.deposits["unplaced_tpa"].iloc[0] == 0


def test_avoided_country_leaves_no_plant_or_port(net):
    china = Scenario(avoid=("CHN",)).network()
    assert not (china.facilities["country"] == "CHN").any()
    assert not china.ports.loc[china.ports["usable"], "country"].eq("CHN").any()
    result = allocate(
        _deposits([("d1", "AUS", "bastnaesite", "A", (121.0, -30.0))]), np.array([1000.0]), china
    )
    assert not result.flows["plant_id"].str.startswith("chn-").any()


def test_unknown_policy_in_a_scenario_is_an_error():
    with pytest.raises(RouteError, match="unknown policy event 'nope'"):
        Scenario(lift_policies=("nope",)).network()


# --- committed offtake ------------------------------------------------------------------------


def test_committed_ndpr_by_basis():
    # Kangankunde: 6,000 t/yr concentrate to Iluka (binding, in force) at the concentrate TREO and
    # its own NdPr share; Mount Weld: NdPr oxide to JARE plus a whole-output captive offtake
    committed, which = committed_ndpr(
        ["mwi-kangankunde", "aus-mount-weld", "nowhere"], [1700.0, 7000.0, 100.0], [8415.0, 30000.0, 500.0]
    )
    from geoprospect.io.terms import product_treo_fraction

    assert committed[0] == pytest.approx(6000 * product_treo_fraction("concentrate") * 1700 / 8415)
    assert committed[1] == 7000.0 and committed[2] == 0.0
    assert "ot-kangankunde-iluka-2025" in which[0] and which[2] == ""


def test_rank_uncommitted_and_exclude_committed():
    import geoprospect as gp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = gp.rank_layer(routes=0, allocate_top=0).set_index("id")
        kept = gp.rank_layer(routes=0, allocate_top=0, exclude_committed=True).set_index("id")
    weld = ranked.loc["aus-mount-weld"]
    assert weld["uncommitted_ndpr_tpa"] == 0 and "offtake_committed" in weld["flags"]
    assert "aus-mount-weld" not in kept.index and "aus-nolans" in kept.index
    assert (ranked["uncommitted_ndpr_tpa"] <= ranked["ndpr_oxide_tpa"] + 1e-9).all()


# --- scenarios --------------------------------------------------------------------------------


def test_bundled_scenarios_and_bad_files(tmp_path):
    names = [s.name for s in load_scenarios()]
    assert names[0] == "base" and {"price-low", "red-sea-closed", "china-processing-unavailable"} <= set(
        names
    )
    bad = tmp_path / "s.toml"
    bad.write_text(
        '[[scenario]]\nname = "base"\n\n[[scenario]]\nname = "x"\nprice_scenario = "nope"\n', encoding="utf-8"
    )
    with pytest.raises(LayerError, match=r"s\.toml: scenario 'x': unknown price_scenario 'nope' \(line 6\)"):
        load_scenarios(bad)
    bad.write_text('[[scenario]]\nname = "base"\nwhat = 1\n', encoding="utf-8")
    with pytest.raises(LayerError, match=r"unknown key 'what' \(line 3\)"):
        load_scenarios(bad)
    r = run("scenario", "--scenarios", str(bad))
    assert r.exit_code == 2 and "unknown key 'what'" in r.output and "Traceback" not in r.output


def test_scenario_command_records_each_scenario_and_moves_prices(tmp_path):
    out = tmp_path / "s.json"
    r = run("scenario", "--draws", 0, "--only", "price-low,malawi-ban-lifted", "-o", str(out))
    assert r.exit_code == 0, r.output
    table = pd.DataFrame(json.loads(out.read_text(encoding="utf-8"))["records"])
    assert set(table["scenario"]) == {"base", "price-low", "malawi-ban-lifted"}
    base = table[table["scenario"] == "base"].set_index("id")
    low = table[table["scenario"] == "price-low"].set_index("id")
    assert (base["delta_npv_musd"] == 0).all()
    # a lower NdPr price never raises a value, and lowers the biggest producers'
    assert (low["npv_musd"] <= base["npv_musd"].reindex(low.index) + 1e-6).all()
    assert low.loc["aus-nolans", "npv_musd"] < base.loc["aus-nolans", "npv_musd"]
    assert (table["scenario_as_of"].str.len() == 10).all()


# --- overland corridors -----------------------------------------------------------------------


def test_myanmar_clays_move_overland_to_china_and_nowhere_when_china_is_avoided():
    import geoprospect as gp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        open_ = gp.rank_layer(scenario=Scenario(investor="generic-foreign"), routes=0, allocate_top=0,
                              countries=["MMR"])
        avoided = gp.rank_layer(scenario=Scenario(investor="generic-foreign", avoid=("CHN",)), routes=0,
                                allocate_top=0, countries=["MMR"])
        irel = gp.rank_layer(routes=0, allocate_top=0, countries=["MMR"])
    located = open_[open_.geometry.notna() & ~open_.geometry.is_empty]
    assert len(located) >= 4
    assert located["plant_id"].str.startswith("chn-").all()  # by road, across the Kachin/Shan crossings
    assert located["export_port"].str.startswith("overland via mmr-").all()
    assert (located["sea_km"] == 0).all()
    # with China avoided, nothing: no sea route either (Myanmar's rare earths leave only overland)
    gone = avoided.loc[located.index]
    assert gone["plant_id"].isna().all()
    assert gone["route_summary"].str.contains("only overland and the scenario avoids CHN").all()
    # IREL avoids Chinese counterparties: the reason names the investor
    assert irel.loc[located.index, "route_summary"].str.contains(r"investor \(irel\) avoids").all()
    # the allocation says why those tonnes stay unplaced, in the same words
    allocated = gp.rank_layer(routes=0, countries=["MMR"])
    notes = allocated.loc[located.index, "allocation_note"]
    assert notes.str.contains(r"unplaced: MMR ships rare earths only overland").all()


def test_a_plant_at_home_is_not_an_export():
    from geoprospect.features import build_features
    from geoprospect.io.validate import load_layer

    gdf, _ = load_layer(layer_path("deposits.geojson"))
    features = build_features(gdf, network=Scenario().network()).set_index(gdf["id"])
    home = features.loc["ind-chavara"]  # Indian monazite to IREL's own OSCOM plant
    assert home["plant_id"].startswith("ind-") and home["blocked_by"] is None
    plant = features["plant_id"].fillna("").astype(str)
    indian = gdf.set_index("id")["country"].eq("IND")
    abroad = features[(plant != "") & ~plant.str.startswith("ind-") & indian]
    assert len(abroad) and abroad["blocked_by"].str.contains("ind-2018-bsm-export-canalisation").all()
    # a study that sells a mixed chemical ships it to a separation plant: no raw export, no ban
    songwe = features.loc["mwi-songwe-hill"]
    assert songwe["blocked_by"] is None and songwe["plant_id"] == "ind-irel-red-aluva"
    net = Scenario().network()
    stages = net.facilities.set_index("id").loc[songwe["plant_id"], "stages"]
    assert "separation" in stages
    # the routes of one deposit asked about alone follow its study's product too
    from geoprospect.routes import build_routes

    plan = build_routes(gdf[gdf["id"] == "mwi-songwe-hill"], net, k=1)
    assert not plan.table["blocked_by"].fillna("").astype(bool).any()
    assert plan.table["plants"].iloc[0].startswith("ind-irel-red-aluva")


def test_a_ban_lifted_frees_the_concentrate_and_never_lowers_a_value():
    # under Malawi's raw-mineral export ban a Malawian deposit without a study of its own may sell
    # only a processed product; lifting the ban gives the concentrate back: no value falls, some rise
    import geoprospect as gp

    ban = "mwi-2025-10-raw-mineral-export-ban"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = gp.rank_layer(routes=0, allocate_top=0, countries=["MWI"])
        lifted = gp.rank_layer(scenario=Scenario(lift_policies=(ban,)), routes=0, allocate_top=0,
                               countries=["MWI"])
    lifted = lifted.set_index("id").loc[base["id"]]
    barred = base["blocked_by"].fillna("").str.contains(ban).to_numpy() \
        & (base["study_basis"] == "model").to_numpy()
    assert barred.any() and not (base.loc[barred, "product"] == "concentrate").any()
    assert (lifted["npv_musd"].to_numpy() >= base["npv_musd"].to_numpy() - 1e-6).all()
    assert (lifted["npv_musd"].to_numpy()[barred] > base["npv_musd"].to_numpy()[barred] + 1e-6).any()
    assert lifted["blocked_by"].fillna("").eq("").all()
