"""The scoring model: build, fit, save and load (skops, never pickle).

The estimator is a scikit-learn ``Pipeline`` holding one
``CalibratedClassifierCV(HistGradientBoostingClassifier(...), method="sigmoid", ensemble=False)``:

* ``monotonic_cst`` from :data:`geoprospect.features.FEATURES` — a higher grade never lowers the
  score, a worse governance indicator never raises it;
* ``interaction_cst`` = the three pillars, so every tree uses features of one pillar only and the
  raw score is an exact sum grade + logistics + risk (see :mod:`geoprospect.model.predict`);
* missing values are handled natively (no imputation, nothing invented);
* sigmoid calibration, fitted on out-of-fold decision values, keeps the order (monotone).

The file holds only scikit-learn types, numpy arrays and builtins. Loading checks the file's
types against :data:`TRUSTED_TYPES` first and refuses anything else.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.core.messages import short
from geoprospect.errors import ModelError
from geoprospect.features import FEATURES, PILLARS
from geoprospect.io.bundled import models_dir
from geoprospect.io.write import atomic_path

DEFAULT_MODEL = "default.skops"

TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.pipeline.Pipeline",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn.utils._bunch.Bunch",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "builtins.slice",
]
"""Types a model file may contain. Anything else makes :func:`load_model` refuse the file."""


@dataclass
class ScoringModel:
    """A fitted pipeline plus what scoring needs beside it (all plain arrays and strings).

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
    feature_names : list of str
    pillars : list of str
        Pillar of each feature, aligned with ``feature_names``.
    reference : numpy.ndarray
        The reference deposit (median of the training features) that contributions are
        measured from.
    pillar_lo, pillar_hi : numpy.ndarray
        Per pillar, the lowest and highest model contribution (logit) in the training set.
    mcda_lo, mcda_hi : numpy.ndarray
        Frozen normalisation bounds of the transparent pillar indicators (:mod:`geoprospect.model.mcda`).
    quantiles : numpy.ndarray
        Per feature, 21 quantiles (0, 5, ..., 100 %) of the training values, for the Monte Carlo
        draws of missing inputs (:mod:`geoprospect.model.uncertainty`).
    metadata : dict
        Versions, training-data hash, label definition, metrics summary.
    """

    pipeline: object
    feature_names: list
    pillars: list
    reference: np.ndarray
    pillar_lo: np.ndarray = field(default_factory=lambda: np.zeros(3))
    pillar_hi: np.ndarray = field(default_factory=lambda: np.ones(3))
    mcda_lo: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mcda_hi: np.ndarray = field(default_factory=lambda: np.zeros(0))
    quantiles: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    metadata: dict = field(default_factory=dict)
    compiled: object = field(default=None, repr=False, compare=False)
    """:class:`~geoprospect.model.compiled.CompiledTrees` once built (False: cannot be compiled)."""

    @property
    def sha256(self) -> str:
        """Hash of the saved file (set when loaded or saved), '' before."""
        return self.metadata.get("sha256", "")


def build_estimator(
    feature_names=None, *, random_state: int = 0, calibration_cv: int = 3
):
    """Return the unfitted pipeline with monotone and pillar-interaction constraints.

    Parameters
    ----------
    feature_names : sequence of str, optional
        Columns of the model matrix (default: all of :data:`~geoprospect.features.FEATURES`,
        plus any extra raster covariates, which are unconstrained in a pillar of their own).
    random_state : int
        Seed of the boosting (it subsamples nothing, but early stopping would).
    calibration_cv : int
        Folds of the sigmoid calibration.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    names = list(feature_names or [f.name for f in FEATURES])
    spec = {f.name: f for f in FEATURES}
    monotone = [spec[n].monotone if n in spec else 0 for n in names]
    groups = [[i for i, n in enumerate(names) if n in spec and spec[n].pillar == p] for p in PILLARS]
    extra = [i for i, n in enumerate(names) if n not in spec]
    if extra:
        groups.append(extra)
    hgb = HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=40,
        max_depth=2,
        min_samples_leaf=8,
        l2_regularization=1.0,
        monotonic_cst=monotone,
        interaction_cst=[g for g in groups if g],
        early_stopping=False,
        random_state=random_state,
    )
    calibrated = CalibratedClassifierCV(hgb, method="sigmoid", cv=calibration_cv, ensemble=False)
    return Pipeline([("classifier", calibrated)])


def training_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a training matrix and label (order-sensitive), for model metadata."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def save_model(model: ScoringModel, path: str | Path, *, overwrite: bool = False) -> Path:
    """Save a model with skops, atomically; returns the path."""
    import skops.io as sio


    payload = {
        "pipeline": model.pipeline,
        "feature_names": list(model.feature_names),
        "pillars": list(model.pillars),
        "reference": np.asarray(model.reference, dtype=float),
        "pillar_lo": np.asarray(model.pillar_lo, dtype=float),
        "pillar_hi": np.asarray(model.pillar_hi, dtype=float),
        "mcda_lo": np.asarray(model.mcda_lo, dtype=float),
        "mcda_hi": np.asarray(model.mcda_hi, dtype=float),
        "quantiles": np.asarray(model.quantiles, dtype=float),
        "metadata_json": json.dumps(model.metadata, default=str, sort_keys=True),
    }
    path = Path(path)
    with atomic_path(path, overwrite=overwrite) as tmp:
        sio.dump(payload, tmp)
    model.metadata["sha256"] = file_sha256(path)
    return path


def load_model(path: str | Path | None = None) -> ScoringModel:
    """Load a model saved by :func:`save_model`, refusing any type outside TRUSTED_TYPES.

    Parameters
    ----------
    path : str or Path, optional
        A ``.skops`` file; the bundled default model when None.

    Raises
    ------
    ModelError
        File missing, not a skops file, containing untrusted types, or missing fields.
    """
    import skops.io as sio

    path = default_model_path() if path is None else Path(path)
    if not path.exists():
        raise ModelError(f"{path}: model file not found (train one with `geoprospect train`)")
    if path.suffix == ".pkl" or path.suffix == ".pickle":
        raise ModelError(f"{path.name}: pickle files are never loaded; use a .skops model")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelError(f"{path.name}: not a readable skops model ({short(exc)})") from exc
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise ModelError(f"{path.name}: refused, it contains untrusted types: {', '.join(refused)}")
    try:
        payload = sio.load(path, trusted=[t for t in untrusted if t in TRUSTED_TYPES])
    except Exception as exc:
        raise ModelError(f"{path.name}: cannot load ({short(exc)})") from exc
    need = {"pipeline", "feature_names", "pillars", "reference", "pillar_lo", "pillar_hi",
            "mcda_lo", "mcda_hi", "quantiles"}
    if not isinstance(payload, dict) or not need <= set(payload):
        raise ModelError(f"{path.name}: not a geoprospect model (fields missing)")
    metadata = json.loads(payload.get("metadata_json", "{}"))
    warn_versions(metadata, path.name)
    metadata["sha256"] = file_sha256(path)
    return ScoringModel(
        pipeline=payload["pipeline"],
        feature_names=list(payload["feature_names"]),
        pillars=list(payload["pillars"]),
        reference=np.asarray(payload["reference"], dtype=float),
        pillar_lo=np.asarray(payload["pillar_lo"], dtype=float),
        pillar_hi=np.asarray(payload["pillar_hi"], dtype=float),
        mcda_lo=np.asarray(payload["mcda_lo"], dtype=float),
        mcda_hi=np.asarray(payload["mcda_hi"], dtype=float),
        quantiles=np.asarray(payload["quantiles"], dtype=float),
        metadata=metadata,
    )


def default_model_path() -> Path:
    """The bundled default model file."""

    return models_dir() / DEFAULT_MODEL


def warn_versions(metadata: dict, name: str) -> None:
    """Warn when the model was trained with another scikit-learn than the one installed."""
    from importlib.metadata import version  # not `import sklearn`: that costs a second

    saved = metadata.get("sklearn_version")
    running = version("scikit-learn")
    if saved and saved != running:
        warnings.warn(
            f"{name}: trained with scikit-learn {saved}, running {running}; "
            "scores may differ slightly",
            stacklevel=3,
        )


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes (the model hash recorded with every output)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
