"""Processing routes: deposit -> export port -> sea -> plants by chain stage -> magnet maker.

Public API
----------
RouteNetwork
    Ports, corridors, facilities, cost table, policy rules and the cached sea matrix, built once.
site_logistics
    Vectorised export port / land leg / cost to the first compatible plant (logistics pillar).
build_routes, RoutePlan
    Best route and alternatives per deposit, as a table and as a GeoDataFrame of legs.
"""

from geoprospect.routes.costs import CostTable, load_costs
from geoprospect.routes.feedstock import Feed, accepts, deposit_feed, facility_output
from geoprospect.routes.network import RouteNetwork
from geoprospect.routes.plan import RoutePlan, build_routes
from geoprospect.routes.sea import SeaMatrix, cache_dir
from geoprospect.routes.site import site_logistics

__all__ = [
    "CostTable", "Feed", "RouteNetwork", "RoutePlan", "SeaMatrix", "accepts", "build_routes", "cache_dir",
    "deposit_feed", "facility_output", "load_costs", "site_logistics",
]
