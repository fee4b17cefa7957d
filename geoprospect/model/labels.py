"""The training label: did a project reach construction or production?

Label (documented in the model card):

* **1 (advanced)** — the project reached construction or production at some time: a
  ``year_construction`` or ``year_production`` is recorded, or its stage is ``construction``,
  ``production`` or ``historic`` (a past producer).
* **0 (did not advance)** — it never did, and it had its chance: it was ``cancelled`` or
  ``suspended`` before producing, or its first known resource (``year_first_resource``, else the
  ``resource_year`` of a statement, which can only be later than the first) is at least
  :data:`OPPORTUNITY_YEARS` years before ``as_of``.
* **censored (NaN)** — too young to judge, or no year to judge by: left out of training, never
  counted as a failure.

``stage``, the years and the resource category exist only because a project advanced, so they
decide the label and are never features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OPPORTUNITY_YEARS = 10
"""Years after a first resource within which a project that will advance usually has (the
'opportunity window'; projects younger than this are censored)."""

ADVANCED_STAGES = ("construction", "production", "historic")
FAILED_STAGES = ("cancelled", "suspended")


def outcome_label(gdf, *, as_of: int = 2026, years: int = OPPORTUNITY_YEARS) -> pd.Series:
    """Return the label per row: 1.0 advanced, 0.0 did not advance, NaN censored.

    Parameters
    ----------
    gdf : DataFrame
        Canonical columns ``stage``, ``year_construction``, ``year_production``,
        ``year_first_resource``, ``resource_year`` (absent columns count as unknown).
    as_of : int
        The year of the data (projects are judged as of then).
    years : int
        The opportunity window.
    """
    def col(name):
        if name not in gdf:
            return pd.Series(np.nan, index=gdf.index)
        return pd.to_numeric(gdf[name], errors="coerce")

    stage = gdf["stage"].astype("string").str.lower() if "stage" in gdf else pd.Series(
        pd.NA, index=gdf.index, dtype="string")
    advanced = (col("year_construction").notna() | col("year_production").notna()
                | stage.isin(ADVANCED_STAGES).fillna(False))
    first = col("year_first_resource").fillna(col("resource_year"))
    had_chance = first <= as_of - years
    failed = stage.isin(FAILED_STAGES).fillna(False) | had_chance.fillna(False)
    label = pd.Series(np.nan, index=gdf.index, name="label")
    label[failed.to_numpy()] = 0.0
    label[advanced.to_numpy()] = 1.0
    return label
