"""Features, one module per pillar: grade, logistics, political risk.

Each pillar is a plain function (GeoDataFrame in, DataFrame out, same index); reference tables
stay in ``layers/``. Every feature depends on its own row alone (plus the reference tables), so
scoring in chunks gives identical numbers.

:data:`FEATURES` lists the feature columns with their pillar (raster covariates may not reuse
these names); the transparent lens (:mod:`geoprospect.model.mcda`) and the valuation read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geoprospect.features.grade import grade_features
from geoprospect.features.logistics import logistics_features
from geoprospect.features.risk import risk_features


@dataclass(frozen=True)
class Feature:
    """One feature column."""

    name: str
    pillar: str
    description: str


FEATURES: tuple[Feature, ...] = (
    Feature("treo_pct", "grade", "TREO grade, %"),
    Feature("ndpr_pct", "grade", "NdPr share of TREO, %"),
    Feature("log_contained_treo_t", "grade", "log10 contained TREO, t"),
    Feature("log_contained_ndpr_t", "grade", "log10 contained NdPr oxide, t"),
    Feature("basket_usd_t_ore", "grade", "in-situ basket value, USD per t ore"),
    Feature("radioactive_ppm", "grade", "Th + U burden, ppm"),
    Feature("processing_ease", "grade",
            "1 refractory silicate hosts, 2 phosphates (monazite/xenotime), 3 bastnaesite or "
            "ion-adsorption clay; the hardest mineral present decides"),
    Feature("port_km", "logistics", "great-circle km to the chosen export port"),
    Feature("land_cost_usd_t", "logistics", "land leg cost to the export port, USD/t conc."),
    Feature("cost_to_plant_usd_t", "logistics", "cost to the cheapest compatible plant, USD/t"),
    Feature("wgi_va_pct", "risk", "WGI voice and accountability, percentile"),
    Feature("wgi_pv_pct", "risk", "WGI political stability, percentile"),
    Feature("wgi_ge_pct", "risk", "WGI government effectiveness, percentile"),
    Feature("wgi_rq_pct", "risk", "WGI regulatory quality, percentile"),
    Feature("wgi_rl_pct", "risk", "WGI rule of law, percentile"),
    Feature("wgi_cc_pct", "risk", "WGI control of corruption, percentile"),
    Feature("restrictive_events", "risk", "in-force restrictive policy/security events"),
    Feature("conflict_area", "risk", "site in an armed-conflict area (0/1)"),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
PILLARS = ("grade", "logistics", "risk")


def build_features(gdf, *, network=None, prices=None, risk_table=None) -> pd.DataFrame:
    """Compute every feature and report column for a normalised deposit layer.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Canonical columns (see :mod:`geoprospect.io.schema`); missing columns count as unknown.
    network : geoprospect.routes.RouteNetwork, optional
        Route network for the logistics pillar (the bundled default when None).
    prices : geoprospect.io.reference.PriceDeck, optional
        Price deck for the basket value (the bundled deck when None).
    risk_table : pandas.DataFrame, optional
        Wide country risk table (the bundled one when None).

    Returns
    -------
    pandas.DataFrame
        Same index as ``gdf``; the columns of :data:`FEATURE_NAMES` plus report columns.
    """

    parts = [
        grade_features(gdf, prices=prices),
        logistics_features(gdf, network=network),
        risk_features(gdf, risk_table=risk_table),
    ]
    return pd.concat(parts, axis=1)
