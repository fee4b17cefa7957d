"""Best and alternative processing routes of deposits: deposit -> export port -> plants -> magnet maker.

For each deposit a small directed graph (networkx) is built: the deposit, the export ports it may
use, every facility that counts, and a sink for the magnet makers of the destination market.
Edges exist only where the receiving facility accepts what arrives (feedstock, licensing,
captive-plant rules of :mod:`geoprospect.routes.feedstock`) and carry their legs; the weight is
the cost per tonne of concentrate. Downstream of cracking the material carried shrinks: a tonne
of concentrate becomes ``concentrate_treo`` tonnes of mixed chemical (REO basis) and, after
separation, ``concentrate_treo * NdPr share`` tonnes of NdPr oxide go on to the magnet maker.

Routes are the k cheapest simple paths (Yen's algorithm) that no in-force policy rule forbids;
cheaper routes that a rule forbids are listed after them with ``blocked_by`` naming the rule(s).
Processing charges are not included: these are logistics costs.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.core.geodesy import lonlat
from geoprospect.errors import RouteError
from geoprospect.io.anchors import deposit_anchors
from geoprospect.io.schema import ree_minerals
from geoprospect.routes.feedstock import RANK, accepts, deposit_feed, facility_output, shipped_feed
from geoprospect.routes.legs import Leg, land_leg, transfer, via_ports
from geoprospect.routes.network import RouteNetwork
from geoprospect.routes.overland import no_route_reason, overland_gap
from geoprospect.routes.site import open_to

log = logging.getLogger(__name__)
TABLE_COLUMNS = ["deposit_id", "deposit_name", "alternative", "export_port", "plants", "magnet_maker",
                 "total_km", "total_days", "cost_usd_per_t_conc", "cost_usd_per_t_ndpr", "co2_kg_per_t",
                 "blocked_by", "summary"]
LEG_COLUMNS = ["deposit_id", "alternative", "leg", "mode", "from_id", "to_id", "km", "days", "cost_usd_t",
               "co2_kg_t", "note"]
MAX_BLOCKED_SCAN = 200


@dataclass
class RoutePlan:
    """Routes of a set of deposits: ``table`` (one row per route) and ``legs`` (GeoDataFrame)."""

    table: pd.DataFrame
    legs: object  # GeoDataFrame

    def best(self) -> pd.DataFrame:
        """Alternative 0 of every deposit."""
        return self.table[self.table["alternative"] == 0].reset_index(drop=True)


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = str(value).strip()
    return s or None


class _Planner:
    """Holds per-network caches shared by all deposits of one build_routes call."""

    def __init__(self, net: RouteNetwork) -> None:
        self.net = net
        self.fac = net.facilities.to_dict("records")
        self.out = [facility_output(f.get("stages")) for f in self.fac]
        self.g = net.costs.get("concentrate_treo") / 100
        self.s_default = net.costs.get("ndpr_share_default") / 100
        self._transfers: dict[tuple[int, int], list[Leg] | None] = {}
        self._chain = self._chain_edges()

    def _chain_edges(self) -> list[tuple[int, int, tuple[str, ...]]]:
        """Facility -> facility edges (a's product accepted by b), with b's licence blocks."""
        edges = []
        for i, a in enumerate(self.fac):
            if self.out[i] is None or self.out[i] == "magnet":
                continue
            for j, b in enumerate(self.fac):
                if i != j and accepts(b, self.out[i], owner=a.get("operator")) is None:
                    edges.append((i, j, tuple(self.net.policy.facility_block(b))))
        return edges

    def transfer(self, i: int, j: int) -> list[Leg] | None:
        if (i, j) not in self._transfers:
            self._transfers[(i, j)] = transfer(self.net, self.fac[i], self.fac[j])
        return self._transfers[(i, j)]

    def graph(self, dep: dict):
        """Directed graph of one deposit's possible routes."""
        import networkx as nx

        net, feed = self.net, dep["feed"]
        ndpr = dep["ndpr_share"]

        def mass(product: str) -> float:
            r, r0 = RANK[product], RANK[feed.product]
            return 1.0 if r <= r0 else (self.g if r == 1 else self.g * ndpr)

        G = nx.DiGraph()

        def add(u, v, legs: list[Leg], m: float, blocks=()):
            legs = [leg.scaled(m) for leg in legs]
            w = sum(leg.cost_t for leg in legs)
            if not math.isfinite(w):
                return
            if G.has_edge(u, v) and G[u][v]["weight"] <= w:
                return
            G.add_edge(u, v, weight=w, legs=legs, blocks=tuple(blocks))

        xy = (dep["lon"], dep["lat"])
        export_block = net.policy.export_block(dep["iso3"], dep["admin1"], feed, dep["id"])
        for pi, mode, corridor in net.export_options(dep["iso3"], dep["admin1"]):
            code = net.ports.at[pi, "locode"]
            leg = land_leg(net, mode, dep["id"], xy, code, net.port_xy(code), port=code,
                           note=f"corridor {corridor}" if corridor else "")
            add("D", ("P", code), [leg], 1.0)
        ports = list(G.successors("D")) if "D" in G else []
        crossings = net.crossings[net.crossings["country"].astype(str).str.upper() == str(dep["iso3"] or "")]
        overland = dict(zip(crossings["to_country"], crossings["id"], strict=True))
        first = dep.get("first_plant")
        for j, f in enumerate(self.fac):
            if not open_to(f, feed, dep["owner"], net, need_port=False) or first not in (None, f["id"]):
                continue
            blocks = list(net.policy.facility_block(f))
            abroad = f["country"] != dep["iso3"]
            if abroad:
                blocks += export_block
            if not abroad or f["country"] in overland:  # by road at home, or across a land border
                note = f"overland via {overland[f['country']]}" if abroad else ""
                add("D", ("F", j), [land_leg(net, "road", dep["id"], xy, f["id"], (f["lon"], f["lat"]),
                                             note=note)], 1.0, blocks)
            if f.get("port") is None:
                continue
            for node in ports:
                legs = via_ports(net, node[1], net.port_xy(node[1]), node[1], f["id"], (f["lon"], f["lat"]),
                                 f["port"])
                if legs is not None:
                    add(node, ("F", j), legs, 1.0, blocks)
        for i, j, blocks in self._chain:
            legs = self.transfer(i, j)
            if legs is not None:
                add(("F", i), ("F", j), legs, mass(self.out[i]), blocks)
        for j, f in enumerate(self.fac):
            if self.out[j] == "magnet" and f["country"] in net.destination:
                G.add_edge(("F", j), "T", weight=0.0, legs=[], blocks=())
        return G

    def routes(self, dep: dict, k: int) -> list[tuple[list, float, tuple[str, ...]]]:
        """Up to k unblocked cheapest paths, then cheaper blocked ones: (path, cost, blocks)."""
        import networkx as nx

        G = self.graph(dep)
        if "D" not in G or "T" not in G:
            return []
        ok_edges = [(u, v) for u, v, b in G.edges(data="blocks") if not b]
        G_ok = G.edge_subgraph(ok_edges)
        found = []
        if "D" in G_ok and "T" in G_ok and nx.has_path(G_ok, "D", "T"):
            for path in itertools.islice(nx.shortest_simple_paths(G_ok, "D", "T", weight="weight"), k):
                found.append((path, nx.path_weight(G, path, "weight"), ()))
        if not nx.has_path(G, "D", "T"):
            return found
        ceiling = found[0][1] if found else math.inf
        blocked = []
        gen = nx.shortest_simple_paths(G, "D", "T", weight="weight")
        for path in itertools.islice(gen, MAX_BLOCKED_SCAN):
            cost = nx.path_weight(G, path, "weight")
            if cost >= ceiling or len(blocked) >= k:
                break
            rules = sorted({r for u, v in itertools.pairwise(path) for r in G[u][v]["blocks"]})
            if rules:
                blocked.append((path, cost, tuple(rules)))
        return [(p, c, b, G) for p, c, b in found] + [(p, c, b, G) for p, c, b in blocked]


def build_routes(deposits, network: RouteNetwork, *, k: int = 3, first_plant=None) -> RoutePlan:
    """Best route and up to ``k - 1`` alternatives for every deposit.

    Parameters
    ----------
    deposits : GeoDataFrame
        EPSG:4326; uses ``id``, ``name``, ``country`` (ISO3), ``admin1``, ``minerals``,
        ``th_ppm``, ``u_ppm``, ``ndpr_pct``, ``owner`` where present.
    network : RouteNetwork
    k : int
        Routes wanted per deposit (unblocked); blocked cheaper ones are listed in addition.
    first_plant : mapping, optional
        Deposit id -> the plant its concentrate must go to first (e.g. the capacity allocation's
        ``assigned_plant_id``); a deposit not in it takes any first plant.

    Returns
    -------
    RoutePlan
        ``table``: deposit_id, deposit_name, alternative (0 = best), export_port, plants
        (facility ids joined by `` > ``), magnet_maker, total_km, total_days,
        cost_usd_per_t_conc, cost_usd_per_t_ndpr, co2_kg_per_t, blocked_by, summary.
        ``legs``: GeoDataFrame of LineStrings (EPSG:4326), one row per leg.
    """
    import geopandas as gpd
    from shapely.geometry import LineString

    if k < 1:
        raise RouteError("k must be at least 1")
    planner = _Planner(network)
    x, y = lonlat(deposits.geometry)
    col = lambda name: deposits[name].tolist() if name in deposits.columns else [None] * len(deposits)  # noqa: E731
    minerals = ree_minerals(deposits).tolist()
    ids = [str(v) if _text(v) else str(i) for v, i in zip(col("id"), deposits.index, strict=True)]
    # the valuation's product when the rows are ranked, else the deposit's own study's
    product = col("product") if "product" in deposits.columns else deposit_anchors(ids)["product"].tolist()
    rows, leg_rows, geoms = [], [], []
    for n, did in enumerate(ids):
        ndpr = pd.to_numeric(pd.Series([col("ndpr_pct")[n]]), errors="coerce").iloc[0]
        dep = {
            "id": did, "name": _text(col("name")[n]) or did, "lon": x[n], "lat": y[n],
            "iso3": (_text(col("country")[n]) or "").upper(), "admin1": _text(col("admin1")[n]),
            "owner": _text(col("owner")[n]),
            "feed": shipped_feed(product[n], minerals[n], col("th_ppm")[n], col("u_ppm")[n]) or
            deposit_feed(minerals[n], col("th_ppm")[n], col("u_ppm")[n]),  # oxide: the usual chain
            "first_plant": (first_plant or {}).get(did),
            "ndpr_share": ndpr / 100 if np.isfinite(ndpr) and ndpr > 0 else planner.s_default,
        }
        found = planner.routes(dep, k) if np.isfinite(x[n]) and np.isfinite(y[n]) else []
        if not found:
            reason = "no location" if not np.isfinite(x[n]) else _why_none(planner, dep)
            rows.append({"deposit_id": did, "deposit_name": dep["name"], "alternative": 0,
                         "summary": f"{dep['name']}: no route ({reason})"})
            continue
        for alt, (path, _cost, blocks, G) in enumerate(found):
            legs = [leg for u, v in itertools.pairwise(path) for leg in G[u][v]["legs"]]
            facs = [planner.fac[node[1]]["id"] for node in path if isinstance(node, tuple) and node[0] == "F"]
            port = next((node[1] for node in path if isinstance(node, tuple) and node[0] == "P"), None)
            rec = _totals(dep, legs, planner.g)
            rec.update(deposit_id=did, deposit_name=dep["name"], alternative=alt, export_port=port,
                       plants=" > ".join(facs[:-1]) or None, magnet_maker=facs[-1],
                       blocked_by=";".join(blocks) or None)
            rec["summary"] = _summary(dep, rec, legs)
            rows.append(rec)
            for i, leg in enumerate(legs, start=1):
                leg_rows.append({"deposit_id": did, "alternative": alt, "leg": i, "mode": leg.mode,
                                 "from_id": leg.from_id, "to_id": leg.to_id, "km": leg.km, "days": leg.days,
                                 "cost_usd_t": leg.cost_t, "co2_kg_t": leg.co2_t, "note": leg.note})
                geoms.append(LineString(leg.coords))
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    legs_gdf = gpd.GeoDataFrame(pd.DataFrame(leg_rows, columns=LEG_COLUMNS),
                                geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    return RoutePlan(table=table, legs=legs_gdf)


def chains_through(deposits, network: RouteNetwork, plants) -> tuple[RoutePlan, dict]:
    """The best chain of each deposit whose first plant is the one given (e.g. the capacity
    allocation's ``assigned_plant_id``), else its best chain with a note saying why.

    Parameters
    ----------
    deposits : GeoDataFrame
        As :func:`build_routes` takes them.
    network : RouteNetwork
    plants : mapping
        Deposit id -> plant id (None or missing: the deposit's best chain).

    Returns
    -------
    (RoutePlan, dict)
        One chain per deposit (alternative 0), and deposit id -> a note for those whose chain
        cannot start at their plant (no open, unblocked chain from it).
    """
    wanted = {str(k): v for k, v in plants.items() if isinstance(v, str) and v}
    plan = build_routes(deposits, network, k=1, first_plant=wanted)
    best = plan.best()
    missing = [d for d in wanted if d not in set(best.loc[best["plants"].notna(), "deposit_id"])]
    notes = {}
    if missing:
        ids = deposits["id"].astype(str) if "id" in deposits else pd.Series(deposits.index.astype(str),
                                                                             index=deposits.index)
        again = build_routes(deposits[ids.isin(missing).to_numpy()], network, k=1)
        notes = {d: f"no open chain starts at {wanted[d]}; its best chain is shown" for d in missing}
        keep_t = ~plan.table["deposit_id"].isin(missing)
        keep_l = ~plan.legs["deposit_id"].isin(missing)
        plan = RoutePlan(pd.concat([plan.table[keep_t], again.table], ignore_index=True),
                         pd.concat([plan.legs[keep_l], again.legs], ignore_index=True))
    return plan, notes


def _totals(dep: dict, legs: list[Leg], g: float) -> dict:
    cost = float(sum(leg.cost_t for leg in legs))
    return {
        "total_km": float(sum(leg.km for leg in legs)),
        "total_days": float(sum(leg.days for leg in legs)),
        "cost_usd_per_t_conc": cost,
        "cost_usd_per_t_ndpr": cost / (g * dep["ndpr_share"]),
        "co2_kg_per_t": float(sum(leg.co2_t for leg in legs)),
    }


def _summary(dep: dict, rec: dict, legs: list[Leg]) -> str:
    hops = [dep["name"]]
    for leg in legs:
        if leg.mode in ("port", "site"):
            continue
        extra = f", {leg.note}" if leg.note and leg.mode == "sea" else ""
        hops.append(f"{leg.mode} {leg.km:,.0f} km{extra} → {leg.to_id}")
    text = " → ".join(hops)
    text += (f"; {rec['total_km']:,.0f} km, {rec['total_days']:.1f} d, "
             f"USD {rec['cost_usd_per_t_conc']:,.0f}/t conc, "
             f"USD {rec['cost_usd_per_t_ndpr']:,.0f}/t NdPr oxide, {rec['co2_kg_per_t']:,.0f} kg CO2/t")
    if rec.get("blocked_by"):
        text += f"; BLOCKED by {rec['blocked_by']}"
    return text


def _why_none(planner: _Planner, dep: dict) -> str:
    iso3 = dep["iso3"]
    if iso3 in planner.net.exclusive_overland:  # the same words as the ranking's route summary
        return no_route_reason(planner.net, iso3) or overland_gap(planner.net, iso3)
    feed = dep["feed"]
    first = [f for f in planner.fac if accepts(f, feed.product, feed, owner=dep["owner"]) is None]
    if not first:
        hot = " thorium/uranium-bearing" if feed.radioactive else ""
        return f"no counted facility accepts{hot} {feed.key.replace('|th', '')}"
    dest = ", ".join(planner.net.destination)
    return f"no magnet maker in {dest} reachable from a plant that accepts the feed"
