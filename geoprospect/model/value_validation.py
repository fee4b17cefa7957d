"""Validation of the screening valuation against published study NPVs.

:func:`validate_against_studies` values every studied project from its deposit's resource,
type, country and location only, at the study's own price, discount rate and tax basis, with the
cost and production models refitted without that project (a study never sees itself), and sets
the published NPV beside the screening P10/P50/P90 and the screening project's components
(:data:`COMPONENTS`). :func:`summary` condenses it (Spearman, median ratio, band coverage);
:mod:`geoprospect.model.value_diagnosis` compares the components with the studies' own.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd

from geoprospect.io.bundled import layer_path
from geoprospect.io.schema import ree_minerals
from geoprospect.io.studies import BASE_YEAR, cost_index, standard_studies
from geoprospect.io.terms import DEFAULT_SCENARIO, country_terms, price_scenario, scenario_names
from geoprospect.model.costs import fit_costs
from geoprospect.model.production import fit_production
from geoprospect.model.valuation import ROW_COPRODUCTS, ValueSettings, value_rows

COLUMNS = ("project", "study_id", "published_npv_musd", "screening_npv_musd", "p10", "p90",
           "inside_band", "price_used", "price_basis")
"""Columns of :func:`validate_against_studies` (followed by ``deposit_id``, ``study_year``,
``npv_discount_pct``, ``npv_tax_basis``, ``logistics_usd_t`` and ``imputed``)."""
COMPONENTS = ("product", "ore_mtpa", "mine_life_yr", "treo_tpa", "ndpr_oxide_tpa", "revenue_musd_yr",
              "opex_musd_yr", "ebitda_musd_yr", "capex_musd", "coproduct_musd_yr")
"""The screening project's components kept per validated study (as ``screening_<name>``; annual
opex includes logistics, EBITDA is revenue less royalty and opex)."""
COPRODUCT_COLUMNS = ("ore_throughput_mtpa", *(f"{m}_tpa" for m in ROW_COPRODUCTS))
"""Deposit-row columns that value co-products per tonne of ore (:func:`valuation.row_attributes`)."""

# ---------------------------------------------------------------- validation
@cache
def _deposit_layers():
    """Deposit and project layers (deposits first), indexed by ``id``."""
    from geoprospect.io.validate import load_layer

    parts = [load_layer(layer_path(n))[0] for n in ("deposits.geojson", "projects.geojson")]
    both = pd.concat(parts, ignore_index=True).drop_duplicates("id")
    return both.set_index("id", drop=False)


def _comparison_terms(frame: pd.DataFrame, pre_tax: bool) -> pd.DataFrame:
    """Country terms for the comparison: the country's royalty and free carry, its tax (0 for a
    pre-tax NPV) and a risk premium of 0, because the study's own rate already prices its risk."""
    terms = country_terms(frame["country"].to_numpy(dtype=object),
                          frame["admin1"].to_numpy(dtype=object) if "admin1" in frame else None)
    terms["premium_pct"] = 0.0
    if pre_tax:
        terms["tax_pct"] = 0.0
    return terms


def _first(*values):
    given = [v for v in values
             if (isinstance(v, str) and v.strip()) or (pd.api.types.is_number(v) and pd.notna(v))]
    return given[0] if given else np.nan


def _study_frame(study: pd.Series, deposit: pd.Series | None) -> pd.DataFrame:
    """One valuation input row: the resource from the study or its deposit row, never the
    study's mine plan, throughput, capex or opex (a reserve is a mine plan: left out); the
    deposit row's co-product outputs and throughput give its co-products per tonne of ore (with
    anchors off the valuation never takes that throughput as the design)."""
    d = deposit if deposit is not None else pd.Series(dtype=object)
    minerals = study.get("main_ree_minerals")
    if deposit is not None and not isinstance(minerals, str):
        minerals = ree_minerals(deposit.to_frame().T).iloc[0]
    num = lambda v: pd.to_numeric(v, errors="coerce")  # noqa: E731
    return pd.DataFrame([{
        "id": study["study_id"], "country": _first(study.get("country"), d.get("country")),
        "admin1": d.get("admin1"), "deposit_type": _first(study.get("deposit_type"), d.get("deposit_type")),
        "resource_mt": num(_first(study.get("resource_mt"), d.get("resource_mt"))),
        "treo_pct": num(_first(study.get("resource_treo_pct"), d.get("treo_pct"))),
        "ndpr_pct": num(_first(study.get("ndpr_pct"), d.get("ndpr_pct"))),
        "dytb_pct": num(d.get("dytb_pct")), "reserve_mt": np.nan,
        "main_ree_minerals": minerals if isinstance(minerals, str) else None,
        "resource_class": "resource",
        **{c: num(d.get(c)) for c in COPRODUCT_COLUMNS}}])


def validate_against_studies(seed: int = 0, *, studies: pd.DataFrame | None = None,
                             params: dict | None = None, draws: int = 200,
                             projects: Iterable[str] | None = None) -> pd.DataFrame:
    """Screening NPV of every studied project against its published NPV, leave-one-project-out.

    A project is a deposit (``deposit_id``, else the project name); its latest study (by
    ``study_year``, then file order) with an NPV in US dollars (published, or converted by
    :func:`geoprospect.io.studies.standard_studies`) and a discount rate is compared. Inputs:
    tonnage, TREO grade and NdPr share from the study row, else its deposit row (Dy+Tb from the
    deposit row), type, country, and the logistics cost from the deposit's geometry (NaN without
    one: the valuation fills it); never the study's reserve, mine plan, throughput, capex, opex or
    co-products (the valuation runs with ``anchors=False``). Price: the study's NdPr price, else the
    median the studies assume (the default scenario); other oxides from ``market-<year>`` if it
    exists, else ``market-2024``. The published NPV and the price are put in real US dollars of
    :data:`BASE_YEAR` by CPI-U, like the screening's costs. Rate: the study's, as the base rate
    with the country premium 0 (the study's rate already prices its risk). Tax 0 for a
    ``pre_tax`` NPV, else the country's (unstated = post-tax); royalty and free carry as the
    country's. Cost and production models and the TREO output cap are refitted without the
    project; the imputer is ``params``'.

    Parameters
    ----------
    seed : int
        Seed of the refits and the Monte Carlo draws.
    studies : pandas.DataFrame, optional
        The studies table (the bundled ``layers/studies.csv`` when None).
    params : dict, optional
        The valuation model (the bundled one when None).
    draws : int
        Monte Carlo draws per study.
    projects : iterable of str, optional
        Only these project keys (default: every project).

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS` and the extra columns (``deposit_id``, ``study_year``,
        ``npv_discount_pct``, ``npv_tax_basis``, ``logistics_usd_t``, ``imputed`` and
        ``screening_<component>`` for :data:`COMPONENTS`), one row per compared study.
    """
    from geoprospect.features.logistics import logistics_features
    from geoprospect.model.value_fit import load_valuation

    params = load_valuation() if params is None else params
    raw = pd.read_csv(layer_path("studies.csv")) if studies is None else studies.copy()
    table = standard_studies(raw)
    ids = table["deposit_id"] if "deposit_id" in table else pd.Series(np.nan, index=table.index)
    table["_key"] = ids.fillna(table["project"]).astype(str)
    table["_order"] = np.arange(len(table))
    ok = table[["npv_usd_m", "npv_discount_pct"]].apply(pd.to_numeric, errors="coerce").notna().all(axis=1)
    latest = table[ok].sort_values(["study_year", "_order"], kind="stable").groupby("_key").tail(1)
    if projects is not None:
        latest = latest[latest["_key"].isin(set(projects))]
    layers = _deposit_layers()
    located = layers[layers["id"].isin(latest.get("deposit_id", pd.Series(dtype=object)).dropna())]
    located = located[~located.geometry.isna() & ~located.geometry.is_empty]
    cost = dict(zip(located["id"], logistics_features(located.reset_index(drop=True))[
        "cost_to_plant_usd_t"].to_numpy(float), strict=True)) if len(located) else {}
    out = []
    for _, s in latest.sort_values("_key").iterrows():
        price, basis = pd.to_numeric(s.get("ndpr_price_usd_per_kg"), errors="coerce"), "study"
        if not np.isfinite(price):  # unstated: the median price the studies assume
            price, basis = price_scenario(DEFAULT_SCENARIO).ndpr, DEFAULT_SCENARIO
        did = s.get("deposit_id") if isinstance(s.get("deposit_id"), str) else None
        deposit = layers.loc[did] if did in layers.index else None
        frame = _study_frame(s, deposit)
        without = raw[table["_key"].to_numpy() != s["_key"]]
        others = table.loc[table["_key"] != s["_key"], "product_treo_tpa_used"]
        cap = pd.to_numeric(others, errors="coerce").max()
        loo = {**params, "production": fit_production(without, seed=seed, nested=False),
               "costs": fit_costs(without, seed=seed, nested=False),
               "max_treo_tpa": float(cap) if np.isfinite(cap) else params["max_treo_tpa"]}
        real = _cpi_factor(s.get("study_year"))
        price = price * real if basis == "study" else price
        year = f"market-{int(s['study_year'])}" if pd.notna(s.get("study_year")) else ""
        prices = price_scenario(year if year in scenario_names() else "market-2024", ndpr_price=float(price))
        settings = ValueSettings(prices, float(s["npv_discount_pct"]), draws, seed)
        logistic = cost.get(did, np.nan) if did else np.nan
        terms = _comparison_terms(frame, str(s.get("npv_tax_basis")) == "pre_tax")
        value, _ = value_rows(frame, np.array([logistic]), loo, settings, terms=terms, anchors=False)
        v = value.iloc[0]
        published = float(s["npv_usd_m"]) * real
        out.append({"project": s["project"], "study_id": s["study_id"],
                    "published_npv_musd": published, "screening_npv_musd": float(v["npv_musd_p50"]),
                    "p10": float(v["npv_musd_p10"]), "p90": float(v["npv_musd_p90"]),
                    "inside_band": bool(v["npv_musd_p10"] <= published <= v["npv_musd_p90"]),
                    "price_used": float(price), "price_basis": basis, "deposit_id": did,
                    "study_year": s.get("study_year"), "npv_discount_pct": float(s["npv_discount_pct"]),
                    "npv_tax_basis": s.get("npv_tax_basis"), "logistics_usd_t": float(logistic),
                    "imputed": v["imputed"], **_components(v)})
    extra = ["deposit_id", "study_year", "npv_discount_pct", "npv_tax_basis", "logistics_usd_t", "imputed",
             *(f"screening_{c}" for c in COMPONENTS)]
    return pd.DataFrame(out, columns=[*COLUMNS, *extra])


def _components(v: pd.Series) -> dict:
    """The screening project's :data:`COMPONENTS` from one valued row (median inputs)."""
    opex = float(v["opex_usd_per_kg"]) * float(v["treo_tpa"]) / 1e3  # USD/kg x t = kUSD; / 1e3 = USD M
    ebitda = float(v["revenue_musd_yr"]) * (1 - float(v["royalty_pct"]) / 100) - opex
    values = {"opex_musd_yr": opex, "ebitda_musd_yr": ebitda}
    return {f"screening_{c}": values[c] if c in values else v[c] if c == "product" else float(v[c])
            for c in COMPONENTS}


def _cpi_factor(year) -> float:
    """US CPI-U factor from ``year`` to :data:`BASE_YEAR` (1 when the year is unknown): the
    comparison puts the published NPV and the study's price in the screening's real dollars."""
    table = cost_index()
    cpi = table[table["index"] == "CPI-U"].set_index("year")["value"]
    y = pd.to_numeric(year, errors="coerce")
    if not np.isfinite(y) or int(y) not in cpi.index or BASE_YEAR not in cpi.index:
        return 1.0
    return float(cpi[BASE_YEAR] / cpi[int(y)])


def summary(table: pd.DataFrame) -> dict:
    """Agreement of screening and published NPVs.

    Returns
    -------
    dict
        ``n``; ``spearman_rho``, ``spearman_p`` (:func:`scipy.stats.spearmanr`; NaN below 3 rows);
        ``median_ratio`` screening / published and ``median_abs_log10_ratio`` on the
        ``n_both_positive`` rows; ``coverage_p10_p90``: share of published NPVs in the band.
    """
    from scipy.stats import spearmanr

    pub = table["published_npv_musd"].to_numpy(float)
    scr = table["screening_npv_musd"].to_numpy(float)
    n, nan = len(table), float("nan")
    res = spearmanr(pub, scr) if n >= 3 else None
    rho, p = (float(res.statistic), float(res.pvalue)) if res is not None else (nan, nan)
    pos = (pub > 0) & (scr > 0)
    ratio = scr[pos] / pub[pos]
    return {"n": int(n), "spearman_rho": rho, "spearman_p": p, "n_both_positive": int(pos.sum()),
            "median_ratio": float(np.median(ratio)) if ratio.size else nan,
            "median_abs_log10_ratio": float(np.median(np.abs(np.log10(ratio)))) if ratio.size else nan,
            "coverage_p10_p90": float(table["inside_band"].astype(bool).mean()) if n else nan}
