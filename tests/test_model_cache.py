"""Compiled-model cache: same scores as the skops model, no scikit-learn import, never trusted blindly."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from geoprospect.errors import ModelError
from geoprospect.model.cache import cached_path, load_for_scoring
from geoprospect.model.estimator import save_model
from geoprospect.model.predict import fit_scoring_model
from geoprospect.model.predict import score_features as score
from tests.model_fixtures import features_without_routes, synthetic_deposits, synthetic_labels


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    feats = features_without_routes(synthetic_deposits())
    model = fit_scoring_model(feats, synthetic_labels(feats))
    path = save_model(model, tmp_path_factory.mktemp("m") / "m.skops")
    return path, feats


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPROSPECT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_second_load_comes_from_the_cache_and_scores_identically(saved, cache):
    path, feats = saved
    first = load_for_scoring(path)
    assert first.pipeline is not None and cached_path(first.sha256).is_file()
    second = load_for_scoring(path)
    assert second.pipeline is None and second.sha256 == first.sha256
    pd.testing.assert_frame_equal(score(first, feats), score(second, feats), rtol=0, atol=0)
    np.testing.assert_array_equal(second.quantiles, first.quantiles)
    assert second.metadata["n_train"] == first.metadata["n_train"]


def test_cached_model_needs_neither_sklearn_nor_skops(saved, cache):
    path, _ = saved
    load_for_scoring(path)
    code = ("import sys; from geoprospect.model.cache import load_for_scoring; "
            f"m = load_for_scoring({str(path)!r}); assert m.pipeline is None; "
            "print(sorted(k for k in ('sklearn', 'skops') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "GEOPROSPECT_CACHE_DIR": str(cache)})
    assert out.stdout.strip() == "[]"


def test_unreadable_cache_entry_is_rebuilt(saved, cache):
    path, feats = saved
    model = load_for_scoring(path)
    cached_path(model.sha256).write_bytes(b"not an npz")
    again = load_for_scoring(path)
    assert again.pipeline is not None  # rebuilt from the skops file
    assert load_for_scoring(path).pipeline is None  # and cached again
    pd.testing.assert_frame_equal(score(model, feats), score(again, feats))


def test_changed_model_file_never_uses_the_old_entry(saved, cache, tmp_path):
    path, feats = saved
    old = load_for_scoring(path)
    feats2 = feats.assign(treo_pct=feats["treo_pct"] * 2)
    other = save_model(fit_scoring_model(feats2, synthetic_labels(feats)), tmp_path / "m2.skops")
    new = load_for_scoring(other)
    assert new.sha256 != old.sha256 and new.pipeline is not None


def test_refused_model_is_never_compiled(cache, tmp_path):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    bad = tmp_path / "evil.skops"
    sio.dump({"pipeline": FunctionTransformer(os.system)}, bad)
    with pytest.raises(ModelError, match="untrusted"):
        load_for_scoring(bad)
    assert not (cache / "models").exists()
