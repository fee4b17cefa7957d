"""Model card of the screening valuation: validation against published studies, and the card.

:func:`validate_against_studies` values every studied project from its deposit's resource,
type, country and location only, at the study's own price, discount rate and tax basis, with the
cost and production models refitted without that project (a study never sees itself), and sets
the published NPV beside the screening P10/P50/P90. :func:`summary` condenses it (Spearman,
median ratio, band coverage); :func:`write_card` writes ``models/<name>.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.io.bundled import layer_path
from geoprospect.io.schema import ree_minerals
from geoprospect.io.studies import BASE_YEAR, cost_index, standard_studies
from geoprospect.io.terms import (
    DEFAULT_SCENARIO,
    PRODUCTS,
    country_terms,
    describe_scenarios,
    payability,
    price_scenario,
    product_treo_fraction,
    scenario_names,
)
from geoprospect.model.costs import fit_costs
from geoprospect.model.production import fit_production
from geoprospect.model.valuation import DEFAULT_BASE_RATE_PCT, ROW_COPRODUCTS, ValueSettings, value_rows

COLUMNS = ("project", "study_id", "published_npv_musd", "screening_npv_musd", "p10", "p90",
           "inside_band", "price_used", "price_basis")
"""Columns of :func:`validate_against_studies` (followed by ``deposit_id``, ``study_year``,
``npv_discount_pct``, ``npv_tax_basis``, ``logistics_usd_t`` and ``imputed``)."""
DATA_FILES = ("ree_deposits_global.csv", "studies.csv", "deposits.geojson", "projects.geojson",
              "country_terms.csv", "prices.csv", "costs.csv", "price_scenarios.csv")
COPRODUCT_COLUMNS = ("ore_throughput_mtpa", *(f"{m}_tpa" for m in ROW_COPRODUCTS))
"""Deposit-row columns that value co-products per tonne of ore (:func:`valuation.row_attributes`)."""
TOP_COLUMNS = ("rank", "name", "country", "ndpr_oxide_tpa", "capex_musd", "npv_musd", "npv_musd_p10",
               "npv_musd_p50", "npv_musd_p90", "flags")


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
        :data:`COLUMNS` and the extra columns, one row per compared study.
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
                    "imputed": v["imputed"]})
    extra = ["deposit_id", "study_year", "npv_discount_pct", "npv_tax_basis", "logistics_usd_t", "imputed"]
    return pd.DataFrame(out, columns=[*COLUMNS, *extra])


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


# ---------------------------------------------------------------- the card
def _f(v, fmt: str = ".3f") -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v) if v is not None else ""
    return "n/a" if not np.isfinite(x) else format(x, fmt)


def _md(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c).replace("|", "/") for c in r) + " |" for r in rows]


MODEL_NAMES = {"imputer": ("per-type empirical quantiles", "QuantileRegressor (type, continent, minerals)")}


def _model_rows(params: dict) -> tuple[list[list], list[str]]:
    rows, losers = [], []
    for model in ("imputer", "production", "costs"):
        for target, c in params[model].get("card", {}).items():
            base, learned = MODEL_NAMES.get(model, (c.get("baseline"), c.get("learned")))
            beat = c.get("chosen") == "learned"
            verdict = "learned beats baseline" if beat else "learned did NOT beat baseline: baseline used"
            if not beat:
                losers.append(f"{model}/{target}")
            ci = f"[{_f(c.get('ci_low'))}, {_f(c.get('ci_high'))}]"
            err = [_f(c.get(f"median_abs_log10_err_{k}")) for k in ("baseline", "learned")]
            cov = [_f(c.get(f"coverage_p10_p90_{k}", c.get(f"coverage_{k}")), ".2f") for k in ("baseline",
                                                                                                "learned")]
            rows.append([model, target, c.get("n"), c.get("baseline", base), c.get("learned", learned),
                         *err, ci, *cov, c.get("chosen"), verdict])
    return rows, losers


def why(row: pd.Series) -> str:
    """One factual sentence on why a ranked row sits where it does (from its numbers)."""
    m = {k: _f(row[k], ",.0f") for k in ("npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "ndpr_oxide_tpa",
                                          "capex_musd")}
    parts = [f"Rank {int(row['rank'])}: P50 NPV USD {m['npv_musd_p50']}M (P10 {m['npv_musd_p10']} to P90 "
             f"{m['npv_musd_p90']}) from {m['ndpr_oxide_tpa']} t/yr NdPr oxide for USD "
             f"{m['capex_musd']}M capex"]
    basis = str(row.get("study_basis") or "model")
    product = str(row.get("product") or "").replace("_", " ")
    parts.append(f"production and costs from its own {basis}" if basis != "model" else
                 "no study of its own: production and costs from the models fitted on all studies")
    if product:
        parts.append(f"sells a {product}")
    if pd.to_numeric(row.get("coproduct_musd_yr"), errors="coerce") > 0:
        parts.append(f"co-products add USD {_f(row['coproduct_musd_yr'], ',.0f')}M a year")
    drivers = [d.strip() for d in str(row.get("drivers") or "").split(";") if d.strip()]
    if drivers:
        parts.append(f"against the reference project the largest push is {drivers[0]}"
                     + (f" (then {', '.join(drivers[1:])})" if len(drivers) > 1 else ""))
    central = _f(row.get("npv_musd"), ",.0f")
    parts.append(f"an estimated resource, ranked among them by its median-input NPV (USD {central}M)"
                 if row.get("valuation_tier") != "conditional" else
                 "valued conditional on a deposit being there, so ranked below every estimated resource")
    imputed = str(row.get("imputed") or "").replace(";", ", ")
    parts.append(f"imputed: {imputed} (band widened)" if imputed else "no field imputed")
    if _f(row["npv_musd_p10"]) != "n/a" and row["npv_musd_p10"] < 0 < row["npv_musd_p50"]:
        parts.append("its P10 is a loss")
    flags = str(row.get("flags") or "").strip()
    parts.append(f"flags (kept out of the score): {flags}" if flags else "no flags")
    return "; ".join(parts) + "."


def _product_line(product: str) -> str:
    lo, hi = payability(product)
    return (f"- {product.replace('_', ' ')}: payability {100 * lo:.1f}-{100 * hi:.1f} % of contained oxide "
            f"value; TREO content {100 * product_treo_fraction(product):.1f} % (for the tonnes shipped)")


def _mineable_line(m: dict) -> str:
    """The card's line on the mineable tonnage (the chosen model, in words)."""
    head = "- mineable tonnage = reserve, else "
    if m["chosen"] == "learned":
        est = m["estimator"]
        return (f"{head}{10 ** est.intercept_:.2f} x resource^{est.coef_[0]:.2f} (Mt; log-log fit on "
                f"{m['n']} studied projects' plans, capped at the resource)")
    return f"{head}resource x {m['ratio']:.3f} (median over {m['n']} studied projects)"


def write_card(path, params: dict, validation: pd.DataFrame, top15: pd.DataFrame | None = None) -> Path:
    """Write the Markdown model card of the valuation to ``path``.

    Parameters
    ----------
    path : str or Path
    params : dict
        The fitted valuation (:func:`geoprospect.model.value_fit.fit_valuation`).
    validation : pandas.DataFrame
        From :func:`validate_against_studies`.
    top15 : pandas.DataFrame, optional
        The bundled top 15 (:data:`TOP_COLUMNS`, ``drivers``, ``valuation_tier``, ``imputed``):
        a table and one generated sentence per row (:func:`why`).
    """
    from geoprospect.model.economics import BUILD_YEARS, DEPRECIATION_YEARS

    s = summary(validation)
    rows, losers = _model_rows(params)
    prod = params["production"]
    out = ["# Screening valuation model card", "",
           "The valuation turns a deposit's resource (tonnage, TREO grade, NdPr and Dy+Tb shares; a "
           "missing figure imputed with its P10-P90), type, country and location into a risk-adjusted "
           "NPV: mineable tonnage -> throughput and recovery (production models) -> oxide output, capped "
           "at the largest any study plans -> revenue at a price scenario x the payability of a mixed "
           "product -> minus opex, capex (cost models) and logistics to the best compatible plant -> "
           "royalty, tax and state free carry -> cash flows over the mine life discounted at a base real "
           "rate plus the country risk premium. Monte Carlo over input intervals, model residuals, "
           "payability and price gives P10/P50/P90. Stage never enters the value.",
           "", "## Fitted models (leave-one-out against baselines)", "",
           "Errors are median |log10 error| (imputer: of the P50) leave-one-project-out; CI is the "
           "95 % paired bootstrap of the mean difference learned - baseline (imputer: pinball loss); "
           "a learned model is used only when the CI lies below 0.", ""]
    out += _md(["model", "target", "n", "baseline", "learned", "err baseline", "err learned", "CI",
                "P10-P90 cover baseline", "cover learned", "chosen", "verdict"], rows)
    out += ["", ("Where the learned model did NOT beat its baseline (the baseline is used): "
                 + ", ".join(losers) + ".") if losers else "Every learned model beat its baseline."]
    imp = params["imputer"].get("card", {})
    if imp:
        out += ["", "Imputer, leave-one-country-out:", ""]
        out += _md(["target", "err baseline", "err learned", "CI", "countries"],
                   [[t, *(_f(c.get(f"median_abs_log10_err_{k}_loco")) for k in ("baseline", "learned")),
                     f"[{_f(c.get('ci_low_loco'))}, {_f(c.get('ci_high_loco'))}]", c.get("n_countries")]
                    for t, c in imp.items()])
    life = prod.get("life_diagnostic", {})
    out += ["", f"Mine life (diagnostic, n = {life.get('n')}): median |log10 error| Taylor "
                f"{_f(life.get('median_abs_log10_err_taylor'))}, learned "
                f"{_f(life.get('median_abs_log10_err_learned'))}.",
            "", "## Validation against published study NPVs", "",
            "Latest study per project with an NPV and rate, valued from its deposit's resource, type, "
            "country and location only (never the study's mine plan, throughput, capex or opex) at the "
            "study's NdPr price (else the median the studies assume), the study's rate with "
            "the country premium 0 (that rate prices its risk) and tax basis (pre-tax: tax 0); cost and "
            "production models refitted without the project.", ""]
    out += _md(["project", "study", "published", "screening P50", "P10", "P90", "inside", "NdPr USD/kg",
                "price basis", "rate %", "tax basis"],
               [[r.project, r.study_id, *(_f(v, ",.0f") for v in (r.published_npv_musd, r.screening_npv_musd,
                                                                   r.p10, r.p90)),
                 "yes" if r.inside_band else "no", _f(r.price_used, "g"), r.price_basis,
                 _f(r.npv_discount_pct, "g"), r.npv_tax_basis if isinstance(r.npv_tax_basis, str)
                 else "unstated (post-tax used)"] for r in validation.itertuples()])
    out += ["", f"n = {s['n']}; Spearman rank correlation {_f(s['spearman_rho'])} "
                f"(p = {_f(s['spearman_p'])}); median ratio screening / published {_f(s['median_ratio'])} "
                f"and median |log10 ratio| {_f(s['median_abs_log10_ratio'])} on the {s['n_both_positive']} "
                f"rows where both are positive; {_f(100 * s['coverage_p10_p90'], '.0f')} % of published "
                "NPVs inside the P10-P90 band.",
            "", "## Data", ""]
    meta = params.get("meta", {})
    out += [f"- {k}: `{v}`" for k, v in meta.items()]
    out += [f"- `layers/{n}` sha256 `{hashlib.sha256(layer_path(n).read_bytes()).hexdigest()}`"
            for n in DATA_FILES]
    out += ["", "## Price scenarios", ""] + [f"- {line}" for line in describe_scenarios()]
    out += ["", "## Assumptions", "",
            *(_product_line(p) for p in PRODUCTS),
            f"- base real discount rate: {DEFAULT_BASE_RATE_PCT:g} % plus the country risk premium",
            f"- costs in real USD of {BASE_YEAR} (published figures converted at the study's stated rate "
            "or the year's average rate, escalated by CEPCI then CPI-U)",
            f"- maximum TREO output: {params['max_treo_tpa']:,.0f} t/yr (largest any study plans; a "
            "market-share cap)",
            _mineable_line(prod["mineable"]),
            "- product without a study of its own: the one of concentrate, mixed chemical and separated "
            "oxide with the higher NPV in each draw (its costs from the cost model of that product); "
            f"capex over {BUILD_YEARS} years; straight-line depreciation over {DEPRECIATION_YEARS} years; "
            f"price draws' log sd {params['price_sigma']:.3f}"]
    if top15 is not None and len(top15):
        scenario = top15.attrs.get("price_scenario")
        out += ["", "## Bundled top 15", ""] + ([f"Price scenario: {scenario}.", ""] if scenario else [])
        cols = [c for c in TOP_COLUMNS if c in top15]
        out += _md(cols, [[_f(r[c], ",.0f") if c not in ("name", "country", "flags", "rank") else r[c]
                           for c in cols] for _, r in top15.iterrows()])
        out += [""] + [f"- **{r['name']}** — {why(r)}" for _, r in top15.iterrows()]
    target = Path(path)
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target

