"""Screening valuation of each row: oxide output, costs, fiscal take, country risk -> NPV.

For one deposit (every step vectorised over rows; the models come from
:func:`geoprospect.model.value_fit.fit_valuation`):

1. composition and size: measured values, or the imputer's P10/P50/P90 where a figure is missing
   (:mod:`geoprospect.model.imputation`); an occurrence with no estimate is valued *conditional
   on a deposit being there* (``valuation_tier = conditional``, ranked below estimates);
2. production: mineable tonnage (reserve, else resource x the studies' conversion), ore
   throughput (:mod:`geoprospect.model.production`, capped so that NdPr output stays within the
   largest output any study plans), life = tonnage / throughput, recovery by main mineral;
3. costs: initial capex and opex (USD/kg TREO) by throughput, product and deposit type
   (:mod:`geoprospect.model.costs`), plus the logistics cost to the row's best compatible plant
   (the logistics features: bundled data only, never the other rows of the input);
4. revenue: NdPr and Dy+Tb oxide at the price scenario (Dy+Tb split at the global compilation's
   median Tb share), other oxides at the La/Ce price, times
   the payability of a mixed product sold to a third-party separator (sourced range; see
   :data:`PRODUCT`);
5. fiscal take and risk: royalty, corporate tax and state free carry (``country_terms.csv``),
   discounted at the base real rate plus the country risk premium
   (:mod:`geoprospect.model.economics`).

Stage never enters the value. The unknown is never scored as the worst case: a missing figure
takes the model's interval and widens the band (``imputed``, ``data_completeness``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.io.terms import PriceScenario, country_terms, payability
from geoprospect.model.costs import predict_capex, predict_opex
from geoprospect.model.economics import Project, irr, npv, shapley
from geoprospect.model.imputation import impute
from geoprospect.model.production import mineable_tonnage, predict_recovery, predict_throughput

DEFAULT_BASE_RATE_PCT = 8.0
"""Base real discount rate: the median rate of the Australian studies in ``studies.csv``, the
screen's jurisdiction with a country risk premium of 0 (US, Canadian and Swedish studies use 10 %)."""
SCORE_SCALE_MUSD = 500.0
"""``score = 100 / (1 + exp(-npv_musd / SCORE_SCALE_MUSD))`` (the median-input NPV): 50 at NPV 0,
73 at +500 MUSD."""
Z90 = 1.2815515655446004
PRODUCT = "mixed_chemical"
"""The screening project makes a mixed rare-earth product (concentrate cracked to a mixed
carbonate or chloride on or near site) and sells it at the payability of a mixed product: the
basis of most opex figures in ``studies.csv`` (USD/kg TREO in a mixed chemical)."""
PILLARS = ("grade", "logistics", "risk")
GROUPS = {"grade": ("resource_mt", "reserve_mt", "treo_pct", "ndpr_pct", "dytb_pct"),
          "logistics": ("cost_to_plant_usd_t",),
          "risk": ("premium_pct", "royalty_pct", "tax_pct", "carry_pct")}
"""Inputs of each pillar for the Shapley split of the NPV against the reference project."""

VALUE_COLUMNS = (
    "ndpr_oxide_tpa", "dytb_oxide_tpa", "treo_tpa", "ore_mtpa", "mine_life_yr", "capex_musd",
    "opex_usd_per_kg", "revenue_musd_yr", "npv_musd", "npv_musd_p10", "npv_musd_p50",
    "npv_musd_p90", "p_npv_positive", "irr_pct", "discount_rate_pct", "royalty_pct", "tax_pct",
    "state_carry_pct", "value_grade_musd", "value_logistics_musd", "value_risk_musd",
    "data_completeness", "imputed", "valuation_tier",
)


@dataclass(frozen=True)
class ValueSettings:
    """How to value: the price scenario, the base real rate (%), Monte Carlo draws and seed."""

    prices: PriceScenario
    base_rate_pct: float = DEFAULT_BASE_RATE_PCT
    draws: int = 100
    seed: int = 0


def value_rows(frame: pd.DataFrame, logistics_cost, params: dict, settings: ValueSettings,
               *, keep_draws: bool = False, terms: pd.DataFrame | None = None
               ) -> tuple[pd.DataFrame, np.ndarray | None]:
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

    Returns
    -------
    pandas.DataFrame
        :data:`VALUE_COLUMNS` plus ``score``, same index as ``frame``.
    numpy.ndarray or None
        The NPV draws when ``keep_draws``.
    """
    n = len(frame)
    params = {**params, "_row": row_attributes(frame)}
    inputs, imputed, completeness = _inputs(frame, logistics_cost, params, terms)
    central = _evaluate(inputs, params, settings, _central_draws(n))
    bands, draws = _bands(frame, inputs, params, settings, keep_draws)
    pillars = _pillars(inputs, params, settings)
    out = pd.DataFrame({
        "ndpr_oxide_tpa": central["ndpr_tpa"], "dytb_oxide_tpa": central["dytb_tpa"],
        "treo_tpa": central["treo_tpa"], "ore_mtpa": central["ore_mtpa"],
        "mine_life_yr": central["life"], "capex_musd": central["capex"],
        "opex_usd_per_kg": central["opex_kg"], "revenue_musd_yr": central["revenue"],
        "npv_musd": central["npv"], **bands,
        "irr_pct": 100 * irr(central["project"]),
        "discount_rate_pct": central["rate"] * 100,
        "royalty_pct": inputs["royalty_pct"][1], "tax_pct": inputs["tax_pct"][1],
        "state_carry_pct": inputs["carry_pct"][1],
        **{f"value_{p}_musd": pillars[p] for p in PILLARS},
        "data_completeness": completeness, "imputed": imputed,
        "valuation_tier": _tier(frame, imputed),
    }, index=frame.index)
    if settings.draws <= 0:  # no band asked for: the median-input NPV stands in for the P50
        out["npv_musd_p50"] = out["npv_musd"]
    out["score"] = value_score(out["npv_musd"].to_numpy())
    return out, draws


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
    reserve = _column(frame, "reserve_mt")
    inputs["reserve_mt"] = (reserve, reserve, reserve)
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


def _central_draws(n: int) -> dict:
    """Standard-normal draws of zero: every input at its P50 and every model at its median."""
    return {k: np.zeros((n, 1)) for k in _DRAWN} | {"price": np.zeros((1, 1)), "pay": np.full((n, 1), 0.5)}


_DRAWN = ("resource_mt", "treo_pct", "ndpr_pct", "dytb_pct", "cost_to_plant_usd_t", "royalty_pct",
          "tax_pct", "premium_pct", "throughput", "capex", "opex", "recovery")
_LOG_SCALE = {"resource_mt", "treo_pct", "cost_to_plant_usd_t", "throughput", "capex", "opex"}


def _draw(q: tuple, z: np.ndarray, log: bool) -> np.ndarray:
    """A split-normal draw through (P10, P50, P90) at standard-normal ``z`` (in log space for
    positive scale quantities); z = 0 gives the P50."""
    lo, mid, hi = (np.asarray(a, float)[:, None] for a in q)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, mid, hi = np.log(lo), np.log(mid), np.log(hi)
    step = np.where(z > 0, hi - mid, mid - lo) / Z90
    out = mid + z * np.nan_to_num(step)
    return np.exp(out) if log else out


def _evaluate(inputs: dict, params: dict, s: ValueSettings, z: dict, only=None) -> dict:
    """One valuation per row and draw (arrays rows x draws)."""
    pick = (lambda name: inputs[name]) if only is None else only
    get = {name: _draw(pick(name), z[name], name in _LOG_SCALE)
           for name in ("resource_mt", "treo_pct", "ndpr_pct", "dytb_pct", "cost_to_plant_usd_t",
                        "royalty_pct", "tax_pct", "premium_pct")}
    reserve = np.asarray(pick("reserve_mt")[1], float)[:, None] * np.ones_like(get["treo_pct"])
    carry = np.asarray(pick("carry_pct")[1], float)[:, None]
    shape = np.broadcast_shapes(*(np.shape(v) for v in z.values()), get["treo_pct"].shape)
    get = {k: np.broadcast_to(v, shape) for k, v in get.items()}
    treo = np.clip(get["treo_pct"], 1e-6, 100)
    ndpr = np.clip(get["ndpr_pct"], 0, 100)
    dytb = np.clip(get["dytb_pct"], 0, 100 - ndpr)
    flat = lambda a: np.broadcast_to(a, shape).ravel()  # noqa: E731
    model_z = lambda name: flat(z[name])[:, None]  # noqa: E731  (one draw per row and draw index)
    mineable = mineable_tonnage(params["production"], flat(get["resource_mt"]), flat(reserve)).reshape(shape)
    thr = _draw(predict_throughput(params["production"], mineable.ravel()), model_z("throughput"),
                True).reshape(shape)
    row = params["_row"]
    product, dtype = (np.broadcast_to(row[k][:, None], shape).ravel() for k in ("product", "deposit_type"))
    recovery = predict_recovery(params["production"], row["minerals"], row["product"])  # per row
    rec = np.clip(_draw(recovery, np.broadcast_to(z["recovery"], shape), False), 0.01, 1.0)
    per_ore = treo / 100 * rec * ndpr / 100  # t NdPr oxide per t ore
    cap = params["max_ndpr_tpa"] / 1e6 / np.maximum(per_ore, 1e-12)
    thr = np.minimum(thr, cap)
    life = mineable / np.maximum(thr, 1e-9)
    treo_tpa = thr * 1e6 * treo / 100 * rec
    ndpr_tpa, dytb_tpa = treo_tpa * ndpr / 100, treo_tpa * dytb / 100
    capex = _draw(predict_capex(params["costs"], thr.ravel(), product, dtype), model_z("capex"),
                  True).reshape(shape)
    opex_kg = _draw(predict_opex(params["costs"], thr.ravel(), product, dtype), model_z("opex"),
                    True).reshape(shape)
    low, high = payability()
    pay = low + (high - low) * z["pay"]
    price = np.exp(params["price_sigma"] * z["price"])
    p = s.prices
    tb = params["tb_share_of_dytb"]  # Dy+Tb priced at the compilation's median Tb share
    oxide_value = ndpr_tpa * p.ndpr + dytb_tpa * ((1 - tb) * p.dy + tb * p.tb) + \
        (treo_tpa - ndpr_tpa - dytb_tpa) * p.la_ce
    revenue = pay * price * oxide_value / 1e3  # t x USD/kg = kUSD; / 1e3 = USD million
    concentrate_t = treo_tpa / params["concentrate_treo"]
    opex = opex_kg * treo_tpa / 1e3 + get["cost_to_plant_usd_t"] * concentrate_t / 1e6
    project = Project(capex=capex, revenue=revenue, opex=opex, life=life, royalty=get["royalty_pct"] / 100,
                      tax=get["tax_pct"] / 100, carry=carry / 100)
    rate = (s.base_rate_pct + get["premium_pct"]) / 100
    value = npv(project, rate)
    first = (lambda a: a[:, 0]) if shape[1] == 1 else (lambda a: a)
    return {"npv": first(value), "ndpr_tpa": first(ndpr_tpa), "dytb_tpa": first(dytb_tpa),
            "treo_tpa": first(treo_tpa), "ore_mtpa": first(thr), "life": first(life),
            "capex": first(capex), "opex_kg": first(opex_kg), "revenue": first(revenue),
            "rate": first(rate * np.ones(shape)),
            "project": Project(*(first(np.broadcast_to(getattr(project, f), shape)) for f in
                                 ("capex", "revenue", "opex", "life", "royalty", "tax", "carry")))}


def _pillars(inputs, params, s):
    """Shapley split of NPV(row) - NPV(reference) over the grade, logistics and risk inputs."""
    n = len(inputs["treo_pct"][1])
    ref = params["reference"]
    z = _central_draws(n)

    def value(on):
        def pick(name):
            group = next(g for g, cols in GROUPS.items() if name in cols)
            if group in on:
                return inputs[name]
            v = np.full(n, ref[name], dtype=float)
            return (v, v, v)
        return _evaluate(inputs, params, s, z, only=pick)["npv"]

    return shapley(value, PILLARS)


def _bands(frame, inputs, params, s, keep: bool = False) -> tuple[dict, np.ndarray | None]:
    """P10/P50/P90 of the NPV and P(NPV > 0) over ``s.draws`` Monte Carlo draws.

    Market draws (the price multiplier) are shared by every row at a draw index; each row's own
    draws come from a counter-based generator keyed by its id, so a row gets the same numbers in
    any chunking, on any worker.
    """
    n = len(frame)
    if s.draws <= 0 or n == 0:
        nan = np.full(n, np.nan)
        return {"npv_musd_p10": nan, "npv_musd_p50": nan, "npv_musd_p90": nan, "p_npv_positive": nan}, None
    from scipy.special import ndtri

    ids = frame["id"].astype(str).to_numpy(dtype=object) if "id" in frame else frame.index.astype(str)
    keys = pd.util.hash_array(np.asarray(ids, dtype=object)).astype(np.uint64)
    market = np.random.default_rng(s.seed).standard_normal(s.draws)[None, :]
    out = {k: np.empty(n) for k in ("npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "p_npv_positive")}
    block = max(1, 200_000 // s.draws)
    kept = np.empty((n, s.draws)) if keep else None
    for a in range(0, n, block):
        b = min(n, a + block)
        sub = {k: tuple(np.asarray(v)[a:b] for v in q) for k, q in inputs.items()}
        rows = {k: v[a:b] for k, v in params["_row"].items()}
        z = {name: ndtri(_uniform(keys[a:b], s.draws, i, s.seed)) for i, name in enumerate(_DRAWN)}
        z["price"] = market
        z["pay"] = _uniform(keys[a:b], s.draws, len(_DRAWN), s.seed)
        values = _evaluate(sub, {**params, "_row": rows}, s, z)["npv"]
        p10, p50, p90 = np.percentile(values, [10, 50, 90], axis=1)
        out["npv_musd_p10"][a:b], out["npv_musd_p50"][a:b], out["npv_musd_p90"][a:b] = p10, p50, p90
        out["p_npv_positive"][a:b] = (values > 0).mean(axis=1)
        if kept is not None:
            kept[a:b] = values
    return out, kept


def _uniform(keys: np.ndarray, draws: int, variable: int, seed: int) -> np.ndarray:
    """Uniform (0, 1) numbers per (row key, draw, variable): splitmix64 of the counter."""
    d = np.arange(draws, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        salt = np.uint64((variable * 0x632BE59BD9B4E019 + seed * 0xD1B54A32D192ED03) & (2**64 - 1))
        x = keys[:, None] + d * np.uint64(0x9E3779B97F4A7C15) + salt
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)


def _tier(frame, imputed) -> np.ndarray:
    """``estimated`` where both a tonnage and a TREO grade are published; ``conditional`` where
    either was imputed (the value holds only if the deposit is what its type suggests) or the
    row's own class says there is no estimate."""
    conditional = np.array([bool({"resource_mt", "treo_pct"} & set(str(v).split(";"))) for v in imputed])
    cls = _text(frame, "resource_class")
    conditional |= np.isin(cls.astype(str), ["no_estimate", "exploration_target"])
    return np.where(conditional, "conditional", "estimated")


def row_attributes(frame) -> dict:
    """Per-row categorical inputs the models take: main mineral, product, deposit type."""
    from geoprospect.io.schema import ree_minerals

    minerals = ree_minerals(frame).fillna("").astype(str).str.lower().to_numpy(dtype=object)
    dtype = _text(frame, "deposit_type").astype(object)
    product = np.full(len(frame), PRODUCT, dtype=object)
    return {"minerals": minerals, "product": product, "deposit_type": dtype}
