"""Model features, one module per pillar: grade, logistics, political risk.

Each pillar is a plain function (GeoDataFrame in, DataFrame out, same index), so the saved model
holds only scikit-learn types and reference tables stay in ``layers/``. Every feature depends on
its own row alone (plus the reference tables), so scoring in chunks gives identical numbers.

:data:`FEATURES` lists the model matrix: name, pillar and the monotone direction that domain
knowledge demands (+1: more is never worse; -1: more is never better; 0: free).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geoprospect.features.grade import grade_features
from geoprospect.features.logistics import logistics_features
from geoprospect.features.risk import risk_features


@dataclass(frozen=True)
class Feature:
    """One column of the model matrix."""

    name: str
    pillar: str
    monotone: int
    description: str


FEATURES: tuple[Feature, ...] = (
    Feature("treo_pct", "grade", +1, "TREO grade, %"),
    Feature("ndpr_pct", "grade", +1, "NdPr share of TREO, %"),
    Feature("log_contained_treo_t", "grade", +1, "log10 contained TREO, t"),
    Feature("log_contained_ndpr_t", "grade", +1, "log10 contained NdPr oxide, t"),
    Feature("basket_usd_t_ore", "grade", +1, "in-situ basket value, USD per t ore"),
    Feature("radioactive_ppm", "grade", -1, "Th + U burden, ppm"),
    Feature("processing_ease", "grade", +1,
            "1 refractory silicate hosts, 2 phosphates (monazite/xenotime), 3 bastnaesite or "
            "ion-adsorption clay; the hardest mineral present decides"),
    Feature("port_km", "logistics", -1, "great-circle km to the chosen export port"),
    Feature("land_cost_usd_t", "logistics", -1, "land leg cost to the export port, USD/t conc."),
    Feature("cost_to_plant_usd_t", "logistics", -1, "cost to the cheapest compatible plant, USD/t"),
    Feature("wgi_va_pct", "risk", +1, "WGI voice and accountability, percentile"),
    Feature("wgi_pv_pct", "risk", +1, "WGI political stability, percentile"),
    Feature("wgi_ge_pct", "risk", +1, "WGI government effectiveness, percentile"),
    Feature("wgi_rq_pct", "risk", +1, "WGI regulatory quality, percentile"),
    Feature("wgi_rl_pct", "risk", +1, "WGI rule of law, percentile"),
    Feature("wgi_cc_pct", "risk", +1, "WGI control of corruption, percentile"),
    Feature("restrictive_events", "risk", -1, "in-force restrictive policy/security events"),
    Feature("conflict_area", "risk", -1, "site in an armed-conflict area (0/1)"),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
PILLARS = ("grade", "logistics", "risk")


def pillar_of(name: str) -> str:
    """Return the pillar a feature belongs to."""
    return next(f.pillar for f in FEATURES if f.name == name)


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
