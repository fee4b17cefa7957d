"""Reference tables of the valuation: country fiscal and risk terms, price scenarios, payability.

* :func:`country_terms` — royalty on REE (at the level that sets it: an Australian state, an
  Argentine province, else the nation), corporate tax, state free carry and country risk premium
  per row of a deposit layer, from ``layers/country_terms.csv``. A royalty or tax that the table
  lacks stays NaN (the valuation widens its band); a free carry the table does not list is 0 (no
  law gives one); a missing premium is never 0 — it stays NaN and the row is flagged.
* :func:`price_scenario` — one named scenario of ``layers/price_scenarios.csv`` (NdPr, Dy, Tb and
  La/Ce oxide prices, each labelled as a market average, a government floor or an assumption).
* :func:`payability` — the sourced range of the share of contained oxide value paid for a mixed
  concentrate (``layers/costs.csv``).

Examples
--------
>>> from geoprospect.io.terms import price_scenario, scenario_names
>>> "market-2024" in scenario_names()
True
>>> price_scenario("market-2024").ndpr
51.0
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.bundled import layer_path

DEFAULT_SCENARIO = "studies-long-term"
TERM_COLUMNS = ("royalty_pct", "tax_pct", "carry_pct", "premium_pct")


@dataclass(frozen=True)
class PriceScenario:
    """Oxide prices of one scenario (USD/kg) with what they are."""

    name: str
    kind: str  # market_average | government_floor | assumption
    label: str
    ndpr: float
    dy: float
    tb: float
    la_ce: float
    source: str


@cache
def _terms() -> pd.DataFrame:
    table = pd.read_csv(layer_path("country_terms.csv"), dtype=str, keep_default_na=False)
    table["value_num"] = pd.to_numeric(table["value"], errors="coerce")
    table["admin1"] = table["admin1"].str.strip().str.lower()
    return table


def country_terms(iso3, admin1=None) -> pd.DataFrame:
    """Fiscal and risk terms per row: ``royalty_pct``, ``tax_pct``, ``carry_pct``, ``premium_pct``.

    Parameters
    ----------
    iso3 : array_like of str
        ISO3 country per row.
    admin1 : array_like of str, optional
        State / province per row; a royalty set there wins over the national one.

    Returns
    -------
    pandas.DataFrame
        One row per input row (positional index), values in percent.
    """
    codes = pd.Series(np.asarray(iso3, dtype=object)).astype(object)
    regions = pd.Series(np.asarray(admin1, dtype=object) if admin1 is not None else [None] * len(codes))
    table = _terms()

    def national(term: str) -> dict:
        rows = table[(table["term"] == term) & (table["admin1"] == "") & table["value_num"].notna()]
        return rows.groupby("iso3")["value_num"].last().to_dict()

    regional = table[(table["term"] == "royalty_ree") & (table["admin1"] != "") & table["value_num"].notna()]
    by_region = {(r.iso3, r.admin1): r.value_num for r in regional.itertuples()}
    royalty_nat, tax, carry, premium = (national(t) for t in (
        "royalty_ree", "corporate_tax", "state_free_carry", "country_risk_premium_pct"))
    keys = list(zip(codes, regions.fillna("").astype(str).str.strip().str.lower(), strict=True))
    royalty = [by_region.get(k, royalty_nat.get(k[0], np.nan)) for k in keys]
    return pd.DataFrame({
        "royalty_pct": royalty,
        "tax_pct": codes.map(tax).astype(float).to_numpy(),
        "carry_pct": codes.map(carry).astype(float).fillna(0.0).to_numpy(),
        "premium_pct": codes.map(premium).astype(float).to_numpy(),
    })


@cache
def _scenarios() -> pd.DataFrame:
    return pd.read_csv(layer_path("price_scenarios.csv"), dtype=str, keep_default_na=False)


def scenario_names() -> list[str]:
    """Names of the bundled price scenarios (``--price-scenario``)."""
    return _scenarios()["scenario"].tolist()


def describe_scenarios() -> list[str]:
    """One line per scenario: name, NdPr price and what the price is."""
    return [f"{r.scenario}: NdPr USD {float(r.ndpr_usd_per_kg):g}/kg ({r.kind.replace('_', ' ')}) — {r.label}"
            for r in _scenarios().itertuples()]


def price_scenario(name: str = DEFAULT_SCENARIO, *, ndpr_price: float | None = None) -> PriceScenario:
    """The named scenario, optionally with the NdPr price replaced (an ``assumption``).

    Raises
    ------
    LayerError
        An unknown scenario (``option="price_scenario"``) or a negative price
        (``option="ndpr_price"``).
    """
    table = _scenarios()
    rows = table[table["scenario"] == name]
    if rows.empty:
        raise LayerError(f"unknown price scenario {name!r} (one of {', '.join(scenario_names())})",
                         option="price_scenario")
    r = rows.iloc[0]
    scen = PriceScenario(r["scenario"], r["kind"], r["label"], float(r["ndpr_usd_per_kg"]),
                         float(r["dy2o3_usd_per_kg"]), float(r["tb4o7_usd_per_kg"]),
                         float(r["la_ce_usd_per_kg"]), r["source"])
    if ndpr_price is None:
        return scen
    if not np.isfinite(ndpr_price) or ndpr_price < 0:
        raise LayerError(f"NdPr price must be a non-negative number, got {ndpr_price!r}",
                         option="ndpr_price")
    return PriceScenario(f"{name}+ndpr={ndpr_price:g}", "assumption",
                         f"{scen.label}; NdPr set to USD {ndpr_price:g}/kg by the user",
                         float(ndpr_price), scen.dy, scen.tb, scen.la_ce, "user assumption")


@cache
def payability() -> tuple[float, float]:
    """(low, high) share of contained oxide value paid for a mixed concentrate, fractions."""
    costs = pd.read_csv(layer_path("costs.csv"), dtype=str)
    values = pd.to_numeric(costs.loc[costs["parameter"] == "payability_concentrate", "value"])
    if values.empty:
        raise LayerError("costs.csv: no payability_concentrate rows")
    return float(values.min()) / 100, float(values.max()) / 100
