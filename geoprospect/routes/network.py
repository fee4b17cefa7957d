"""The supply-chain network: ports, corridors, facilities, costs, policy rules and sea matrix.

A :class:`RouteNetwork` is built once (bundled layers by default) and reused by
:func:`~geoprospect.routes.site.site_logistics` and :func:`~geoprospect.routes.plan.build_routes`.
Scenario switches live here: which facility statuses count, which countries to avoid (their
facilities and ports disappear), which sea passages are closed, the destination market(s) and
an optional road/rail network for land legs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from geoprospect.core.geodesy import SphereIndex, haversine_km, lonlat
from geoprospect.errors import RouteError
from geoprospect.io.bundled import layer_path
from geoprospect.routes.capacity import plant_capacity
from geoprospect.routes.costs import LAND_MODES, CostTable, load_costs
from geoprospect.routes.investor import Investor, load_investor
from geoprospect.routes.land import LandModel, RoadNetwork
from geoprospect.routes.policy import PolicyRules
from geoprospect.routes.scenario import FACILITY_STATUSES as STATUSES
from geoprospect.routes.sea import DEFAULT_RESTRICTIONS, SeaMatrix, check_passages


def _codes(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(sorted({str(v).strip().upper() for v in value if str(v).strip()}))


def _points(frame, what: str) -> pd.DataFrame:
    """Plain DataFrame with lon/lat columns from a GeoDataFrame of points or a lon/lat table."""
    df = pd.DataFrame(frame).copy()
    if "geometry" in df.columns and ("lon" not in df.columns or "lat" not in df.columns):
        df["lon"], df["lat"] = lonlat(frame.geometry)
    if "lon" not in df.columns or "lat" not in df.columns:
        raise RouteError(f"{what}: needs point geometry or lon/lat columns")
    return df.drop(columns=["geometry"], errors="ignore").reset_index(drop=True)


class RouteNetwork:
    """Everything a route needs, prepared once.

    Parameters
    ----------
    ports : DataFrame or GeoDataFrame
        ``locode``, ``name``, ``country`` (ISO3) and point geometry (or lon/lat).
    facilities : DataFrame or GeoDataFrame
        Facility layer (see the data spec): ``id``, ``name``, ``country``, ``stages``,
        ``feedstocks``, ``status``, ``operator``, ``third_party_policy``, ``radioactive_licence``,
        ``port_locode`` and point geometry.
    corridors : DataFrame, optional
        ``country``, ``admin1``, ``port_locode``, ``mode``, ``id`` (export corridors).
    costs : CostTable, optional
        Default: bundled ``costs.csv``.
    policies : DataFrame, optional
        Policy events; only in-force ones with a ``blocks`` value matter.
    status : sequence of str
        Facility statuses that count.
    avoid : sequence of str
        ISO3 codes whose facilities and ports are not used.
    avoid_passages : sequence of str
        searoute passages closed to shipping (``suez``, ``panama``...), on top of ``northwest``.
    destination : str or sequence of str
        ISO3 of the market(s) whose magnet makers end a route.
    network_path : path, optional
        Road/rail line layer for land legs from deposits to export ports.
    sea : SeaMatrix, optional
        Pre-computed matrix over ``ports`` (tests); default: searoute matrix, cached on disk.
    investor : Investor, optional
        The investor's own and partner plants take its feed regardless of their third-party
        policy; plants owned from the countries it avoids are dropped.
    offtakes : DataFrame, optional
        Contracts that fill plants (:func:`~geoprospect.routes.capacity.plant_capacity`).
    as_of : str, optional
        ISO date at which policy events and contracts count (default: the data date).
    lift_policies, apply_policies : sequence of str
        Policy event ids lifted although in force, or applied although not in force.
    """

    def __init__(self, ports, facilities, *, corridors=None, costs: CostTable | None = None,
                 policies=None, status: Sequence[str] = ("operating", "construction"),
                 avoid: Iterable[str] = (), avoid_passages: Iterable[str] = (),
                 destination: str | Sequence[str] = "IND", network_path=None,
                 sea: SeaMatrix | None = None, investor: Investor | None = None, offtakes=None,
                 as_of: str | None = None, lift_policies: Iterable[str] = (),
                 apply_policies: Iterable[str] = ()) -> None:
        self.status = tuple(s.strip().lower() for s in ([status] if isinstance(status, str) else status))
        bad = [s for s in self.status if s not in STATUSES]
        if bad:
            raise RouteError(f"unknown facility status {', '.join(bad)} ({', '.join(STATUSES)})",
                             option="status")
        self.avoid = _codes(avoid)
        self.destination = _codes(destination)
        if not self.destination:
            raise RouteError("a destination country (ISO3) is required")
        self.restrictions = check_passages([*DEFAULT_RESTRICTIONS, *avoid_passages])
        self.costs = costs or load_costs()
        self.policy = PolicyRules(policies, as_of=as_of, lift=tuple(lift_policies),
                                  apply=tuple(apply_policies))
        self.investor = investor
        self.as_of = as_of

        self.ports = _points(ports, "ports")
        self.ports["locode"] = self.ports["locode"].astype(str)
        self.ports["country"] = self.ports["country"].astype(str).str.upper()
        if self.ports["locode"].duplicated().any():
            dup = self.ports["locode"][self.ports["locode"].duplicated()].iloc[0]
            raise RouteError(f"ports: duplicate locode {dup}")
        self.ports["usable"] = ~self.ports["country"].isin(self.avoid)
        self.port_index = {c: i for i, c in enumerate(self.ports["locode"])}

        fac = _points(facilities, "facilities")
        fac["country"] = fac["country"].astype(str).str.upper()
        keep = fac["status"].astype(str).str.lower().isin(self.status) & ~fac["country"].isin(self.avoid)
        if investor is not None:
            keep &= ~np.array([investor.avoids(c, s) for c, s in zip(
                fac.get("owner_country", pd.Series(None, index=fac.index)),
                fac.get("state_linked", pd.Series(None, index=fac.index)), strict=True)], dtype=bool)
        fac = fac[keep].reset_index(drop=True)
        capacity = plant_capacity(fac, offtakes, as_of=as_of) if len(fac) else None
        for col in ("capacity_tpa", "captive_tpa", "contracted_tpa", "spare_tpa"):
            fac[col] = fac["id"].map(capacity[col]).astype(float) if capacity is not None else np.nan
        self.facilities = fac
        self._attach_ports()

        cor = pd.DataFrame(columns=["id", "country", "admin1", "port_locode", "mode"]) if corridors is None \
            else pd.DataFrame(corridors).copy()
        cor = cor[cor["port_locode"].astype(str).isin(self.port_index)].copy()
        mode = cor["mode"].astype(str).str.lower()
        cor["mode"] = mode.where(mode.isin(LAND_MODES), "road")
        cor["admin1"] = cor["admin1"].fillna("").astype(str)
        self.corridors = cor.reset_index(drop=True)

        self.sea = sea if sea is not None else SeaMatrix(
            self.ports["locode"], self.ports["lon"], self.ports["lat"], self.restrictions).load_or_build()
        road = RoadNetwork.read(network_path) if network_path else None
        self.land = LandModel(self.costs, road)
        if road is not None:
            usable = self.ports[self.ports["usable"]]
            road.prepare({r.locode: (r.lon, r.lat) for r in usable.itertuples()}, self.costs)
        self._plant_cache: dict = {}
        self._export_cache: dict = {}  # (iso3, admin1) -> export options
        self._tree_cache: dict = {}  # port subset -> SphereIndex

    # ------------------------------------------------------------------ constructors
    @classmethod
    def bundled(cls, *, status=("operating", "construction"), avoid=(), avoid_passages=(),
                destination="IND", network_path=None, investor="irel", as_of=None, lift_policies=(),
                apply_policies=()) -> RouteNetwork:
        """The network from the bundled layers (ports, facilities, corridors, costs, policies,
        offtakes), for an investor profile name or file (None: no investor)."""
        import geopandas as gpd

        facilities = gpd.read_file(layer_path("facilities.geojson"))
        profile = load_investor(investor, facility_ids=facilities["id"]) if investor else None
        return cls(
            gpd.read_file(layer_path("ports.geojson")), facilities,
            corridors=pd.read_csv(layer_path("corridors.csv"), dtype=str),
            policies=pd.read_csv(layer_path("policy_events.csv"), dtype=str),
            status=status, avoid=avoid, avoid_passages=avoid_passages, destination=destination,
            network_path=network_path, investor=profile,
            offtakes=pd.read_csv(layer_path("offtakes.csv"), dtype=str), as_of=as_of,
            lift_policies=lift_policies, apply_policies=apply_policies,
        )

    # ------------------------------------------------------------------ ports
    def _attach_ports(self) -> None:
        """Receiving port of each facility: its sourced locode, else the nearest usable port
        in its country, else the nearest usable port anywhere."""
        usable = self.ports[self.ports["usable"]]
        fac = self.facilities
        port = [None] * len(fac)
        for i, rec in enumerate(fac.itertuples()):
            code = str(getattr(rec, "port_locode", "") or "")
            if code in self.port_index and self.ports.at[self.port_index[code], "usable"]:
                port[i] = code
                continue
            pool = usable[usable["country"] == rec.country]
            pool = pool if len(pool) else usable
            if len(pool):
                d = haversine_km(rec.lon, rec.lat, pool["lon"].to_numpy(), pool["lat"].to_numpy())
                port[i] = pool["locode"].iloc[int(np.argmin(d))]
        fac["port"] = port
        px = fac["port"].map(lambda c: self.ports.at[self.port_index[c], "lon"] if c else np.nan)
        py = fac["port"].map(lambda c: self.ports.at[self.port_index[c], "lat"] if c else np.nan)
        fac["port_lon"], fac["port_lat"] = px.astype(float), py.astype(float)

    def port_xy(self, code: str) -> tuple[float, float]:
        """lon, lat of a port."""
        i = self.port_index[code]
        return float(self.ports.at[i, "lon"]), float(self.ports.at[i, "lat"])

    def export_options(self, iso3, admin1=None) -> list[tuple[int, str, str]]:
        """Export ports a deposit in ``iso3`` may use: ``(port index, land mode, corridor id)``.

        Domestic ports by road, plus the ports of that country's cross-border corridors
        (corridors.csv; an ``admin1`` corridor applies when ``admin1`` is None or starts with it).
        A country with neither (or an unknown country) may use any usable port by road.
        """
        key = (str(iso3 or "").upper(), admin1)
        if key not in self._export_cache:  # batch asks the same few countries chunk after chunk
            self._export_cache[key] = self._export_options(*key)
        return list(self._export_cache[key])

    def _export_options(self, iso3: str, admin1) -> list[tuple[int, str, str]]:
        usable = self.ports["usable"].to_numpy()
        domestic = usable & (self.ports["country"] == iso3).to_numpy()
        opts = [(int(i), "road", "") for i in np.nonzero(domestic)[0]]
        a1 = str(admin1 or "").lower()
        for rec in self.corridors[self.corridors["country"] == iso3].itertuples():
            if rec.admin1 and admin1 is not None and not a1.startswith(rec.admin1.lower()):
                continue
            i = self.port_index[rec.port_locode]
            if usable[i] and self.ports.at[i, "country"] != iso3:
                opts.append((i, rec.mode, str(rec.id)))
        if not opts:
            opts = [(int(i), "road", "") for i in np.nonzero(usable)[0]]
        return sorted(set(opts))

    def port_tree(self, indices: Sequence[int]) -> SphereIndex:
        """Nearest-port index over a subset of ports."""
        idx = np.asarray(indices, dtype=int)
        key = idx.tobytes()
        if key not in self._tree_cache:
            self._tree_cache[key] = SphereIndex(self.ports["lon"].to_numpy()[idx],
                                                self.ports["lat"].to_numpy()[idx])
        return self._tree_cache[key]

    def facility(self, fid: str) -> dict:
        """A facility row as a dict."""
        rows = self.facilities[self.facilities["id"] == fid]
        if rows.empty:
            raise RouteError(f"no facility {fid!r} in this network")
        return rows.iloc[0].to_dict()

    def describe(self) -> str:
        """One line for logs and the CLI."""
        return (f"{len(self.facilities)} facilities ({', '.join(self.status)}), "
                f"{int(self.ports['usable'].sum())} ports, destination {', '.join(self.destination)}"
                + (f", avoiding {', '.join(self.avoid)}" if self.avoid else "")
                + f", closed passages {', '.join(self.restrictions)}")
