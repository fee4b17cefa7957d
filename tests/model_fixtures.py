"""Small synthetic training sets for model tests (no routes, no network)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoprospect.features.grade import grade_features
from geoprospect.features.risk import risk_features

COUNTRIES = ["AUS", "CAN", "USA", "BRA", "ZAF", "CHN", "MWI", "IND", "ARG", "SWE", "TZA", "NAM"]


def synthetic_deposits(n: int = 80, seed: int = 1) -> gpd.GeoDataFrame:
    """Deposits with a plausible mix of grades, sizes and countries (geometry: no location)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": [f"d{i}" for i in range(n)],
            "name": [f"Deposit {i}" for i in range(n)],
            "country": rng.choice(COUNTRIES, n),
            "treo_pct": np.round(rng.lognormal(0, 0.9, n), 3),
            "ndpr_pct": np.round(rng.uniform(12, 35, n), 1),
            "resource_mt": np.round(rng.lognormal(3, 1.2, n), 2),
            "deposit_type": rng.choice(["carbonatite", "ionic_clay", "heavy_mineral_sands"], n),
            "minerals": rng.choice(["monazite", "bastnaesite", "ionic", "monazite;xenotime"], n),
        }
    )
    frame.loc[rng.random(n) < 0.15, "treo_pct"] = np.nan
    return gpd.GeoDataFrame(frame, geometry=[shapely.Point()] * n, crs="EPSG:4326")


def features_without_routes(gdf, cost=None) -> pd.DataFrame:
    """Grade + risk features and hand-set logistics columns."""
    rng = np.random.default_rng(7)
    feats = pd.concat([grade_features(gdf), risk_features(gdf)], axis=1)
    n = len(gdf)
    feats["port_km"] = rng.uniform(20, 1500, n) if cost is None else cost
    feats["land_cost_usd_t"] = feats["port_km"] * 0.1
    feats["cost_to_plant_usd_t"] = feats["land_cost_usd_t"] + rng.uniform(20, 120, n)
    return feats


def synthetic_labels(feats: pd.DataFrame, seed: int = 3) -> pd.Series:
    """Labels that depend (noisily) on grade, logistics and governance."""
    rng = np.random.default_rng(seed)
    logit = (0.9 * np.log(feats["treo_pct"].fillna(0.3)) - feats["port_km"] / 800
             + (feats["wgi_rl_pct"].fillna(50) - 50) / 40)
    return pd.Series((logit + rng.normal(0, 0.6, len(feats)) > 0).astype(int), index=feats.index)
