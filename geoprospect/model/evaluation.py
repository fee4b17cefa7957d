"""Validation a sceptic accepts: grouped and stratified cross-validation, baselines computed in
the same run, pooled out-of-fold metrics and paired bootstrap intervals of the differences.

With few projects per country most leave-one-country-out folds hold one class, so ROC AUC,
average precision and Brier score are computed on the pooled out-of-fold predictions.
Baselines, on the same folds: rank by TREO grade alone, and the transparent equal-weight
multi-criteria score (bounds frozen from each training fold, so it too is per-row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.errors import ModelError
from geoprospect.model.mcda import fit_bounds, pillar_scores, weighted_score
from geoprospect.model.predict import fit_scoring_model, matrix


def _oof(features, y, splits, *, seed: int):

    n = len(y)
    model_p = np.full(n, np.nan)
    mcda = np.full(n, np.nan)
    skipped = 0
    for train, test in splits:
        ytr = y.iloc[train]
        try:
            m = fit_scoring_model(features.iloc[train], ytr, random_state=seed)
        except ModelError:
            skipped += 1
            continue
        Xte = matrix(m, features.iloc[test])
        model_p[test] = m.pipeline.predict_proba(Xte)[:, 1]
        lo, hi = fit_bounds(features.iloc[train])
        mcda[test] = weighted_score(pillar_scores(features.iloc[test], lo, hi)).to_numpy() / 100
    return model_p, mcda, skipped


def _metrics(y: np.ndarray, s: np.ndarray, proba: bool) -> dict:
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    ok = np.isfinite(s)
    out = {"n": int(ok.sum())}
    if ok.sum() < 3 or len(np.unique(y[ok])) < 2:
        return out | {"roc_auc": None, "average_precision": None, "brier": None}
    out["roc_auc"] = float(roc_auc_score(y[ok], s[ok]))
    out["average_precision"] = float(average_precision_score(y[ok], s[ok]))
    out["brier"] = float(brier_score_loss(y[ok], s[ok])) if proba else None
    return out


def _bootstrap_diff(y, a, b, *, n_boot: int, seed: int) -> dict:
    """Paired bootstrap of metric(a) - metric(b) over rows; 95 % percentile intervals."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    ok = np.isfinite(a) & np.isfinite(b)
    y, a, b = y[ok], a[ok], b[ok]
    rng = np.random.default_rng(seed)
    diffs = {"roc_auc": [], "average_precision": []}
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if len(np.unique(y[i])) < 2:
            continue
        diffs["roc_auc"].append(roc_auc_score(y[i], a[i]) - roc_auc_score(y[i], b[i]))
        diffs["average_precision"].append(
            average_precision_score(y[i], a[i]) - average_precision_score(y[i], b[i]))
    out = {}
    for k, v in diffs.items():
        v = np.asarray(v)
        out[k] = {"mean": float(v.mean()), "ci95": [float(np.percentile(v, 2.5)),
                                                     float(np.percentile(v, 97.5))],
                  "p_model_better": float((v > 0).mean())} if v.size else None
    return out


def cross_validate(features: pd.DataFrame, y: pd.Series, groups: pd.Series, *, seed: int = 0,
                   n_boot: int = 2000, k: int = 5) -> dict:
    """Leave-one-country-out and stratified k-fold validation with baselines.

    Parameters
    ----------
    features : pandas.DataFrame
        Features of the labelled rows.
    y : pandas.Series
        0/1 labels.
    groups : pandas.Series
        Country of each row (the LOCO groups).
    seed : int
        Seed for the folds, the model and the bootstrap.
    n_boot : int
        Bootstrap resamples of the paired differences.
    k : int
        Folds of the stratified scheme.

    Returns
    -------
    dict
        Per scheme (``loco``, ``stratified_kfold``): metrics of ``model``, ``grade_only`` and
        ``mcda``, bootstrap differences model - baseline, and the out-of-fold predictions.
    """
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

    y = pd.Series(y).astype(int).reset_index(drop=True)
    features = features.reset_index(drop=True)
    groups = pd.Series(groups).fillna("unknown").reset_index(drop=True)
    grade = features["treo_pct"].to_numpy(dtype=float)
    grade_only = np.where(np.isfinite(grade), grade, -1.0)  # unknown grade ranks last
    k = int(max(2, min(k, y.value_counts().min())))
    schemes = {
        "stratified_kfold": list(StratifiedKFold(k, shuffle=True, random_state=seed)
                                 .split(features, y)),
    }
    if groups.nunique() >= 2:  # one country only: leave-one-country-out is impossible
        schemes = {"loco": list(LeaveOneGroupOut().split(features, y, groups)), **schemes}
    report = {"n": len(y), "n_positive": int(y.sum()),
              "n_countries": int(groups.nunique())}
    yv = y.to_numpy()
    for name, splits in schemes.items():
        model_p, mcda, skipped = _oof(features, y, splits, seed=seed)
        report[name] = {
            "folds": len(splits),
            "folds_skipped": skipped,
            "model": _metrics(yv, model_p, proba=True),
            "grade_only": _metrics(yv, grade_only, proba=False),
            "mcda": _metrics(yv, mcda, proba=False),
            "model_minus_grade_only": _bootstrap_diff(yv, model_p, grade_only, n_boot=n_boot,
                                                      seed=seed),
            "model_minus_mcda": _bootstrap_diff(yv, model_p, mcda, n_boot=n_boot, seed=seed),
            "oof": {"y": yv.tolist(), "model": _list(model_p), "grade_only": _list(grade_only),
                    "mcda": _list(mcda)},
        }
    return report


def _list(a: np.ndarray) -> list:
    return [None if not np.isfinite(v) else float(v) for v in a]


def beats(report: dict, scheme: str = "loco", baseline: str = "mcda") -> bool | None:
    """True when the model's AUC beats the baseline with the 95 % interval above zero."""
    diff = (report.get(scheme, {}).get(f"model_minus_{baseline}") or {}).get("roc_auc")
    if not diff:
        return None
    return diff["ci95"][0] > 0
