"""Ranking the bundled deposits end to end (bundled valuation, bundled routes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoprospect.pipeline import OUTPUT_COLUMNS, Valuation, rank, rank_layer


def _valuation(draws=40, seed=3):
    return Valuation.load(draws=draws, seed=seed)


@pytest.fixture(scope="module")
def ranked():
    return rank_layer(valuation=_valuation(), seed=3)


def test_every_deposit_ranked_once_with_output_columns(ranked):
    from geoprospect.io.bundled import row_count

    assert len(ranked) == row_count("deposits.geojson")
    assert ranked["id"].is_unique
    for col in ("rank", "score", "npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "ndpr_oxide_tpa",
                "capex_musd", "value_grade_musd", "valuation_tier", "grade_score", "logistics_score",
                "risk_score", "score_p10", "score_p90", "p_top10", "drivers", "flags"):
        assert col in ranked.columns
    assert list(ranked.columns[: 3]) == [c for c in OUTPUT_COLUMNS if c in ranked.columns][:3]
    assert ranked["rank"].min() == 1 and ranked["rank"].is_monotonic_increasing


def test_scores_and_bands_are_sane(ranked):
    s = ranked["score"]
    assert s.between(0, 100).all()
    assert (ranked["score_p10"] <= ranked["score_p90"] + 1e-9).all()
    assert (ranked["npv_musd_p10"] <= ranked["npv_musd_p50"]).all()
    assert (ranked["npv_musd_p50"] <= ranked["npv_musd_p90"]).all()
    # rank follows the tier, then the median-input NPV (deterministic: no Monte Carlo noise)
    est = ranked[ranked["valuation_tier"] == "estimated"]
    cond = ranked[ranked["valuation_tier"] == "conditional"]
    assert est["rank"].max() < cond["rank"].min()
    assert est["npv_musd"].is_monotonic_decreasing and cond["npv_musd"].is_monotonic_decreasing
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
    state = rank_layer(valuation=_valuation(0), investor="state", countries=["IND"], routes=0)
    foreign = rank_layer(valuation=_valuation(0), investor="foreign", countries=["IND"], routes=0)
    assert not state["flags"].str.contains("state_reserved").any()
    assert foreign["flags"].str.contains("state_reserved").any()


def test_exclude_flagged_drops_blocked(ranked):
    kept = rank_layer(valuation=_valuation(0), exclude_flagged=True, routes=0)
    assert len(kept) < len(ranked)
    assert not kept["flags"].str.contains("armed_groups|unlicensed|conflict_area").any()


def test_same_seed_identical_and_country_filter():
    a = rank_layer(valuation=_valuation(20, 5), seed=5, countries=["MWI"], routes=0)
    b = rank_layer(valuation=_valuation(20, 5), seed=5, countries=["MWI"], routes=0)
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    assert set(a["country"]) == {"MWI"}


def test_weights_switch_to_transparent_view(ranked):
    w = rank_layer(valuation=_valuation(0), weights={"grade": 1.0, "logistics": 0.0, "risk": 0.0}, routes=0)
    np.testing.assert_allclose(w["score"], w["grade_score"].fillna(0))
    assert "value_score" in w
    assert (w["score"].diff().dropna() <= 1e-9).all()  # the weighted lens ranks by its own score


def test_per_row_scores_do_not_depend_on_the_set(ranked):
    from geoprospect.io.bundled import layer_path
    from geoprospect.io.validate import load_layer

    gdf, _ = load_layer(layer_path("deposits.geojson"))
    alone = rank(gdf.iloc[[0]], valuation=_valuation(), routes=0)
    row = ranked.set_index("id").loc[alone["id"].iloc[0]]
    for col in ("score", "npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "value_grade_musd",
                "grade_score", "logistics_score", "risk_score"):
        assert alone[col].iloc[0] == pytest.approx(row[col], nan_ok=True)


def test_rank_and_score_give_identical_per_row_columns(tmp_path):
    """The one pipeline: the batch command and rank compute the same per-row numbers."""
    from _support import run

    from geoprospect.io.bundled import layer_path

    out = tmp_path / "scored.parquet"
    r = run("score", layer_path("deposits.geojson"), "-o", out, "-q")
    assert r.exit_code == 0, r.output + r.stderr
    scored = pd.read_parquet(out).set_index("id")
    ranked = pd.DataFrame(rank_layer(valuation=Valuation.load(draws=100), routes=0)).set_index("id")
    per_row = ["score", "npv_musd", "npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "p_npv_positive",
               "ndpr_oxide_tpa", "capex_musd", "value_grade_musd", "value_logistics_musd",
               "value_risk_musd", "valuation_tier", "imputed", "grade_score", "logistics_score",
               "risk_score", "mcda_score", "drivers", "flags", "cost_to_plant_usd_t", "plant_id"]
    assert set(scored.index) == set(ranked.index)
    for col in per_row:
        a, b = scored.loc[ranked.index, col], ranked[col]
        if pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-12, err_msg=col)
        else:
            assert a.fillna("").tolist() == b.fillna("").tolist(), col


def test_binding_offtakes_in_force_are_flagged_not_scored():
    """Kangankunde's binding offtake with Iluka (offtakes.csv) is a flag beside the value."""
    import json as _json

    from geoprospect.io.bundled import layer_path

    off = pd.read_csv(layer_path("offtakes.csv"))
    live = set(off.loc[(off["status"] == "in_force") & (off["binding"] == "binding"), "deposit_id"].dropna())
    ranked = rank_layer(valuation=_valuation(0), routes=0).set_index("id")
    flagged = set(ranked.index[ranked["flags"].str.contains("offtake_committed")])
    layer_ids = {f["properties"]["id"] for f in
                 _json.loads(layer_path("deposits.geojson").read_text())["features"]}
    assert flagged == live & layer_ids and "mwi-kangankunde" in flagged
    # a flag never changes the value: the pipeline's NPV is the valuation's, which never reads the
    # offtakes table (its own study's figures come by id from studies.csv, offtakes do not)
    from geoprospect.io.validate import load_layer
    from geoprospect.model.valuation import value_rows

    gdf, _ = load_layer(layer_path("deposits.geojson"))
    one = gdf[gdf["id"] == "mwi-kangankunde"]
    ranked_one = rank(one, valuation=_valuation(0), routes=0)
    v = _valuation(0)
    direct, _ = value_rows(one, ranked_one["cost_to_plant_usd_t"].to_numpy(float), v.params, v.settings)
    assert "offtake_committed" in ranked_one["flags"].iloc[0]
    assert ranked_one["npv_musd"].iloc[0] == pytest.approx(direct["npv_musd"].iloc[0], rel=1e-12)


def test_conditional_values_rank_in_their_own_tier_unless_asked(tmp_path):
    import json

    from _support import run

    from geoprospect.pipeline import rank_order

    cols = pd.DataFrame({"npv_musd": [100.0, 500.0, 50.0],
                         "valuation_tier": ["estimated", "conditional", "estimated"]})
    assert rank_order(cols).tolist() == [1, 3, 2]  # the conditional value below every estimate
    assert rank_order(cols, tiers=False).tolist() == [2, 1, 3]  # one list by value
    for flag, mixed in (([], False), (["--one-tier"], True)):
        out = tmp_path / f"r{len(flag)}.json"
        res = run("rank", *flag, "--draws", "0", "--routes", "0", "-o", out)
        assert res.exit_code == 0, res.output
        tiers = [r["valuation_tier"] for r in json.loads(out.read_text(encoding="utf-8"))["records"]]
        first_conditional = tiers.index("conditional")
        assert ("estimated" in tiers[first_conditional:]) is mixed
