"""Load a model for scoring without re-importing scikit-learn: compiled once, cached by hash.

The first time a ``.skops`` file is scored, :func:`geoprospect.model.estimator.load_model` checks its
types and loads it (importing scikit-learn and skops takes about 3 s); its trees and
calibration are compiled to arrays (:mod:`geoprospect.model.compiled`) and stored as
``models/<sha256 of the file>-v<FORMAT>.npz`` in :func:`geoprospect.core.cache.cache_dir`, keyed
(:func:`geoprospect.core.cache.entry_key`) by that hash, this format and the code version. Next time
the same file (same hash) is loaded from those arrays in milliseconds. The cache holds only
numbers and text read with ``allow_pickle=False``: it can never run code, and a changed model
file or another geoprospect version has another key, so a stale entry is never used. A file
that fails skops' checks is never compiled, so it never reaches the cache.

The result is a :class:`~geoprospect.model.estimator.ScoringModel` whose ``pipeline`` is None: it scores,
ranks and draws uncertainty bands exactly like the full model; training and evaluation load the
full model with :func:`~geoprospect.model.estimator.load_model`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from geoprospect.core.cache import cache_dir, entry_key, read_npz, write_npz
from geoprospect.errors import ModelError
from geoprospect.model.compiled import CompiledTrees
from geoprospect.model.estimator import ScoringModel, default_model_path, load_model, warn_versions
from geoprospect.model.predict import compiled_trees

log = logging.getLogger(__name__)
FORMAT = 1
_FIELDS = ("reference", "pillar_lo", "pillar_hi", "mcda_lo", "mcda_hi", "quantiles")


def load_for_scoring(path: str | Path | None = None) -> ScoringModel:
    """A model ready to score: from the compiled cache when this exact file was seen before.

    Parameters
    ----------
    path : str or Path, optional
        A ``.skops`` file; the bundled default model when None.

    Returns
    -------
    ScoringModel
        ``pipeline`` is None when it came from the cache (``compiled`` holds the trees).

    Raises
    ------
    ModelError
        As :func:`geoprospect.model.estimator.load_model`.
    """
    path = default_model_path() if path is None else Path(path)
    if not path.is_file() or path.suffix.lower() in (".pkl", ".pickle"):
        return load_model(path)  # its one-line errors

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    target = cached_path(digest)
    key = entry_key("compiled-model", model_sha256=digest, format=FORMAT)
    arrays = read_npz(target, key)
    if arrays is not None:
        try:
            model = _from_arrays(arrays, digest)
            warn_versions(model.metadata, path.name)
            return model
        except (ValueError, KeyError, ModelError) as exc:  # unusable: rebuild it
            log.warning("ignoring unreadable compiled model %s (%s)", target, exc)
    model = load_model(path)

    trees = compiled_trees(model)
    if trees is not None:
        write_npz(target, key, **_to_arrays(model, trees))
    return model


def cached_path(digest: str) -> Path:
    """Cache file of the model whose file has SHA-256 ``digest``."""

    return cache_dir() / "models" / f"{digest}-v{FORMAT}.npz"


def _to_arrays(model: ScoringModel, trees) -> dict[str, np.ndarray]:
    arrays = {f"tree_{k}": v for k, v in trees.to_arrays().items()}
    arrays.update({k: np.asarray(getattr(model, k), dtype=float) for k in _FIELDS})
    arrays["feature_names"] = np.array(model.feature_names, dtype=str)
    arrays["pillars"] = np.array(model.pillars, dtype=str)
    metadata = {k: v for k, v in model.metadata.items() if k != "sha256"}
    arrays["metadata_json"] = np.array(json.dumps(metadata, default=str, sort_keys=True))
    arrays["sha256"] = np.array(model.sha256)
    return arrays


def _from_arrays(z: dict[str, np.ndarray], digest: str) -> ScoringModel:

    if str(z["sha256"]) != digest:
        raise ModelError("compiled model belongs to another file")
    trees = CompiledTrees.from_arrays({k.removeprefix("tree_"): v for k, v in z.items()
                                       if k.startswith("tree_")})
    metadata = json.loads(str(z["metadata_json"]))
    metadata["sha256"] = digest
    return ScoringModel(
        pipeline=None,
        feature_names=[str(v) for v in z["feature_names"]],
        pillars=[str(v) for v in z["pillars"]],
        metadata=metadata,
        compiled=trees,
        **{k: np.asarray(z[k], dtype=float) for k in _FIELDS},
    )
