"""Per-row scores: the model's probability, exact pillar contributions and pillar scores.

Because every boosted tree uses features of one pillar only, the raw (logit) score is a sum
``f(x) = f(ref) + G(x_grade) + L(x_logistics) + R(x_risk)`` measured from a reference deposit
``ref``. Each pillar's term is computed exactly by swapping that pillar's features into the
reference row: ``G(x) = f(x_grade, ref_rest) - f(ref)``. Calibration is one monotone sigmoid, so
the contributions are reported on its logit scale (positive = raises the score).

Pillar scores (0-100) are the transparent indices of :mod:`geoprospect.mcda`, with bounds frozen
in the model, so they depend on their own row alone; the model's exact pillar contributions are
reported beside them (``contrib_*``, ``drivers``).

Missing values get no credit: before the model sees them, an unknown value of a monotone
feature is encoded as the worst possible value (a sentinel below/above any real value), so an
unpublished grade can never raise a score. Unknown values widen the uncertainty band instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from geoprospect.errors import ModelError
from geoprospect.features import PILLARS
from geoprospect.model import ScoringModel, build_estimator


def _parts(model: ScoringModel):
    calibrated = model.pipeline.named_steps["classifier"].calibrated_classifiers_[0]
    hgb = calibrated.estimator
    slope = -float(calibrated.calibrators[0].a_)
    if slope <= 0:
        raise ModelError("the model's calibration is inverted (slope <= 0); retrain it")
    return hgb, slope


SENTINEL = 1e9
"""Magnitude of the 'no credit' encoding of unknown monotone features."""


def encode_missing(X: pd.DataFrame) -> pd.DataFrame:
    """Encode unknown values of monotone features as their worst value (no credit)."""
    from geoprospect.features import FEATURES

    direction = {f.name: f.monotone for f in FEATURES}
    out = X.astype(float).copy()
    for col in out.columns:
        d = direction.get(col, 0)
        if d:
            out[col] = out[col].fillna(-d * SENTINEL)
    return out


def matrix(model: ScoringModel, features: pd.DataFrame) -> pd.DataFrame:
    """The model's columns from a feature frame, unknowns encoded (missing columns: error)."""
    missing = [c for c in model.feature_names if c not in features.columns]
    if missing:
        raise ModelError(f"the model needs feature(s) {', '.join(missing)} "
                         "(a raster covariate it was trained with? pass --raster NAME=PATH)")
    return encode_missing(features[model.feature_names])


def contributions(model: ScoringModel, X: pd.DataFrame) -> pd.DataFrame:
    """Exact per-pillar contributions (logit units, relative to the reference deposit)."""
    hgb, slope = _parts(model)
    ref = np.asarray(model.reference, dtype=float)[None, :]
    base = hgb.decision_function(pd.DataFrame(ref, columns=model.feature_names))[0]
    values = X.to_numpy(dtype=float)
    out = {}
    pillars = np.asarray(model.pillars)
    for pillar in sorted(set(model.pillars), key=_pillar_order):
        swapped = np.repeat(ref, len(values), axis=0)
        cols = pillars == pillar
        swapped[:, cols] = values[:, cols]
        f = hgb.decision_function(pd.DataFrame(swapped, columns=model.feature_names))
        out[f"contrib_{pillar}"] = slope * (f - base)
    return pd.DataFrame(out, index=X.index)


def score(model: ScoringModel, features: pd.DataFrame) -> pd.DataFrame:
    """Score rows: ``score`` (0-100), pillar scores (0-100), contributions and drivers.

    Parameters
    ----------
    model : ScoringModel
    features : pandas.DataFrame
        Output of :func:`geoprospect.features.build_features` (extra columns are ignored).

    Returns
    -------
    pandas.DataFrame
        ``score``, ``grade_score``, ``logistics_score``, ``risk_score``, ``contrib_<pillar>``
        and ``drivers`` (pillars by the size of their push, e.g. ``"risk -1.3; grade +0.8"``).
    """
    from geoprospect.mcda import pillar_scores

    X = matrix(model, features)
    proba = model.pipeline.predict_proba(X)[:, 1]
    contrib = contributions(model, X)
    out = pd.DataFrame({"score": 100 * proba}, index=X.index)
    out = pd.concat([out, pillar_scores(features, model.mcda_lo, model.mcda_hi), contrib], axis=1)
    out["drivers"] = _drivers(contrib)
    return out


def _drivers(contrib: pd.DataFrame) -> list[str]:
    """'risk -1.30; grade +0.80; ...' per row, pillars by the size of their push.

    Vectorised: each distinct value is formatted once and rows are joined per distinct
    ordering of the pillars (at most 3! orderings).
    """
    names = np.array([c.removeprefix("contrib_") + " " for c in contrib.columns], dtype=object)
    values = np.ascontiguousarray(contrib.to_numpy(dtype=float))
    n, k = values.shape
    if not n:
        return []
    bits, inverse = np.unique(values.view(np.int64).ravel(), return_inverse=True)
    texts = np.array([f"{v:+.2f}" for v in bits.view(np.float64).tolist()], dtype=object)
    parts = names[None, :] + texts[inverse.ravel()].reshape(n, k)
    order = np.argsort(-np.abs(values), axis=1)
    code = (order * (k ** np.arange(k - 1, -1, -1))[None, :]).sum(axis=1)
    out = np.empty(n, dtype=object)
    for c in np.unique(code):
        rows = np.flatnonzero(code == c)
        sel = parts[rows][:, order[rows[0]]]
        joined = sel[:, 0]
        for j in range(1, k):
            joined = joined + "; " + sel[:, j]
        out[rows] = joined
    return out.tolist()


def _pillar_order(p: str) -> int:
    return PILLARS.index(p) if p in PILLARS else len(PILLARS)


def fit_scoring_model(
    features: pd.DataFrame, y: pd.Series, *, feature_names=None, random_state: int = 0,
    metadata: dict | None = None,
) -> ScoringModel:
    """Fit the pipeline and freeze what scoring needs (reference row, bounds, quantiles).

    Parameters
    ----------
    features : pandas.DataFrame
        Output of :func:`geoprospect.features.build_features` for the labelled rows (NaN
        allowed).
    y : pandas.Series
        0/1 labels, no missing values (drop censored rows first).
    feature_names : sequence of str, optional
        Model columns (default: :data:`geoprospect.features.FEATURE_NAMES` plus nothing else).
    """
    from geoprospect.features import FEATURE_NAMES
    from geoprospect.mcda import fit_bounds

    X = features[list(feature_names or FEATURE_NAMES)].astype(float)
    import sklearn

    from geoprospect import __version__
    from geoprospect.features import FEATURES

    y = pd.Series(y).astype(int)
    counts = y.value_counts()
    if len(counts) < 2 or counts.min() < 3:
        raise ModelError(f"need at least 3 examples of each class to train, got {counts.to_dict()}")
    empty = [c for c in X.columns if X[c].isna().all()]
    X = X.drop(columns=empty)  # no data at all: the binner cannot use it, the card says so
    names = list(X.columns)
    spec = {f.name: f.pillar for f in FEATURES}
    pillars = [spec.get(n, "covariates") for n in names]
    cv = int(min(3, counts.min()))
    pipe = build_estimator(names, random_state=random_state, calibration_cv=cv)
    encoded = encode_missing(X)
    pipe.fit(encoded, y.to_numpy())
    values = X.to_numpy(dtype=float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = np.nanmedian(values, axis=0)
        quantiles = np.nanpercentile(values, np.linspace(0, 100, 21), axis=0).T
    mcda_lo, mcda_hi = fit_bounds(features)
    model = ScoringModel(pipe, names, pillars, reference, mcda_lo=mcda_lo, mcda_hi=mcda_hi,
                         quantiles=quantiles, metadata=dict(metadata or {}))
    _parts(model)  # refuses an inverted calibration
    contrib = contributions(model, encoded)
    lo = np.array([contrib.get(f"contrib_{p}", pd.Series([0.0])).min() for p in PILLARS])
    hi = np.array([contrib.get(f"contrib_{p}", pd.Series([1.0])).max() for p in PILLARS])
    model.pillar_lo, model.pillar_hi = lo, hi
    model.metadata.update(
        geoprospect_version=__version__,
        sklearn_version=sklearn.__version__,
        n_train=len(y),
        n_positive=int(y.sum()),
        feature_names=names,
        dropped_features=empty,
    )
    return model
