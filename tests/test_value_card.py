"""Model card of the valuation: validation against published studies, summary, the card file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoprospect.io.bundled import layer_path
from geoprospect.model.value_card import COLUMNS, summary, validate_against_studies, why, write_card
from geoprospect.model.value_fit import load_valuation

PROJECTS = ["mwi-kangankunde", "zaf-phalaborwa-gypsum"]


@pytest.fixture(scope="module")
def params():
    return load_valuation()


@pytest.fixture(scope="module")
def studies():
    return pd.read_csv(layer_path("studies.csv"))


@pytest.fixture(scope="module")
def validated(params, studies):
    return validate_against_studies(0, studies=studies, params=params, draws=40, projects=PROJECTS)


def test_rows_and_columns(validated):
    assert list(validated.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert set(validated["study_id"]) == {"kangankunde-stage1-fs-2024", "phalaborwa-interim-2024"}
    assert validated["inside_band"].dtype == bool
    assert (validated["p10"] <= validated["screening_npv_musd"]).all()
    assert (validated["screening_npv_musd"] <= validated["p90"]).all()
    assert set(validated["price_basis"]) <= {"study", "studies-long-term"}


def test_own_capex_throughput_and_opex_never_used(params, studies, validated):
    changed = studies.copy()
    own = changed["deposit_id"] == "mwi-kangankunde"
    for col, factor in (("capex_value", 10.0), ("capex_musd", 10.0), ("ore_throughput_mtpa", 3.0),
                        ("opex_value", 5.0), ("mine_plan_mt", 2.0), ("product_tpa", 4.0),
                        ("product_treo_tpa", 4.0), ("mine_life_yr", 2.0), ("annual_revenue_value", 3.0),
                        ("coproduct_revenue_share_pct", 2.0)):
        changed.loc[own, col] = pd.to_numeric(changed.loc[own, col], errors="coerce") * factor
    again = validate_against_studies(0, studies=changed, params=params, draws=40,
                                     projects=["mwi-kangankunde"])
    before = validated.set_index("study_id").loc["kangankunde-stage1-fs-2024"]
    after = again.set_index("study_id").loc["kangankunde-stage1-fs-2024"]
    for col in ("screening_npv_musd", "p10", "p90"):
        assert after[col] == before[col]


def test_the_resource_is_used(params, studies, validated):
    """Control for the test above: the study's resource does move its screening NPV (a higher
    NdPr share adds revenue at the same TREO output and opex)."""
    changed = studies.copy()
    changed.loc[changed["study_id"] == "kangankunde-stage1-fs-2024", "ndpr_pct"] = 35.0
    again = validate_against_studies(0, studies=changed, params=params, draws=40,
                                     projects=["mwi-kangankunde"])
    before = validated.set_index("study_id").loc["kangankunde-stage1-fs-2024", "screening_npv_musd"]
    assert again["screening_npv_musd"].iloc[0] > before


def _table(published, screening, inside):
    return pd.DataFrame({"published_npv_musd": published, "screening_npv_musd": screening,
                         "inside_band": inside})


def test_summary_perfect_rank_agreement():
    s = summary(_table([100.0, 200.0, 300.0, 400.0], [50.0, 400.0, 600.0, 800.0],
                       [True, False, True, True]))
    assert s["n"] == 4
    assert s["spearman_rho"] == pytest.approx(1.0)
    assert s["median_ratio"] == pytest.approx(2.0)
    assert s["median_abs_log10_ratio"] == pytest.approx(np.log10(2.0))
    assert s["coverage_p10_p90"] == pytest.approx(0.75)


def test_summary_ratio_only_on_positive_rows_and_reversed_ranks():
    s = summary(_table([100.0, 200.0, 300.0], [300.0, 30.0, -50.0], [False, False, True]))
    assert s["spearman_rho"] == pytest.approx(-1.0)
    assert s["n_both_positive"] == 2
    assert s["median_ratio"] == pytest.approx(np.median([3.0, 0.15]))
    few = summary(_table([1.0, 2.0], [1.0, 2.0], [True, True]))
    assert np.isnan(few["spearman_rho"]) and few["coverage_p10_p90"] == 1.0


def test_write_card(tmp_path, params, validated):
    top = pd.DataFrame({"rank": [1, 2], "name": ["Alpha", "Beta"], "country": ["AUS", "MWI"],
                        "ndpr_oxide_tpa": [4000.0, 900.0], "capex_musd": [300.0, 310.0],
                        "npv_musd_p10": [-100.0, -600.0], "npv_musd_p50": [800.0, -200.0],
                        "npv_musd_p90": [2000.0, 100.0], "flags": ["", "unlicensed"],
                        "drivers": ["grade +700 MUSD; risk +50 MUSD; logistics -3 MUSD",
                                    "risk -150 MUSD; grade +20 MUSD; logistics +1 MUSD"],
                        "valuation_tier": ["estimated", "conditional"], "imputed": ["", "ndpr_pct;dytb_pct"]})
    path = write_card(tmp_path / "valuation.md", params, validated, top)
    text = path.read_text(encoding="utf-8")
    for word in ("baseline", "imputer", "production", "costs", "capex", "opex", "throughput", "recovery",
                 "Spearman", "kangankunde-stage1-fs-2024", "payability", "Alpha", "sha256"):
        assert word in text
    assert "did NOT beat" in text or "Every learned model beat" in text
    sentence = why(top.iloc[1])
    assert "conditional" in sentence and "unlicensed" in sentence and "ndpr_pct, dytb_pct" in sentence
    assert "risk -150 MUSD" in sentence
