"""The training label and its censoring."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.model.labels import outcome_label


def test_label_rules():
    df = pd.DataFrame({
        "stage": ["production", "cancelled", "resource", "resource", "feasibility", "historic",
                  "exploration"],
        "year_production": [2010, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
        "year_first_resource": [2001, 2012, 2010, 2022, np.nan, np.nan, np.nan],
        "resource_year": [np.nan, np.nan, np.nan, np.nan, 2012, np.nan, np.nan],
    })
    label = outcome_label(df, as_of=2026)
    expected = [1, 0, 0, np.nan, 0, 1, np.nan]
    np.testing.assert_array_equal(label.to_numpy(), np.array(expected, dtype=float))


def test_young_projects_are_censored_not_failures():
    df = pd.DataFrame({"stage": ["feasibility"], "year_first_resource": [2020]})
    assert outcome_label(df, as_of=2026).isna().all()
    assert outcome_label(df, as_of=2031).iloc[0] == 0


def test_construction_counts_as_advanced_even_if_later_suspended():
    df = pd.DataFrame({"stage": ["suspended"], "year_construction": [2019]})
    assert outcome_label(df).iloc[0] == 1
