"""Production (throughput, life, recovery) and cost (capex, opex) models learned from studies."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from geoprospect.errors import ModelError
from geoprospect.model.costs import (
    DEPOSIT_TYPES,
    PRODUCTS,
    evaluate_costs,
    fit_costs,
    fit_power_law,
    fit_product_power_law,
    predict_capex,
    predict_opex,
)
from geoprospect.model.production import (
    evaluate_production,
    fit_production,
    mineable_tonnage,
    predict_recovery,
    predict_throughput,
    taylor_life_years,
    taylor_throughput_mtpa,
)

CARD_KEYS = {"n", "baseline", "median_abs_log10_err_baseline", "median_abs_log10_err_learned",
             "ci_low", "ci_high", "coverage_p10_p90", "chosen"}


@pytest.fixture(scope="module")
def production():
    return fit_production(seed=0)


@pytest.fixture(scope="module")
def costs():
    return fit_costs(seed=0)


def synthetic_studies(n: int = 24, *, product_effect: float = 0.0, noise: float = 0.15,
                      seed: int = 1, type_effect: float = 0.0) -> pd.DataFrame:
    """Studies whose capex and opex (per t ore) follow a power law in throughput times a product
    factor (and a deposit-type factor on capex), in USD of 2024 (the base year: no conversion,
    no escalation)."""
    rng = np.random.default_rng(seed)
    thr = 10 ** rng.uniform(-1, 1, n)
    product = np.array(PRODUCTS)[rng.integers(0, 3, n)]
    factor = np.where(product == "separated_oxide", 10 ** product_effect, 1.0)
    eps = 10 ** rng.normal(0, noise, n)
    dtype = np.array(DEPOSIT_TYPES)[rng.integers(0, 3, n)]
    factor = factor * np.where(dtype == DEPOSIT_TYPES[0], 10 ** type_effect, 1.0)
    return pd.DataFrame({
        "project": [f"p{i:02d}" for i in range(n)], "deposit_id": [f"d{i:02d}" for i in range(n)],
        "study_year": 2024, "mine_plan_mt": thr * 15, "ore_throughput_mtpa": thr,
        "resource_mt": thr * 60, "recovery_pct": rng.uniform(50, 85, n), "product": product,
        "deposit_type": dtype,
        "main_ree_minerals": np.array(["monazite", "bastnaesite;apatite", "ionic"])[rng.integers(0, 3, n)],
        "capex_value": 250 * thr ** 0.6 * factor * eps, "capex_currency": "USD",
        "opex_value": 12 * thr ** -0.2 * eps, "opex_currency": "USD", "opex_unit": "per t ore",
    })


# ---------------------------------------------------------------- Taylor's rule
def test_taylor_rule_worked_example_kangankunde():
    tonnes = 261 * 1_000_000
    life = 0.2 * tonnes ** (1 / 4)  # Taylor (1977), written out independently
    assert taylor_life_years(261)[0] == pytest.approx(life, rel=1e-12)
    assert 25.0 < life < 25.6
    assert taylor_throughput_mtpa(261)[0] == pytest.approx(261 / life, rel=1e-12)
    assert 261 / life == pytest.approx(10.3, abs=0.1)
    assert np.isnan(taylor_life_years([np.nan, 0.0, -1.0])).all()


# ---------------------------------------------------------------- power law
def test_power_law_recovers_known_A_and_B_exactly():
    x = np.array([0.1, 0.5, 1.0, 3.0, 8.0])
    a, b = fit_power_law(x, 275.0 * x ** 0.6)
    assert a == pytest.approx(275.0, rel=1e-10) and b == pytest.approx(0.6, rel=1e-10)
    assert fit_power_law(x, 5.0 * x ** -0.3)[1] == pytest.approx(-0.3, rel=1e-10)
    assert fit_power_law(x, 5.0 * x ** -0.3, min_exponent=0.0)[1] == 0.0


def test_fit_costs_recovers_power_law_on_noise_free_studies():
    params = fit_costs(synthetic_studies(noise=0.0), seed=0)
    assert params["capex"]["A"] == pytest.approx(250.0, rel=1e-9)
    assert params["capex"]["B"] == pytest.approx(0.6, rel=1e-9)
    assert params["opex"]["A"] == pytest.approx(12.0, rel=1e-9)
    assert params["opex"]["B"] == pytest.approx(-0.2, rel=1e-9)


def test_product_power_law_recovers_intercepts_and_orders_them():
    x = np.tile(np.logspace(-1, 1, 6), 3)
    product = np.repeat(np.array(PRODUCTS), 6)
    a = np.repeat([100.0, 200.0, 400.0], 6)
    law = fit_product_power_law(x, a * x ** 0.5, product, min_exponent=0.0)
    assert law["B"] == pytest.approx(0.5) and 10 ** law["log_a"] == pytest.approx([100, 200, 400])
    # a separated oxide cheaper than a mixed chemical is pooled with it (each step adds a plant)
    law = fit_product_power_law(x, np.repeat([100.0, 400.0, 200.0], 6) * x ** 0.5, product)
    assert 10 ** law["log_a"] == pytest.approx([100, np.sqrt(400 * 200), np.sqrt(400 * 200)])
    # a product with too few rows takes the pooled intercept
    keep = product != "separated_oxide"
    keep[-1] = True
    law = fit_product_power_law(x[keep], (a * x ** 0.5)[keep], product[keep])
    assert law["log_a"][2] >= law["log_a"][1] and law["n_product"][2] == 1


@pytest.mark.parametrize("target", ["capex", "opex"])
def test_product_costs_monotone_in_throughput_and_along_the_chain(costs, target):
    grid = np.logspace(-2, 2, 100)
    predict = predict_capex if target == "capex" else predict_opex
    annual = [predict(costs, grid, p, "carbonatite")[1] * (grid if target == "opex" else 1.0)
              for p in PRODUCTS]
    for a in annual:
        assert np.all(np.diff(a) >= -1e-9 * a[:-1])
    assert np.all(annual[0] <= annual[1] + 1e-9) and np.all(annual[1] <= annual[2] + 1e-9)
    assert costs[target]["chosen"] == "baseline" or costs["card"][target]["chosen"] == "learned"
    assert "median_abs_log10_err_pooled" in costs["card"][target]


# ---------------------------------------------------------------- monotone and ordered bands
@pytest.mark.parametrize("chosen", ["baseline", "learned"])
def test_capex_never_decreases_with_throughput(costs, chosen):
    grid = np.logspace(-2, 2, 200)
    for params in (costs, fit_costs(synthetic_studies(product_effect=0.5), seed=0)):
        p = copy.deepcopy(params)
        p["capex"]["chosen"] = chosen
        for product in (*PRODUCTS, "unknown"):
            for dtype in (*DEPOSIT_TYPES, None):
                bands = predict_capex(p, grid, product, dtype)
                for band in bands:
                    assert np.all(np.diff(band) >= -1e-9 * band[:-1])


def test_bands_are_ordered(production, costs):
    t = np.array([0.05, 0.3, 1.0, 4.0, 30.0])
    for p10, p50, p90 in (predict_throughput(production, t * 20),
                          predict_capex(costs, t, "concentrate", "carbonatite"),
                          predict_opex(costs, t, "mixed_chemical", "ionic_clay"),
                          predict_recovery(production, ["monazite", "ionic", None, "xenotime;x", "zz"],
                                           "concentrate")):
        assert np.all(p10 <= p50) and np.all(p50 <= p90) and np.all(p10 > 0)
    assert np.all(predict_recovery(production, ["monazite"] * 3, PRODUCTS)[2] <= 1.0)
    assert np.isnan(predict_capex(costs, [np.nan, 0.0], "concentrate", "carbonatite")[1]).all()
    assert np.isnan(predict_throughput(production, [np.nan])[0]).all()


# ---------------------------------------------------------------- mineable tonnage, recovery
def test_mineable_tonnage_prefers_reserve_then_the_model(production):
    m = production["mineable"]
    assert 0 < m["ratio"] < 1 and m["n"] >= 8
    out = mineable_tonnage(production, [261.0, 100.0, np.nan], [np.nan, 20.0, np.nan])
    assert out[1] == 20.0 and np.isnan(out[2])
    p = copy.deepcopy(production)
    p["mineable"]["chosen"] = "baseline"
    assert mineable_tonnage(p, [261.0], [np.nan])[0] == pytest.approx(261 * m["ratio"])
    p["mineable"]["chosen"] = "learned"
    est = m["estimator"]
    expected = min(10 ** (est.intercept_ + est.coef_[0] * np.log10(261.0)), 261.0)
    assert mineable_tonnage(p, [261.0], [np.nan])[0] == pytest.approx(expected)


@pytest.mark.parametrize("chosen", ["baseline", "learned"])
def test_mineable_never_falls_with_resource_nor_exceeds_it(production, chosen):
    p = copy.deepcopy(production)
    p["mineable"]["chosen"] = chosen
    grid = np.logspace(-2, 4, 300)
    for z in (None, -2.0, 0.0, 1.5):
        plan = mineable_tonnage(p, grid, np.full(grid.size, np.nan), z)
        assert np.all(np.diff(plan) >= -1e-12 * plan[:-1]) and np.all(plan <= grid * (1 + 1e-12))


def test_mineable_learned_from_plans_and_throughput_times_life():
    # plans follow 2 x resource^0.6: the log-log fit recovers it; a study without a published
    # plan counts its throughput x life
    df = synthetic_studies(noise=0.0)
    df["resource_mt"] = 10 ** np.linspace(0.5, 3, len(df))
    plan = 2.0 * df["resource_mt"] ** 0.6
    half = np.arange(len(df)) % 2 == 0
    df["mine_plan_mt"] = np.where(half, plan, np.nan)
    df["mine_life_yr"] = 20.0
    df["ore_throughput_mtpa"] = np.where(half, df["ore_throughput_mtpa"], plan / 20.0)
    p = fit_production(df, seed=0, nested=False)
    assert p["mineable"]["n"] == len(df)
    assert p["mineable"]["estimator"].coef_[0] == pytest.approx(0.6, abs=1e-3)
    assert p["card"]["mineable"]["chosen"] == "learned"


def test_recovery_per_mineral_median_pooled_when_few():
    df = synthetic_studies()
    df["main_ree_minerals"] = ["monazite"] * 4 + ["xenotime"] * 2 + ["ionic"] * (len(df) - 6)
    df["recovery_pct"] = [80.0] * 4 + [90.0] * 2 + [50.0] * (len(df) - 6)
    p = fit_production(df, seed=0)
    assert p["card"]["recovery"]["chosen"] == "baseline"
    med = predict_recovery(p, ["monazite", "xenotime", "ionic", "bastnaesite"], "concentrate")[1]
    pooled = np.median(df["recovery_pct"]) / 100
    assert med == pytest.approx([0.80, pooled, 0.50, pooled])


# ---------------------------------------------------------------- cards and choice
def test_evaluate_returns_card_keys_on_bundled_studies():
    ev_p = evaluate_production(seed=0, n_boot=200)
    ev_c = evaluate_costs(seed=0, n_boot=200)
    for card in (*ev_p["card"].values(), *ev_c["card"].values()):
        assert CARD_KEYS <= set(card)
        assert card["chosen"] in {"learned", "baseline"}
        assert card["n"] >= 3 and 0 <= card["coverage_p10_p90"] <= 1
        if card["chosen"] == "learned":
            assert card["ci_high"] < 0
    assert set(ev_p["card"]) == {"throughput", "mineable", "recovery"}
    assert set(ev_c["card"]) == {"capex", "opex"}


def test_baseline_chosen_when_ci_includes_zero():
    card = evaluate_costs(synthetic_studies(product_effect=0.0, noise=0.25), seed=0)["card"]["capex"]
    assert card["ci_low"] <= 0 <= card["ci_high"]
    assert card["chosen"] == "baseline" and "baseline used" in card["note"]


def test_learned_chosen_when_it_clearly_wins():
    # the baseline tells products apart but not deposit types: a strong type effect is the
    # learned model's to find
    card = evaluate_costs(synthetic_studies(n=30, type_effect=0.8, noise=0.05), seed=0)["card"]["capex"]
    assert card["ci_high"] < 0 and card["chosen"] == "learned"
    assert card["median_abs_log10_err_learned"] < card["median_abs_log10_err_baseline"]


def test_deterministic_given_seed(costs):
    again = fit_costs(seed=0)
    assert again["card"] == costs["card"]
    np.testing.assert_array_equal(predict_opex(again, [1, 2], "concentrate", "other")[1],
                                  predict_opex(costs, [1, 2], "concentrate", "other")[1])


def test_wrong_params_refused(production, costs):
    with pytest.raises(ModelError):
        predict_capex(production, [1.0], "concentrate", "carbonatite")
    with pytest.raises(ModelError):
        predict_throughput(costs, [10.0])


# ---------------------------------------------------------------- skops
def test_skops_round_trip_with_trusted_types(tmp_path, production, costs):
    for name, params in (("production", production), ("costs", costs)):
        f = tmp_path / f"{name}.skops"
        sio.dump(params, f)
        untrusted = sio.get_untrusted_types(file=f)
        assert all(t.startswith(("sklearn.", "numpy.")) for t in untrusted), untrusted
        loaded = sio.load(f, trusted=untrusted)
        assert loaded["card"] == params["card"]
    t = np.array([0.2, 1.0, 5.0])
    f = tmp_path / "costs.skops"
    loaded = sio.load(f, trusted=sio.get_untrusted_types(file=f))
    for a, b in zip(predict_capex(loaded, t, "concentrate", "carbonatite"),
                    predict_capex(costs, t, "concentrate", "carbonatite"), strict=True):
        np.testing.assert_array_equal(a, b)
