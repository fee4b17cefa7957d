"""Capex and opex models learned from published studies, against a power-law baseline per product.

Trained on ``layers/studies.csv`` put on one basis by :func:`geoprospect.io.studies.standard_studies`:
US dollars of :data:`geoprospect.io.studies.BASE_YEAR` (converted at the study's stated rate or
the year's average rate, escalated by a cost index). A *project* is a deposit (``deposit_id``,
else the project name); each model uses, per project, the latest study (by ``study_year``, then
file order) with every field it needs; validation is leave-one-project-out.

A study's costs belong to its own product: a project that sells separated oxide builds and runs
a cracking and separation plant, one that sells a mineral concentrate does not. So the baseline
is conditioned on the product, as Camm's (1991, USBM IC 9298) power laws are per mine and mill
type:

* **Capex** (initial, real USD million) from ore throughput (Mt/yr). Baseline: the power law
  ``capex = A_product * throughput**B`` fitted in log10 space (the six-tenths rule's form), one
  exponent ``B >= 0`` shared by the products (estimated within products) and an intercept per
  product (:func:`fit_product_power_law`): a product with fewer than :data:`MIN_PRODUCT_ROWS`
  projects, or an unknown one, takes the pooled intercept, and the intercepts never fall along
  the chain concentrate -> mixed chemical -> separated oxide (each step adds a plant; pooled
  adjacent violators). Learned: ridge on ``log10 throughput`` plus one-hot product and deposit
  type, the throughput coefficient constrained ``>= 0``. An unseen product or type takes the
  training-weighted average category effect.
* **Opex** in **real USD per tonne of ore** (the basis of the USBM models), converted from each
  study's own basis (per kg TREO, per kg NdPr oxide, per t concentrate, per year) with its own
  outputs; figures net of co-product credits are left out of the fit (credits are not a cost of
  the rare-earth circuit). Same baseline (power law per product) and learned (ridge) shapes; the
  throughput exponent is bounded below by -1 so that annual opex (per-tonne cost x tonnes) never
  falls as throughput rises. Opex does not depend on grade: more grade never lowers value.

Intervals are split-conformal in log10 space: P10/P90 (Weibull plotting positions) of the
leave-one-project-out residuals; the card's coverage uses nested leave-one-out. The learned
model is chosen only when the 95 % paired-bootstrap interval of the mean per-project difference
``|log10 err| learned - baseline`` lies below zero. The card also reports the pooled power law
(one intercept for every product, the baseline before products were told apart) for comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from geoprospect.errors import LayerError, ModelError
from geoprospect.io.studies import standard_studies
from geoprospect.model.evaluation import band, centred_residuals, latest, loo, residual_offset, studies_table
from geoprospect.model.evaluation import card as evaluation_card

PRODUCTS = ("concentrate", "mixed_chemical", "separated_oxide")
DEPOSIT_TYPES = ("carbonatite", "alkaline_complex", "ionic_clay", "heavy_mineral_sands", "hydrothermal",
                 "iron_oxide", "phosphorite", "pegmatite", "tailings", "other")
OPEX_BASIS = "real USD per t ore"
MIN_OPEX_EXPONENT = -1.0
"""Lower bound of the per-tonne opex exponent: annual opex never falls with throughput."""
RIDGE_ALPHA = 1.0
BOOT_N = 1000
MIN_PRODUCT_ROWS = 3
"""Projects a product needs for its own baseline intercept (fewer: the pooled intercept)."""



# ---------------------------------------------------------------- data and evaluation helpers
def _studies(studies: pd.DataFrame | None) -> pd.DataFrame:
    need = {"project", "study_year", "ore_throughput_used", "product", "deposit_type"}
    std = standard_studies(studies)
    std = std.assign(opex_real_usd_t_ore=std["opex_real_usd_t_ore"].where(~std["opex_net_of_credits_flag"]))
    return studies_table(std, need)


def _check(params: dict, key: str) -> dict:
    if not isinstance(params, dict) or params.get("kind") != "costs" or key not in params:
        raise ModelError(f"not a cost-model parameter dict (missing {key!r})", option="params")
    return params[key]


# ---------------------------------------------------------------- model pieces
def fit_power_law(x, y, *, min_exponent: float | None = None) -> tuple[float, float]:
    """Fit ``y = A * x**B`` by least squares in log10 space.

    Parameters
    ----------
    x, y : array_like
        Positive capacities and costs.
    min_exponent : float, optional
        Lower bound of ``B`` (0 for capex: more capacity never costs less); when the free fit
        falls below it, ``B`` is set to the bound and ``A`` refitted.

    Returns
    -------
    (A, B) : tuple of float
        With one point, ``B = 0`` (or the bound) and ``A`` the value.
    """
    lx, ly = np.log10(np.asarray(x, float)), np.log10(np.asarray(y, float))
    b = float(np.polyfit(lx, ly, 1)[0]) if lx.size >= 2 and np.ptp(lx) > 0 else 0.0
    if min_exponent is not None:
        b = max(b, float(min_exponent))
    return float(10 ** np.mean(ly - b * lx)), b


def _product_index(product) -> np.ndarray:
    """Index into :data:`PRODUCTS` of each product (-1: unknown), same shape, vectorised over the
    uniques."""
    arr = np.atleast_1d(np.asarray(product, dtype=object))
    codes, uniq = pd.factorize(arr.ravel())
    table = np.array([PRODUCTS.index(u) if u in PRODUCTS else -1 for u in uniq] + [-1])
    return table[codes].reshape(arr.shape)


def _pool_adjacent(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted pool-adjacent-violators: the closest non-decreasing sequence."""
    blocks = [[float(v), float(w), 1] for v, w in zip(values, weights, strict=True)]
    i = 0
    while i < len(blocks) - 1:
        if blocks[i][0] > blocks[i + 1][0]:
            (v1, w1, c1), (v2, w2, c2) = blocks[i], blocks[i + 1]
            blocks[i:i + 2] = [[(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2]]
            i = max(i - 1, 0)
        else:
            i += 1
    return np.concatenate([[v] * c for v, _, c in blocks])


def fit_product_power_law(x, y, product, *, min_exponent: float | None = None) -> dict:
    """Fit ``y = A_product * x**B`` in log10 space: one exponent, an intercept per product.

    Parameters
    ----------
    x, y : array_like
        Positive capacities and costs.
    product : array_like of str
        The product of each row (one of :data:`PRODUCTS`; anything else counts as unknown).
    min_exponent : float, optional
        Lower bound of ``B``.

    Returns
    -------
    dict
        ``B``; ``log_a`` (log10 intercept per product of :data:`PRODUCTS`), ``log_a_pooled`` (all
        rows) and ``n_product`` (rows per product). ``B`` is the slope within products (rows of
        a product with too few rows are pooled as one group); a product with fewer than
        :data:`MIN_PRODUCT_ROWS` rows takes the pooled intercept; the intercepts are made
        non-decreasing along :data:`PRODUCTS` by weighted pool-adjacent-violators.
    """
    lx, ly = np.log10(np.asarray(x, float)), np.log10(np.asarray(y, float))
    idx = _product_index(product)
    counts = np.array([(idx == k).sum() for k in range(len(PRODUCTS))])
    group = np.where((idx >= 0) & (counts[np.maximum(idx, 0)] >= MIN_PRODUCT_ROWS), idx, -1)
    cx, cy = lx.copy(), ly.copy()
    for g in np.unique(group):
        cx[group == g] -= lx[group == g].mean()
        cy[group == g] -= ly[group == g].mean()
    b = float(cx @ cy / (cx @ cx)) if lx.size >= 2 and cx @ cx > 0 else 0.0
    if min_exponent is not None:
        b = max(b, float(min_exponent))
    resid = ly - b * lx
    pooled = float(resid.mean()) if resid.size else 0.0
    own = np.array([resid[idx == k].mean() if counts[k] >= MIN_PRODUCT_ROWS else pooled
                    for k in range(len(PRODUCTS))])
    return {"B": b, "log_a": _pool_adjacent(own, np.maximum(counts, 1)), "log_a_pooled": pooled,
            "n_product": counts}


def _product_law(law: dict, throughput, product) -> np.ndarray:
    """log10 cost of :func:`fit_product_power_law`'s law (pooled intercept for unknown products)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log10(np.asarray(throughput, float))
    idx = _product_index(product)
    intercept = np.append(law["log_a"], law["log_a_pooled"])[idx]
    return intercept + law["B"] * lt


def _cats(values, vocab: tuple[str, ...], n: int) -> np.ndarray:
    v = np.atleast_1d(np.asarray(values, dtype=object))
    v = np.array([s if isinstance(s, str) else "" for s in v], dtype=object)
    v = np.broadcast_to(v, (n,)) if v.size == 1 else v
    return (v[:, None] == np.array(vocab, dtype=object)).astype(float)


def _design(throughput, product, deposit_type) -> np.ndarray:
    t = np.atleast_1d(np.asarray(throughput, float))
    n = max(t.size, np.size(product), np.size(deposit_type))
    t = np.broadcast_to(t, (n,)) if t.size == 1 else t
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log10(np.where(t > 0, t, np.nan))
    return np.hstack([lt[:, None], _cats(product, PRODUCTS, n), _cats(deposit_type, DEPOSIT_TYPES, n)])


def _ridge(X: np.ndarray, y: np.ndarray, *, floor: float) -> Ridge:
    """Ridge fit whose log-throughput coefficient is at least ``floor`` (refit with the
    coefficient fixed at the bound when the free fit falls below it)."""
    est = Ridge(alpha=RIDGE_ALPHA).fit(X, y)
    if est.coef_[0] < floor:
        X0 = X.copy()
        X0[:, 0] = 0.0
        est = Ridge(alpha=RIDGE_ALPHA).fit(X0, y - floor * X[:, 0])
        est.coef_[0] = floor
    return est


def _data(df: pd.DataFrame, target: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    col = "capex_real_usd_m" if target == "capex" else "opex_real_usd_t_ore"
    rows = latest(df, [col, "ore_throughput_used"])
    X = _design(rows["ore_throughput_used"].to_numpy(float), rows["product"].to_numpy(object),
                rows["deposit_type"].to_numpy(object))
    return rows, X, np.log10(rows[col].to_numpy(float))


def _evaluate_one(df: pd.DataFrame, target: str, seed: int, n_boot: int, nested: bool = True) -> dict:
    rows, X, y = _data(df, target)
    bound = 0.0 if target == "capex" else MIN_OPEX_EXPONENT

    product = rows["product"].to_numpy(object)

    def fp_base(tr, te):
        if tr.size == 0:
            return np.zeros(te.size)
        law = fit_product_power_law(10 ** X[tr, 0], 10 ** y[tr], product[tr], min_exponent=bound)
        return _product_law(law, 10 ** X[te, 0], product[te])

    def fp_pooled(tr, te):  # the pooled power law, reported beside the baseline
        if tr.size == 0:
            return np.zeros(te.size)
        a, b = fit_power_law(10 ** X[tr, 0], 10 ** y[tr], min_exponent=bound)
        return np.log10(a) + b * X[te, 0]

    def fp_learn(tr, te):
        if tr.size < 2:
            return fp_base(tr, te)
        return _ridge(X[tr], y[tr], floor=bound).predict(X[te])

    pb, cb = loo(fp_base, y, nested=nested)
    pl, cl = loo(fp_learn, y, nested=nested)
    pp, _ = loo(fp_pooled, y, nested=False)
    card = evaluation_card(y, pb, pl, cb, cl, baseline="power_law_throughput_per_product",
                           learned="ridge_logthroughput_product_type_bounded", seed=seed, n_boot=n_boot)
    card["median_abs_log10_err_pooled"] = float(np.median(np.abs(pp - y))) if y.size else float("nan")
    if y.size >= 3:  # the per-product baseline against the pooled one (paired bootstrap, as the card's)
        d = np.abs(pb - y) - np.abs(pp - y)
        boot = d[np.random.default_rng(seed).integers(0, y.size, size=(n_boot, y.size))].mean(axis=1)
        low, high = np.percentile(boot, [2.5, 97.5])
        card["ci_low_vs_pooled"], card["ci_high_vs_pooled"] = float(low), float(high)
    return {"card": card, "projects": rows["_key"].to_numpy(str), "log10_y": y,
            "pred_baseline": pb, "pred_learned": pl, "X": X, "product": product}


# ---------------------------------------------------------------- public API
def evaluate_costs(studies: pd.DataFrame | None = None, *, seed: int = 0, n_boot: int = BOOT_N,
                   nested: bool = True) -> dict:
    """Validate the capex and opex models against their power-law baselines, leave-one-project-out.

    Parameters
    ----------
    studies : pandas.DataFrame, optional
        The studies table; the bundled ``layers/studies.csv`` when None.
    seed : int
        Seed of the paired bootstrap.
    n_boot : int
        Bootstrap resamples.

    Returns
    -------
    dict
        ``card`` with ``capex`` and ``opex`` entries (n, baseline, median_abs_log10_err_baseline,
        median_abs_log10_err_learned, ci_low, ci_high, coverage_p10_p90, chosen, note), and per
        model the project keys and LOO log10 predictions (``capex``/``opex`` sub-dicts).
        ``opex_rows_by_basis`` counts the opex rows with a USD figure per ``opex_unit``.
    """
    df = _studies(studies)
    out = {m: _evaluate_one(df, m, seed, n_boot, nested) for m in ("capex", "opex")}
    usd = df.loc[pd.to_numeric(df["opex_real_usd_t_ore"], errors="coerce").gt(0)]
    bases = usd["opex_basis_used"].str.split(";").str[0].value_counts()
    out["opex_rows_by_basis"] = {str(k): int(v) for k, v in bases.items()}
    out["card"] = {m: out[m]["card"] for m in ("capex", "opex")}
    return out


def fit_costs(studies: pd.DataFrame | None = None, *, seed: int = 0, nested: bool = True) -> dict:
    """Fit capex and opex models on all projects and attach the model card.

    Returns
    -------
    dict
        Plain values and scikit-learn estimators only (skops-safe): ``kind`` ("costs"),
        ``card``, ``opex_basis``, ``products``, ``deposit_types`` and per model (``capex``,
        ``opex``) the power law per product (``B``, ``log_a`` per product of :data:`PRODUCTS`,
        ``log_a_pooled`` and ``A`` = its antilog, ``n_product``), the fitted ``Ridge``, the log10
        residual bands ``band_baseline``/``band_learned`` (P10, P90 of the LOO residuals) and
        ``chosen``.
    """
    df = _studies(studies)
    ev = evaluate_costs(df, seed=seed, nested=nested)
    params: dict = {"kind": "costs", "seed": int(seed), "card": ev["card"], "opex_basis": OPEX_BASIS,
                    "opex_rows_by_basis": ev["opex_rows_by_basis"],
                    "products": np.array(PRODUCTS), "deposit_types": np.array(DEPOSIT_TYPES)}
    for m in ("capex", "opex"):
        e = ev[m]
        X, y = e["X"], e["log10_y"]
        if y.size == 0:
            raise LayerError(f"no usable {m} rows in the studies table", option="studies")
        bound = 0.0 if m == "capex" else MIN_OPEX_EXPONENT
        law = fit_product_power_law(10 ** X[:, 0], 10 ** y, e["product"], min_exponent=bound)
        sub = {"A": float(10 ** law["log_a_pooled"]), "B": law["B"], "log_a": law["log_a"],
               "log_a_pooled": law["log_a_pooled"], "n_product": law["n_product"],
               "n": int(y.size), "chosen": e["card"]["chosen"],
               "band_baseline": np.array(band(y - e["pred_baseline"])),
               "band_learned": np.array(band(y - e["pred_learned"])),
               "residuals_baseline": centred_residuals(y - e["pred_baseline"]),
               "residuals_learned": centred_residuals(y - e["pred_learned"]),
               "throughput_range_mtpa": np.array([10 ** X[:, 0].min(), 10 ** X[:, 0].max()])}
        if y.size >= 2:
            sub["estimator"] = _ridge(X, y, floor=bound)
        else:
            sub["chosen"] = "baseline"
        params[m] = sub
    return params


def _predict(p: dict, throughput_mtpa, product, deposit_type) -> tuple[np.ndarray, ...]:
    """P10, P50, P90 in the shape of ``throughput_mtpa``; ``product`` and ``deposit_type``
    broadcast against it (numpy rules: one per row as a column beside rows x draws)."""
    t = np.atleast_1d(np.asarray(throughput_mtpa, float))
    ok = np.isfinite(t) & (t > 0)
    t = np.where(ok, t, 1.0)
    if p["chosen"] == "learned":
        flat = lambda a: np.broadcast_to(np.asarray(a, dtype=object), t.shape).ravel()  # noqa: E731
        mid = p["estimator"].predict(_design(t.ravel(), flat(product), flat(deposit_type))).reshape(t.shape)
    else:  # the power law per product: no deposit-type columns, the products indexed as given
        mid = _product_law(p, t, product)
    lo, hi = p[f"band_{p['chosen']}"]
    p50 = np.where(ok, 10 ** mid, np.nan)  # one power over rows x draws; the band is a factor
    return p50 * 10 ** lo, p50, p50 * 10 ** hi


def predict_capex(params: dict, throughput_mtpa, product, deposit_type) -> tuple[np.ndarray, ...]:
    """Initial capex P10, P50, P90 (USD million) by the card's chosen model for ``product``.

    ``product`` and ``deposit_type`` broadcast against ``throughput_mtpa`` (a scalar, one per
    element, or one per row as a column beside a rows x draws throughput).

    Non-decreasing in throughput for a fixed product and deposit type (the exponent or ridge
    coefficient of log throughput is constrained ``>= 0``). NaN where throughput is missing.
    """
    return _predict(_check(params, "capex"), throughput_mtpa, product, deposit_type)


def cost_residual(params: dict, target: str, z) -> np.ndarray:
    """Multiplicative Monte Carlo error of the chosen ``capex`` or ``opex`` model at standard-normal
    ``z``: ``10 ** offset``, the offset drawn from its centred leave-one-out residuals (bounded)."""
    p = _check(params, target)
    return 10.0 ** residual_offset(p[f"residuals_{p['chosen']}"], z)


def predict_opex(params: dict, throughput_mtpa, product, deposit_type) -> tuple[np.ndarray, ...]:
    """Operating cost P10, P50, P90 in real USD per tonne of ore (``params["opex_basis"]``).

    Annual opex is this times the ore tonnes; it never falls as throughput rises (the exponent
    is bounded below by :data:`MIN_OPEX_EXPONENT`).
    """
    return _predict(_check(params, "opex"), throughput_mtpa, product, deposit_type)
