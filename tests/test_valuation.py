"""Screening valuation per row (geoprospect.model.valuation) on small synthetic frames, with the
bundled models: monotonicity (with anti-vacuity guards), the exact pillar split, wider bands for
imputed figures, row independence, stage-blindness, tiers, refused model files, bad options and
the expected order of a small fixed layer."""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from geoprospect.errors import LayerError, ModelError
from geoprospect.io.terms import price_scenario, product_treo_fraction
from geoprospect.model.imputation import impute
from geoprospect.model.valuation import VALUE_COLUMNS, ValueSettings, value_rows
from geoprospect.model.value_fit import load_valuation, save_valuation
from geoprospect.pipeline import Valuation, rank_order

SETTINGS = ValueSettings(price_scenario("market-2024"), draws=64, seed=0)
# no shrinking: each example values a few rows with 64 draws; a failure prints the example as drawn
HYPO = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                phases=(Phase.explicit, Phase.reuse, Phase.generate))

BASE = {
    "id": "x", "country": "AUS", "admin1": "Western Australia", "deposit_type": "carbonatite",
    "resource_mt": 20.0, "treo_pct": 2.0, "ndpr_pct": 20.0, "dytb_pct": 1.0,
    "minerals": "monazite", "main_ree_minerals": "monazite", "resource_class": "indicated",
    "stage": "occurrence",
}


@pytest.fixture(scope="module")
def params():
    return load_valuation()


def rows(*changes: dict, **common) -> pd.DataFrame:
    """One row per ``changes`` dict: BASE, updated by ``common`` then by the dict."""
    return pd.DataFrame([{**BASE, **common, **c} for c in changes])


def value(params, frame, cost, s=SETTINGS, keep=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow of (1+r)^-n at r=-99 % in the IRR search
        return value_rows(frame, np.asarray(cost, dtype=float), params, s, keep_draws=keep)


def _le(a, b) -> bool:
    """a <= b up to float noise."""
    return bool(a <= b + 1e-9 * max(1.0, abs(a), abs(b)))


# the two figures the monotonicity claims cover: median-input NPV and the Monte Carlo P50. Two rows
# with the same id share every draw (the draws are keyed by id), so the P50s are comparable.
FIGURES = ("npv_musd", "npv_musd_p50")

deposits = st.fixed_dictionaries({
    "deposit_type": st.sampled_from(["carbonatite", "ionic_clay", "heavy_mineral_sands", "alkaline_complex"]),
    "resource_mt": st.floats(0.5, 500.0),
    "treo_pct": st.floats(0.05, 10.0),
    "ndpr_pct": st.floats(5.0, 35.0),
    "dytb_pct": st.floats(0.0, 5.0),
})
costs = st.floats(0.0, 1000.0)


# --- monotonicity ---------------------------------------------------------------------------------

def _pair(params, d, field, lo, hi, cost, s=SETTINGS):
    out, _ = value(params, rows({field: lo}, {field: hi}, **d), [cost, cost], s)
    return out


def check_nondecreasing(value_fn, params, d, field, lo, hi, cost) -> bool:
    out = value_fn(params, d, field, lo, hi, cost)
    return all(_le(out[f].iloc[0], out[f].iloc[1]) for f in FIGURES)


def _negated(field):
    """A deliberately broken valuation: the field enters with the wrong sign (value of -x is
    emulated by valuing the two inputs in swapped order)."""
    def broken(params, d, f, lo, hi, cost, s=SETTINGS):
        return _pair(params, d, f, hi, lo, cost, s)
    return broken


def test_more_grade_never_lowers_value(params):
    # opex is per tonne of ore and capex by throughput: grade only adds oxide. At the TREO cap
    # (300 Mt at 8 %) more grade means less ore for the same oxide, so lower costs. Checked at the
    # market-2024 deck (a thin margin) and with NdPr at USD 150/kg
    grades = [0.5, 1.0, 2.0, 3.0, 5.0, 8.0]
    for s, res in ((SETTINGS, 20.0), (ValueSettings(price_scenario("market-2024", ndpr_price=150.0),
                                                    draws=64, seed=0), 300.0)):
        out, _ = value(params, rows(*({"treo_pct": g} for g in grades), resource_mt=res),
                       [100.0] * len(grades), s)
        for f in FIGURES:
            v = out[f].to_numpy()
            assert all(_le(a, b) for a, b in pairwise(v)), (f, res, v)


def test_grade_check_is_not_vacuous(params):
    # where value does rise with grade (NdPr USD 400/kg, 20 Mt, cap not binding) the check
    # passes, and the same check on the negated grade fails
    s = ValueSettings(price_scenario("market-2024", ndpr_price=400.0), draws=64, seed=0)
    good = lambda *a: _pair(*a, s=s)  # noqa: E731
    bad = lambda *a: _negated("treo_pct")(*a, s=s)  # noqa: E731
    assert check_nondecreasing(good, params, {}, "treo_pct", 1.0, 2.0, 100.0)
    assert not check_nondecreasing(bad, params, {}, "treo_pct", 1.0, 2.0, 100.0)


@HYPO
@given(d=deposits, a=st.floats(5.0, 60.0), b=st.floats(5.0, 60.0), cost=costs)
def test_higher_ndpr_share_never_lowers_value(d, a, b, cost):
    params = load_valuation()  # (not a fixture: keeps the model out of hypothesis reports)
    lo, hi = sorted((a, b))
    assert check_nondecreasing(_pair, params, d, "ndpr_pct", lo, hi, cost)


def test_higher_ndpr_share_never_lowers_value_at_the_cap(params):
    # 218 Mt at 10 % TREO with Dy+Tb 5 % of TREO: TREO output is at the cap either way, so a
    # higher NdPr share changes the mix of the same oxide tonnes, never the tonnes
    d = {"resource_mt": 218.0, "treo_pct": 10.0, "dytb_pct": 5.0}
    out = _pair(params, d, "ndpr_pct", 9.0, 13.0, 106.0)
    assert (out["treo_tpa"] == params["max_treo_tpa"]).all()
    assert check_nondecreasing(_pair, params, d, "ndpr_pct", 9.0, 13.0, 106.0)


def test_ndpr_share_check_is_not_vacuous(params):
    assert check_nondecreasing(_pair, params, {}, "ndpr_pct", 15.0, 25.0, 100.0)
    assert not check_nondecreasing(_negated("ndpr_pct"), params, {}, "ndpr_pct", 15.0, 25.0, 100.0)


def _price_pair(params, d, lo, hi, cost, sign=1):
    frame = rows(d)
    outs = [value(params, frame, [cost], ValueSettings(price_scenario("market-2024", ndpr_price=p),
                                                       draws=64, seed=0))[0]
            for p in ((lo, hi) if sign > 0 else (hi, lo))]
    return outs


def check_price(params, d, lo, hi, cost, sign=1) -> bool:
    a, b = _price_pair(params, d, lo, hi, cost, sign)
    return all(_le(a[f].iloc[0], b[f].iloc[0]) for f in FIGURES)


@HYPO
@given(d=deposits, a=st.floats(0.0, 500.0), b=st.floats(0.0, 500.0), cost=costs)
def test_higher_ndpr_price_never_lowers_value(d, a, b, cost):
    params = load_valuation()  # (not a fixture: keeps the model out of hypothesis reports)
    lo, hi = sorted((a, b))
    assert check_price(params, d, lo, hi, cost)


def test_ndpr_price_check_is_not_vacuous(params):
    assert check_price(params, {}, 50.0, 150.0, 100.0)
    assert not check_price(params, {}, 50.0, 150.0, 100.0, sign=-1)  # price entering negated


def check_cost_nonincreasing(params, d, lo, hi, sign=1) -> bool:
    out, _ = value(params, rows(d, d), [lo, hi] if sign > 0 else [hi, lo])
    return all(_le(out[f].iloc[1], out[f].iloc[0]) for f in FIGURES)


@HYPO
@given(d=deposits, a=costs, b=costs)
def test_higher_logistics_cost_never_raises_value(d, a, b):
    params = load_valuation()  # (not a fixture: keeps the model out of hypothesis reports)
    lo, hi = sorted((a, b))
    assert check_cost_nonincreasing(params, d, lo, hi)


def test_logistics_check_is_not_vacuous(params):
    assert check_cost_nonincreasing(params, {}, 50.0, 500.0)
    assert not check_cost_nonincreasing(params, {}, 50.0, 500.0, sign=-1)


def _costs(params, out, cost) -> np.ndarray:
    """Annual operating cost of the median-input project (USD million): opex (USD/t ore x Mt ore)
    and logistics (USD/t x t of the product shipped / 1e6)."""
    treo = out["treo_tpa"].to_numpy()
    shipped = treo / np.array([product_treo_fraction(p) for p in out["product"]])
    return (out["opex_usd_per_t_ore"].to_numpy() * out["ore_mtpa"].to_numpy()
            + np.asarray(cost) * shipped / 1e6)


def _ebitda(params, out, cost) -> np.ndarray:
    """Annual EBITDA of the median-input project (USD million): revenue after royalty less costs."""
    return (out["revenue_musd_yr"].to_numpy() * (1 - out["royalty_pct"].to_numpy() / 100)
            - _costs(params, out, cost))


def check_rate(params, d, lo, hi, cost, price=51.0, flip=False) -> tuple[bool, int]:
    """A higher base rate lowers a positive NPV and raises the NPV of a project that loses money
    every year (all flows negative): value moves with the sign of the margin. Returns (ok, how
    many of the two claims applied)."""
    prices = price_scenario("market-2024", ndpr_price=price)
    frame = rows(d)
    (a, da), (b, _) = (value(params, frame, [cost], ValueSettings(prices, base_rate_pct=r, draws=64, seed=0),
                             keep=True) for r in ((hi, lo) if flip else (lo, hi)))
    va, vb = a["npv_musd"].iloc[0], b["npv_musd"].iloc[0]
    margin = _ebitda(params, a, [cost])[0]
    applied, ok = 0, True
    if va > 0:
        applied += 1
        ok &= _le(vb, va)
    if (da > 0).all():  # positive in every draw: the P50 falls too
        ok &= _le(b["npv_musd_p50"].iloc[0], a["npv_musd_p50"].iloc[0])
    if margin < 0:
        applied += 1
        ok &= _le(va, vb)
    return ok, applied


# base rates 0 or >= 0.01 %: just above 0 the closed-form annuity factor carries cancellation noise
# (~5e-8 relative, see test_economics.test_annuity_factor_near_zero_rate), larger than _le's slack
rates = st.one_of(st.just(0.0), st.floats(0.01, 40.0))


@HYPO
@given(d=deposits, a=rates, b=rates, cost=costs,
       price=st.sampled_from([0.0, 51.0, 150.0, 400.0]))
def test_base_rate_moves_value_with_the_sign_of_the_margin(d, a, b, cost, price):
    params = load_valuation()  # (not a fixture: keeps the model out of hypothesis reports)
    lo, hi = sorted((a, b))
    ok, _ = check_rate(params, d, lo, hi, cost, price)
    assert ok


def test_base_rate_check_is_not_vacuous(params):
    # both claims apply on these two examples and hold ...
    assert check_rate(params, {}, 5.0, 12.0, 100.0, price=400.0) == (True, 1)   # NPV > 0
    assert check_rate(params, {}, 5.0, 12.0, 100.0, price=0.0) == (True, 1)     # EBITDA < 0
    # ... and a valuation where the rate enters with the wrong sign fails both
    assert not check_rate(params, {}, 5.0, 12.0, 100.0, price=400.0, flip=True)[0]
    assert not check_rate(params, {}, 5.0, 12.0, 100.0, price=0.0, flip=True)[0]


def test_base_rate_p50_direction(params):
    # the P50 too: at NdPr USD 1,000/kg the big deposit is positive in every draw, at NdPr 0 (and
    # no Dy/Tb) it loses money in every draw
    frame = rows({"resource_mt": 100.0, "treo_pct": 3.0})
    for price, dytb, sign in ((1000.0, 1.0, -1), (0.0, 0.0, 1)):
        f = frame.assign(dytb_pct=dytb)
        p = price_scenario("market-2024", ndpr_price=price)
        (a, da), (b, _) = (value(params, f, [50.0], ValueSettings(p, base_rate_pct=r, draws=64, seed=0),
                                 keep=True) for r in (5.0, 12.0))
        if sign < 0:
            assert (da > 0).all()
            assert b["npv_musd_p50"].iloc[0] < a["npv_musd_p50"].iloc[0]
        else:
            assert b["npv_musd_p50"].iloc[0] > a["npv_musd_p50"].iloc[0]


def check_tonnage(params, d, lo, hi, cost, price=51.0, flip=False) -> tuple[bool, int]:
    """More tonnage raises a positive NPV (both sizes profitable, each sized by Taylor's rule), and
    at a fixed published throughput (``ore_throughput_mtpa``) it adds years of the same cash flow,
    so it lowers the NPV of a project that loses money every year. (With throughput from Taylor's
    rule a bigger deposit is also a bigger plant; annual opex does not scale with throughput across
    the studies, so the bigger plant loses less a year: no claim is made there.)"""
    s = ValueSettings(price_scenario("market-2024", ndpr_price=price), draws=64, seed=0)
    t = (hi, lo) if flip else (lo, hi)
    out, draws = value(params, rows({"resource_mt": t[0]}, {"resource_mt": t[1]}, **d), [cost, cost], s,
                       keep=True)
    v = out["npv_musd"].to_numpy()
    applied, ok = 0, True
    if (v > 0).all():
        applied += 1
        ok &= _le(v[0], v[1])
    if (draws > 0).all():  # both sizes profitable in every draw: the P50 rises too
        ok &= _le(out["npv_musd_p50"].iloc[0], out["npv_musd_p50"].iloc[1])
    fixed, _ = value(params, rows({"resource_mt": t[0]}, {"resource_mt": t[1]}, ore_throughput_mtpa=2.0, **d),
                     [cost, cost], s)
    w = fixed["npv_musd"].to_numpy()
    if (_ebitda(params, fixed, [cost, cost]) < 0).all():
        applied += 1
        ok &= _le(w[1], w[0])
    return ok, applied


@HYPO
@given(d=deposits, a=st.floats(0.5, 1000.0), b=st.floats(0.5, 1000.0), cost=costs,
       price=st.sampled_from([0.0, 51.0, 150.0, 400.0]))
def test_more_tonnage_moves_value_with_the_sign_of_the_margin(d, a, b, cost, price):
    params = load_valuation()  # (not a fixture: keeps the model out of hypothesis reports)
    d = {k: v for k, v in d.items() if k != "resource_mt"}
    lo, hi = sorted((a, b))
    ok, _ = check_tonnage(params, d, lo, hi, cost, price)
    assert ok


def test_tonnage_check_is_not_vacuous(params):
    assert check_tonnage(params, {}, 20.0, 200.0, 100.0, price=400.0) == (True, 1)
    assert check_tonnage(params, {}, 20.0, 200.0, 100.0, price=0.0) == (True, 1)
    assert not check_tonnage(params, {}, 20.0, 200.0, 100.0, price=400.0, flip=True)[0]
    assert not check_tonnage(params, {}, 20.0, 200.0, 100.0, price=0.0, flip=True)[0]


# --- the pillars add up exactly -------------------------------------------------------------------

def _reference_row(params, like: dict) -> tuple[dict, float]:
    """The reference project as a row: its size, grade and composition, its cost to plant, and a
    country the terms table does not know, so that royalty, tax and premium take the table's
    medians (the reference's values) and the free carry is 0 (the reference's)."""
    ref = params["reference"]
    row = {**BASE, **like, "id": "reference", "country": "ZZZ", "admin1": None,
           **{k: ref[k] for k in ("resource_mt", "treo_pct", "ndpr_pct", "dytb_pct")}}
    for col in ("royalty_pct", "tax_pct", "premium_pct"):
        assert ref[col] == params["terms_quantiles"][col][1]
    assert ref["carry_pct"] == 0.0
    return row, ref["cost_to_plant_usd_t"]


@pytest.mark.parametrize("change", [
    {},                                                                   # WA carbonatite
    {"resource_mt": 300.0, "treo_pct": 5.0, "ndpr_pct": 25.0},            # large, high grade
    {"country": "MWI", "admin1": None, "resource_mt": 5.0, "treo_pct": 0.5},  # carry 10 %, premium 12 %
    {"deposit_type": "ionic_clay", "treo_pct": 0.08, "ndpr_pct": 28.0, "dytb_pct": 4.0,
     "main_ree_minerals": "ionic", "minerals": "ionic"},
])
@pytest.mark.parametrize("cost", [20.0, 114.0, 600.0])
def test_pillars_add_up_to_the_difference_from_the_reference(params, change, cost):
    row = {**BASE, **change}
    ref_row, ref_cost = _reference_row(params, {k: row[k] for k in ("deposit_type", "minerals",
                                                                     "main_ree_minerals")})
    out, _ = value(params, pd.DataFrame([row, ref_row]), [cost, ref_cost])
    ref_npv = out["npv_musd"].iloc[1]
    diff = out["npv_musd"].iloc[0] - ref_npv
    total = sum(out[f"value_{p}_musd"].iloc[0] for p in ("grade", "logistics", "risk"))
    assert total == pytest.approx(diff, rel=1e-6, abs=1e-6)
    # the reference against itself: nothing to split
    for p in ("grade", "logistics", "risk"):
        assert out[f"value_{p}_musd"].iloc[1] == pytest.approx(0.0, abs=1e-6)
    # the split is not trivially zero: a row away from the reference has a nonzero difference
    assert abs(diff) > 1e-3
    # logistics pillar sign: dearer than the reference costs money, cheaper earns it
    lg = out["value_logistics_musd"].iloc[0]
    assert (lg < 0) if cost > ref_cost else (lg > 0)


# --- imputation widens the band -------------------------------------------------------------------

def _twins(params, missing, draws):
    """A deposit with ``missing`` figures and its twin with exactly the imputer's median figures
    measured, same id (so every other draw is shared): only the imputation spread differs."""
    gap = rows({f: np.nan for f in missing})
    q = impute(params["imputer"], gap)
    measured = gap.copy()
    for f in missing:
        measured[f] = q[f"{f}_p50"].to_numpy()
    s = ValueSettings(price_scenario("market-2024"), draws=draws, seed=0)
    return value(params, pd.concat([measured, gap], ignore_index=True), [100.0, 100.0], s, keep=True)


def _check_metadata(out, missing):
    assert out["imputed"].iloc[0] == ""
    assert set(out["imputed"].iloc[1].split(";")) == set(missing)
    assert out["data_completeness"].iloc[0] == 1.0
    assert out["data_completeness"].iloc[1] == pytest.approx(1 - len(missing) / 4)
    # the median-input NPV is the same deposit: identical figures at z = 0
    assert out["npv_musd"].iloc[0] == pytest.approx(out["npv_musd"].iloc[1], rel=1e-9)


@pytest.mark.parametrize("missing", [("treo_pct",), ("resource_mt", "treo_pct", "ndpr_pct", "dytb_pct")])
def test_imputed_rows_carry_wider_bands(params, missing):
    # 1000 draws on twins that share their id (the same random numbers): an imputed grade widens
    # a band that the cost models' errors dominate by a few percent, a whole occurrence by far more
    out, _ = _twins(params, missing, 1000)
    width = (out["npv_musd_p90"] - out["npv_musd_p10"]).to_numpy()
    assert width[1] > (1.01 if len(missing) == 1 else 1.1) * width[0]
    _check_metadata(out, missing)


def test_imputed_composition_is_propagated(params):
    # an imputed NdPr / Dy+Tb share (P10-P90 about 16-26 % / 0.3-1.5 % here) moves each draw, but
    # at the market-2024 deck it adds only ~0.5 % to a band dominated by price and cost draws,
    # below what even 4000 draws resolve; so check the spread itself reaches the draws
    missing = ("ndpr_pct", "dytb_pct")
    out, draws = _twins(params, missing, 64)
    _check_metadata(out, missing)
    spread = np.std(draws[1] - draws[0])
    assert spread > 1.0  # USD million: the imputed share changes every draw's NPV
    width = (out["npv_musd_p90"] - out["npv_musd_p10"]).to_numpy()
    assert width[1] > 0.95 * width[0]  # never markedly narrower than the measured twin


# --- a row's numbers depend on that row only ------------------------------------------------------

LAYER = pd.DataFrame([
    {**BASE, "id": "a", "resource_mt": 50.0, "treo_pct": 3.0, "ndpr_pct": 22.0},
    {**BASE, "id": "b", "resource_mt": 5.0, "treo_pct": 0.5, "ndpr_pct": 18.0, "dytb_pct": 0.5},
    {**BASE, "id": "c", "resource_mt": np.nan, "treo_pct": np.nan, "ndpr_pct": np.nan,
     "dytb_pct": np.nan, "resource_class": "no_estimate"},
    {**BASE, "id": "d", "ndpr_pct": np.nan, "dytb_pct": np.nan, "country": "MWI", "admin1": None},
    {**BASE, "id": "e", "deposit_type": "ionic_clay", "treo_pct": 0.1, "ndpr_pct": 27.0,
     "dytb_pct": 4.0, "main_ree_minerals": "ionic", "minerals": "ionic"},
])
LAYER_COST = np.array([100.0, 300.0, np.nan, 150.0, 900.0])


def test_chunked_equals_whole_draws_included(params):
    whole, dw = value(params, LAYER, LAYER_COST, keep=True)
    parts = [value(params, LAYER.iloc[a:b], LAYER_COST[a:b], keep=True) for a, b in ((0, 2), (2, 5))]
    chunked = pd.concat([p[0] for p in parts])
    pd.testing.assert_frame_equal(whole, chunked, check_exact=True)
    assert np.array_equal(dw, np.vstack([p[1] for p in parts]))
    assert set(VALUE_COLUMNS) <= set(whole.columns)


def test_unrelated_rows_do_not_change_a_row(params):
    alone, d_alone = value(params, LAYER, LAYER_COST, keep=True)
    others = pd.DataFrame([{**BASE, "id": f"other{i}", "resource_mt": 10.0 ** i, "treo_pct": 0.2 * i + 0.1}
                           for i in range(4)])
    mixed = pd.concat([others.iloc[:2], LAYER, others.iloc[2:]], ignore_index=True)
    cost = np.r_[[40.0, 700.0], LAYER_COST, [10.0, 2000.0]]
    out, d_mixed = value(params, mixed, cost, keep=True)
    picked = out.iloc[2:7].set_axis(alone.index)
    pd.testing.assert_frame_equal(alone, picked, check_exact=True)
    assert np.array_equal(d_alone, d_mixed[2:7])


def test_stage_never_enters_the_value(params):
    early, de = value(params, LAYER.assign(stage="occurrence"), LAYER_COST, keep=True)
    late, dl = value(params, LAYER.assign(stage="production"), LAYER_COST, keep=True)
    pd.testing.assert_frame_equal(early, late, check_exact=True)
    assert np.array_equal(de, dl)


# --- tiers ------------------------------------------------------------------------------------

def test_occurrence_is_conditional_and_ranks_below_estimates(params):
    frame = pd.DataFrame([
        # a tiny, low-grade estimate: its P50 is below the occurrence's
        {**BASE, "id": "tiny", "resource_mt": 0.5, "treo_pct": 0.2, "stage": "production"},
        {**BASE, "id": "est", "resource_mt": 20.0, "treo_pct": 2.0},
        {**BASE, "id": "occ", "resource_mt": np.nan, "treo_pct": np.nan, "ndpr_pct": np.nan,
         "dytb_pct": np.nan, "resource_class": "no_estimate"},
        {**BASE, "id": "occ2", "resource_mt": np.nan, "treo_pct": np.nan, "resource_class": None},
    ])
    s = ValueSettings(price_scenario("dod-floor-2025"), draws=64, seed=0)
    out, _ = value(params, frame, [400.0, 100.0, 50.0, 50.0], s)
    assert out["valuation_tier"].tolist() == ["estimated", "estimated", "conditional", "conditional"]
    # precondition that makes the tier matter: a conditional row is worth more than an estimate
    assert out["npv_musd_p50"].iloc[2] > out["npv_musd_p50"].iloc[0]
    rank = rank_order(out)
    assert rank.iloc[:2].max() < rank.iloc[2:].min()
    # control: without the tier the order by P50 alone would put the occurrence above "tiny"
    assert rank_order(out.drop(columns="valuation_tier")).iloc[2] < rank_order(
        out.drop(columns="valuation_tier")).iloc[0]


# --- model files ----------------------------------------------------------------------------------

class Evil:
    """A type from outside scikit-learn / numpy / builtins."""

    def __init__(self):
        self.payload = "rm -rf"


def _dump(obj, path):
    import skops.io as sio

    sio.dump(obj, path)
    return path


def test_custom_class_in_model_file_refused(tmp_path):
    path = _dump({"imputer": Evil(), "production": {}, "costs": {}}, tmp_path / "evil.skops")
    with pytest.raises(ModelError, match="untrusted"):
        load_valuation(path)


def test_foreign_function_in_model_file_refused(tmp_path):
    import os

    path = _dump({"imputer": os.system, "production": {}, "costs": {}}, tmp_path / "fn.skops")
    with pytest.raises(ModelError, match="untrusted"):
        load_valuation(path)


def test_builtin_function_in_model_file_refused(tmp_path):
    path = _dump({"imputer": eval, "production": {}, "costs": {}}, tmp_path / "eval.skops")
    with pytest.raises(ModelError):
        load_valuation(path)


def test_non_skops_file_refused(tmp_path):
    path = tmp_path / "valuation.skops"
    path.write_text("not a zip archive", encoding="utf-8")
    with pytest.raises(ModelError, match="not a readable skops file"):
        load_valuation(path)


def test_skops_file_without_the_keys_refused(tmp_path):
    path = _dump({"weights": np.zeros(3)}, tmp_path / "other.skops")
    with pytest.raises(ModelError, match="not a geoprospect valuation model"):
        load_valuation(path)


def test_missing_model_file_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_valuation(tmp_path / "absent.skops")


def test_round_trip_of_the_bundled_model(params, tmp_path):
    """Control for the refusals: a real model saved and loaded again values rows identically."""
    path = save_valuation({k: v for k, v in params.items() if k != "meta"}, tmp_path / "copy.skops")
    again = load_valuation(path)
    a, _ = value(params, LAYER, LAYER_COST)
    b, _ = value(again, LAYER, LAYER_COST)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# --- bad options ----------------------------------------------------------------------------------

def test_unknown_price_scenario():
    with pytest.raises(LayerError) as err:
        price_scenario("nope")
    assert err.value.option == "price_scenario"


@pytest.mark.parametrize("price", [-1.0, float("nan"), float("-inf")])
def test_negative_ndpr_price(price):
    with pytest.raises(LayerError) as err:
        price_scenario("market-2024", ndpr_price=price)
    assert err.value.option == "ndpr_price"


@pytest.mark.parametrize("rate", [-5.0, 51.0, float("nan")])
def test_bad_discount_rate(rate):
    with pytest.raises(LayerError) as err:
        Valuation.load(discount_rate=rate)
    assert err.value.option == "discount_rate"


def test_good_options_accepted():
    # controls: a zero price and the bounds of the rate range are valid
    assert price_scenario("market-2024", ndpr_price=0.0).ndpr == 0.0
    assert price_scenario("market-2024", ndpr_price=120.0).kind == "assumption"
    assert Valuation.load(discount_rate=0.0).settings.base_rate_pct == 0.0
    assert Valuation.load(discount_rate=50.0, draws=8).settings.draws == 8


# --- golden order on a small fixed layer ---------------------------------------------------------

GOLDEN = pd.DataFrame([
    # everything else equal (WA carbonatite, monazite, NdPr 20 % and Dy+Tb 1 % of TREO, indicated)
    {**BASE, "id": "big-port", "resource_mt": 100.0, "treo_pct": 4.0},   # large, high grade, port
    {**BASE, "id": "mid", "resource_mt": 20.0, "treo_pct": 1.5},         # mid size and grade
    {**BASE, "id": "tiny-inland", "resource_mt": 0.5, "treo_pct": 0.2},  # tiny, low grade, inland
])
GOLDEN_COST = [30.0, 120.0, 400.0]  # USD/t concentrate: next to a port, midway, far inland


def _golden(params, scenario):
    out, _ = value(params, GOLDEN, GOLDEN_COST, ValueSettings(price_scenario(scenario), draws=64, seed=0))
    return out, rank_order(out).tolist()


def test_golden_order_at_the_studies_price(params):
    out, rank = _golden(params, "studies-long-term")
    # big-port: 200x the contained oxide of mid with a quarter of its freight -> ranks first;
    # tiny-inland: 0.5 Mt at 0.2 % is ~1 kt TREO in the ground, it cannot pay a ~300 MUSD plant
    assert rank == [1, 2, 3]
    assert out["npv_musd_p50"].is_monotonic_decreasing
    assert out["npv_musd"].is_monotonic_decreasing
    # the tiny deposit makes well under a tonne of NdPr a day: it cannot repay its capex
    assert out["npv_musd_p90"].iloc[2] < 0
    # and the pillars agree: grade and logistics push big-port up relative to tiny-inland
    for p in ("grade", "logistics"):
        assert out[f"value_{p}_musd"].iloc[0] > out[f"value_{p}_musd"].iloc[2]


def test_order_at_the_market_2024_price_follows_the_margin(params):
    # At the 2024 market deck the big deposit still pays. The mid deposit (20 Mt at 1.5 %: a plan
    # of about 12 Mt by the studies' resource-to-plan fit, some 1 Mt/yr for 12 years) covers its
    # operating cost but not its capex, so its NPV is a loss; the tiny one loses money every year
    # and ranks last. The ranking is meant to be read at a long-term deck (above).
    s = ValueSettings(price_scenario("market-2024"), draws=200, seed=0)
    out, _ = value(params, GOLDEN, GOLDEN_COST, s)
    ebitda = _ebitda(params, out, GOLDEN_COST)
    assert out["npv_musd"].iloc[0] > 0 and ebitda[0] > 0
    assert ebitda[1] > 0 > out["npv_musd"].iloc[1]
    assert ebitda[2] < 0 and out["mine_life_yr"].iloc[2] < out["mine_life_yr"].iloc[1]
    assert rank_order(out).tolist() == [1, 2, 3]


def test_rank_does_not_depend_on_the_ids(params):
    ranks = []
    for ids in (["big-port", "mid", "tiny-inland"], ["big", "mid", "tiny"]):
        out, _ = value(params, GOLDEN.assign(id=ids), GOLDEN_COST)
        ranks.append(rank_order(out).tolist())
    assert ranks[0] == ranks[1]  # got [1, 2, 3] vs [3, 1, 2]


# --- the product: the developer's choice where no study names it ----------------------------------

def _forced(params, frame, cost, s, product):
    """NPV draws (rows x draws) of ``frame`` with every row's product fixed to ``product`` ("" =
    the valuation's choice), through the same inputs and draws as :func:`value_rows`."""
    from scipy.special import ndtri

    from geoprospect.model.montecarlo import market_draws, row_keys, uniform
    from geoprospect.model.screening import DRAWN, central_draws, evaluate
    from geoprospect.model.valuation import _inputs, reference_tables, row_attributes

    p = {**params, **reference_tables()}
    row = row_attributes(frame, p)
    row["a_product"] = np.full(len(frame), product, dtype=object)
    p["_row"] = row
    inputs = _inputs(frame, np.asarray(cost, float), p)[0]
    keys = row_keys(frame)
    z = {name: ndtri(uniform(keys, s.draws, i, s.seed)) for i, name in enumerate(DRAWN)}
    z["price"], z["pay"] = market_draws(s.draws, s.seed), uniform(keys, s.draws, len(DRAWN), s.seed)
    out = evaluate(inputs, p, s, z if s.draws > 0 else central_draws(len(frame)))
    return out["npv"], out["product"]


def test_the_chosen_product_never_has_a_lower_npv_than_the_others(params):
    # in every draw of every row the chosen product's NPV is the best of the three; and the rows
    # do not all choose the same product (the check is not vacuous)
    from geoprospect.io.terms import PRODUCTS

    s = ValueSettings(price_scenario("studies-long-term"), draws=32, seed=0)
    frame = LAYER.drop(index=2).reset_index(drop=True)  # the occurrence has no resource to plan on
    cost = np.delete(LAYER_COST, 2)
    chosen, _ = _forced(params, frame, cost, s, "")
    forced = {p: _forced(params, frame, cost, s, p)[0] for p in PRODUCTS}
    for p, v in forced.items():
        assert np.all(chosen >= v - 1e-9 * np.maximum(1.0, np.abs(v))), p
    best = np.max(np.stack(list(forced.values())), axis=0)
    np.testing.assert_allclose(chosen, best, rtol=1e-12)
    out, _ = value(params, frame, cost, s)
    assert len(set(out["product"])) >= 2 and set(out["product"]) <= set(PRODUCTS)


def test_a_study_product_is_kept_and_a_row_without_one_chooses(params):
    # Kangankunde's own study sells a concentrate: that stays its product; the same resource
    # under another id (no study) takes the product the valuation chooses
    frame = pd.DataFrame([{**BASE, "id": "mwi-kangankunde", "country": "MWI", "admin1": None,
                           "resource_mt": 261.0, "treo_pct": 2.19},
                          {**BASE, "id": "not-a-bundled-id", "country": "MWI", "admin1": None,
                           "resource_mt": 261.0, "treo_pct": 2.19}])
    out, _ = value(params, frame, [100.0, 100.0])
    assert out["product"].iloc[0] == "concentrate" and out["study_basis"].iloc[1] == "model"
    forced = {p: _forced(params, frame.iloc[1:], [100.0], ValueSettings(price_scenario("market-2024"),
                                                                        draws=0, seed=0), p)[0]
              for p in ("concentrate", "mixed_chemical", "separated_oxide")}
    best = max(forced, key=lambda p: float(np.ravel(forced[p])[0]))
    assert out["product"].iloc[1] == best


def test_row_coproducts_count_without_anchors_but_not_its_throughput(params):
    from geoprospect.model.valuation import reference_tables, row_attributes

    frame = pd.DataFrame([{**BASE, "id": "sands", "deposit_type": "heavy_mineral_sands",
                           "ore_throughput_mtpa": 10.0, "zircon_tpa": 50_000.0, "rutile_tpa": 5_000.0}])
    p = {**params, **reference_tables()}
    prices = p["coproduct_prices"]
    per_t = (50_000.0 * prices["zircon"] + 5_000.0 * prices["rutile"]) / 10e6
    for anchors in (True, False):
        row = row_attributes(frame, p, anchors=anchors)
        assert row["coproduct_usd_t"][0] == pytest.approx(per_t)
        assert np.isfinite(row["a_thr"][0]) == anchors


# --- a concentrate barred from export -------------------------------------------------------------

def test_a_barred_concentrate_is_no_option_and_costs_value_in_the_logistics_pillar(params):
    # the same deposit twice: free to export its concentrate, and barred (an in-force ban, no plant
    # at home). The barred one never sells a concentrate, is worth no more (an option removed
    # cannot raise the best), and the difference sits in the logistics pillar; the pillars still
    # add up. Rows whose free choice is a concentrate exist, so the check is not vacuous.
    s = ValueSettings(price_scenario("market-2024"), draws=64, seed=0)
    frame = rows({"id": "a"}, {"id": "a"}, {"id": "b", "resource_mt": 5.0, "treo_pct": 4.0},
                 {"id": "b", "resource_mt": 5.0, "treo_pct": 4.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out, _ = value_rows(frame, np.full(4, 100.0), params, s, export_barred=[False, True, False, True])
    free, barred = out.iloc[[0, 2]], out.iloc[[1, 3]]
    assert (free["product"] == "concentrate").any()
    assert (barred["product"] != "concentrate").all()
    for f in ("npv_musd", "npv_musd_p50"):
        assert (barred[f].to_numpy() <= free[f].to_numpy() + 1e-9).all()
    moved = free["product"].to_numpy() == "concentrate"
    assert (barred["npv_musd"].to_numpy()[moved] < free["npv_musd"].to_numpy()[moved]).all()
    logistics = barred["value_logistics_musd"].to_numpy(), free["value_logistics_musd"].to_numpy()
    assert (logistics[0][moved] < logistics[1][moved]).all()
    for i in range(4):
        r = out.iloc[i]
        assert r["value_grade_musd"] + r["value_logistics_musd"] + r["value_risk_musd"] == pytest.approx(
            r["npv_musd"] - out["npv_musd"].iloc[0] + free["value_grade_musd"].iloc[0]
            + free["value_logistics_musd"].iloc[0] + free["value_risk_musd"].iloc[0], rel=1e-6, abs=1e-6)


def test_a_study_product_is_not_barred(params):
    # Songwe's own study sells a mixed chemical; a bar on mineral concentrate changes nothing
    frame = pd.DataFrame([{**BASE, "id": "mwi-songwe-hill", "country": "MWI", "admin1": None}] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out, _ = value_rows(frame, np.full(2, 100.0), params, SETTINGS, export_barred=[False, True])
    assert out["study_basis"].iloc[0] != "model"
    cols = ["npv_musd", "npv_musd_p50", "value_grade_musd", "value_logistics_musd", "value_risk_musd"]
    np.testing.assert_allclose(out[cols].iloc[0].to_numpy(float), out[cols].iloc[1].to_numpy(float))
