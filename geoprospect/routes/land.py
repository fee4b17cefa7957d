"""Land legs: great-circle distance times a circuity factor, or along a user road/rail network.

Default (no network): ``km = great-circle km * circuity(mode)`` with the sourced circuity factors
of ``costs.csv`` (Newell 1980 / Kim et al. 2015 for road; rail is an `assumption` row).

With ``--network FILE`` (any line layer geoprospect reads; optional ``mode`` column with
``road``/``rail``, default road), each origin is joined to its nearest network vertex by a
straight connector (road circuity) and routed along the network to the vertex nearest the port.
Distances from every vertex to a port come from one Dijkstra per port
(``scipy.sparse.csgraph``), so any number of origins is a vectorised lookup.

A network file follows the bad-row policy of every layer: features that are not lines (or are
empty) and features with an unknown ``mode`` are left out and reported
(:attr:`RoadNetwork.findings`); a file with no usable line at all is an error.
"""

from __future__ import annotations

import numpy as np

from geoprospect.core.geodesy import SphereIndex, haversine_km
from geoprospect.errors import RouteError
from geoprospect.io.findings import Findings, rule
from geoprospect.io.read import read_layer
from geoprospect.routes.costs import CostTable

NETWORK_MODES = ("road", "rail")


@rule("network.geometry", "error", "not a line")
def _not_a_line(kind) -> str:
    return f"a {kind or 'missing'} geometry; the network takes lines only (left out)"


@rule("network.mode", "error", "unknown mode")
def _bad_mode(value) -> str:
    return f"{value!r} is not a mode ({', '.join(NETWORK_MODES)}); left out"


class LandModel:
    """Cost, km, days and CO2 of land legs, vectorised over origins.

    Parameters
    ----------
    costs : CostTable
    network : RoadNetwork, optional
        When given, legs to ports listed in :meth:`RoadNetwork.prepare` follow the network.
    """

    def __init__(self, costs: CostTable, network: RoadNetwork | None = None) -> None:
        self.costs = costs
        self.network = network

    def leg(self, lon, lat, to_lon, to_lat, mode, *, port: str | None = None) -> dict[str, np.ndarray]:
        """Land legs from points to points (arrays broadcast); ``mode`` one value or an array.

        Returns a dict of arrays: ``gc_km``, ``km``, ``cost`` (USD/t), ``days``, ``co2`` (kg/t).
        """
        gc = haversine_km(lon, lat, to_lon, to_lat)
        if self.network is not None and port is not None and port in self.network.ports:
            lon = np.broadcast_to(np.asarray(lon, float), gc.shape)
            lat = np.broadcast_to(np.asarray(lat, float), gc.shape)
            km, rate, co2, speed = self.network.to_port(port, lon, lat, self.costs)
            return {"gc_km": gc, "km": km, "cost": km * rate, "co2": km * co2, "days": km / speed / 24}
        if isinstance(mode, str):
            km = gc * self.costs.circuity(mode)
            return {"gc_km": gc, "km": km, "cost": km * self.costs.rate(mode),
                    "co2": km * self.costs.co2(mode),
                    "days": km / self.costs.speed_kmh(mode) / 24}
        modes = np.broadcast_to(np.asarray(mode, dtype=object), gc.shape)
        out = {"gc_km": gc, "km": np.full(gc.shape, np.nan), "cost": np.full(gc.shape, np.nan),
               "days": np.full(gc.shape, np.nan), "co2": np.full(gc.shape, np.nan)}
        for m in np.unique(modes.astype(str)):
            sel = modes == m
            km = gc[sel] * self.costs.circuity(m)
            out["km"][sel] = km
            out["cost"][sel] = km * self.costs.rate(m)
            out["co2"][sel] = km * self.costs.co2(m)
            out["days"][sel] = km / self.costs.speed_kmh(m) / 24
        return out


class RoadNetwork:
    """A user road/rail network (lines) prepared for many-origins-to-few-ports routing.

    Parameters
    ----------
    lines : GeoDataFrame
        LineString/MultiLineString features in EPSG:4326; optional ``mode`` column.
    source : str
        Name used in messages.
    """

    def __init__(self, lines, source: str = "network") -> None:
        import shapely

        self.source = source
        geoms = lines.geometry.explode(index_parts=False)
        modes = lines.get("mode")
        mode_of = (modes.reindex(geoms.index).fillna("road").astype(str).str.lower().to_numpy()
                   if modes is not None else np.full(len(geoms), "road", dtype=object))
        bad = sorted(set(mode_of) - {"road", "rail"})
        if bad:
            raise RouteError(f"{source}: field 'mode' has unknown value(s) {', '.join(bad)} (road, rail)")
        coords, part = shapely.get_coordinates(geoms.to_numpy(), return_index=True)
        if len(coords) < 2:
            raise RouteError(f"{source}: the network layer has no line segments")
        keys = np.round(coords[:, :2], 6)
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.ravel()
        same = (part[:-1] == part[1:]) & (inv[:-1] != inv[1:])
        a, b = inv[:-1][same], inv[1:][same]
        seg_mode = mode_of[part[:-1][same]]
        seg_km = haversine_km(uniq[a, 0], uniq[a, 1], uniq[b, 0], uniq[b, 1])
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        order = np.lexsort((seg_km, hi, lo))  # one segment per vertex pair: the shortest
        first = np.r_[True, (lo[order][1:] != lo[order][:-1]) | (hi[order][1:] != hi[order][:-1])]
        keep = order[first]
        self.a, self.b, self.seg_mode, self.seg_km = lo[keep], hi[keep], seg_mode[keep], seg_km[keep]
        self.nodes = uniq
        self.index = SphereIndex(uniq[:, 0], uniq[:, 1])
        self.ports: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self.findings: Findings | None = None  # features left out (see read)
        self.rows_read = self.rows_used = len(lines)

    @classmethod
    def read(cls, path) -> RoadNetwork:
        """Read a line layer with :func:`geoprospect.io.read.read_layer`; features that are not
        lines or have an unknown ``mode`` are left out and kept in :attr:`findings`.

        Raises
        ------
        RouteError
            The layer holds no line at all.
        """
        import shapely

        gdf = read_layer(path)
        findings = Findings(gdf.attrs.get("source", str(path)))
        kinds = gdf.geom_type.to_numpy(dtype=object)
        geoms = gdf.geometry.to_numpy()
        line = np.isin(kinds, ["LineString", "MultiLineString"]) & ~shapely.is_empty(geoms)
        if not line.any():
            found = ", ".join(sorted({k for k in kinds if isinstance(k, str)})) or "none"
            raise RouteError(f"{path}: --network needs a line layer (found {found})")
        rows = gdf.index.to_numpy()
        findings.add("network.geometry", "geometry", rows[~line], kind=kinds[~line])
        keep = line
        if "mode" in gdf.columns:
            mode = gdf["mode"].fillna("road").astype(str).str.lower().str.strip().to_numpy()
            odd = line & ~np.isin(mode, NETWORK_MODES)
            findings.add("network.mode", "mode", rows[odd], value=gdf["mode"].to_numpy(dtype=object)[odd])
            keep = line & ~odd
            gdf = gdf.assign(mode=mode)
        net = cls(gdf[keep], source=str(path))
        net.findings, net.rows_read, net.rows_used = findings, len(gdf), int(keep.sum())
        return net

    def prepare(self, ports: dict[str, tuple[float, float]], costs: CostTable) -> None:
        """Dijkstra (by cost) from each port's nearest vertex; stores cost, km, CO2 and hours."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import dijkstra

        n = len(self.nodes)
        rate = np.where(self.seg_mode == "rail", costs.rate("rail"), costs.rate("road"))
        w = np.maximum(self.seg_km * rate, 1e-12)
        ends = (np.r_[self.a, self.b], np.r_[self.b, self.a])
        graph = coo_matrix((np.r_[w, w], ends), shape=(n, n)).tocsr()
        per_km = {
            "km": self.seg_km,
            "co2": self.seg_km * np.where(self.seg_mode == "rail", costs.co2("rail"), costs.co2("road")),
            "hours": self.seg_km / np.where(self.seg_mode == "rail", costs.speed_kmh("rail"),
                                            costs.speed_kmh("road")),
        }
        for code, (x, y) in ports.items():
            snap_km, node = self.index.query([x], [y], k=1)
            cost, pred = dijkstra(graph, directed=False, indices=int(node[0, 0]), return_predecessors=True)
            sums = {k: _tree_sums(pred, self.a, self.b, v, n) for k, v in per_km.items()}
            for v in sums.values():
                v[~np.isfinite(cost)] = np.nan
            self.ports[code] = (cost, sums["km"], sums["co2"], sums["hours"])
            self.ports[code + "#snap"] = (np.array([snap_km[0, 0]]),) * 4

    def to_port(self, port: str, lon, lat, costs: CostTable):
        """km, USD/t-km-equivalent rate, CO2/km and km/h-equivalent for origins to ``port``."""
        cost, km, co2, hours = self.ports[port]
        snap_port = float(self.ports[port + "#snap"][0][0])
        d, node = self.index.query(np.ravel(lon), np.ravel(lat), k=1)
        node = node[:, 0]
        circ = costs.circuity("road")
        conn = (d[:, 0] + snap_port) * circ
        reach = node >= 0
        net_km = np.where(reach, km[np.clip(node, 0, None)], np.nan)
        net_cost = np.where(reach, cost[np.clip(node, 0, None)], np.nan)
        net_co2 = np.where(reach, co2[np.clip(node, 0, None)], np.nan)
        net_h = np.where(reach, hours[np.clip(node, 0, None)], np.nan)
        total = conn + net_km
        with np.errstate(invalid="ignore", divide="ignore"):
            total_cost = conn * costs.rate("road") + net_cost
            total_co2 = conn * costs.co2("road") + net_co2
            total_h = conn / costs.speed_kmh("road") + net_h
            safe = np.where(total > 0, total, 1.0)
            shape = np.shape(lon)
            return (total.reshape(shape), (total_cost / safe).reshape(shape),
                    (total_co2 / safe).reshape(shape),
                    (safe / np.where(total_h > 0, total_h, 1.0)).reshape(shape))


def _tree_sums(pred: np.ndarray, a: np.ndarray, b: np.ndarray, value: np.ndarray, n: int) -> np.ndarray:
    """Sum of an edge value along each node's shortest-path-tree path to the root (pointer jumping)."""
    from scipy.sparse import coo_matrix

    lookup = coo_matrix((np.r_[value, value], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    has = pred >= 0
    acc = np.zeros(n)
    idx = np.nonzero(has)[0]
    acc[idx] = np.asarray(lookup[pred[idx], idx]).ravel()
    anc = np.where(has, pred, -1)
    while (anc >= 0).any():
        step = np.nonzero(anc >= 0)[0]
        new_acc, new_anc = acc.copy(), anc.copy()
        new_acc[step] += acc[anc[step]]
        new_anc[step] = anc[anc[step]]
        acc, anc = new_acc, new_anc
    return acc
