"""The scoring model: monotone, deterministic, exact pillars, missing values, skops safety."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geoprospect.errors import ModelError, OutputError
from geoprospect.features import FEATURE_NAMES
from geoprospect.features.grade import grade_features
from geoprospect.io.reference import WGI_PCT
from geoprospect.model import predict as scoring
from geoprospect.model.estimator import load_model, save_model
from geoprospect.model.predict import (
    contributions,
    contributions_by_swapping,
    encode_missing,
    fit_scoring_model,
    matrix,
    score_terms,
)
from geoprospect.model.predict import score_features as score
from tests.model_fixtures import features_without_routes, synthetic_deposits, synthetic_labels


@pytest.fixture(scope="module")
def trained():
    gdf = synthetic_deposits()
    feats = features_without_routes(gdf)
    y = synthetic_labels(feats)
    return fit_scoring_model(feats, y), gdf, feats


def _with_treo(gdf, feats, treo):
    g = gdf.copy()
    g["treo_pct"] = treo
    f = feats.copy()
    new = grade_features(g)
    for c in new.columns:
        f[c] = new[c].to_numpy()
    return f


@settings(max_examples=25, deadline=None)
@given(row=st.integers(0, 79), low=st.floats(0.01, 20), bump=st.floats(0.0, 30))
def test_raising_treo_never_lowers_score(trained, row, low, bump):
    model, gdf, feats = trained
    one, f1 = gdf.iloc[[row]], feats.iloc[[row]]
    s_low = score(model, _with_treo(one, f1, low))["score"].iloc[0]
    s_high = score(model, _with_treo(one, f1, min(low + bump, 100)))["score"].iloc[0]
    assert s_high >= s_low - 1e-9


@settings(max_examples=25, deadline=None)
@given(row=st.integers(0, 79), drop=st.floats(0, 60))
def test_worse_governance_never_raises_score(trained, row, drop):
    model, _, feats = trained
    f = feats.iloc[[row]].copy()
    worse = f.copy()
    for c in WGI_PCT:
        worse[c] = np.clip(worse[c] - drop, 0, 100)
    assert score(model, worse)["score"].iloc[0] <= score(model, f)["score"].iloc[0] + 1e-9


def test_same_input_same_seed_identical(trained):
    model, _, feats = trained
    y = synthetic_labels(feats)
    again = fit_scoring_model(feats, y)
    pd.testing.assert_frame_equal(score(model, feats), score(again, feats))


def test_missing_values_scored_not_dropped_and_get_no_credit(trained):
    model, _, feats = trained
    f = feats.iloc[:5].copy()
    f.loc[:, ["treo_pct", "ndpr_pct", "log_contained_treo_t", "log_contained_ndpr_t",
              "basket_usd_t_ore"]] = np.nan
    out = score(model, f)
    assert len(out) == 5 and out["score"].notna().all()
    # an unknown grade never scores above the same row with its real grade
    assert (out["score"].to_numpy() <= score(model, feats.iloc[:5])["score"].to_numpy() + 1e-9).all()


def test_pillar_contributions_are_exact(trained):
    model, _, feats = trained
    X = matrix(model, feats)
    contrib = contributions(model, X)
    hgb = model.pipeline.named_steps["classifier"].calibrated_classifiers_[0].estimator
    slope = -model.pipeline.named_steps["classifier"].calibrated_classifiers_[0].calibrators[0].a_
    ref = pd.DataFrame([model.reference], columns=model.feature_names)
    raw = slope * (hgb.decision_function(X) - hgb.decision_function(ref)[0])
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), raw, atol=1e-9)


def test_one_pass_terms_equal_the_definition(trained):
    """One evaluation per tree gives predict_proba bit for bit and the swap-defined terms."""
    model, _, feats = trained
    X = matrix(model, feats)
    X.iloc[::3, 0] = np.nan  # missing values take each split's learned side
    proba, contrib = score_terms(model, X)
    assert model.compiled  # the numpy trees were used
    np.testing.assert_array_equal(proba, model.pipeline.predict_proba(X)[:, 1])
    pd.testing.assert_frame_equal(contrib, contributions_by_swapping(model, X), rtol=0, atol=1e-12)
    assert (contrib.abs().to_numpy() > 1e-6).any()  # the terms are not all zero


def test_scoring_falls_back_when_trees_cannot_be_compiled(trained, monkeypatch):
    import geoprospect.model.compiled

    model, _, feats = trained
    fast = score(model, feats)
    monkeypatch.setattr(geoprospect.model.compiled, "MAX_NODES_PER_TREE", 0)  # nothing compiles
    slow = score(replace(model, compiled=None), feats)
    pd.testing.assert_frame_equal(fast.drop(columns="drivers"), slow.drop(columns="drivers"),
                                  rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.sampled_from([0.0, -0.0, 0.5, -0.5, 1.25, -2.0, 0.004, -0.006])] * 3),
                min_size=1, max_size=30))
@example([(0.0, 0.5, -0.0), (-0.0, 0.5, 0.0)])
def test_drivers_match_a_per_row_formatting(rows):
    contrib = pd.DataFrame(rows, columns=["contrib_grade", "contrib_logistics", "contrib_risk"])
    expected = []
    for row in rows:
        order = sorted(range(3), key=lambda j: -abs(row[j]))  # stable: ties keep pillar order
        expected.append("; ".join(f"{['grade', 'logistics', 'risk'][j]} {row[j]:+.2f}" for j in order))
    assert scoring._drivers(contrib) == expected


def test_chunked_scoring_equals_whole(trained):
    model, _, feats = trained
    whole = score(model, feats)
    parts = pd.concat([score(model, feats.iloc[i:i + 7]) for i in range(0, len(feats), 7)])
    pd.testing.assert_frame_equal(whole, parts)


def test_encode_missing_gives_worst_values():
    f = pd.DataFrame({"treo_pct": [np.nan, 1.0], "port_km": [np.nan, 5.0], "elevation": [np.nan, 1]})
    e = encode_missing(f)
    assert e["treo_pct"].iloc[0] < -1e6 and e["port_km"].iloc[0] > 1e6
    assert np.isnan(e["elevation"].iloc[0])  # covariates: no monotone direction, NaN kept


def test_skops_round_trip_and_hash(trained, tmp_path):
    model, _, feats = trained
    path = save_model(model, tmp_path / "m.skops")
    loaded = load_model(path)
    pd.testing.assert_frame_equal(score(model, feats), score(loaded, feats))
    assert len(loaded.sha256) == 64 and loaded.metadata["n_train"] == 80
    with pytest.raises(OutputError, match=r"m\.skops: exists; allow overwriting"):
        save_model(model, path)


def test_untrusted_model_file_is_refused(tmp_path):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    bad = tmp_path / "evil.skops"
    sio.dump({"pipeline": FunctionTransformer(os.system)}, bad)
    with pytest.raises(ModelError, match="untrusted"):
        load_model(bad)


def test_pickle_and_garbage_refused(tmp_path):
    (tmp_path / "m.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelError, match="pickle"):
        load_model(tmp_path / "m.pkl")
    (tmp_path / "junk.skops").write_text("not a zip")
    with pytest.raises(ModelError, match="not a readable skops"):
        load_model(tmp_path / "junk.skops")
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "missing.skops")


def test_too_few_labels_is_a_clear_error():
    gdf = synthetic_deposits(10)
    feats = features_without_routes(gdf)
    with pytest.raises(ModelError, match="at least 3"):
        fit_scoring_model(feats, pd.Series([1] * 9 + [0]))


def test_all_empty_feature_is_dropped_and_recorded(trained):
    gdf = synthetic_deposits()
    feats = features_without_routes(gdf)
    feats["radioactive_ppm"] = np.nan
    m = fit_scoring_model(feats, synthetic_labels(feats))
    assert "radioactive_ppm" not in m.feature_names
    assert "radioactive_ppm" in m.metadata["dropped_features"]
    assert set(m.feature_names) < set(FEATURE_NAMES)


def test_processing_ease_hardest_mineral_decides():
    from geoprospect.features.grade import processing_ease

    minerals = pd.Series(["bastnaesite", "monazite;bastnaesite", "eudialyte;monazite", "", "ionic"])
    dtype = pd.Series(["carbonatite", "carbonatite", "alkaline_complex", "ionic_clay", ""])
    np.testing.assert_array_equal(processing_ease(minerals, dtype), [3, 2, 1, 3, 3])
    assert np.isnan(processing_ease(pd.Series([""]), pd.Series([""]))[0])
