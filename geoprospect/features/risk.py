"""Political-risk pillar: WGI percentile ranks, restrictive policy events, armed conflict."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.features._columns import text
from geoprospect.reference import WGI_PCT


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
    from geoprospect.reference import admin1_events, country_risk_table

    table = risk_table if risk_table is not None else country_risk_table()
    iso3 = text(gdf, "country").str.upper().replace("", None)
    looked = table.reindex(iso3.to_numpy())
    out = pd.DataFrame(index=gdf.index)
    for col in WGI_PCT:
        out[col] = looked[col].to_numpy(dtype=float)
    admin1 = gdf["admin1"].to_numpy(dtype=object) if "admin1" in gdf else np.full(len(gdf), None)
    national = looked["restrictive_events"].to_numpy(dtype=float)
    regional = admin1_events(iso3.to_numpy(dtype=object), admin1)
    out["restrictive_events"] = np.where(np.isnan(national), np.nan, national + regional)
    conflict = text(gdf, "conflict_area")
    out["conflict_area"] = np.select([conflict == "yes", conflict == "no"], [1.0, 0.0], np.nan)
    out["wgi_mean_pct"] = out[list(WGI_PCT)].mean(axis=1, skipna=False)
    out["fraser_ppi"] = looked["fraser_ppi"].to_numpy(dtype=float)
    out["risk_events"] = looked["events"].to_numpy(dtype=object)
    return out
