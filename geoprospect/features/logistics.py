"""Logistics pillar: the land leg to the best export port and the cost to a compatible plant.

Distances are on the sphere (unit-sphere KD-tree in :mod:`geoprospect.routes`); landlocked
countries use the corridor ports they really use (Malawi through Nacala or Beira). The full chain
cost to the magnet maker is a report column of ``geoprospect routes``, not a model feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.core.geodesy import lonlat
from geoprospect.features.columns import iso3_codes, numeric
from geoprospect.io.anchors import deposit_anchors
from geoprospect.io.schema import ree_minerals
from geoprospect.routes import site_logistics


def logistics_features(gdf, *, network=None) -> pd.DataFrame:
    """Logistics-pillar features for each row (vectorised over the whole frame).

    Parameters
    ----------
    gdf : GeoDataFrame
        Deposits (points or polygons; a polygon uses a point on its surface).
    network : geoprospect.routes.RouteNetwork, optional
        The route network; the bundled default (operating and construction facilities) when None.

    Returns
    -------
    pandas.DataFrame
        ``port_km``, ``land_cost_usd_t``, ``cost_to_plant_usd_t`` (features) and report columns
        ``export_port``, ``plant_id``, ``land_km``, ``sea_km``, ``days_to_plant``, ``co2_kg_t``,
        ``land_mode``, ``blocked_by`` (in-force rules forbidding the raw product's export) and
        ``route_note`` (why a row has no route, when the reason is known).
    """

    lon, lat = lonlat(gdf.geometry)
    iso3 = iso3_codes(gdf).to_numpy(dtype=object)
    minerals = ree_minerals(gdf).to_numpy(dtype=object)
    owner = gdf["owner"].to_numpy(dtype=object) if "owner" in gdf else None
    ids = gdf["id"].to_numpy(dtype=object) if "id" in gdf else None
    # a deposit whose own study sells a mixed chemical ships it to a separation plant (no raw export)
    products = deposit_anchors(ids)["product"].to_numpy(dtype=object) if ids is not None else None
    result = site_logistics(
        lon, lat, iso3, minerals=minerals, th_ppm=numeric(gdf, "th_ppm"),
        u_ppm=numeric(gdf, "u_ppm"), owner=owner, network=network, ids=ids, products=products,
    )
    result.index = gdf.index
    cols = ["port_km", "land_cost_usd_t", "cost_to_plant_usd_t", "export_port", "plant_id",
            "land_km", "sea_km", "days_to_plant", "co2_kg_t", "land_mode", "blocked_by", "route_note"]
    for col in cols:
        if col not in result:
            result[col] = np.nan
    return result[cols]
