"""Screening cash flows: NPV and IRR of a mine with constant annual output, and the exact Shapley
split of a value difference over groups of inputs.

The project is the simplest one a screening study uses (real terms, end-of-year flows):
initial capex spread evenly over ``build_years`` (years 0 .. B-1), then ``life`` years of the
same operating cash flow (years B .. B+life-1; a fractional life counts its last part-year).
Straight-line depreciation of the capex over ``min(life, depreciation_years)`` shields tax;
royalty is a share of revenue; the state's free-carried share takes that share of every
after-tax operating cash flow without paying capex. Everything is vectorised over rows (and
Monte Carlo draws), and the closed forms below are checked against an explicit year-by-year
cash-flow table (:func:`cash_flow_table`) in the tests.

Examples
--------
>>> import numpy as np
>>> round(float(npv_of_annuity(-1000.0, 300.0, 0.10, 5)), 2)   # the textbook annuity example
137.24
>>> round(float(irr_of_annuity(-1000.0, 300.0, 5)) * 100, 2)
15.24
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np

BUILD_YEARS = 2
"""Construction years over which the initial capex is spent (evenly)."""
DEPRECIATION_YEARS = 10
"""Straight-line depreciation period of the capex for tax (capped by the mine life)."""


def annuity_factor(rate, years) -> np.ndarray:
    """Present value of 1 a year, paid at the end of years 1..``years`` (fractional years:
    the continuous extension ``(1 - (1+r)^-n) / r``; ``n`` when ``r`` is 0)."""
    r = np.asarray(rate, dtype=float)
    n = np.maximum(np.asarray(years, dtype=float), 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # IRR bisection probes -99 %
        out = -np.expm1(-n * np.log1p(r)) / r  # stable near r = 0 (no 1 - (1+r)^-n cancellation)
    return np.where(np.abs(r) < 1e-12, n, out)


def npv_of_annuity(outlay, annual, rate, years) -> np.ndarray:
    """NPV of ``outlay`` now (negative = paid) and ``annual`` at the end of each of ``years``."""
    return np.asarray(outlay, float) + np.asarray(annual, float) * annuity_factor(rate, years)


def irr_of_annuity(outlay, annual, years, *, lo: float = -0.99, hi: float = 10.0,
                   iterations: int = 100) -> np.ndarray:
    """IRR of :func:`npv_of_annuity` (bisection; NaN where the NPV does not change sign)."""
    return _bisect(lambda r: npv_of_annuity(outlay, annual, r, years), np.shape(
        np.broadcast_arrays(outlay, annual, years)[0]), lo, hi, iterations)


@dataclass(frozen=True)
class Project:
    """One screening project per row (arrays broadcast; money in USD million a year).

    Attributes
    ----------
    capex : array
        Initial capital cost.
    revenue, opex : array
        Annual revenue and operating cost (logistics included in ``opex``).
    life : array
        Years of production.
    royalty, tax, carry : array
        Royalty (share of revenue), corporate income tax (share of taxable profit) and the
        state's free-carried equity share, all fractions 0-1.
    """

    capex: np.ndarray
    revenue: np.ndarray
    opex: np.ndarray
    life: np.ndarray
    royalty: np.ndarray
    tax: np.ndarray
    carry: np.ndarray

    def operating(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Annual after-tax cash flow to the investor while depreciation lasts and after it, and
        the depreciation period (years)."""
        ebitda = self.revenue * (1.0 - self.royalty) - self.opex
        dep_years = np.minimum(self.life, DEPRECIATION_YEARS)
        with np.errstate(divide="ignore", invalid="ignore"):
            dep = np.where(dep_years > 0, self.capex / dep_years, 0.0)
        taxed = lambda base: base - self.tax * np.maximum(base, 0.0)  # noqa: E731  (no loss credit)
        share = 1.0 - self.carry
        during = share * (taxed(ebitda - dep) + dep)
        after = share * taxed(ebitda)
        return during, after, dep_years


def npv(project: Project, rate) -> np.ndarray:
    """NPV (USD million) of ``project`` at real discount rate ``rate`` (fraction)."""
    r = np.asarray(rate, dtype=float)
    during, after, dep_years = project.operating()
    build = np.mean([(1.0 + r) ** -t for t in range(BUILD_YEARS)], axis=0)
    start = (1.0 + r) ** -(BUILD_YEARS - 1)  # production year 1 = end of year BUILD_YEARS
    operating = during * annuity_factor(r, dep_years) + after * (
        annuity_factor(r, project.life) - annuity_factor(r, dep_years))
    return -project.capex * build + start * operating


def irr(project: Project, *, iterations: int = 100) -> np.ndarray:
    """IRR (fraction) of ``project``; NaN where its NPV does not change sign on -99 %..1000 %."""
    shape = np.broadcast(project.capex, project.revenue, project.opex, project.life).shape
    return _bisect(lambda r: npv(project, r), shape, -0.99, 10.0, iterations)


def cash_flow_table(project: Project, years: int) -> np.ndarray:
    """The year-by-year investor cash flows (rows x ``years``; column ``t`` = end of year ``t``),
    for checking the closed forms on whole-year lives. Plain loops: use for a few rows only."""
    capex = np.atleast_1d(np.asarray(project.capex, float))
    n = capex.shape[0]
    during, after, dep_years = (np.broadcast_to(a, (n,)) for a in project.operating())
    life = np.broadcast_to(np.asarray(project.life, float), (n,))
    out = np.zeros((n, years))
    for i in range(n):
        out[i, :BUILD_YEARS] -= capex[i] / BUILD_YEARS
        for k in range(int(np.ceil(life[i]))):
            part = min(1.0, life[i] - k)
            out[i, BUILD_YEARS + k] += part * (during[i] if k < dep_years[i] else after[i])
    return out


def discount(table: np.ndarray, rate) -> np.ndarray:
    """NPV of a cash-flow table whose column ``t`` falls at the end of year ``t``."""
    t = np.arange(table.shape[1])
    return (table * (1.0 + np.asarray(rate, float)[..., None]) ** -t).sum(axis=1)


def shapley(value, groups: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Exact Shapley split of ``value(all groups) - value(no group)`` over ``groups``.

    ``value(on)`` evaluates the model with the groups in ``on`` (a frozenset) taken from the
    row and the others from the reference; for three groups that is 8 evaluations. The shares
    add up to the difference exactly and do not depend on the order of the groups.
    """
    n = len(groups)
    cache = {frozenset(s): value(frozenset(s)) for k in range(n + 1) for s in combinations(groups, k)}
    out = {}
    for g in groups:
        rest = [x for x in groups if x != g]
        total = 0.0
        for k in range(n):
            weight = factorial(k) * factorial(n - k - 1) / factorial(n)
            for s in combinations(rest, k):
                total = total + weight * (cache[frozenset(s) | {g}] - cache[frozenset(s)])
        out[g] = total
    return out


def _bisect(f, shape, lo: float, hi: float, iterations: int) -> np.ndarray:
    a = np.full(shape, lo)
    b = np.full(shape, hi)
    fa = f(a)
    fb = f(b)
    ok = np.sign(fa) * np.sign(fb) < 0
    for _ in range(iterations):
        m = (a + b) / 2
        fm = f(m)
        left = np.sign(fm) == np.sign(fa)
        a = np.where(left, m, a)
        fa = np.where(left, fm, fa)
        b = np.where(left, b, m)
    return np.where(ok, (a + b) / 2, np.nan)
