"""Overland export: deposits whose concentrate crosses a land border by road to a plant.

``corridors.csv`` rows of ``kind == "border_crossing"`` (Myanmar's Kachin and Shan crossings into
Yunnan, each sourced) give a country overland exits to ``to_country``. For a deposit in such a
country the overland candidates are the plants open to its feed in the countries its crossings
lead to; the cost is the road leg from the deposit to the plant (great circle x circuity, the
land model of every route) plus one border handling charge (the port handling rate). A country
whose crossings are marked ``exclusive`` ships rare earths only overland (its sea ports are no
export route); when the scenario avoids every country its crossings lead to, such a deposit has
no route, and the reason says so.
"""

from __future__ import annotations

import numpy as np

from geoprospect.routes.network import RouteNetwork


def overland_best(net: RouteNetwork, iso3: str, admin1, lon: np.ndarray, lat: np.ndarray,
                  open_plants: np.ndarray) -> dict[str, np.ndarray]:
    """Cheapest overland plant of each row of one country (arrays over the rows).

    Parameters
    ----------
    net : RouteNetwork
    iso3 : str
        The rows' country.
    admin1 : str or None
        Unused: crossings of the country's other regions count too (the sources give no
        region-to-gate map for most mines); the label names the country's first crossing.
    lon, lat : numpy.ndarray
        The rows' coordinates.
    open_plants : numpy.ndarray of bool
        Mask over ``net.facilities`` of the plants open to the rows' feed.

    Returns
    -------
    dict
        ``cost``, ``km``, ``days``, ``co2`` (inf/NaN where none), ``plant`` (index into
        ``net.facilities`` or -1) and ``crossing`` (corridor id or None).
    """
    n = len(lon)
    out = {"cost": np.full(n, np.inf), "km": np.full(n, np.nan), "days": np.full(n, np.nan),
           "co2": np.full(n, np.nan), "plant": np.full(n, -1), "crossing": np.full(n, None, dtype=object)}
    cross = net.crossings[net.crossings["country"].astype(str).str.upper() == iso3]
    if cross.empty or n == 0:
        return out
    fac = net.facilities
    for j, leg, cost in _overland_legs(net, cross, lon, lat, open_plants):
        better = cost < out["cost"]
        out["cost"] = np.where(better, cost, out["cost"])
        out["km"] = np.where(better, leg["km"], out["km"])
        out["days"] = np.where(better, leg["days"], out["days"])
        out["co2"] = np.where(better, leg["co2"], out["co2"])
        out["plant"] = np.where(better, j, out["plant"])
    to = cross.drop_duplicates("to_country").set_index("to_country")["id"]
    out["crossing"] = np.array([to.get(fac.at[p, "country"]) if p >= 0 else None for p in out["plant"]],
                               dtype=object)
    return out


def overland_costs(net: RouteNetwork, iso3: str, lon: np.ndarray, lat: np.ndarray,
                   open_plants: np.ndarray) -> np.ndarray:
    """Overland cost (USD/t) from each row of one country to every facility: rows x
    ``net.facilities``, inf where the plant is not open to the feed or not across a crossing."""
    out = np.full((len(lon), len(net.facilities)), np.inf)
    cross = net.crossings[net.crossings["country"].astype(str).str.upper() == iso3]
    for j, _leg, cost in _overland_legs(net, cross, lon, lat, open_plants):
        out[:, j] = cost
    return out


def _overland_legs(net: RouteNetwork, cross, lon, lat, open_plants):
    """``(facility index, road leg, cost)`` for each open plant in a country the crossings lead
    to: the road from the rows to the plant plus one border handling charge."""
    fac = net.facilities
    dest = open_plants & fac["country"].isin(set(cross["to_country"])).to_numpy()
    for j in np.flatnonzero(dest):
        leg = net.land.leg(lon, lat, fac.at[j, "lon"], fac.at[j, "lat"], "road")
        yield j, leg, leg["cost"] + net.costs.port_handling


def no_route_reason(net: RouteNetwork, iso3: str) -> str | None:
    """Why a deposit of an overland-only country has no route in this scenario (None if it may)."""
    if iso3 not in net.exclusive_overland:
        return None
    if (net.crossings["country"].astype(str).str.upper() == iso3).any():
        return None
    return f"{iso3} ships rare earths only overland and the scenario avoids {', '.join(net.avoid)}"




def overland_gap(net: RouteNetwork, iso3: str) -> str:
    """Why no plant across an overland-only country's crossings takes its feed."""
    mine = net.crossings["country"].astype(str).str.upper() == iso3
    dest = sorted(set(net.crossings.loc[mine, "to_country"]))
    inv = net.investor
    avoided = [c for c in dest if inv is not None and c in inv.avoid_counterparty_countries]
    if avoided:
        return (f"{iso3} ships rare earths only overland, to {', '.join(dest)}, whose plants the investor "
                f"({inv.short}) avoids")
    return f"no plant in {', '.join(dest)} across its overland crossings takes its feed"
