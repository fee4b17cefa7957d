"""Sea legs between ports on searoute's marine network, with an on-disk distance matrix.

searoute ships its own marine network (no network access at run time). Instead of one
``searoute()`` call per port pair (~10 ms each), we run one single-source Dijkstra per port on
the full graph with a weight function that makes restricted passages impassable (searoute's
restricted-subgraph helper has a broken spatial index, design.md), and keep every
port-to-port distance, the passages crossed and the path geometry. Each port is snapped to its
nearest network node with searoute's own k-d tree; the sea leg is port -> node -> ... -> node ->
port and is never shorter than the great circle between the two ports.

The matrix is cached as ``sea-<hash>.npz`` in :func:`cache_dir`; the hash (the entry's key,
:func:`geoprospect.core.cache.entry_key`) covers the code version, the searoute version, the port
codes and coordinates, the passage restrictions and this module's format.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import numpy as np

from geoprospect.core.cache import cache_dir, entry_key, read_npz, write_npz
from geoprospect.core.geodesy import haversine_km, path_length_km
from geoprospect.errors import RouteError

log = logging.getLogger(__name__)
FORMAT = 2
DEFAULT_RESTRICTIONS = ("northwest",)
PASSAGES = ("babalmandab", "bosporus", "gibraltar", "suez", "panama", "ormuz", "northwest",
            "malacca", "sunda", "chili", "south_africa", "bering")


def check_passages(names) -> tuple[str, ...]:
    """Validate passage names against searoute's list; returns them lower-case and sorted."""

    out = sorted({str(n).strip().lower() for n in names if str(n).strip()})
    bad = [n for n in out if n not in PASSAGES]
    if bad:
        raise RouteError(f"unknown passage(s) {', '.join(bad)}; known: {', '.join(PASSAGES)}")
    return tuple(out)


class SeaMatrix:
    """Port-to-port sea distances (km), passages and geometries for a fixed list of ports.

    Parameters
    ----------
    codes : sequence of str
        Port identifiers (UN/LOCODE), unique.
    lon, lat : array_like
        Port coordinates.
    restrictions : sequence of str
        searoute passages the ships must not use (``northwest`` is searoute's default).
    """

    def __init__(self, codes, lon, lat, restrictions=DEFAULT_RESTRICTIONS) -> None:
        self.codes = [str(c) for c in codes]
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        self.restrictions = check_passages(restrictions)
        self.km: np.ndarray | None = None
        self.passages: np.ndarray | None = None
        self._coords: np.ndarray | None = None
        self._offsets: np.ndarray | None = None
        self.from_cache = False

    # ------------------------------------------------------------------ cache
    def key(self) -> str:
        """Hash of everything the matrix depends on."""
        from importlib.metadata import version  # not `import searoute`: 0.2 s of networkx

        return entry_key(
            "sea-matrix", format=FORMAT, searoute=version("searoute"),
            ports=[[c, round(float(x), 6), round(float(y), 6)]
                   for c, x, y in zip(self.codes, self.lon, self.lat, strict=True)],
            restrictions=list(self.restrictions),
        )

    def path(self) -> Path:
        """File of this matrix in the cache directory."""
        return cache_dir() / f"sea-{self.key()[:20]}.npz"

    def load_or_build(self) -> SeaMatrix:
        """Read the cached matrix, or compute it and write the cache (atomically)."""
        target, key = self.path(), self.key()
        z = read_npz(target, key)
        if z is not None and list(z["codes"]) == self.codes:
            self.km, self.passages = z["km"], z["passages"]
            self._coords, self._offsets = z["coords"], z["offsets"]
            self.from_cache = True
            return self
        self.build()
        write_npz(target, key, codes=np.array(self.codes), km=self.km, passages=self.passages,
                  coords=self._coords, offsets=self._offsets)
        return self

    # ------------------------------------------------------------------ build
    def build(self) -> SeaMatrix:
        """Compute every port-to-port route with one Dijkstra per port (no cache)."""
        import networkx as nx
        import searoute

        graph = searoute.setup_M()
        blocked = set(self.restrictions)

        def weight(u, v, data):
            return None if data.get("passage") in blocked else data.get("weight")

        nodes = [graph.kdtree.query((float(x), float(y))) for x, y in zip(self.lon, self.lat, strict=True)]
        n = len(self.codes)
        km = np.full((n, n), np.inf)
        passages = np.full((n, n), "", dtype=object)
        coords: list[np.ndarray] = []
        offsets = [0]
        for i in range(n):
            pred, _ = nx.dijkstra_predecessor_and_distance(graph, nodes[i], weight=weight)
            for j in range(n):
                node_path = _walk(pred, nodes[i], nodes[j])
                if node_path is None:
                    coords.append(np.empty((0, 2)))
                    offsets.append(offsets[-1])
                    continue
                line = np.array([(self.lon[i], self.lat[i]), *node_path, (self.lon[j], self.lat[j])], float)
                line = _unwrap(line)
                gc = float(haversine_km(self.lon[i], self.lat[i], self.lon[j], self.lat[j]))
                km[i, j] = max(path_length_km(line), gc)
                crossed = {graph[a][b].get("passage") for a, b in itertools.pairwise(node_path)}
                passages[i, j] = ";".join(sorted(p for p in crossed if p in PASSAGES))
                coords.append(line)
                offsets.append(offsets[-1] + len(line))
        self.km = km
        self.passages = passages.astype(str)
        self._coords = np.concatenate(coords) if coords else np.empty((0, 2))
        self._offsets = np.asarray(offsets, dtype=np.int64)
        return self

    # ------------------------------------------------------------------ query
    def distance(self, a: str, b: str) -> float:
        """Sea km from port ``a`` to port ``b`` (inf when no route avoids the restrictions)."""
        return float(self.km[self.index[a], self.index[b]])

    def geometry(self, a: str, b: str) -> np.ndarray:
        """(n, 2) lon/lat of the route from ``a`` to ``b`` (longitudes unwrapped across 180°)."""
        k = self.index[a] * len(self.codes) + self.index[b]
        return self._coords[self._offsets[k]:self._offsets[k + 1]]

    def crossed(self, a: str, b: str) -> str:
        """Semicolon list of searoute passages the route crosses (``suez;malacca``)."""
        return str(self.passages[self.index[a], self.index[b]])


def _walk(pred: dict, source, target) -> list | None:
    """Node path from ``source`` to ``target`` through a Dijkstra predecessor map."""
    if target not in pred:
        return None
    path = [target]
    while path[-1] != source:
        path.append(pred[path[-1]][0])
    return path[::-1]


def _unwrap(line: np.ndarray) -> np.ndarray:
    """Make longitudes continuous so a route across the antimeridian draws as one line."""
    out = line.copy()
    out[:, 0] = np.degrees(np.unwrap(np.radians(out[:, 0])))
    return out


def great_circle_matrix(codes, lon, lat) -> SeaMatrix:
    """A stand-in matrix with great-circle sea legs and straight geometry (hand-made test graphs)."""
    sea = SeaMatrix(codes, lon, lat, restrictions=())
    n = len(sea.codes)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    sea.km = haversine_km(sea.lon[i], sea.lat[i], sea.lon[j], sea.lat[j])
    sea.passages = np.full((n, n), "", dtype=str)
    sea._coords = np.column_stack((np.stack([sea.lon[i], sea.lon[j]], -1).ravel(),
                                   np.stack([sea.lat[i], sea.lat[j]], -1).ravel()))
    sea._offsets = np.arange(0, 2 * n * n + 1, 2, dtype=np.int64)
    return sea
