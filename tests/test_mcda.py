"""The transparent multi-criteria view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoprospect.model.mcda import (
    INDICATORS,
    fit_bounds,
    parse_weights,
    pillar_scores,
    weight_sensitivity,
    weighted_score,
)


def _features(**cols):
    n = len(next(iter(cols.values())))
    base = {ind.name: np.full(n, np.nan) for ind in INDICATORS}
    base.update({k: np.asarray(v, dtype=float) for k, v in cols.items()})
    return pd.DataFrame(base)


def test_pillar_scores_follow_directions_and_bounds():
    f = _features(treo_pct=[0.1, 1.0, 10.0], cost_to_plant_usd_t=[100, 200, 300],
                  wgi_mean_pct=[10, 50, 90])
    lo, hi = fit_bounds(f)
    p = pillar_scores(f, lo, hi)
    assert p["grade_score"].is_monotonic_increasing
    assert p["logistics_score"].is_monotonic_decreasing
    np.testing.assert_allclose(p["risk_score"], [10, 50, 90])  # fixed 0-100 bounds


def test_pillar_with_no_data_is_unknown_not_zero():
    f = _features(treo_pct=[1.0, np.nan], wgi_mean_pct=[50, 50])
    lo, hi = fit_bounds(_features(treo_pct=[0.5, 1.0, 2.0]))
    p = pillar_scores(f, lo, hi)
    assert np.isnan(p["grade_score"].iloc[1]) and np.isnan(p["logistics_score"]).all()


def test_conflict_lowers_risk_score():
    f = _features(wgi_mean_pct=[40, 40], conflict_area=[0, 1])
    lo, hi = fit_bounds(f)
    p = pillar_scores(f, lo, hi)
    assert p["risk_score"].iloc[1] < p["risk_score"].iloc[0]


def test_weighted_score_worked_example():
    pillars = pd.DataFrame({"grade_score": [80.0, 20.0], "logistics_score": [50.0, 90.0],
                            "risk_score": [10.0, np.nan]})
    w = parse_weights("grade=0.5,logistics=0.2,risk=0.3")
    s = weighted_score(pillars, w)
    np.testing.assert_allclose(s, [0.5 * 80 + 0.2 * 50 + 0.3 * 10, 0.5 * 20 + 0.2 * 90 + 0])


@pytest.mark.parametrize("text,match", [("grade=x", "not a number"), ("colour=1", "unknown"),
                                        ("grade=-1", "negative"), ("grade=0", "zero")])
def test_bad_weights_are_clear_errors(text, match):
    with pytest.raises(ValueError, match=match):
        parse_weights(text)


def test_weights_are_normalised():
    assert parse_weights("grade=2,risk=2") == {"grade": 0.5, "logistics": 0.0, "risk": 0.5}


def test_sensitivity_dominant_row_is_stable():
    pillars = pd.DataFrame({"grade_score": [90, 50, 10, 60], "logistics_score": [90, 40, 10, 30],
                            "risk_score": [90, 60, 10, 45]}, dtype=float)
    s = weight_sensitivity(pillars, draws=300, seed=1)
    assert s.loc[0, "rank_best"] == s.loc[0, "rank_worst"] == 1  # dominates every weighting
    assert s.loc[2, "rank_median"] == 4
    assert (s["rank_stability"] <= 1).all()
