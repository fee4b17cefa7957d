"""Screening valuation of each row: oxide output, costs, fiscal take, country risk -> NPV band.

For one deposit (every step vectorised over rows; the models come from
:func:`geoprospect.model.value_fit.fit_valuation`, the project physics and economics from
:func:`geoprospect.model.screening.evaluate`):

1. composition and size: measured values, or the imputer's P10/P50/P90 where a figure is missing
   (:mod:`geoprospect.model.imputation`); an occurrence with no estimate is valued *conditional
   on a deposit being there* (``valuation_tier = conditional``, ranked below estimates);
2. the deposit's own published study, when the bundled studies table has one for its id
   (:func:`geoprospect.io.studies.deposit_anchors`): its mine plan, throughput, product, TREO
   output, capex and opex replace the models' (``study_basis`` says which study); otherwise
   production and costs come from the models fitted on all studies, and the product (mineral
   concentrate, mixed chemical or separated oxide) is the one with the higher NPV;
3. revenue at the price scenario and the product's payability, co-products, logistics to the best
   compatible plant (bundled data only, never the other rows of the input), royalty, tax and the
   state's free carry, discounted at the base real rate plus the country risk premium;
4. a Monte Carlo band (P10/P50/P90, P(NPV > 0)) and the exact Shapley split of the median-input
   NPV against a reference project into grade, logistics and risk pillars in USD.

Stage never enters the value. The unknown is never scored as the worst case: a missing figure
takes the model's interval and widens the band (``imputed``, ``data_completeness``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.io.anchors import deposit_anchors
from geoprospect.io.terms import (
    PRODUCTS,
    PriceScenario,
    coproduct_prices,
    country_terms,
    monazite_treo_fraction,
    payability,
    product_treo_fraction,
)
from geoprospect.model.economics import irr, shapley
from geoprospect.model.imputation import impute
from geoprospect.model.montecarlo import market_draws, row_keys, uniform
from geoprospect.model.screening import DRAWN, central_draws, evaluate

DEFAULT_BASE_RATE_PCT = 8.0
"""Base real discount rate: the median rate of the Australian studies in ``studies.csv``, the
screen's jurisdiction with a country risk premium of 0 (US, Canadian and Swedish studies use 10 %)."""
SCORE_SCALE_MUSD = 500.0
"""``score = 100 / (1 + exp(-npv_musd / SCORE_SCALE_MUSD))`` (the median-input NPV): 50 at NPV 0,
73 at +500 MUSD."""
PILLARS = ("grade", "logistics", "risk")
GROUPS = {"grade": ("resource_mt", "reserve_mt", "treo_pct", "ndpr_pct", "dytb_pct", "anchor",
                    "coproduct_usd_t"),
          "logistics": ("cost_to_plant_usd_t", "concentrate_ok"),
          "risk": ("premium_pct", "royalty_pct", "tax_pct", "carry_pct")}
"""Inputs of each pillar for the Shapley split of the NPV against the reference project (the
deposit's own study figures count as grade: size and design of the deposit; a concentrate barred
from leaving the country counts as logistics: no way to get it to a plant)."""

VALUE_COLUMNS = (
    "ndpr_oxide_tpa", "dytb_oxide_tpa", "treo_tpa", "ore_mtpa", "mine_life_yr", "product",
    "capex_musd", "opex_usd_per_kg", "opex_usd_per_t_ore", "revenue_musd_yr", "coproduct_musd_yr",
    "npv_musd", "npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "p_npv_positive", "irr_pct",
    "discount_rate_pct", "royalty_pct", "tax_pct", "state_carry_pct", "value_grade_musd",
    "value_logistics_musd", "value_risk_musd", "data_completeness", "imputed", "study_basis",
    "valuation_tier",
)


@dataclass(frozen=True)
class ValueSettings:
    """How to value: the price scenario, the base real rate (%), Monte Carlo draws and seed, and
    the "what if" shocks of a sensitivity or scenario (1 / 0: none).

    Attributes
    ----------
    capex_factor, opex_factor, recovery_factor : float
        Multiply every row's capex, opex (mining and processing; logistics is the route's) and
        recovery (capped at 1).
    premium_add_pct : float
        Percentage points added to every country risk premium.
    """

    prices: PriceScenario
    base_rate_pct: float = DEFAULT_BASE_RATE_PCT
    draws: int = 100
    seed: int = 0
    capex_factor: float = 1.0
    opex_factor: float = 1.0
    recovery_factor: float = 1.0
    premium_add_pct: float = 0.0


def value_rows(frame: pd.DataFrame, logistics_cost, params: dict, settings: ValueSettings,
               *, keep_draws: bool = False, terms: pd.DataFrame | None = None,
               anchors: bool = True, export_barred=None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Value every row; see the module docstring.

    Parameters
    ----------
    frame : DataFrame
        Canonical deposit columns (``id``, ``country``, ``admin1``, ``deposit_type``,
        ``resource_mt``, ``reserve_mt``, ``treo_pct``, ``ndpr_pct``, ``dytb_pct``, minerals,
        ``resource_class``); missing columns count as unknown.
    logistics_cost : array_like
        USD per tonne of concentrate to the row's best compatible plant (NaN: unknown).
    params : dict
        The fitted valuation model (:func:`geoprospect.model.value_fit.load_valuation`).
    settings : ValueSettings
    keep_draws : bool
        Also return the NPV of every row and draw (rows x draws), for set-level figures.
    terms : DataFrame, optional
        Fiscal and risk terms per row (the columns of
        :func:`geoprospect.io.terms.country_terms`, positional); by default looked up from the
        rows' country and admin1.
    anchors : bool
        Use the figures of a deposit's own published study (off for the validation against
        those studies, which must value a project from its resource and location only).
    export_barred : array_like of bool, optional
        Rows whose concentrate an in-force rule keeps in the country with no plant at home to
        take it (:func:`barred_from`): they may sell only a processed product (mixed chemical or
        separated oxide), unless their own study fixes the product. Default: none.

    Returns
    -------
    pandas.DataFrame
        :data:`VALUE_COLUMNS` plus ``score``, same index as ``frame``.
    numpy.ndarray or None
        The NPV draws when ``keep_draws``.
    """
    params = {**params, **reference_tables()}
    row = row_attributes(frame, params, anchors=anchors)
    params["_row"] = row
    inputs, imputed, completeness = _inputs(frame, logistics_cost, params, terms)
    barred = np.zeros(len(frame), bool) if export_barred is None else np.asarray(export_barred, bool)
    barred = barred & (np.asarray(row["a_product"], dtype=str) == "")  # a study's own product stands
    inputs["concentrate_ok"] = (np.where(barred, 0.0, 1.0),) * 3
    central = evaluate(inputs, params, settings, central_draws(len(frame)))
    bands, draws = _bands(frame, inputs, params, settings, keep_draws)
    pillars = _pillars(inputs, params, settings)
    treo = np.where(central["treo_tpa"] > 0, central["treo_tpa"], np.nan)
    out = pd.DataFrame({
        "ndpr_oxide_tpa": central["ndpr_tpa"], "dytb_oxide_tpa": central["dytb_tpa"],
        "treo_tpa": central["treo_tpa"], "ore_mtpa": central["ore_mtpa"],
        "mine_life_yr": central["life"], "product": central["product"], "capex_musd": central["capex"],
        "opex_usd_per_kg": central["opex"] * 1e3 / treo, "opex_usd_per_t_ore": central["opex_t"],
        "revenue_musd_yr": central["revenue"], "coproduct_musd_yr": central["coproducts"],
        "npv_musd": central["npv"], **bands,
        "irr_pct": 100 * irr(central["project"]),
        "discount_rate_pct": central["rate"] * 100,
        "royalty_pct": inputs["royalty_pct"][1], "tax_pct": inputs["tax_pct"][1],
        "state_carry_pct": inputs["carry_pct"][1],
        **{f"value_{p}_musd": pillars[p] for p in PILLARS},
        "data_completeness": completeness, "imputed": imputed, "study_basis": row["study_basis"],
        "valuation_tier": _tier(frame, imputed),
    }, index=frame.index)
    if settings.draws <= 0:  # no band asked for: the median-input NPV stands in for the P50
        out["npv_musd_p50"] = out["npv_musd"]
    out["score"] = value_score(out["npv_musd"].to_numpy())
    return out, draws


def barred_from(blocked_by) -> np.ndarray:
    """Rows whose concentrate may not leave the country (a non-empty ``blocked_by`` of the
    logistics features: an in-force rule bars the export and no plant at home takes it)."""
    return np.array([isinstance(b, str) and b.strip() != "" for b in np.asarray(blocked_by, dtype=object)],
                    dtype=bool)


def reference_tables() -> dict:
    """The reference tables the valuation reads at run time (never frozen into the model file):
    payability and TREO content per product, co-product prices."""
    return {"payability": {p: payability(p) for p in PRODUCTS},
            "product_treo_fraction": {p: product_treo_fraction(p) for p in PRODUCTS},
            "coproduct_prices": coproduct_prices()}


def value_score(npv_musd) -> np.ndarray:
    """The headline score (0-100): a strictly increasing function of the NPV (USD million),
    50 at zero (see :data:`SCORE_SCALE_MUSD`). Ranks use the NPV itself, so saturation near 0 or
    100 never creates ties."""
    return 100.0 / (1.0 + np.exp(-np.asarray(npv_musd, dtype=float) / SCORE_SCALE_MUSD))


def _column(frame, name) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def _text(frame, name) -> np.ndarray:
    return frame[name].to_numpy(dtype=object) if name in frame else np.full(len(frame), None, dtype=object)


def _inputs(frame, logistics_cost, params, terms=None):
    """(p10, p50, p90) of every uncertain input, the imputed-field list and completeness."""
    q = impute(params["imputer"], frame)
    inputs = {f: tuple(q[f"{f}_{p}"].to_numpy(dtype=float) for p in ("p10", "p50", "p90"))
              for f in ("resource_mt", "treo_pct", "ndpr_pct", "dytb_pct")}
    fixed = lambda v: (v, v, v)  # noqa: E731
    inputs["reserve_mt"] = fixed(_column(frame, "reserve_mt"))
    row = params["_row"]
    inputs["anchor"] = fixed(np.ones(len(frame)))
    inputs["coproduct_usd_t"] = fixed(row["coproduct_usd_t"])
    extra = [q["imputed"].to_numpy(dtype=object)]
    cost = np.asarray(logistics_cost, dtype=float)
    lq = params["logistics_quantiles"]
    miss = ~np.isfinite(cost)
    inputs["cost_to_plant_usd_t"] = tuple(np.where(miss, lq[i], cost) for i in range(3))
    extra.append(np.where(miss, "logistics", ""))
    if terms is None:
        terms = country_terms(_text(frame, "country"), _text(frame, "admin1"))
    for col in ("royalty_pct", "tax_pct", "premium_pct", "carry_pct"):
        v = terms[col].to_numpy(dtype=float)
        tq = params["terms_quantiles"][col]
        miss = ~np.isfinite(v)
        inputs[col] = tuple(np.where(miss, tq[i], v) for i in range(3))
        extra.append(np.where(miss, col.removesuffix("_pct"), ""))
    imputed = [";".join(p for p in parts if p) for parts in zip(*extra, strict=True)]
    return inputs, np.array(imputed, dtype=object), q["data_completeness"].to_numpy(dtype=float)


def _pillars(inputs, params, s):
    """Shapley split of NPV(row) - NPV(reference) over the grade, logistics and risk inputs."""
    n = len(inputs["treo_pct"][1])
    ref = {"anchor": 0.0, "coproduct_usd_t": 0.0, "concentrate_ok": 1.0, **params["reference"]}
    z = central_draws(n)
    group_of = {name: g for g, cols in GROUPS.items() for name in cols}

    def value(on):
        def pick(name):
            if group_of[name] in on:
                return inputs[name]
            v = np.full(n, ref[name], dtype=float)
            return (v, v, v)
        return evaluate(inputs, params, s, z, only=pick)["npv"]

    return shapley(value, PILLARS)


def _bands(frame, inputs, params, s, keep: bool = False) -> tuple[dict, np.ndarray | None]:
    """P10/P50/P90 of the NPV and P(NPV > 0) over ``s.draws`` Monte Carlo draws.

    Market draws (the price multiplier) are shared by every row at a draw index; each row's own
    draws come from a counter-based generator keyed by its id, so a row gets the same numbers in
    any chunking, on any worker.
    """
    n = len(frame)
    names = ("npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "p_npv_positive")
    if s.draws <= 0 or n == 0:
        return {k: np.full(n, np.nan) for k in names}, None
    from scipy.special import ndtri

    keys = row_keys(frame)
    market = market_draws(s.draws, s.seed)
    out = {k: np.empty(n) for k in names}
    block = max(1, 200_000 // s.draws)
    kept = np.empty((n, s.draws)) if keep else None
    for a in range(0, n, block):
        b = min(n, a + block)
        sub = {k: tuple(np.asarray(v)[a:b] for v in q) for k, q in inputs.items()}
        rows = {k: v[a:b] for k, v in params["_row"].items()}
        z = {name: ndtri(uniform(keys[a:b], s.draws, i, s.seed)) for i, name in enumerate(DRAWN)}
        z["price"] = market
        z["pay"] = uniform(keys[a:b], s.draws, len(DRAWN), s.seed)
        values = evaluate(sub, {**params, "_row": rows}, s, z, npv_only=True)["npv"]
        p10, p50, p90 = np.percentile(values, [10, 50, 90], axis=1)
        out["npv_musd_p10"][a:b], out["npv_musd_p50"][a:b], out["npv_musd_p90"][a:b] = p10, p50, p90
        out["p_npv_positive"][a:b] = (values > 0).mean(axis=1)
        if kept is not None:
            kept[a:b] = values
    return out, kept


def _tier(frame, imputed) -> np.ndarray:
    """``estimated`` where both a tonnage and a TREO grade are published; ``conditional`` where
    either was imputed (the value holds only if the deposit is what its type suggests) or the
    row's own class says there is no estimate."""
    conditional = np.array([bool({"resource_mt", "treo_pct"} & set(str(v).split(";"))) for v in imputed],
                           dtype=bool)
    cls = _text(frame, "resource_class")
    conditional |= np.isin(cls.astype(str), ["no_estimate", "exploration_target"])
    return np.where(conditional, "conditional", "estimated")


ROW_COPRODUCTS = ("zircon", "ilmenite", "rutile")
"""Co-products a row may publish as ``<name>_tpa`` (mineral sands)."""


def row_attributes(frame, params: dict | None = None, *, anchors: bool = True) -> dict:
    """Per-row fixed inputs: main minerals, deposit type, the published design figures (``a_*``,
    NaN where none; ``a_product`` empty where the row's product is the valuation's choice) and
    co-product value per tonne of ore.

    Design figures come from the deposit's own study in the bundled table (by id), else from the
    row's own columns: ``ore_throughput_mtpa`` (published design or operating throughput), with
    ``monazite_tpa`` (TREO output at the monazite TREO content). Co-products: the study's
    published co-product revenue over its throughput, else the row's own ``zircon_tpa``,
    ``ilmenite_tpa``, ``rutile_tpa`` at deck prices over its own ``ore_throughput_mtpa`` (USD per
    tonne of ore: the co-product content of the deposit's ore, so it counts with ``anchors`` off
    too, while that throughput is a design figure only with ``anchors`` on).
    """
    from geoprospect.io.schema import ree_minerals

    n = len(frame)
    params = params or {}
    minerals = ree_minerals(frame).fillna("").astype(str).str.lower().to_numpy(dtype=object)
    dtype = pd.Series(_text(frame, "deposit_type")).fillna("").astype(str).str.lower().to_numpy(dtype=object)
    ids = _text(frame, "id") if anchors and "id" in frame else np.full(n, None, dtype=object)
    a = deposit_anchors(ids)
    product = a["product"].where(a["product"].isin(PRODUCTS), "").to_numpy(dtype=object)
    num = lambda c: pd.to_numeric(a[c], errors="coerce").to_numpy(dtype=float)  # noqa: E731
    prices = params.get("coproduct_prices", {})
    study_thr = num("ore_throughput_mtpa")
    with np.errstate(invalid="ignore", divide="ignore"):
        coproduct = np.nan_to_num(num("coproduct_usd_m_yr") / study_thr)  # USD M / Mt = USD/t
    year = pd.Series(np.nan_to_num(num("study_year")).astype(int).astype(str))
    basis = np.where(a["study_id"] != "", a["study_type"] + " " + year + " (" + a["study_id"] + ")",
                     "").astype(object)
    own_thr = _column(frame, "ore_throughput_mtpa") if anchors else np.full(n, np.nan)
    use_row = ~np.isfinite(study_thr) & np.isfinite(own_thr) & (own_thr > 0)
    thr = np.where(use_row, own_thr, study_thr)
    treo_out = num("product_treo_tpa")
    monazite = _column(frame, "monazite_tpa") * monazite_treo_fraction()
    treo_out = np.where(use_row, monazite, treo_out)
    row_value = sum(np.nan_to_num(_column(frame, f"{m}_tpa")) * prices.get(m, 0.0) for m in ROW_COPRODUCTS)
    row_thr = _column(frame, "ore_throughput_mtpa")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_t = np.where(row_thr > 0, row_value / (row_thr * 1e6), 0.0)  # USD per t of the row's ore
    coproduct = np.where(coproduct == 0, np.nan_to_num(per_t), coproduct)
    basis = np.where(use_row & (basis == ""), "published throughput" +
                     np.where(np.isfinite(monazite), " and monazite output", ""), basis)
    basis = np.where(basis == "", "model", basis)
    return {"minerals": minerals, "deposit_type": dtype, "a_product": product,
            "a_mineable": num("mine_plan_mt"), "a_thr": thr, "a_rec": num("recovery"),
            "a_treo_out": treo_out, "a_ndpr_out": num("ndpr_oxide_tpa"), "a_life": num("mine_life_yr"),
            "a_capex": num("capex_real_usd_m"), "a_opex": num("opex_real_usd_t_ore"),
            "a_accuracy": num("accuracy"), "coproduct_usd_t": coproduct,
            "study_basis": basis.astype(object)}
