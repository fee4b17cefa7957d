"""Production models learned from published studies: ore throughput, mine life, recovery.

Trained on ``layers/studies.csv``. A *project* is a deposit (``deposit_id``, else the project
name); each model uses, per project, the latest study (``study_year``, then file order) with
every field it needs. Validation is leave-one-project-out: a project never sees itself.

* **Throughput** (ore Mt/yr) from the mineable tonnage (``mine_plan_mt``: a mine plan or
  reserve, never the headline resource). Baseline: Taylor's rule (1977), life = 0.2 x
  tonnes^0.25 years, throughput = tonnage / life. Learned: Huber log-log fit ``log10 throughput
  = a + b log10 mine_plan_mt``, ``b >= 0``. Mine life follows as tonnage / throughput.
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

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import HuberRegressor, Ridge

from geoprospect.errors import LayerError, ModelError
from geoprospect.io.bundled import layer_path

TAYLOR_COEF = 0.2
TAYLOR_EXP = 0.25
MINERAL_CLASSES = ("monazite", "bastnaesite", "xenotime", "ionic", "other", "unknown")
_ALIASES = {"parisite": "bastnaesite", "synchysite": "bastnaesite"}
PRODUCTS = ("concentrate", "mixed_chemical", "separated_oxide")
MIN_CLASS_ROWS = 3
MIN_LEARNED_RECOVERY_ROWS = 15
BOOT_N = 1000

FitPredict = Callable[[np.ndarray, np.ndarray], np.ndarray]


# ---------------------------------------------------------------- data and evaluation helpers
def _studies(studies: pd.DataFrame | None) -> pd.DataFrame:
    df = pd.read_csv(layer_path("studies.csv")) if studies is None else studies.copy()
    need = {"project", "study_year", "mine_plan_mt", "ore_throughput_mtpa", "recovery_pct"}
    if missing := sorted(need - set(df.columns)):
        raise LayerError(f"studies table lacks columns {missing}", option="studies")
    key = df["deposit_id"] if "deposit_id" in df.columns else pd.Series(np.nan, index=df.index)
    df["_key"] = key.fillna(df["project"]).astype(str)
    df["_order"] = np.arange(len(df))
    for c in ("mine_life_yr", "resource_mt", "main_ree_minerals", "product"):
        df[c] = df[c] if c in df.columns else np.nan
    return df


def _latest(df: pd.DataFrame, positive: list[str]) -> pd.DataFrame:
    ok = np.ones(len(df), bool)
    for c in positive:
        ok &= pd.to_numeric(df[c], errors="coerce").gt(0).to_numpy()
    sub = df.loc[ok].sort_values(["study_year", "_order"], kind="stable")
    return sub.groupby("_key", sort=True).tail(1).sort_values("_key").reset_index(drop=True)


def _band(resid: np.ndarray) -> tuple[float, float]:
    """P10/P90 of log residuals, widened to contain 0 so that p10 <= p50 <= p90."""
    if resid.size == 0:
        return 0.0, 0.0
    lo, hi = np.quantile(resid, [0.1, 0.9], method="weibull")
    return float(min(lo, 0.0)), float(max(hi, 0.0))


def _loo(fp: FitPredict, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out predictions and nested-LOO coverage of the conformal P10-P90 band."""
    idx = np.arange(y.size)
    pred = np.array([fp(np.delete(idx, i), idx[i:i + 1])[0] for i in idx])
    cover = np.zeros(y.size, bool)
    for i in idx:
        r = np.array([y[j] - fp(np.delete(idx, [i, j]), idx[j:j + 1])[0] for j in idx if j != i])
        lo, hi = _band(r)
        cover[i] = pred[i] + lo <= y[i] <= pred[i] + hi
    return pred, cover


def _card(y: np.ndarray, pb: np.ndarray, pl: np.ndarray, cb: np.ndarray, cl: np.ndarray, *,
          baseline: str, learned: str, seed: int, n_boot: int, eligible: bool = True,
          note: str = "") -> dict:
    n, nan = int(y.size), float("nan")
    eb, el = np.abs(pb - y), np.abs(pl - y)
    card = {"n": n, "baseline": baseline, "learned": learned,
            "median_abs_log10_err_baseline": _median(eb), "median_abs_log10_err_learned": _median(el),
            "ci_low": nan,
            "ci_high": nan, "ci_stat": "95% paired bootstrap (projects) of mean(|err| learned - baseline)",
            "coverage_p10_p90_baseline": float(cb.mean()) if n else nan,
            "coverage_p10_p90_learned": float(cl.mean()) if n else nan}
    if n >= 3:
        d = el - eb
        boot = d[np.random.default_rng(seed).integers(0, n, size=(n_boot, n))].mean(axis=1)
        card["ci_low"], card["ci_high"] = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    wins = bool(card["ci_high"] < 0)
    card["chosen"] = chosen = "learned" if wins and eligible else "baseline"
    card["coverage_p10_p90"] = card[f"coverage_p10_p90_{chosen}"]
    why = ("learned beats baseline: CI below zero" if chosen == "learned" else
           "learned not eligible (too few rows)" if wins else
           "CI includes zero or favours the baseline: baseline used")
    card["note"] = f"{why}. {note}".strip()
    return card


def _median(e: np.ndarray) -> float:
    return float(np.median(e)) if e.size else float("nan")


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
    rows = _latest(df, ["mine_plan_mt", "ore_throughput_mtpa"])
    lt = np.log10(rows[["mine_plan_mt", "ore_throughput_mtpa"]].to_numpy(float))
    return rows, lt[:, 0], lt[:, 1]


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
    rows = _latest(df, ["recovery_pct"])
    cls = _mineral_class(rows["main_ree_minerals"].to_numpy(object))
    prod = rows["product"].to_numpy(object)
    ry = np.log10(np.clip(rows["recovery_pct"].to_numpy(float) / 100, 1e-3, 1))
    return cls, _recovery_X(cls, prod), ry, rows["_key"].to_numpy(str)


# ---------------------------------------------------------------- fit / evaluate
def evaluate_production(studies: pd.DataFrame | None = None, *, seed: int = 0,
                        n_boot: int = BOOT_N) -> dict:
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

    (pb, cb), (pl, cl) = _loo(fp_base, ly), _loo(fp_learn, ly)
    card = {"throughput": _card(ly, pb, pl, cb, cl, baseline="taylor_rule",
                                learned="huber_loglog_mine_plan", seed=seed, n_boot=n_boot)}
    out = {"projects_throughput": rows["_key"].to_numpy(str), "pred_throughput_baseline": pb,
           "pred_throughput_learned": pl, "log10_throughput": ly}

    cls, X, ry, rkeys = _recovery_data(df)

    def rb(tr, te):
        return _class_medians(cls[tr], ry[tr])[cls[te]]

    def rl(tr, te):
        if tr.size < 2:
            return rb(tr, te)
        return np.minimum(Ridge(alpha=1.0).fit(X[tr], ry[tr]).predict(X[te]), 0.0)

    (qb, vb), (ql, vl) = _loo(rb, ry), _loo(rl, ry)
    card["recovery"] = _card(ry, qb, ql, vb, vl, baseline="per_mineral_median",
                             learned="ridge_mineral_product", seed=seed, n_boot=n_boot,
                             eligible=ry.size >= MIN_LEARNED_RECOVERY_ROWS,
                             note=f"learned needs >= {MIN_LEARNED_RECOVERY_ROWS} projects.")
    out.update(projects_recovery=rkeys, pred_recovery_baseline=qb, pred_recovery_learned=ql)

    life = _latest(df, ["mine_plan_mt", "mine_life_yr"])
    life = life.loc[[(rows["_key"] != k).sum() >= 2 for k in life["_key"]]]
    keys, t = rows["_key"].to_numpy(), life["mine_plan_mt"].to_numpy(float)
    obs, lb = np.log10(life["mine_life_yr"].to_numpy(float)), np.log10(taylor_life_years(t))
    ll = np.log10(t) - np.array([_huber(lx[keys != k], ly[keys != k]).predict([[np.log10(v)]])[0]
                                 for k, v in zip(life["_key"], t, strict=True)])
    out["life"] = {"n": int(obs.size), "median_abs_log10_err_taylor": _median(np.abs(lb - obs)),
                   "median_abs_log10_err_learned": _median(np.abs(ll - obs)),
                   "note": "life = mine_plan_mt / throughput (learned: Huber fit without the project)"}
    out["card"] = card
    return out


def fit_production(studies: pd.DataFrame | None = None, *, seed: int = 0) -> dict:
    """Fit the throughput and recovery models on all projects and attach the model card.

    Returns
    -------
    dict
        Plain values and scikit-learn estimators only (skops-safe): ``kind``, ``card``,
        ``throughput`` (Taylor constants, the fitted ``HuberRegressor``, residual bands of both
        models, ``chosen``), ``recovery`` (class names, class medians, ridge, bands, chosen),
        ``mineable_ratio`` (median mine_plan_mt / resource_mt over projects with both) and
        ``throughput_range_mtpa`` (the studied range, for the caller's caps).
    """
    df = _studies(studies)
    ev = evaluate_production(df, seed=seed)
    card, (_, lx, ly) = ev["card"], _throughput_data(df)
    both = _latest(df, ["mine_plan_mt", "resource_mt"])
    ratio = (both["mine_plan_mt"] / both["resource_mt"]).to_numpy(float)
    thr = {"taylor_coef": TAYLOR_COEF, "taylor_exp": TAYLOR_EXP, "estimator": _huber(lx, ly),
           "band_baseline": np.array(_band(ly - ev["pred_throughput_baseline"])),
           "band_learned": np.array(_band(ly - ev["pred_throughput_learned"])),
           "chosen": card["throughput"]["chosen"]}
    cls, X, ry, _ = _recovery_data(df)
    rec = {"classes": np.array(MINERAL_CLASSES), "class_median_log10": _class_medians(cls, ry),
           "products": np.array(PRODUCTS), "estimator": Ridge(alpha=1.0).fit(X, ry),
           "band_baseline": np.array(_band(ry - ev["pred_recovery_baseline"])),
           "band_learned": np.array(_band(ry - ev["pred_recovery_learned"])),
           "chosen": card["recovery"]["chosen"]}
    return {"kind": "production", "seed": int(seed), "card": card, "throughput": thr, "recovery": rec,
            "mineable_ratio": float(np.median(ratio)) if ratio.size else float("nan"),
            "mineable_ratio_n": int(ratio.size), "life_diagnostic": ev["life"],
            "throughput_range_mtpa": 10 ** np.array([ly.min(), ly.max()])}


# ---------------------------------------------------------------- predict
def mineable_tonnage(params: dict, resource_mt, reserve_mt) -> np.ndarray:
    """Mineable ore tonnage (Mt): the reserve when given, else resource x the fitted ratio.

    The ratio (``params["mineable_ratio"]``) is the median over studied projects of
    ``mine_plan_mt / resource_mt`` (latest study with both; 0.18 over 8 bundled projects): a
    headline resource is not a mine plan. NaN where neither figure is given.
    """
    ratio = float(_check(params, "mineable_ratio"))
    res, rsv = np.broadcast_arrays(_arr(resource_mt), _arr(reserve_mt))
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(rsv) & (rsv > 0), rsv,
                        np.where(np.isfinite(res) & (res > 0), res * ratio, np.nan))


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
