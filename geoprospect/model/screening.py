"""One screening project per row and Monte Carlo draw: production, costs, revenue, cash flow, NPV.

:func:`evaluate` is the valuation's physics and economics, vectorised over rows x draws:

1. **mineable tonnage**: the deposit's own published mine plan when its study gives one, else
   the reserve, else the plan the studies' mineable model expects for the resource, drawn with
   its leave-one-out error (:func:`geoprospect.model.production.mineable_tonnage`);
2. **ore throughput**: the design study's, else Taylor's rule (or the learned fit) on the
   mineable tonnage; **recovery** the study's, else by main mineral; **TREO output** the study's
   product TREO t/yr, else throughput x grade x recovery, capped at the largest output any
   published study plans (a market-share cap: throughput is scaled down, so more grade at the cap
   means less ore for the same oxide and never less value);
3. **product**: the study's when the deposit's own study names one; otherwise the developer's
   choice, the product (mineral concentrate, mixed chemical or separated oxide) with the higher
   NPV in each draw (a feasibility study settles the costs before the flowsheet is fixed), so
   the value is that of the deposit's best design and stays monotone in every input;
4. **costs**: the design study's capex and opex (real USD, banded by the study class's accuracy),
   else the cost models by throughput and product (a separated oxide carries the cracking and
   separation plant, a concentrate does not) and deposit type, drawn with their empirical
   leave-one-out errors (bounded by the largest error seen); opex is per tonne of ore;
   plus the logistics cost of the product to the best compatible plant;
5. **revenue**: NdPr, Dy+Tb and the other oxides at the price scenario times the payability of
   the product, plus co-products (per tonne of ore, at deck prices);
6. **cash flow**: royalty, tax with the depreciation shield, the state's free carry, discounted
   at the base real rate plus the country risk premium (:mod:`geoprospect.model.economics`).

Inputs come as (P10, P50, P90) triples; ``only`` swaps a group of them for the reference
project's (the pillar split). The switch ``anchor`` (1 = use the deposit's own study figures)
belongs to the grade group: the reference project is always modelled.
"""

from __future__ import annotations

import numpy as np

from geoprospect.model.costs import PRODUCTS, cost_residual, predict_capex, predict_opex
from geoprospect.model.economics import Project, npv
from geoprospect.model.montecarlo import draw
from geoprospect.model.production import (
    mineable_tonnage,
    predict_recovery,
    predict_throughput,
    throughput_residual,
)

DRAWN = ("resource_mt", "treo_pct", "ndpr_pct", "dytb_pct", "cost_to_plant_usd_t", "royalty_pct",
         "tax_pct", "premium_pct", "throughput", "capex", "opex", "recovery", "mineable")
"""Inputs and model residuals with their own per-row random stream (order fixes the streams)."""
LOG_SCALE = frozenset({"resource_mt", "treo_pct", "cost_to_plant_usd_t", "throughput", "capex", "opex"})
INPUTS = ("resource_mt", "treo_pct", "ndpr_pct", "dytb_pct", "cost_to_plant_usd_t", "royalty_pct",
          "tax_pct", "premium_pct")
"""Drawn inputs (the first eight of :data:`DRAWN`); ``reserve_mt``, ``carry_pct``, ``anchor`` and
``coproduct_usd_t`` are taken at their P50."""


def central_draws(n: int) -> dict:
    """Draws of zero: every input at its P50 and every model at its median, mid payability."""
    return {k: np.zeros((n, 1)) for k in DRAWN} | {"price": np.zeros((1, 1)), "pay": np.full((n, 1), 0.5)}


def _cost_draw(model: np.ndarray, value: np.ndarray, accuracy: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Rows x draws: the row's study figure ``value`` drawn within its class accuracy (split-normal
    through value x (1 -/+ accuracy) at the P10/P90) at ``z``, else the ``model`` draw."""
    acc = np.nan_to_num(accuracy)
    own = draw((value * (1 - acc), value, value * (1 + acc)), z, True)
    return np.where(np.isfinite(value)[:, None], own, model)


def evaluate(inputs: dict, params: dict, settings, z: dict, only=None, npv_only: bool = False) -> dict:
    """Value every row at every draw (arrays rows x draws; one column when the draws are zero).

    Parameters
    ----------
    inputs : dict
        ``name -> (p10, p50, p90)`` per row for :data:`INPUTS` and ``reserve_mt``, ``carry_pct``,
        ``anchor``, ``coproduct_usd_t``, and optionally ``concentrate_ok`` (0: the row's
        concentrate may not leave its country, so it sells a processed product unless its own
        study fixes the product).
    params : dict
        The fitted valuation with ``_row`` (per-row attributes and study anchors).
    settings : ValueSettings
        Prices and base rate.
    z : dict
        Standard-normal draws per name in :data:`DRAWN` (rows x draws), ``price`` (1 x draws)
        and ``pay`` (uniform, rows x draws).
    only : callable, optional
        ``name -> triple`` replacing ``inputs`` (the pillar split's reference swap).
    npv_only : bool
        Return only ``npv`` (the Monte Carlo band needs nothing else: the best product's NPV
        without gathering every other array of the chosen product).

    Returns
    -------
    dict
        ``npv``, ``ndpr_tpa``, ``dytb_tpa``, ``treo_tpa``, ``ore_mtpa``, ``life``, ``capex``,
        ``opex`` (USD M/yr), ``opex_t`` (USD/t ore), ``revenue``, ``coproducts``, ``rate``,
        ``product`` (per row, at the first draw) and ``project``. A row whose own study names
        its product sells that product; any other row sells, in each draw, the product of
        :data:`PRODUCTS` with the higher NPV (:func:`choose_product`).
    """
    pick = (lambda name: inputs[name]) if only is None else only
    get = {name: draw(pick(name), z[name], name in LOG_SCALE) for name in INPUTS}
    shape = np.broadcast_shapes(*(np.shape(v) for v in z.values()), get["treo_pct"].shape)
    get = {k: np.broadcast_to(v, shape) for k, v in get.items()}
    col = lambda a: np.broadcast_to(np.asarray(a, float)[:, None], shape)  # noqa: E731
    flat = lambda a: np.broadcast_to(a, shape).ravel()  # noqa: E731
    row = params["_row"]
    on = np.asarray(pick("anchor")[1], float) > 0.5
    own = lambda key: col(np.where(on, row[key], np.nan))  # noqa: E731  (study figure or NaN)

    treo = np.clip(get["treo_pct"], 1e-6, 100)
    ndpr = np.clip(get["ndpr_pct"], 0, 100)
    dytb = np.clip(get["dytb_pct"], 0, 100 - ndpr)
    plan = own("a_mineable")
    mineable = mineable_tonnage(params["production"], flat(get["resource_mt"]),
                                flat(col(pick("reserve_mt")[1])), flat(z["mineable"])).reshape(shape)
    mineable = np.where(np.isfinite(plan), plan, mineable)
    design = predict_throughput(params["production"], mineable.ravel())[1].reshape(shape)
    design = np.where(np.isfinite(own("a_thr")), own("a_thr"), design)
    spread = throughput_residual(params["production"], flat(z["throughput"])).reshape(shape)
    thr = np.where(np.isfinite(own("a_thr")), design, design * spread)
    error = {k: cost_residual(params["costs"], k, np.broadcast_to(z[k], shape)) for k in ("capex", "opex")}
    base = {"get": get, "treo": treo, "ndpr": ndpr, "dytb": dytb, "mineable": mineable, "design": design,
            "thr": thr, "own": own, "col": col, "shape": shape, "pick": pick, "on": on, "error": error}
    fixed = on & (row["a_product"] != "")
    choice = PRODUCTS if (~fixed).any() else ("",)  # every row with its study's product: one option
    options = [np.where(fixed, row["a_product"], p) for p in choice]
    projects = [_project(base, params, settings, z, product) for product in options]
    barred = ~fixed & (np.asarray(pick("concentrate_ok")[1], float) < 0.5) if "concentrate_ok" in inputs \
        else np.zeros(len(fixed), bool)
    for o in projects:  # a concentrate that may not leave the country is no option
        o["npv"] = np.where((barred & (o["product"] == "concentrate"))[:, None], -np.inf, o["npv"])
    first = (lambda a: a[:, 0]) if shape[1] == 1 else (lambda a: a)
    if npv_only:  # the chosen product's NPV is the best one (choose_product's argmax)
        return {"npv": first(np.max(np.stack([np.asarray(o["npv"], float) for o in projects]), axis=0))}
    out = choose_product(projects)
    full = lambda a: first(np.broadcast_to(a, shape))  # noqa: E731
    return {"npv": first(out["npv"]), "ndpr_tpa": first(out["ndpr_tpa"]), "dytb_tpa": first(out["dytb_tpa"]),
            "treo_tpa": first(out["treo_tpa"]), "ore_mtpa": first(out["thr"]), "life": first(out["life"]),
            "capex": first(out["capex"]), "opex": full(out["opex"]), "opex_t": first(out["opex_t"]),
            "revenue": full(out["revenue"]), "coproducts": full(out["coproducts"]), "rate": full(out["rate"]),
            "product": out["product"][:, 0],
            "project": Project(*(full(out[f]) for f in
                                 ("capex", "revenue", "opex", "life", "royalty", "tax", "carry")))}


def choose_product(options: list[dict]) -> dict:
    """Per element (row and draw), the option with the highest NPV (the first on a tie).

    Parameters
    ----------
    options : list of dict
        One screening project per candidate product, each with ``npv`` and the other arrays of
        :func:`_project` (rows x draws, or broadcastable) and ``product`` (per row).

    Returns
    -------
    dict
        The same keys, every array taken from the best option element by element; ``product``
        becomes rows x draws.
    """
    best = np.argmax(np.stack([np.asarray(o["npv"], float) for o in options]), axis=0)
    shape = best.shape
    out = {}
    for key in options[0]:
        stack = np.stack([np.broadcast_to(np.asarray(o[key])[:, None] if key == "product" else o[key], shape)
                          for o in options])
        out[key] = np.take_along_axis(stack, best[None], axis=0)[0]
    return out


def _project(b: dict, params: dict, settings, z: dict, product: np.ndarray) -> dict:
    """The screening project of every row and draw when it sells ``product`` (one per row)."""
    row, own, col, shape, get = params["_row"], b["own"], b["col"], b["shape"], b["get"]
    thr, design, ndpr, dytb = b["thr"], b["design"], b["ndpr"], b["dytb"]
    recovery = predict_recovery(params["production"], row["minerals"], product)
    rec = np.clip(draw(recovery, np.broadcast_to(z["recovery"], shape), False), 0.01, 1.0)
    rec = np.minimum(np.where(np.isfinite(own("a_rec")), own("a_rec"), rec) * settings.recovery_factor, 1.0)
    treo_tpa = thr * 1e6 * b["treo"] / 100 * rec
    out = own("a_treo_out")  # the study's TREO output, else its NdPr output over the NdPr share
    out = np.where(np.isfinite(out), out, own("a_ndpr_out") / np.maximum(ndpr / 100, 1e-6))
    cap = params["max_treo_tpa"]
    over = ~np.isfinite(out) & (treo_tpa > cap)
    scale = np.where(over, cap / np.maximum(treo_tpa, 1e-12), 1.0)
    thr, design = thr * scale, design * scale
    treo_tpa = np.where(np.isfinite(out), out * settings.recovery_factor, np.minimum(treo_tpa, cap))
    life = np.where(np.isfinite(own("a_life")), own("a_life"), b["mineable"] / np.maximum(thr, 1e-9))
    ndpr_out = own("a_ndpr_out")  # a published NdPr output stands as published
    ndpr_tpa = np.where(np.isfinite(ndpr_out), ndpr_out * settings.recovery_factor, treo_tpa * ndpr / 100)
    dytb_tpa = np.minimum(treo_tpa * dytb / 100, np.maximum(treo_tpa - ndpr_tpa, 0.0))

    kind = (product[:, None], row["deposit_type"][:, None])  # one per row, beside rows x draws
    study = lambda key: np.where(b["on"], row[key], np.nan)  # noqa: E731  (per row)
    accuracy = study("a_accuracy")
    # costs are sized on the design throughput (the model's P50 or the study's) for the product;
    # a throughput draw moves revenue and opex together (opex is per tonne of ore)
    capex = _cost_draw(predict_capex(params["costs"], design, *kind)[1] * b["error"]["capex"],
                       study("a_capex"), accuracy, np.broadcast_to(z["capex"], shape)) * settings.capex_factor
    opex_t = _cost_draw(predict_opex(params["costs"], design, *kind)[1] * b["error"]["opex"],
                        study("a_opex"), accuracy, np.broadcast_to(z["opex"], shape)) * settings.opex_factor

    uniq, which = np.unique(np.asarray(product, dtype=str), return_inverse=True)
    per = lambda table: np.array([table.get(u, np.nan) for u in uniq], float)[which][:, None]  # noqa: E731
    low, high = (per({k: v[i] for k, v in params["payability"].items()}) for i in (0, 1))
    pay = low + (high - low) * z["pay"]
    price = np.exp(params["price_sigma"] * z["price"])
    p = settings.prices
    tb = params["tb_share_of_dytb"]  # Dy+Tb priced at the compilation's median Tb share
    oxide_value = ndpr_tpa * p.ndpr + dytb_tpa * ((1 - tb) * p.dy + tb * p.tb) + \
        np.maximum(treo_tpa - ndpr_tpa - dytb_tpa, 0.0) * p.la_ce
    coproducts = thr * col(b["pick"]("coproduct_usd_t")[1])  # Mt x USD/t = USD million
    revenue = pay * price * oxide_value / 1e3 + coproducts  # t x USD/kg = kUSD; / 1e3 = USD M
    conc_treo = per(params["product_treo_fraction"])
    concentrate_t = treo_tpa / conc_treo
    opex = opex_t * thr + get["cost_to_plant_usd_t"] * concentrate_t / 1e6
    carry = col(b["pick"]("carry_pct")[1]) / 100
    project = Project(capex=capex, revenue=revenue, opex=opex, life=life, royalty=get["royalty_pct"] / 100,
                      tax=get["tax_pct"] / 100, carry=carry)
    rate = (settings.base_rate_pct + get["premium_pct"] + settings.premium_add_pct) / 100
    full = lambda a: np.broadcast_to(a, shape)  # noqa: E731
    return {"npv": npv(project, rate), "ndpr_tpa": ndpr_tpa, "dytb_tpa": full(dytb_tpa), "treo_tpa": treo_tpa,
            "thr": thr, "life": life, "capex": capex, "opex": full(opex), "opex_t": opex_t,
            "revenue": full(revenue), "coproducts": full(coproducts), "rate": full(rate),
            "royalty": full(project.royalty), "tax": full(project.tax), "carry": full(carry),
            "product": product}
