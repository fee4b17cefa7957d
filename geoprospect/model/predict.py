"""Per-row scores: the model's probability, exact pillar contributions and pillar scores.

Because every boosted tree uses features of one pillar only, the raw (logit) score is a sum
``f(x) = f(ref) + G(x_grade) + L(x_logistics) + R(x_risk)`` measured from a reference deposit
``ref``. Each pillar's term is computed exactly by swapping that pillar's features into the
reference row: ``G(x) = f(x_grade, ref_rest) - f(ref)``. Calibration is one monotone sigmoid, so
the contributions are reported on its logit scale (positive = raises the score).

Pillar scores (0-100) are the transparent indices of :mod:`geoprospect.model.mcda`, with bounds frozen
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

from geoprospect.core.text import distinct_rows
from geoprospect.errors import ModelError
from geoprospect.features import FEATURE_NAMES, FEATURES, PILLARS
from geoprospect.model.compiled import compile_trees
from geoprospect.model.estimator import ScoringModel, build_estimator
from geoprospect.model.mcda import fit_bounds, pillar_scores


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
                         "(a raster covariate it was trained with? give it as NAME=PATH)", option="raster")
    return encode_missing(features[model.feature_names])


def contributions(model: ScoringModel, X: pd.DataFrame) -> pd.DataFrame:
    """Exact per-pillar contributions (logit units, relative to the reference deposit)."""
    return score_terms(model, X)[1]


def score_terms(model: ScoringModel, X: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The calibrated probability and the exact pillar contributions, in one pass over the trees.

    Every boosted tree splits on the features of one pillar only (``interaction_cst``), so
    summing each tree's output into its pillar's column gives the same terms as swapping the
    pillar's features into the reference row (:func:`contributions_by_swapping`), with one
    evaluation of each tree instead of one per pillar plus one for the probability. The trees
    are evaluated by :class:`geoprospect.model.compiled.CompiledTrees`; the probability is bit for
    bit ``model.pipeline.predict_proba``.

    Returns
    -------
    proba : numpy.ndarray
        P(advance), shape (n,).
    contrib : pandas.DataFrame
        ``contrib_<pillar>`` columns, same index as ``X``.
    """
    trees = compiled_trees(model)
    if trees is None:  # not a geoprospect-shaped estimator: scikit-learn's public route
        return (model.pipeline.predict_proba(X)[:, 1], contributions_by_swapping(model, X))
    proba, terms, at_ref = trees.evaluate(X.to_numpy(dtype=np.float64), model.reference)
    contrib = pd.DataFrame(trees.slope * (terms - at_ref[None, :]), index=X.index,
                           columns=[f"contrib_{p}" for p in trees.pillar_names])
    return proba, contrib


def probability(model: ScoringModel, X: pd.DataFrame) -> np.ndarray:
    """P(advance) for a model matrix: ``predict_proba(X)[:, 1]``, by the compiled trees."""
    trees = compiled_trees(model)
    if trees is None:
        return model.pipeline.predict_proba(X)[:, 1]
    return trees.evaluate(X.to_numpy(dtype=np.float64), model.reference)[0]


def compiled_trees(model: ScoringModel):
    """The model's :class:`~geoprospect.model.compiled.CompiledTrees` (built once), or None."""
    if model.compiled is None:

        if model.pipeline is None:
            raise ModelError("the model has neither a pipeline nor compiled trees")
        model.compiled = compile_trees(model.pipeline, list(model.pillars),
                                       _pillar_names(model)) or False
    return model.compiled or None


def _pillar_names(model: ScoringModel) -> list[str]:
    return sorted(set(model.pillars), key=_pillar_order)


def contributions_by_swapping(model: ScoringModel, X: pd.DataFrame) -> pd.DataFrame:
    """Pillar contributions by the definition: swap each pillar's features into the reference
    row and run the model (one pass per pillar). The reference for :func:`score_terms`."""
    hgb, slope = _parts(model)
    ref = np.asarray(model.reference, dtype=float)[None, :]
    base = hgb.decision_function(pd.DataFrame(ref, columns=model.feature_names))[0]
    values = X.to_numpy(dtype=float)
    out = {}
    pillars = np.asarray(model.pillars)
    for pillar in _pillar_names(model):
        swapped = np.repeat(ref, len(values), axis=0)
        cols = pillars == pillar
        swapped[:, cols] = values[:, cols]
        f = hgb.decision_function(pd.DataFrame(swapped, columns=model.feature_names))
        out[f"contrib_{pillar}"] = slope * (f - base)
    return pd.DataFrame(out, index=X.index)


def score_features(model: ScoringModel, features: pd.DataFrame) -> pd.DataFrame:
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

    X = matrix(model, features)
    proba, contrib = score_terms(model, X)
    out = pd.DataFrame({"score": 100 * proba}, index=X.index)
    out = pd.concat([out, pillar_scores(features, model.mcda_lo, model.mcda_hi), contrib], axis=1)
    out["drivers"] = _drivers(contrib)
    return out


def _drivers(contrib: pd.DataFrame) -> list[str]:
    """'risk -1.30; grade +0.80; ...' per row, pillars by the size of their push.

    Vectorised: rows are grouped by their distinct contribution values (few, since each term
    is a sum of tree leaves), each distinct row is formatted once and the text is taken back.
    """
    names = [c.removeprefix("contrib_") for c in contrib.columns]
    values = np.ascontiguousarray(contrib.to_numpy(dtype=float))
    n, k = values.shape
    if not n:
        return []

    # grouped by the values' bits, so that -0.0 and 0.0 keep their own signs
    key, first = distinct_rows(*(values[:, j].view(np.int64) for j in range(k)))
    distinct = values[first]
    order = np.argsort(-np.abs(distinct), axis=1)
    texts = np.array(["; ".join(f"{names[j]} {distinct[i, j]:+.2f}" for j in order[i])
                      for i in range(len(first))], dtype=object)
    return texts[key].tolist()


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

    X = features[list(feature_names or FEATURE_NAMES)].astype(float)
    import sklearn

    from geoprospect import __version__

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
