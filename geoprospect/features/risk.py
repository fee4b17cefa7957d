"""Political-risk pillar: WGI percentile ranks, restrictive policy events, armed conflict."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.core.text import distinct_rows
from geoprospect.features.columns import iso3_codes, text
from geoprospect.io.reference import WGI_PCT, admin1_events, country_risk_table


def risk_features(gdf, *, risk_table=None) -> pd.DataFrame:
    """Risk-pillar features for each row, looked up by ISO3 country (and admin-1 for events).

    The six World Bank WGI percentile ranks of the country; the number of in-force restrictive
    policy or security events (export bans, state reservation, armed conflict, ...) recorded for
    the country or the row's admin-1 region; ``conflict_area`` from the layer (yes = 1).
    Fraser Institute policy perception is reported beside the features (``fraser_ppi``) but is
    not a model input: it is missing for Malawi and Myanmar.

    Returns
    -------
    pandas.DataFrame
        Risk features plus report columns ``wgi_mean_pct``, ``fraser_ppi``, ``risk_events``.
    """

    table = risk_table if risk_table is not None else country_risk_table()
    iso3 = iso3_codes(gdf).to_numpy(dtype=object)
    admin1 = gdf["admin1"].to_numpy(dtype=object) if "admin1" in gdf else np.full(len(gdf), None)
    conflict = text(gdf, "conflict_area").to_numpy(dtype=object)
    # every value below depends on (country, admin-1, conflict) only: look up each distinct
    # combination once (batch inputs repeat a few of them over millions of rows)
    inverse, first = distinct_rows(iso3, admin1, conflict)
    looked = table.reindex(iso3[first])
    out = pd.DataFrame(index=pd.RangeIndex(len(first)))
    for col in WGI_PCT:
        out[col] = looked[col].to_numpy(dtype=float)
    national = looked["restrictive_events"].to_numpy(dtype=float)
    regional = admin1_events(iso3[first], admin1[first])
    out["restrictive_events"] = np.where(np.isnan(national), np.nan, national + regional)
    c = conflict[first]
    out["conflict_area"] = np.select([c == "yes", c == "no"], [1.0, 0.0], np.nan)
    out["wgi_mean_pct"] = out[list(WGI_PCT)].mean(axis=1, skipna=False)
    out["fraser_ppi"] = looked["fraser_ppi"].to_numpy(dtype=float)
    out["risk_events"] = looked["events"].to_numpy(dtype=object)
    out = out.take(inverse)
    out.index = gdf.index
    return out
