"""Out-of-sample evaluation shared by the models fitted on ``studies.csv`` (production, costs).

One row per project (grouped by ``deposit_id``, else the project name; its latest study with the
fields a model needs), leave-one-project-out predictions, conformal P10/P90 bands from the
left-out residuals with nested leave-one-out coverage, and a card that keeps the learned model
only where a paired bootstrap interval of the error difference lies below zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.bundled import layer_path

FitPredict = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``fit_predict(train_idx, test_idx) -> predictions`` (log10 space)."""


def studies_table(studies: pd.DataFrame | None, need: set[str],
                  optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """The studies table (bundled when None) with a project key and file order; a missing
    required column is a one-line error, a missing optional one is added empty."""
    df = pd.read_csv(layer_path("studies.csv")) if studies is None else studies.copy()
    if missing := sorted(need - set(df.columns)):
        raise LayerError(f"studies table lacks columns {missing}", option="studies")
    key = df["deposit_id"] if "deposit_id" in df.columns else pd.Series(np.nan, index=df.index)
    df["_key"] = key.fillna(df["project"]).astype(str)
    df["_order"] = np.arange(len(df))
    for c in optional:
        df[c] = df[c] if c in df.columns else np.nan
    return df


def latest(df: pd.DataFrame, positive: list[str]) -> pd.DataFrame:
    """One row per project: its latest study (then file order) where every ``positive`` column
    is a positive number."""
    ok = np.ones(len(df), bool)
    for c in positive:
        ok &= pd.to_numeric(df[c], errors="coerce").gt(0).to_numpy()
    sub = df.loc[ok].sort_values(["study_year", "_order"], kind="stable")
    return sub.groupby("_key", sort=True).tail(1).sort_values("_key").reset_index(drop=True)


def band(resid: np.ndarray) -> tuple[float, float]:
    """P10/P90 of log residuals, widened to contain 0 so that p10 <= p50 <= p90."""
    if resid.size == 0:
        return 0.0, 0.0
    lo, hi = np.quantile(resid, [0.1, 0.9], method="weibull")
    return float(min(lo, 0.0)), float(max(hi, 0.0))


def centred_residuals(resid: np.ndarray) -> np.ndarray:
    """Sorted out-of-sample residuals less their median: the empirical error distribution a
    model's Monte Carlo draws come from (median 0, so a draw of z = 0 is the model's P50)."""
    r = np.sort(np.asarray(resid, dtype=float))
    return r - np.median(r) if r.size else np.zeros(1)


def residual_offset(residuals: np.ndarray, z) -> np.ndarray:
    """The ``Phi(z)`` quantile of :func:`centred_residuals` (Weibull plotting positions, linear
    between, held at the extremes): bounded draws, never beyond the largest error seen."""
    from scipy.special import ndtr

    r = np.asarray(residuals, dtype=float)
    pos = np.arange(1, r.size + 1) / (r.size + 1)
    return np.interp(ndtr(np.asarray(z, dtype=float)), pos, r)


def loo(fp: FitPredict, y: np.ndarray, *, nested: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out predictions and nested-LOO coverage of the conformal P10-P90 band
    (``nested=False`` skips the coverage, O(n^2) fits, and reports it as False everywhere: for
    refits whose card is not read, such as the validation's leave-one-project-out models)."""
    idx = np.arange(y.size)
    pred = np.array([fp(np.delete(idx, i), idx[i:i + 1])[0] for i in idx])
    cover = np.zeros(y.size, bool)
    for i in idx if nested else ():
        r = np.array([y[j] - fp(np.delete(idx, [i, j]), idx[j:j + 1])[0] for j in idx if j != i])
        lo, hi = band(r)
        cover[i] = pred[i] + lo <= y[i] <= pred[i] + hi
    return pred, cover


def card(y: np.ndarray, pb: np.ndarray, pl: np.ndarray, cb: np.ndarray, cl: np.ndarray, *,
          baseline: str, learned: str, seed: int, n_boot: int, eligible: bool = True,
          note: str = "") -> dict:
    """The card of one model: errors of baseline and learned (``pb``/``pl`` against ``y``, log10),
    coverage (``cb``/``cl``), the bootstrap interval and the choice (learned only if ``eligible``
    and the interval lies below zero)."""
    n, nan = int(y.size), float("nan")
    eb, el = np.abs(pb - y), np.abs(pl - y)
    card = {"n": n, "baseline": baseline, "learned": learned,
            "median_abs_log10_err_baseline": median(eb), "median_abs_log10_err_learned": median(el),
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


def median(e: np.ndarray) -> float:
    """Median of an array, NaN when empty."""
    return float(np.median(e)) if e.size else float("nan")


