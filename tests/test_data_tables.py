"""The bundled research tables: types, units, ranges, a source for every number, ids that link.

These tests read the files as data (pandas, json), not through geoprospect's loaders, so a
loader bug cannot hide a data error.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geoprospect.io.bundled import layer_path
from geoprospect.io.schema import DEPOSIT_TYPES, MINERALS, RESOURCE_CLASSES, STAGES


def _geojson(name: str) -> pd.DataFrame:
    feats = json.loads(layer_path(name).read_text(encoding="utf-8"))["features"]
    rows = []
    for f in feats:
        rec = dict(f["properties"])
        geom = f["geometry"]
        rec["lon"], rec["lat"] = (geom["coordinates"] if geom else (None, None))
        rows.append(rec)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def deposits():
    return _geojson("deposits.geojson")


@pytest.fixture(scope="module")
def facts():
    return pd.read_csv(layer_path("deposit_facts.csv"), dtype=str, keep_default_na=False).replace("", None)


@pytest.fixture(scope="module")
def facilities():
    return _geojson("facilities.geojson")


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(layer_path(name), dtype=str, keep_default_na=False).replace("", None)


def _number(frame: pd.DataFrame, col: str) -> pd.Series:
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = frame[col].notna() & values.isna()
    assert not bad.any(), f"{col}: not a number in {frame.loc[bad, col].head(3).tolist()}"
    return values


RANGES = {"resource_mt": (0, 20_000), "treo_pct": (0, 60), "ndpr_pct": (0, 60), "dytb_pct": (0, 30),
          "th_ppm": (0, 200_000), "u_ppm": (0, 50_000), "reserve_mt": (0, 5_000),
          "reserve_treo_pct": (0, 60), "hm_pct": (0, 100), "monazite_pct_of_hm": (0, 100)}


def test_deposit_numbers_in_range_and_vocabularies(deposits):
    for col, (lo, hi) in RANGES.items():
        if col in deposits:
            v = _number(deposits, col).dropna()
            assert ((v >= lo) & (v <= hi)).all(), (col, v[(v < lo) | (v > hi)].tolist())
    assert deposits["id"].is_unique
    assert deposits["deposit_type"].dropna().isin(DEPOSIT_TYPES).all()
    assert deposits["stage"].dropna().isin(STAGES).all()
    assert deposits["resource_class"].dropna().isin(RESOURCE_CLASSES).all()
    minerals = deposits["main_ree_minerals"].dropna().str.split(";").explode().str.strip()
    assert minerals.isin(MINERALS).all() and not minerals.isin(["zircon"]).any()
    assert deposits["country"].isin(["IND", "ARG", "AUS", "MWI", "MMR"]).all()
    located = deposits["lon"].notna()
    assert deposits.loc[located, "lon"].between(-180, 180).all()
    assert deposits.loc[located, "lat"].between(-90, 90).all()


def test_every_deposit_number_has_a_source(deposits, facts):
    """A figure either comes with a fact row (its own source) or from a row that cites one."""
    with_fact = set(zip(facts["deposit_id"], facts["field"], strict=True))
    for col in RANGES:
        if col not in deposits:
            continue
        for did, value, src in deposits[["id", col, "source"]].itertuples(index=False):
            if pd.notna(value):
                assert (did, col) in with_fact or (isinstance(src, str) and src.strip()), (did, col)


def test_facts_are_sourced_unique_and_applied(deposits, facts):
    assert facts["source"].notna().all() and facts["source_url"].notna().all()
    assert not facts.duplicated(["deposit_id", "field"]).any()
    assert set(facts["deposit_id"]) <= set(deposits["id"])
    by_id = deposits.set_index("id")
    for did, field, value in facts[["deposit_id", "field", "value"]].itertuples(index=False):
        if field in RANGES:  # the layer carries the fact's number, not another one
            assert float(by_id.at[did, field]) == pytest.approx(float(value)), (did, field)
        elif field in ("lon", "lat"):
            assert by_id.at[did, field] == pytest.approx(float(value), abs=1e-6), (did, field)
        elif field in ("resource_class", "stage", "deposit_type", "main_ree_minerals"):
            assert by_id.at[did, field] == value, (did, field)


def test_facilities_capacity_policy_and_ports(facilities):
    assert facilities["id"].is_unique
    for col in ("feed_capacity_tpa", "product_capacity_tpa"):
        v = _number(facilities, col).dropna()
        assert (v > 0).all(), col
    with_capacity = facilities["product_capacity_tpa"].notna()
    assert facilities.loc[with_capacity, "product"].notna().all(), "a capacity says what it measures"
    assert facilities["third_party_policy"].dropna().isin(["yes", "no", "case_by_case"]).all()
    decided = facilities["third_party_policy"].notna()
    assert facilities.loc[decided, "third_party_source"].notna().all(), "each policy is sourced"
    assert facilities["radioactive_licence"].dropna().isin(["yes", "no"]).all()
    licensed = facilities["radioactive_licence"].notna()
    assert facilities.loc[licensed, "radioactive_licence_source"].notna().all()
    ports = set(_geojson("ports.geojson")["locode"])
    assert set(facilities["port_locode"].dropna()) <= ports
    assert facilities["source"].notna().all() and facilities["source_url"].notna().all()


def test_offtakes_link_to_deposits_projects_and_plants(facilities):
    off = _table("offtakes.csv")
    assert off["id"].is_unique
    known = set(_geojson("deposits.geojson")["id"]) | set(_geojson("projects.geojson")["id"])
    assert set(off["deposit_id"].dropna()) <= known
    assert set(off["plant_id"].dropna()) <= set(facilities["id"])
    assert off["binding"].dropna().isin(["binding", "mou", "option", "loi"]).all()
    assert off["status"].dropna().isin(["in_force", "expired", "terminated", "conditional"]).all()
    tpa = _number(off, "tpa").dropna()
    assert (tpa > 0).all()
    assert off.loc[off["tpa"].notna(), "tpa_basis"].notna().all(), "a volume says what it counts"
    assert off["source"].notna().all() and off["source_url"].notna().all()
    # the record behind the Kangankunde route: Iluka's Eneabba refinery, binding, 6,000 t/yr
    kk = off[(off["deposit_id"] == "mwi-kangankunde") & (off["plant_id"] == "aus-iluka-eneabba")]
    assert len(kk) == 1 and kk["binding"].iloc[0] == "binding"
    assert float(kk["tpa"].iloc[0]) == 6000


def test_policy_exemptions_name_real_deposits_with_a_source(deposits):
    ev = _table("policy_events.csv")
    assert ev["id"].is_unique
    ids = set(deposits["id"])
    for rec in ev[ev["exemptions"].notna()].itertuples():
        assert set(rec.exemptions.split(";")) <= ids
        assert isinstance(rec.exemption_source, str) and rec.exemption_source
    for col in ("in_force_from", "in_force_to"):
        dates = pd.to_datetime(ev[col], format="%Y-%m-%d", errors="coerce")
        assert (ev[col].isna() | dates.notna()).all(), col
    assert ev["applies_to"].dropna().isin(["ore", "concentrate", "processed", "technology", "any"]).all()


STUDY_NUMBERS = ("mine_plan_mt", "ore_throughput_mtpa", "feed_grade_treo_pct", "ndpr_pct",
                 "recovery_pct", "product_tpa", "ndpr_oxide_tpa", "capex_musd", "opex_usd_per_kg",
                 "mine_life_yr", "npv_musd", "npv_discount_pct", "irr_pct", "fx_usd_per_unit",
                 "ndpr_price_usd_per_kg")


def test_studies_table():
    st = _table("studies.csv")
    assert st["study_id"].is_unique and st["project"].notna().all()
    assert st["project"].nunique() >= 40
    for col in STUDY_NUMBERS:
        _number(st, col)
    assert st["study_type"].isin(["scoping", "PEA", "PFS", "DFS", "BFS", "FS_update"]).all()
    assert st["product"].dropna().isin(["concentrate", "mixed_chemical", "separated_oxide"]).all()
    assert st["npv_tax_basis"].dropna().isin(["pre_tax", "post_tax"]).all()
    has_npv = st["npv_musd"].notna()
    # an NPV is comparable only with its discount rate; where a source gave none it stays empty
    with_rate = has_npv & st["npv_discount_pct"].notna()
    assert with_rate.sum() >= 30 and (with_rate.sum() / has_npv.sum()) > 0.9
    assert _number(st, "npv_discount_pct").dropna().between(0, 20).all()
    assert _number(st, "recovery_pct").dropna().between(0, 100).all()
    # a USD figure converted from another currency carries the rate the study states
    converted = st["capex_musd"].notna() & st["currency"].notna() & (st["currency"] != "USD")
    assert st.loc[converted, "fx_usd_per_unit"].notna().all()
    assert st["source"].notna().all() and st["source_url"].notna().all()
    known = set(_geojson("deposits.geojson")["id"]) | set(_geojson("projects.geojson")["id"])
    assert set(st["deposit_id"].dropna()) <= known


def test_global_grade_tonnage_table():
    g = _table("ree_deposits_global.csv")
    assert len(g) >= 300 and g["gid"].is_unique
    assert g["source_dataset"].notna().all() and g["source_record_id"].notna().all()
    assert g["deposit_type"].dropna().isin(DEPOSIT_TYPES).all()
    for col in ("tonnage_mt", "treo_pct", "ndpr_pct", "dytb_pct"):
        v = _number(g, col).dropna()
        assert (v >= 0).all(), col
    shares = _number(g, "ndpr_pct").dropna()
    assert shares.between(0, 100).all() and len(shares) >= 50
    # composition shares are of TREO: Nd+Pr oxide cannot exceed the whole
    both = g[["ndpr_pct", "dytb_pct"]].apply(pd.to_numeric).dropna()
    assert (both.sum(axis=1) <= 100).all()


def test_country_terms_cover_every_country_with_a_premium(deposits):
    t = _table("country_terms.csv")
    assert t["source"].notna().all() and t["source_url"].notna().all()
    studies = _table("studies.csv")
    countries = set(deposits["country"]) | set(studies["country"].dropna())
    premium = t[t["term"] == "country_risk_premium_pct"]
    values = _number(premium, "value")
    assert values.notna().all() and (values >= 0).all()
    assert countries <= set(premium["iso3"]), countries - set(premium["iso3"])
    tax = t[t["term"] == "corporate_tax"]
    assert countries <= set(tax["iso3"])
    assert _number(tax, "value").between(0, 60).all()
    # a missing premium is never zero: an unrated country's premium is sourced and positive
    unrated = t[(t["term"] == "sovereign_rating_moodys") & (t["value"] == "NR")]["iso3"]
    assert (premium.set_index("iso3").loc[list(unrated), "value"].astype(float) > 0).all()


def test_coverage_improved_over_the_first_landing(deposits):
    """The first landing had 14 deposits with tonnage and grade and 5 with an NdPr share."""
    both = deposits["resource_mt"].notna() & deposits["treo_pct"].notna()
    assert both.sum() > 14
    assert deposits["resource_class"].notna().all(), "every deposit says what its numbers are"
    assert np.isfinite(pd.to_numeric(deposits["ndpr_pct"])).sum() >= 5
