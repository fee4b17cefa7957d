"""Ranking the bundled deposits end to end (bundled model, bundled routes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoprospect.pipeline import OUTPUT_COLUMNS, rank, rank_layer


@pytest.fixture(scope="module")
def ranked():
    return rank_layer(draws=40, seed=3)


def test_every_deposit_ranked_once_with_output_columns(ranked):
    from geoprospect.io.bundled import row_count

    assert len(ranked) == row_count("deposits.geojson")
    assert ranked["id"].is_unique
    for col in ("rank", "score", "grade_score", "logistics_score", "risk_score", "score_p10",
                "score_p90", "p_top10", "drivers", "flags"):
        assert col in ranked.columns
    assert list(ranked.columns[: 3]) == [c for c in OUTPUT_COLUMNS if c in ranked.columns][:3]
    assert ranked["rank"].min() == 1 and ranked["rank"].is_monotonic_increasing


def test_scores_and_bands_are_sane(ranked):
    s = ranked["score"]
    assert s.between(0, 100).all()
    assert (ranked["score_p10"] <= ranked["score_p90"] + 1e-9).all()
    assert ranked["p_top10"].between(0, 1).all()
    # P(top-10) over the draws sums to 10 places
    assert ranked["p_top10"].sum() == pytest.approx(10, abs=1e-6)


def test_flags_reflect_sourced_legal_status(ranked):
    kachin = ranked[ranked["name"].str.contains("Kachin")]
    assert not kachin.empty
    assert kachin["flags"].str.contains("armed_groups|unlicensed").all()
    weld = ranked[ranked["id"] == "aus-mount-weld"]
    assert "producing" in weld["flags"].iloc[0]


def test_india_reservation_blocks_foreign_investor_only():
    state = rank_layer(draws=0, investor="state", countries=["IND"], routes=False)
    foreign = rank_layer(draws=0, investor="foreign", countries=["IND"], routes=False)
    assert not state["flags"].str.contains("state_reserved").any()
    assert foreign["flags"].str.contains("state_reserved").any()


def test_exclude_flagged_drops_blocked(ranked):
    kept = rank_layer(draws=0, exclude_flagged=True, routes=False)
    assert len(kept) < len(ranked)
    assert not kept["flags"].str.contains("armed_groups|unlicensed|conflict_area").any()


def test_same_seed_identical_and_country_filter():
    a = rank_layer(draws=20, seed=5, countries=["MWI"], routes=False)
    b = rank_layer(draws=20, seed=5, countries=["MWI"], routes=False)
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    assert set(a["country"]) == {"MWI"}


def test_weights_switch_to_transparent_view(ranked):
    w = rank_layer(draws=0, weights={"grade": 1.0, "logistics": 0.0, "risk": 0.0}, routes=False)
    np.testing.assert_allclose(w["score"], w["grade_score"].fillna(0))
    assert "model_score" in w


def test_per_row_scores_do_not_depend_on_the_set(ranked):
    from geoprospect.io.bundled import layer_path
    from geoprospect.io.validate import load_layer

    gdf, _ = load_layer(layer_path("deposits.geojson"))
    alone = rank(gdf.iloc[[0]], draws=0, routes=False)
    row = ranked.set_index("id").loc[alone["id"].iloc[0]]
    for col in ("score", "grade_score", "logistics_score", "risk_score"):
        assert alone[col].iloc[0] == pytest.approx(row[col], nan_ok=True)
