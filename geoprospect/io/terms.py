"""Reference tables of the valuation: country fiscal and risk terms, price scenarios, payability.

* :func:`country_terms` — royalty on REE (at the level that sets it: an Australian state, an
  Argentine province, else the nation), corporate tax, state free carry and country risk premium
  per row of a deposit layer, from ``layers/country_terms.csv``. A royalty or tax that the table
  lacks stays NaN (the valuation widens its band); a free carry the table does not list is 0 (no
  law gives one); a missing premium is never 0 — it stays NaN and the row is flagged.
* :func:`price_scenario` — one named scenario of ``layers/price_scenarios.csv`` (NdPr, Dy, Tb and
  La/Ce oxide prices, each labelled as a market average, a government floor or an assumption).
* :func:`payability` — the sourced range of the share of contained oxide value paid for a
  product (mineral concentrate, mixed chemical, separated oxide; ``layers/costs.csv``);
  :func:`product_treo_fraction` its TREO content; :func:`coproduct_prices` the deck's co-product
  prices.

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


PAYABILITY_ROWS = {"concentrate": "payability_concentrate", "mixed_chemical": "payability_concentrate",
                   "separated_oxide": "payability_separated_oxide"}
"""``costs.csv`` parameter that sets each product's payability. A mixed chemical takes the range
sourced for mixed concentrates (no separate sourced range for mixed carbonates was found)."""
PRODUCTS = tuple(PAYABILITY_ROWS)
COPRODUCT_PRICES = {"zircon": "Zircon, premium grade", "rutile": "Rutile, natural",
                    "ilmenite": "Ilmenite", "phosphoric_acid": "Phosphoric acid",
                    "ferroniobium": "Ferroniobium", "u3o8": "Uranium oxide U3O8 (US utility",
                    "uranium_oxide": "Uranium oxide U3O8 (US utility"}
"""Co-product name (as in ``studies.csv`` ``coproduct_outputs``) -> product prefix in ``prices.csv``.
Only market observations count (an annual average, else the latest dated quote); a forecast or a
study's own assumption is never used as a deck price."""


@cache
def _costs() -> pd.DataFrame:
    return pd.read_csv(layer_path("costs.csv"), dtype=str)


def _parameter(name: str) -> pd.Series:
    """The sourced values of one ``costs.csv`` parameter (percent); an error when it has none."""
    costs = _costs()
    values = pd.to_numeric(costs.loc[costs["parameter"] == name, "value"])
    if values.empty:
        raise LayerError(f"costs.csv: no {name} rows")
    return values


@cache
def payability(product: str = "concentrate") -> tuple[float, float]:
    """(low, high) share of contained oxide value paid for ``product``, fractions.

    Raises
    ------
    LayerError
        An unknown product, or no sourced row for it in ``costs.csv``.
    """
    if product not in PAYABILITY_ROWS:
        raise LayerError(f"unknown product {product!r} (one of {', '.join(PRODUCTS)})", option="product")
    values = _parameter(PAYABILITY_ROWS[product])
    return float(values.min()) / 100, float(values.max()) / 100


@cache
def product_treo_fraction(product: str) -> float:
    """TREO content of a product (fraction), for the tonnes shipped to the plant: the mean sourced
    ``concentrate_treo`` of ``costs.csv`` for a concentrate or mixed chemical, 1 for a separated
    oxide (the deck prices oxides of 99.5 % purity or better)."""
    if product == "separated_oxide":
        return 1.0
    return float(_parameter("concentrate_treo").mean()) / 100


@cache
def monazite_treo_fraction() -> float:
    """TREO content of monazite as traded (fraction; ``costs.csv`` parameter ``monazite_treo``)."""
    return float(_parameter("monazite_treo").mean()) / 100


@cache
def coproduct_prices() -> dict[str, float]:
    """USD per tonne of each co-product of :data:`COPRODUCT_PRICES`: the latest annual average in
    ``prices.csv`` (else the latest dated market quote); a co-product without one is absent."""
    deck = pd.read_csv(layer_path("prices.csv"), dtype=str)
    out = {}
    for name, prefix in COPRODUCT_PRICES.items():
        rows = deck[deck["product"].str.startswith(prefix, na=False)
                    & deck["period"].str.match(r"\d{4}", na=False)
                    & ~deck["product"].str.contains("forecast", case=False, na=False)]
        annual = rows[rows["period"].str.fullmatch(r"\d{4}", na=False)]
        pick = annual if len(annual) else rows
        if len(pick):
            latest = pick.sort_values("period", kind="stable").iloc[-1]
            out[name] = float(latest["price_usd_per_kg"]) * 1000.0
    return out
