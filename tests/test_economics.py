"""Screening cash flows (geoprospect.model.economics) against hand-worked numbers.

Every expected value is computed in the test with plain arithmetic (loops over years, no call
into the module under test), with the reason written beside it. Each property test also runs a
deliberately broken variant through the same check and shows that the check catches it.
"""

from __future__ import annotations

import math
from itertools import combinations, permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoprospect.model import economics as eco
from geoprospect.model.economics import (
    BUILD_YEARS,
    DEPRECIATION_YEARS,
    Project,
    annuity_factor,
    cash_flow_table,
    discount,
    irr,
    irr_of_annuity,
    npv,
    npv_of_annuity,
    shapley,
)


def plain_npv(flows, rate):
    """NPV of flows at the end of years 0, 1, 2, ... by the definition: sum of CF_t / (1+r)^t."""
    return sum(cf / (1.0 + rate) ** t for t, cf in enumerate(flows))


def plain_irr(flows, lo=-0.5, hi=1.0):
    """IRR by plain bisection on plain_npv (flows with one sign change)."""
    for _ in range(200):
        mid = (lo + hi) / 2
        if (plain_npv(flows, mid) > 0) == (plain_npv(flows, lo) > 0):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# --- the textbook annuity ----------------------------------------------------------------------

ANNUITY = [-1000.0] + [300.0] * 5  # pay 1000 now, receive 300 at the end of years 1..5


def test_textbook_annuity_npv():
    # 300 * (1 - 1.1^-5) / 0.1 = 300 * 3.790787 = 1137.236; minus the 1000 outlay = 137.236
    expected = plain_npv(ANNUITY, 0.10)
    assert expected == pytest.approx(137.24, abs=0.005)  # the published textbook answer
    assert float(npv_of_annuity(-1000.0, 300.0, 0.10, 5)) == pytest.approx(expected, rel=1e-12)
    # annuity factor itself: sum of 1.1^-t, t = 1..5
    assert float(annuity_factor(0.10, 5)) == pytest.approx(sum(1.1 ** -t for t in range(1, 6)), rel=1e-12)
    # at a zero rate the factor is just the number of years (no discounting)
    assert float(annuity_factor(0.0, 5)) == 5.0


def test_textbook_annuity_irr():
    expected = plain_irr(ANNUITY)
    assert expected * 100 == pytest.approx(15.24, abs=0.005)  # published: 15.24 %
    assert abs(plain_npv(ANNUITY, expected)) < 1e-6  # the IRR is where the NPV is zero
    assert float(irr_of_annuity(-1000.0, 300.0, 5)) == pytest.approx(expected, abs=1e-9)


def test_annuity_factor_near_zero_rate():
    # one year at r = 1e-12: 1 / (1 + 1e-12) = 0.999999999999 (to 1e-12); got 1.0000889
    assert float(annuity_factor(1e-12, 1)) == pytest.approx(1 / (1 + 1e-12), rel=1e-9)


def test_irr_nan_without_sign_change():
    # outlay and every year negative: no rate makes the NPV zero
    assert np.isnan(irr_of_annuity(-1000.0, -10.0, 5))
    # everything positive: no sign change either
    assert np.isnan(irr_of_annuity(1000.0, 10.0, 5))
    # a project whose opex exceeds its revenue loses money every year: no IRR
    losing = Project(capex=np.array([100.0]), revenue=np.array([10.0]), opex=np.array([20.0]),
                     life=np.array([5.0]), royalty=np.array([0.0]), tax=np.array([0.3]),
                     carry=np.array([0.0]))
    assert np.isnan(irr(losing)).all()
    # control: the same project with revenue above opex has an IRR, and NPV(IRR) = 0
    earning = Project(capex=np.array([100.0]), revenue=np.array([60.0]), opex=np.array([20.0]),
                      life=np.array([5.0]), royalty=np.array([0.0]), tax=np.array([0.3]),
                      carry=np.array([0.0]))
    r = irr(earning)
    assert np.isfinite(r).all()
    assert abs(float(npv(earning, r)[0])) < 1e-6


def test_irr_nan_check_is_not_vacuous():
    """A bisection that forgets to test for a sign change returns a number, not NaN."""
    def broken(outlay, annual, years):
        lo, hi = -0.99, 10.0
        for _ in range(100):
            mid = (lo + hi) / 2
            if np.sign(npv_of_annuity(outlay, annual, mid, years)) == np.sign(
                    npv_of_annuity(outlay, annual, lo, years)):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    assert not np.isnan(broken(-1000.0, -10.0, 5))


# --- one worked project, line by line ----------------------------------------------------------

def test_worked_project_royalty_tax_carry():
    capex, revenue, opex, life = 100.0, 50.0, 20.0, 4
    royalty, tax, carry, rate = 0.05, 0.30, 0.10, 0.10
    # royalty 5 % of revenue: 2.5 -> EBITDA = 50 - 2.5 - 20 = 27.5
    ebitda = revenue - royalty * revenue - opex
    assert ebitda == pytest.approx(27.5)
    # straight-line over min(life 4, 10 years) = 4 years: 100 / 4 = 25 a year
    dep = capex / min(life, DEPRECIATION_YEARS)
    assert dep == 25.0
    # taxable profit 27.5 - 25 = 2.5; tax 30 % of it = 0.75; after-tax cash 27.5 - 0.75 = 26.75
    tax_paid = tax * (ebitda - dep)
    assert tax_paid == pytest.approx(0.75)
    after_tax = ebitda - tax_paid
    # the state's free carry takes 10 %: investor share 0.9 x 26.75 = 24.075
    investor = (1 - carry) * after_tax
    assert investor == pytest.approx(24.075)
    # capex 50 at end of year 0 and 50 at end of year 1 (BUILD_YEARS = 2, evenly), then four
    # production years at the ends of years 2..5
    assert BUILD_YEARS == 2
    flows = [-50.0, -50.0] + [investor] * 4
    expected = plain_npv(flows, rate)
    # = -50 - 45.4545 + 24.075 x (0.826446 + 0.751315 + 0.683013 + 0.620921)
    # = -95.4545 + 24.075 x 2.881695 = -95.4545 + 69.3768 = -26.0777
    assert expected == pytest.approx(-26.0777, abs=1e-4)
    project = Project(*(np.array([v]) for v in (capex, revenue, opex, float(life), royalty, tax, carry)))
    assert float(npv(project, rate)[0]) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(cash_flow_table(project, 6)[0], flows, rtol=1e-12)


def test_worked_project_no_loss_credit_and_after_depreciation():
    # life 12 > 10 depreciation years: years 1-10 carry depreciation 120 / 10 = 12, years 11-12 not
    capex, revenue, opex, life, royalty, tax, carry, rate = 120.0, 30.0, 21.0, 12, 0.0, 0.25, 0.0, 0.08
    ebitda = revenue - opex                    # 9
    dep = capex / 10                           # 12 > EBITDA: taxable -3, no credit, tax 0
    during = ebitda - tax * max(ebitda - dep, 0.0)  # 9 (not 9 + 0.75: losses earn no credit)
    after = ebitda - tax * ebitda              # 9 - 2.25 = 6.75 once depreciation is over
    assert (during, after) == (9.0, 6.75)
    flows = [-60.0, -60.0] + [during] * 10 + [after] * 2
    project = Project(*(np.array([v]) for v in (capex, revenue, opex, float(life), royalty, tax, carry)))
    assert float(npv(project, rate)[0]) == pytest.approx(plain_npv(flows, rate), rel=1e-12)


# --- closed form vs the explicit table (hypothesis) --------------------------------------------

projects = st.fixed_dictionaries({
    "capex": st.floats(1.0, 2000.0), "revenue": st.floats(0.0, 800.0), "opex": st.floats(0.0, 600.0),
    "life": st.integers(1, 30), "royalty": st.floats(0.0, 0.2), "tax": st.floats(0.0, 0.45),
    "carry": st.floats(0.0, 0.3),
    # rates in (0, 1e-4) are left to test_annuity_factor_near_zero_rate: the closed form loses
    # ~eps/r to cancellation there (2e-10 relative at 1e-6, enough to fail the 1e-9 check)
    "rate": st.one_of(st.just(0.0), st.floats(1e-4, 0.3)),
})


def _project(d):
    return Project(*(np.array([float(d[k])]) for k in ("capex", "revenue", "opex", "life", "royalty",
                                                       "tax", "carry")))


def _table_npv(d):
    p = _project(d)
    return float(discount(cash_flow_table(p, BUILD_YEARS + d["life"]), np.array([d["rate"]]))[0])


def _wrong_exponent_npv(project, rate):
    """npv with production year 1 discounted one year too far (a classic off-by-one)."""
    r = np.asarray(rate, dtype=float)
    during, after, dep_years = project.operating()
    build = np.mean([(1.0 + r) ** -t for t in range(BUILD_YEARS)], axis=0)
    start = (1.0 + r) ** -BUILD_YEARS  # wrong: should be -(BUILD_YEARS - 1)
    operating = during * annuity_factor(r, dep_years) + after * (
        annuity_factor(r, project.life) - annuity_factor(r, dep_years))
    return -project.capex * build + start * operating


def _matches_table(npv_fn, d) -> bool:
    got = float(npv_fn(_project(d), d["rate"])[0])
    want = _table_npv(d)
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-7)


@settings(max_examples=200, deadline=None)
@given(projects)
def test_closed_form_equals_cash_flow_table(d):
    assert _matches_table(npv, d)


def test_closed_form_check_catches_wrong_exponent():
    d = {"capex": 100.0, "revenue": 50.0, "opex": 20.0, "life": 4, "royalty": 0.05, "tax": 0.3,
         "carry": 0.1, "rate": 0.1}
    assert _matches_table(npv, d)
    assert not _matches_table(_wrong_exponent_npv, d)


def test_cash_flow_table_is_independent_of_the_module():
    """The table itself against flows written out by hand (life 3, no tax: capex 10 over two
    build years, then revenue - opex = 4 a year)."""
    p = Project(*(np.array([v]) for v in (10.0, 6.0, 2.0, 3.0, 0.0, 0.0, 0.0)))
    np.testing.assert_allclose(cash_flow_table(p, 5)[0], [-5.0, -5.0, 4.0, 4.0, 4.0])
    assert float(discount(cash_flow_table(p, 5), np.array([0.1]))[0]) == pytest.approx(
        plain_npv([-5.0, -5.0, 4.0, 4.0, 4.0], 0.1), rel=1e-12)


# --- Shapley -------------------------------------------------------------------------------------

GROUPS = ("a", "b", "c")


def glove(on):
    """Glove game: 'a' holds a left glove, 'b' and 'c' a right one; a pair is worth 1."""
    return 1.0 if "a" in on and ({"b", "c"} & on) else 0.0


def square(on):
    """v(S) = 5 + (sum of x_i in S)^2, x = (1, 2, 3); the 5 is a constant v(empty set)."""
    x = {"a": 1.0, "b": 2.0, "c": 3.0}
    return 5.0 + sum(x[g] for g in on) ** 2


def test_shapley_glove_game():
    phi = shapley(glove, GROUPS)
    # textbook: the scarce left glove gets 2/3, each right glove 1/6. Over the 6 orders of
    # arrival, a completes a pair whenever it is not first (4 of 6); b completes one only in the
    # order (a, b, c) (1 of 6), c only in (a, c, b)
    assert phi["a"] == pytest.approx(2 / 3, rel=1e-12)
    assert phi["b"] == pytest.approx(1 / 6, rel=1e-12)
    assert phi["c"] == pytest.approx(1 / 6, rel=1e-12)
    assert phi["a"] + phi["b"] + phi["c"] == pytest.approx(glove(frozenset(GROUPS)) - glove(frozenset()))


def test_shapley_quadratic_game():
    phi = shapley(square, GROUPS)
    # (sum x)^2 = sum x_i^2 + 2 sum_{i<j} x_i x_j; each cross term split equally, so
    # phi_i = x_i * sum x = x_i * 6: (6, 12, 18), total 36 = v(all) - v(none) = 41 - 5
    assert [phi[g] for g in GROUPS] == pytest.approx([6.0, 12.0, 18.0], rel=1e-12)
    assert sum(phi.values()) == pytest.approx(36.0, rel=1e-12)


def test_shapley_order_of_groups_does_not_matter():
    base = shapley(square, GROUPS)
    for order in permutations(GROUPS):
        phi = shapley(square, order)
        for g in GROUPS:
            assert phi[g] == pytest.approx(base[g], rel=1e-12)


def _first_order_split(value, groups):
    """Broken: each group's marginal against the empty set only (not Shapley)."""
    none = value(frozenset())
    return {g: value(frozenset({g})) - none for g in groups}


def _efficient(split_fn, value) -> bool:
    phi = split_fn(value, GROUPS)
    return math.isclose(sum(phi.values()), value(frozenset(GROUPS)) - value(frozenset()),
                        rel_tol=1e-9, abs_tol=1e-9)


games = st.lists(st.floats(-1e3, 1e3), min_size=8, max_size=8)


def _table_game(values):
    subsets = [frozenset(s) for k in range(4) for s in combinations(GROUPS, k)]
    table = dict(zip(subsets, values, strict=True))
    return lambda on: table[frozenset(on)]


@settings(max_examples=200, deadline=None)
@given(games)
def test_shapley_adds_up_on_any_game(values):
    game = _table_game(values)
    assert _efficient(shapley, game)
    # and with numpy arrays per row (how the valuation calls it)
    arr = lambda on: np.array([game(on), 2 * game(on)])  # noqa: E731
    phi = shapley(arr, GROUPS)
    np.testing.assert_allclose(sum(phi.values()), arr(frozenset(GROUPS)) - arr(frozenset()),
                               rtol=1e-9, atol=1e-9)


def test_shapley_check_is_not_vacuous():
    assert _efficient(shapley, square)
    assert not _efficient(_first_order_split, square)  # 1+4+9=14 != 36
    assert not _efficient(_first_order_split, glove)   # 0 != 1


def test_module_constants_used_above():
    # the hand-worked flows above assume two build years and ten depreciation years
    assert (eco.BUILD_YEARS, eco.DEPRECIATION_YEARS) == (2, 10)
