"""Hand-worked examples: the expected numbers are computed here from the formulas, written out,
not by calling the product twice."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoprospect.core.geodesy import haversine_km
from geoprospect.features.grade import grade_features
from geoprospect.io.reference import price_deck
from geoprospect.routes.costs import load_costs
from geoprospect.routes.land import LandModel


def _deck(tmp_path, rows):
    path = tmp_path / "deck.csv"
    pd.DataFrame(rows, columns=["product", "price_usd_per_kg", "period", "source"]).to_csv(path, index=False)
    return price_deck(path)


def test_price_deck_takes_the_latest_annual_figure_of_each_product(tmp_path):
    deck = _deck(tmp_path, [
        ("NdPr oxide", 70, "2023", "a"),
        ("NdPr oxide", 51, "2024", "b"),          # latest annual: taken
        ("NdPr oxide", 110, "2025-07", "floor"),  # not annual (a month): never taken
        ("Dy2O3 (dysprosium oxide)", 330, "2023", "c"),
        ("La2O3 (lanthanum oxide)", 1, "2024", "d"),
        ("CeO2 (cerium oxide)", 2, "2024", "e"),
    ])
    assert deck.usd_per_kg["ndpr"] == 51 and deck.periods["ndpr"] == "2024"
    assert deck.usd_per_kg["dy"] == 330 and deck.sources["dy"] == "c"
    assert "tb" not in deck.usd_per_kg  # absent from the deck: absent, not guessed


def test_grade_pillar_contained_oxide_and_basket_value(tmp_path):
    deck = _deck(tmp_path, [("NdPr oxide", 50, "2024", "x"), ("Dy2O3", 300, "2024", "x"),
                            ("La2O3", 1, "2024", "x"), ("CeO2", 3, "2024", "x")])
    gdf = gpd.GeoDataFrame({"resource_mt": [20.0], "treo_pct": [2.0], "ndpr_pct": [25.0], "dytb_pct": [1.0]},
                           geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    f = grade_features(gdf, prices=deck).iloc[0]
    # contained TREO = 20 Mt x 1e6 t/Mt x 2 % = 400,000 t; NdPr = 25 % of it = 100,000 t
    assert f["contained_treo_t"] == pytest.approx(400_000)
    assert f["contained_ndpr_t"] == pytest.approx(100_000)
    assert f["log_contained_ndpr_t"] == pytest.approx(5.0)
    # basket per kg REO = 0.25 x 50 (NdPr) + 0.01 x 300 (Dy+Tb at Dy) + 0.74 x mean(1, 3) (La/Ce)
    #                   = 12.5 + 3.0 + 1.48 = 16.98 USD/kg; x 1000 kg/t x 2 % TREO = 339.6 USD/t ore
    assert f["basket_usd_t_ore"] == pytest.approx(339.6)


def test_grade_pillar_unknown_grade_is_unknown_not_zero(tmp_path):
    gdf = gpd.GeoDataFrame({"resource_mt": [20.0], "treo_pct": [np.nan]}, geometry=[shapely.Point(0, 0)],
                           crs="EPSG:4326")
    f = grade_features(gdf, prices=price_deck()).iloc[0]
    assert np.isnan(f["contained_treo_t"]) and np.isnan(f["basket_usd_t_ore"])


def test_one_land_leg_cost_days_and_co2():
    costs = load_costs()
    land = LandModel(costs)
    # 1 degree of longitude on the equator is 111.195 km on the 6371.0088 km sphere
    gc = float(haversine_km(0.0, 0.0, 1.0, 0.0))
    assert gc == pytest.approx(2 * math.pi * 6371.0088 / 360, rel=1e-6)
    leg = land.leg(0.0, 0.0, 1.0, 0.0, "road")
    km = gc * costs.circuity("road")             # road km = great circle x circuity
    assert float(leg["km"]) == pytest.approx(km)
    assert float(leg["cost"]) == pytest.approx(km * costs.rate("road"))          # USD/t = km x USD/t-km
    assert float(leg["days"]) == pytest.approx(km / costs.speed_kmh("road") / 24)  # hours / 24
    assert float(leg["co2"]) == pytest.approx(km * costs.co2("road"))           # kg CO2/t


def test_country_risk_discount_is_the_base_rate_plus_the_tabled_premium():
    from geoprospect.io.bundled import layer_path
    from geoprospect.model.valuation import DEFAULT_BASE_RATE_PCT
    from geoprospect.pipeline import Valuation, score_rows

    terms = pd.read_csv(layer_path("country_terms.csv"))
    premium = terms[(terms["term"] == "country_risk_premium_pct") & terms["admin1"].isna()]
    premium = premium.set_index("iso3")["value"].astype(float)
    cols = {"id": ["a", "b"], "country": ["MWI", "AUS"], "resource_mt": [50.0, 50.0],
            "treo_pct": [2.0, 2.0], "ndpr_pct": [20.0, 20.0], "deposit_type": ["carbonatite"] * 2}
    points = [shapely.Point(34.9, -15.1), shapely.Point(122.5, -28.9)]
    sites = gpd.GeoDataFrame(cols, geometry=points, crs="EPSG:4326")
    rows = score_rows(sites, valuation=Valuation.load(draws=0)).columns
    # discount = 8 % base real rate + Damodaran's premium: Malawi 12.02 (unrated), Australia 0 (Aaa)
    assert rows["discount_rate_pct"].tolist() == pytest.approx(
        [DEFAULT_BASE_RATE_PCT + premium["MWI"], DEFAULT_BASE_RATE_PCT + premium["AUS"]])
    assert premium["MWI"] > 0 and premium["AUS"] == 0
