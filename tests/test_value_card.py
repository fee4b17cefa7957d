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


def test_validation_keeps_the_screening_components(validated):
    from geoprospect.model.value_validation import COMPONENTS

    for c in COMPONENTS:
        assert f"screening_{c}" in validated.columns
    assert validated["screening_product"].isin(["concentrate", "mixed_chemical", "separated_oxide"]).all()
    v = validated
    assert (v["screening_opex_musd_yr"] > 0).all() and (v["screening_capex_musd"] > 0).all()
    assert (v["screening_ebitda_musd_yr"] <= v["screening_revenue_musd_yr"] - v["screening_opex_musd_yr"]
            + 1e-9).all()


def test_component_ratios_against_the_study_figures(validated):
    from geoprospect.model.value_diagnosis import COMPONENT_NAMES, component_ratios, study_components

    comp = component_ratios(validated)
    assert list(comp.index) == list(COMPONENT_NAMES.values())
    own = study_components().loc["kangankunde-stage1-fs-2024"]
    row = validated.set_index("study_id").loc["kangankunde-stage1-fs-2024"]
    one = component_ratios(validated[validated["study_id"] == "kangankunde-stage1-fs-2024"])
    assert one.loc["initial capex", "n"] == 1
    ratio = row["screening_capex_musd"] / own["capex_musd"]
    assert one.loc["initial capex", "median_ratio"] == pytest.approx(ratio)
    assert one.loc["NdPr oxide output", "n"] == 0  # the study publishes no NdPr output


def test_engine_check_reproduces_the_cash_flow_engine(params, validated):
    from geoprospect.model.economics import BUILD_YEARS, Project, npv
    from geoprospect.model.value_diagnosis import engine_check

    base = engine_check(validated, params).set_index("study_id")
    # Kangankunde stage 1: its own capex, EBITDA (after royalties) and life, post-tax at 8 %,
    # Malawi's tax and free carry
    from geoprospect.io.studies import standard_studies
    from geoprospect.io.terms import country_terms

    s = standard_studies().set_index("study_id").loc["kangankunde-stage1-fs-2024"]
    t = country_terms(["MWI"]).iloc[0]
    project = Project(capex=s["capex_real_usd_m"], revenue=s["ebitda_real_usd_m_yr"], opex=0.0,
                      life=s["mine_life_yr"], royalty=0.0, tax=t["tax_pct"] / 100, carry=t["carry_pct"] / 100)
    expected = float(npv(project, 0.08))
    assert base.loc["kangankunde-stage1-fs-2024", "engine_npv_musd"] == pytest.approx(expected)
    worse = engine_check(validated, params, capex_factor=1.26, first_year_shortfall=0.3).set_index("study_id")
    dearer = Project(**{**vars(project), "capex": 1.26 * s["capex_real_usd_m"]})
    first = dearer.operating()[0] * 1.08 ** -BUILD_YEARS  # the first production year's cash flow
    assert worse.loc["kangankunde-stage1-fs-2024", "engine_npv_musd"] == pytest.approx(
        float(npv(dearer, 0.08)) - 0.3 * first, rel=1e-9)
    assert worse.loc["kangankunde-stage1-fs-2024", "engine_npv_musd"] < expected


def test_gap_by_group_counts(validated):
    from geoprospect.model.value_diagnosis import gap_by_group

    g = gap_by_group(validated)
    assert g.loc["all", "n"] == len(validated)
    assert g.loc["study before 2015", "n"] + g.loc["study from 2015", "n"] == len(validated)
    assert g.loc["screen chose the study's product", "n"] + g.loc["screen chose another product", "n"] \
        == len(validated)
