"""Route legs (land, port, sea, on-site) with distance, days, cost and CO2 per tonne carried.

A leg's ``cost``/``co2`` are per tonne of the material it carries; ``mass`` is the tonnes of that
material per tonne of concentrate shipped from the deposit, so ``cost_t = cost * mass`` is the
leg's cost per tonne of concentrate (the unit route totals use).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from geoprospect.core.geodesy import haversine_km
from geoprospect.routes.network import RouteNetwork


@dataclass(frozen=True)
class Leg:
    """One leg of a route."""

    mode: str  # road | rail | road+rail | sea | port | site
    from_id: str
    to_id: str
    km: float
    days: float
    cost: float  # USD per tonne of material carried
    co2: float  # kg CO2 per tonne of material carried
    coords: tuple  # ((lon, lat), ...) at least two points
    mass: float = 1.0
    note: str = ""

    @property
    def cost_t(self) -> float:
        """USD per tonne of concentrate."""
        return self.cost * self.mass

    @property
    def co2_t(self) -> float:
        """kg CO2 per tonne of concentrate."""
        return self.co2 * self.mass

    def scaled(self, mass: float) -> Leg:
        """The same leg carrying ``mass`` tonnes per tonne of concentrate."""
        return replace(self, mass=mass)


def land_leg(net: RouteNetwork, mode: str, a_id: str, a_xy, b_id: str, b_xy, *, port: str | None = None,
             note: str = "") -> Leg:
    """Land leg between two points (network-routed when ``port`` is a prepared network port)."""
    r = net.land.leg(a_xy[0], a_xy[1], b_xy[0], b_xy[1], mode, port=port)
    return Leg(mode, a_id, b_id, float(r["km"]), float(r["days"]), float(r["cost"]), float(r["co2"]),
               (tuple(map(float, a_xy)), tuple(map(float, b_xy))), note=note)


def port_leg(net: RouteNetwork, code: str) -> Leg:
    """Handling at one port call (zero km)."""
    xy = net.port_xy(code)
    return Leg("port", code, code, 0.0, 0.0, net.costs.port_handling, 0.0, (xy, xy))


def sea_leg(net: RouteNetwork, a: str, b: str) -> Leg | None:
    """Sea leg between two ports along the searoute geometry; None when no passage is open."""
    km = net.sea.distance(a, b)
    if not np.isfinite(km):
        return None
    c = net.costs
    coords = tuple(map(tuple, net.sea.geometry(a, b).tolist())) or (net.port_xy(a), net.port_xy(b))
    crossed = net.sea.crossed(a, b)
    return Leg("sea", a, b, km, km / c.speed_kmh("sea") / 24, km * c.rate("sea"), km * c.co2("sea"),
               coords, note=f"via {crossed}" if crossed else "")


def site_leg(a_id: str, b_id: str, xy) -> Leg:
    """Hand-over between stages at the same site."""
    xy = tuple(map(float, xy))
    return Leg("site", a_id, b_id, 0.0, 0.0, 0.0, 0.0, (xy, xy))


def via_ports(net: RouteNetwork, a_id: str, a_xy, a_port: str, b_id: str, b_xy,
              b_port: str) -> list[Leg] | None:
    """Road to ``a_port``, handling, sea, handling, road to ``b``; None when no sea route."""
    if a_port == b_port:
        return [land_leg(net, "road", a_id, a_xy, b_id, b_xy)]
    sea = sea_leg(net, a_port, b_port)
    if sea is None:
        return None
    legs = []
    if a_id != a_port:
        legs.append(land_leg(net, "road", a_id, a_xy, a_port, net.port_xy(a_port)))
    legs += [port_leg(net, a_port), sea, port_leg(net, b_port)]
    if b_id != b_port:
        legs.append(land_leg(net, "road", b_port, net.port_xy(b_port), b_id, b_xy))
    return legs


def transfer(net: RouteNetwork, a: dict, b: dict) -> list[Leg] | None:
    """Cheapest way to move product from facility ``a`` to facility ``b``.

    Same site (< 1 km): an on-site hand-over. Same country: the cheaper of road and the sea
    route through both facilities' ports. Otherwise: through the ports.
    """
    a_xy, b_xy = (a["lon"], a["lat"]), (b["lon"], b["lat"])

    if float(haversine_km(*a_xy, *b_xy)) < 1.0:
        return [site_leg(a["id"], b["id"], a_xy)]
    options = []
    if a["country"] == b["country"]:
        options.append([land_leg(net, "road", a["id"], a_xy, b["id"], b_xy)])
    if a.get("port") and b.get("port"):
        sea = via_ports(net, a["id"], a_xy, a["port"], b["id"], b_xy, b["port"])
        if sea is not None:
            options.append(sea)
    if not options:
        return None
    return min(options, key=lambda legs: sum(leg.cost for leg in legs))


def first_plant_legs(net: RouteNetwork, site_id: str, xy, logistics: dict) -> list[Leg] | None:
    """The legs of one site's route to its first plant, as :func:`site_logistics` chose it.

    Built from the same per-leg functions as every other route (land, port handling, sea,
    road to the plant), so the sums of ``cost``, ``days`` and ``co2`` equal the row's
    ``cost_to_plant_usd_t``, ``days_to_plant`` and ``co2_kg_t``.

    Parameters
    ----------
    net : RouteNetwork
    site_id : str
    xy : (float, float)
        The site's lon/lat.
    logistics : dict
        One row of :func:`geoprospect.routes.site.site_logistics` (``export_port``,
        ``land_mode``, ``plant_id``).

    Returns
    -------
    list of Leg, or None when the row has no route.
    """
    port, plant_id = logistics.get("export_port"), logistics.get("plant_id")
    if not isinstance(port, str) or not isinstance(plant_id, str):
        return None
    fac = net.facilities
    plant = fac[fac["id"] == plant_id].iloc[0]
    legs = [land_leg(net, logistics["land_mode"], site_id, xy, port, net.port_xy(port), port=port)]
    onward = via_ports(net, port, net.port_xy(port), port, plant_id, (plant["lon"], plant["lat"]),
                       plant["port"])
    return None if onward is None else legs + onward
