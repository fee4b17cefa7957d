"""Production models learned from published studies: ore throughput, mine life, recovery.

Trained on ``layers/studies.csv``. A *project* is a deposit (``deposit_id``, else the project
name); each model uses, per project, the latest study (``study_year``, then file order) with
every field it needs. Validation is leave-one-project-out: a project never sees itself.

* **Throughput** (ore Mt/yr) from the mineable tonnage (``mine_plan_mt``: a mine plan or
  reserve, never the headline resource). Baseline: Taylor's rule (1977), life = 0.2 x
  tonnes^0.25 years, throughput = tonnage / life. Learned: Huber log-log fit ``log10 throughput
  = a + b log10 mine_plan_mt``, ``b >= 0``. Mine life follows as tonnage / throughput.
* **Mineable tonnage** (a mine plan, Mt) from the headline resource (Mt), for a deposit with no
  reserve. A study's plan is its ``mine_plan_mt``, else its ore throughput x mine life (the ore it
  plans to treat). Baseline: the median plan / resource ratio (a constant share). Learned: Huber
  log-log fit ``log10 plan = a + b log10 resource`` with ``0 <= b <= 1`` (more resource never
  means a smaller plan, nor a plan growing faster than the resource); plans are capped at the
  resource. Studies plan some 15-40 years whatever the resource, so a constant share mines small
  deposits too little and giant ones too much.
* **Recovery** (overall REO recovery, ore to final product, fraction). Baseline: median per
  main mineral (first listed REE mineral: monazite, bastnaesite incl. parisite and synchysite,
  xenotime, ionic, other); pooled median when a class has < ``MIN_CLASS_ROWS`` projects or the
  mineral is unknown. Learned candidate: ridge on mineral class and product, eligible only
  with ``MIN_LEARNED_RECOVERY_ROWS`` projects.

Intervals: split-conformal in log10 space, P10/P90 (Weibull positions) of the LOO residuals;
the card's coverage uses nested LOO, so a held-out project's band never saw it. The learned
model is chosen only when the 95 % paired-bootstrap interval of the mean per-project
difference ``|log10 err| learned - baseline`` lies below zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import HuberRegressor, Ridge

from geoprospect.errors import ModelError
from geoprospect.model.evaluation import (
    band,
    centred_residuals,
    latest,
    loo,
    median,
    residual_offset,
    studies_table,
)
from geoprospect.model.evaluation import card as evaluation_card

TAYLOR_COEF = 0.2
TAYLOR_EXP = 0.25
MINERAL_CLASSES = ("monazite", "bastnaesite", "xenotime", "ionic", "other", "unknown")
_ALIASES = {"parisite": "bastnaesite", "synchysite": "bastnaesite"}
PRODUCTS = ("concentrate", "mixed_chemical", "separated_oxide")
MIN_CLASS_ROWS = 3
MIN_LEARNED_RECOVERY_ROWS = 15
BOOT_N = 1000



# ---------------------------------------------------------------- data and evaluation helpers
def _studies(studies: pd.DataFrame | None) -> pd.DataFrame:
    need = {"project", "study_year", "mine_plan_mt", "ore_throughput_mtpa", "recovery_pct"}
    return studies_table(studies, need, ("mine_life_yr", "resource_mt", "main_ree_minerals", "product"))


def _arr(x) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=float))


def _check(params: dict, key: str) -> dict:
    if not isinstance(params, dict) or params.get("kind") != "production" or key not in params:
        raise ModelError(f"not a production-model parameter dict (missing {key!r})", option="params")
    return params[key]


# ---------------------------------------------------------------- Taylor's rule
def taylor_life_years(tonnage_mt) -> np.ndarray:
    """Mine life by Taylor's rule (Taylor 1977): ``0.2 * tonnes**0.25`` years.

    Parameters
    ----------
    tonnage_mt : array_like
        Mineable ore tonnage in million tonnes (converted to tonnes for the rule).

    Returns
    -------
    numpy.ndarray
        Life in years; NaN where the tonnage is missing or not positive.
    """
    t = _arr(tonnage_mt)
    with np.errstate(invalid="ignore"):
        return np.where(t > 0, TAYLOR_COEF * (t * 1e6) ** TAYLOR_EXP, np.nan)


def taylor_throughput_mtpa(tonnage_mt) -> np.ndarray:
    """Ore throughput by Taylor's rule: tonnage / Taylor life (Mt/yr)."""
    t = _arr(tonnage_mt)
    with np.errstate(invalid="ignore", divide="ignore"):
        return t / taylor_life_years(t)


# ---------------------------------------------------------------- throughput
def _huber(lx: np.ndarray, ly: np.ndarray) -> HuberRegressor:
    est = HuberRegressor(epsilon=1.35, alpha=1e-4, max_iter=1000).fit(lx[:, None], ly)
    if est.coef_[0] < 0:  # more tonnage never lowers throughput
        est.coef_[0] = 0.0
        est.intercept_ = float(np.median(ly))
    return est


def _throughput_data(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rows = latest(df, ["mine_plan_mt", "ore_throughput_mtpa"])
    lt = np.log10(rows[["mine_plan_mt", "ore_throughput_mtpa"]].to_numpy(float))
    return rows, lt[:, 0], lt[:, 1]


# ---------------------------------------------------------------- mineable tonnage
def _mineable_data(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Latest study per project with a resource and a plan (published, else throughput x life):
    log10 resource and log10 plan."""
    num = lambda c: pd.to_numeric(df[c], errors="coerce")  # noqa: E731
    plan = num("mine_plan_mt")
    plan = plan.where(plan.gt(0), num("ore_throughput_mtpa") * num("mine_life_yr"))
    rows = latest(df.assign(plan_mt=plan), ["resource_mt", "plan_mt"])
    lt = np.log10(rows[["resource_mt", "plan_mt"]].to_numpy(float))
    return rows, lt[:, 0], lt[:, 1]


def _mineable_fit(lx: np.ndarray, ly: np.ndarray) -> HuberRegressor:
    """Huber log-log fit of plan on resource, slope held within [0, 1]."""
    est = HuberRegressor(epsilon=1.35, alpha=1e-4, max_iter=1000).fit(lx[:, None], ly)
    slope = float(np.clip(est.coef_[0], 0.0, 1.0))
    if slope != est.coef_[0]:
        est.coef_[0] = slope
        est.intercept_ = float(np.median(ly - slope * lx))
    return est


def _mineable_predict(p: dict, lr: np.ndarray) -> np.ndarray:
    """log10 plan of log10 resources by the chosen mineable model (never above the resource)."""
    if p["chosen"] == "learned" and lr.size:
        mid = p["estimator"].predict(lr.reshape(-1, 1)).reshape(lr.shape)
    else:
        mid = lr + np.log10(p["ratio"])
    return np.minimum(mid, lr)


# ---------------------------------------------------------------- recovery
def _main_class(m: object) -> int:
    first = m.split(";")[0].strip().lower() if isinstance(m, str) else ""
    first = _ALIASES.get(first, first)
    return MINERAL_CLASSES.index(first if first in MINERAL_CLASSES[:4] else "other" if first else "unknown")


def _mineral_class(minerals) -> np.ndarray:
    """Index into MINERAL_CLASSES of each ``;``-list's first mineral (vectorised over uniques)."""
    codes, uniq = pd.factorize(np.atleast_1d(np.asarray(minerals, dtype=object)).ravel())
    table = np.array([_main_class(u) for u in uniq] + [MINERAL_CLASSES.index("unknown")])
    return table[codes]


def _recovery_X(cls: np.ndarray, product) -> np.ndarray:
    codes, uniq = pd.factorize(np.atleast_1d(np.asarray(product, dtype=object)).ravel())
    table = np.array([PRODUCTS.index(u) if u in PRODUCTS else -1 for u in uniq] + [-1])
    pidx = np.broadcast_to(table[codes], cls.shape)
    prod = (pidx[:, None] == np.arange(len(PRODUCTS))).astype(float)
    return np.hstack([(cls[:, None] == np.arange(len(MINERAL_CLASSES))).astype(float), prod])


def _class_medians(cls: np.ndarray, ly: np.ndarray) -> np.ndarray:
    pooled = float(np.median(ly)) if ly.size else np.log10(0.7)
    med = np.full(len(MINERAL_CLASSES), pooled)
    for k in range(5):
        if (cls == k).sum() >= MIN_CLASS_ROWS:
            med[k] = float(np.median(ly[cls == k]))
    return med


def _recovery_data(df: pd.DataFrame) -> tuple[np.ndarray, ...]:
    rows = latest(df, ["recovery_pct"])
    cls = _mineral_class(rows["main_ree_minerals"].to_numpy(object))
    prod = rows["product"].to_numpy(object)
    ry = np.log10(np.clip(rows["recovery_pct"].to_numpy(float) / 100, 1e-3, 1))
    return cls, _recovery_X(cls, prod), ry, rows["_key"].to_numpy(str)


# ---------------------------------------------------------------- fit / evaluate
def evaluate_production(studies: pd.DataFrame | None = None, *, seed: int = 0,
                        n_boot: int = BOOT_N, nested: bool = True) -> dict:
    """Validate throughput and recovery models against their baselines, leave-one-project-out.

    Parameters
    ----------
    studies : pandas.DataFrame, optional
        The studies table; the bundled ``layers/studies.csv`` when None.
    seed, n_boot : int
        Seed and number of resamples of the paired bootstrap.

    Returns
    -------
    dict
        ``card`` (per model: n, baseline, median_abs_log10_err_baseline/_learned, ci_low,
        ci_high, coverage_p10_p90, chosen, note), ``projects_<model>`` (project keys), the
        LOO log10 predictions ``pred_<model>_baseline``/``_learned`` and ``life`` diagnostics
        (Taylor life vs mine_plan / learned throughput against published ``mine_life_yr``).
    """
    df = _studies(studies)
    rows, lx, ly = _throughput_data(df)
    taylor = np.log10(taylor_throughput_mtpa(10 ** lx))

    def fp_base(tr, te):  # Taylor's rule has no fitted parameter
        return taylor[te]

    def fp_learn(tr, te):
        if tr.size < 2:
            return np.full(te.size, np.median(ly[tr]) if tr.size else 0.0)
        return _huber(lx[tr], ly[tr]).predict(lx[te][:, None])

    (pb, cb), (pl, cl) = loo(fp_base, ly, nested=nested), loo(fp_learn, ly, nested=nested)
    card = {"throughput": evaluation_card(ly, pb, pl, cb, cl, baseline="taylor_rule",
                                learned="huber_loglog_mine_plan", seed=seed, n_boot=n_boot)}
    out = {"projects_throughput": rows["_key"].to_numpy(str), "pred_throughput_baseline": pb,
           "pred_throughput_learned": pl, "log10_throughput": ly}

    mrows, mx, my = _mineable_data(df)

    def mb(tr, te):  # the median plan / resource share of the other projects
        share = float(np.median(my[tr] - mx[tr])) if tr.size else np.log10(0.2)
        return np.minimum(mx[te] + share, mx[te])

    def ml(tr, te):
        if tr.size < 3:
            return mb(tr, te)
        return np.minimum(_mineable_fit(mx[tr], my[tr]).predict(mx[te][:, None]), mx[te])

    (mpb, mcb), (mpl, mcl) = loo(mb, my, nested=nested), loo(ml, my, nested=nested)
    card["mineable"] = evaluation_card(my, mpb, mpl, mcb, mcl, baseline="median_plan_share",
                                       learned="huber_loglog_resource", seed=seed, n_boot=n_boot,
                                       note="plan = mine_plan_mt, else throughput x life.")
    out.update(projects_mineable=mrows["_key"].to_numpy(str), pred_mineable_baseline=mpb,
               pred_mineable_learned=mpl)

    cls, X, ry, rkeys = _recovery_data(df)

    def rb(tr, te):
        return _class_medians(cls[tr], ry[tr])[cls[te]]

    def rl(tr, te):
        if tr.size < 2:
            return rb(tr, te)
        return np.minimum(Ridge(alpha=1.0).fit(X[tr], ry[tr]).predict(X[te]), 0.0)

    (qb, vb), (ql, vl) = loo(rb, ry, nested=nested), loo(rl, ry, nested=nested)
    card["recovery"] = evaluation_card(ry, qb, ql, vb, vl, baseline="per_mineral_median",
                             learned="ridge_mineral_product", seed=seed, n_boot=n_boot,
                             eligible=ry.size >= MIN_LEARNED_RECOVERY_ROWS,
                             note=f"learned needs >= {MIN_LEARNED_RECOVERY_ROWS} projects.")
    out.update(projects_recovery=rkeys, pred_recovery_baseline=qb, pred_recovery_learned=ql)

    life = latest(df, ["mine_plan_mt", "mine_life_yr"])
    life = life.loc[[(rows["_key"] != k).sum() >= 2 for k in life["_key"]]]
    keys, t = rows["_key"].to_numpy(), life["mine_plan_mt"].to_numpy(float)
    obs, lb = np.log10(life["mine_life_yr"].to_numpy(float)), np.log10(taylor_life_years(t))
    ll = np.log10(t) - np.array([_huber(lx[keys != k], ly[keys != k]).predict([[np.log10(v)]])[0]
                                 for k, v in zip(life["_key"], t, strict=True)])
    out["life"] = {"n": int(obs.size), "median_abs_log10_err_taylor": median(np.abs(lb - obs)),
                   "median_abs_log10_err_learned": median(np.abs(ll - obs)),
                   "note": "life = mine_plan_mt / throughput (learned: Huber fit without the project)"}
    out["card"] = card
    return out


def fit_production(studies: pd.DataFrame | None = None, *, seed: int = 0, nested: bool = True) -> dict:
    """Fit the throughput and recovery models on all projects and attach the model card.

    Returns
    -------
    dict
        Plain values and scikit-learn estimators only (skops-safe): ``kind``, ``card``,
        ``throughput`` (Taylor constants, the fitted ``HuberRegressor``, residual bands of both
        models, ``chosen``), ``recovery`` (class names, class medians, ridge, bands, chosen),
        ``mineable`` (``ratio``: the median plan / resource share, ``n``, the log-log
        ``estimator``, bands, centred residuals, ``chosen``) and ``throughput_range_mtpa`` (the
        studied range, for the caller's caps).
    """
    df = _studies(studies)
    ev = evaluate_production(df, seed=seed, nested=nested)
    card, (_, lx, ly) = ev["card"], _throughput_data(df)
    thr = {"taylor_coef": TAYLOR_COEF, "taylor_exp": TAYLOR_EXP, "estimator": _huber(lx, ly),
           "band_baseline": np.array(band(ly - ev["pred_throughput_baseline"])),
           "band_learned": np.array(band(ly - ev["pred_throughput_learned"])),
           "residuals_baseline": centred_residuals(ly - ev["pred_throughput_baseline"]),
           "residuals_learned": centred_residuals(ly - ev["pred_throughput_learned"]),
           "chosen": card["throughput"]["chosen"]}
    _, mx, my = _mineable_data(df)
    mine = {"ratio": float(10 ** np.median(my - mx)) if my.size else float("nan"), "n": int(my.size),
            "estimator": _mineable_fit(mx, my), "chosen": card["mineable"]["chosen"],
            "band_baseline": np.array(band(my - ev["pred_mineable_baseline"])),
            "band_learned": np.array(band(my - ev["pred_mineable_learned"])),
            "residuals_baseline": centred_residuals(my - ev["pred_mineable_baseline"]),
            "residuals_learned": centred_residuals(my - ev["pred_mineable_learned"])}
    cls, X, ry, _ = _recovery_data(df)
    rec = {"classes": np.array(MINERAL_CLASSES), "class_median_log10": _class_medians(cls, ry),
           "products": np.array(PRODUCTS), "estimator": Ridge(alpha=1.0).fit(X, ry),
           "band_baseline": np.array(band(ry - ev["pred_recovery_baseline"])),
           "band_learned": np.array(band(ry - ev["pred_recovery_learned"])),
           "chosen": card["recovery"]["chosen"]}
    return {"kind": "production", "seed": int(seed), "card": card, "throughput": thr, "recovery": rec,
            "mineable": mine, "life_diagnostic": ev["life"],
            "throughput_range_mtpa": 10 ** np.array([ly.min(), ly.max()])}


# ---------------------------------------------------------------- predict
def mineable_tonnage(params: dict, resource_mt, reserve_mt, z=None) -> np.ndarray:
    """Mineable ore tonnage (Mt): the reserve when given, else the plan the chosen mineable model
    expects for the resource (never more than the resource); NaN where neither figure is given.

    Parameters
    ----------
    params : dict
        From :func:`fit_production`.
    resource_mt, reserve_mt : array_like
        Headline resource and declared reserve (Mt), broadcast together.
    z : array_like, optional
        Standard-normal draws of the model's leave-one-out error (0 or None: its median); a
        reserve is taken as given.
    """
    p = _check(params, "mineable")
    res, rsv = np.broadcast_arrays(_arr(resource_mt), _arr(reserve_mt))
    ok = np.isfinite(res) & (res > 0)
    lr = np.log10(np.where(ok, res, 1.0))
    lp = _mineable_predict(p, lr)
    if z is not None:
        lp = np.minimum(lp + residual_offset(p[f"residuals_{p['chosen']}"], np.broadcast_to(z, lp.shape)), lr)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(rsv) & (rsv > 0), rsv, np.where(ok, 10 ** lp, np.nan))


def predict_throughput(params: dict, mineable_mt) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ore throughput P10, P50, P90 (Mt/yr) from mineable tonnage, by the card's chosen model.

    Mine life follows as ``mineable_mt / throughput``. Caps (plant capacity, market share)
    are the caller's; ``params["throughput_range_mtpa"]`` gives the studied range.
    """
    p = _check(params, "throughput")
    t = _arr(mineable_mt)
    ok = np.isfinite(t) & (t > 0)
    lt = np.log10(np.where(ok, t, 1.0))
    if p["chosen"] == "learned":
        mid = p["estimator"].predict(lt[:, None])
    else:
        mid = np.log10(taylor_throughput_mtpa(10 ** lt))
    lo, hi = p[f"band_{p['chosen']}"]
    return tuple(np.where(ok, 10 ** (mid + q), np.nan) for q in (lo, 0.0, hi))


def throughput_residual(params: dict, z) -> np.ndarray:
    """Multiplicative Monte Carlo error of the chosen throughput model at standard-normal ``z``
    (from its centred leave-one-out residuals, bounded; 1 at z = 0)."""
    p = _check(params, "throughput")
    return 10.0 ** residual_offset(p[f"residuals_{p['chosen']}"], z)


def predict_recovery(params: dict, minerals, product) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overall REO recovery P10, P50, P90 (fraction 0-1) by main mineral (and product if learned).

    ``minerals`` are ``;``-lists (first listed REE mineral is the main one); unknown or missing
    minerals take the pooled median.
    """
    p = _check(params, "recovery")
    m, prod = (a.ravel() for a in np.broadcast_arrays(np.atleast_1d(np.asarray(minerals, dtype=object)),
                                                      np.atleast_1d(np.asarray(product, dtype=object))))
    cls = _mineral_class(m)
    if p["chosen"] == "learned":
        mid = np.minimum(p["estimator"].predict(_recovery_X(cls, prod)), 0.0)
    else:
        mid = p["class_median_log10"][cls]
    lo, hi = p[f"band_{p['chosen']}"]
    return tuple(np.clip(10 ** (mid + q), 0.0, 1.0) for q in (lo, 0.0, hi))
