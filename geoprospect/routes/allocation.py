"""Capacity-constrained allocation of a set of deposits' concentrate to plants (a linear program).

Each deposit ships ``concentrate_tpa`` a year. Binding offtakes in force go first to their plant
(honoured as contracted, already counted in that plant's contracted feed); the rest is assigned by
a minimum-cost linear program (SciPy's HiGHS through :func:`scipy.optimize.linprog`):

    minimise   sum_dp cost_dp x_dp + penalty * sum_d u_d
    subject to sum_p x_dp + u_d = supply_d            (every tonne placed, or left unplaced)
               sum_d x_dp <= spare_p                  (third-party feed: within spare capacity)
               x_dp >= 0 only where plant p is open to deposit d's feed (chemistry, licence,
               third-party policy or the investor's own/partner plant, not avoided), has a
               published spare capacity or belongs to the deposit's owner (its captive feed), and,
               where an in-force rule bars the concentrate's export, lies in the deposit's country

``cost_dp`` is the cheapest logistics cost (USD/t) from the deposit over any export port it may use
to the plant; in the program, a tonne to its owner's own plant goes first (:data:`OWN_FEED_FIRST`)
and a lower-priority row's tonnes last (:data:`LOWER_PRIORITY`). A plant without a published
capacity is never assumed to have room (the per-row valuation still counts it as a candidate: it
is not known to be full). Tonnes no plant has room for stay unplaced (``u_d``) and the deposit
says why.
This is a set-level output: a row's value (the valuation) uses its best plant after contracted
feed and never this allocation, so it does not change with the other rows of a file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.core.geodesy import lonlat
from geoprospect.io.schema import ree_minerals
from geoprospect.routes.capacity import contracts_in_force
from geoprospect.routes.feedstock import same_owner, shipped_feed
from geoprospect.routes.network import RouteNetwork
from geoprospect.routes.overland import overland_costs
from geoprospect.routes.site import port_plant_matrix

UNPLACED_PENALTY = 1e6
"""USD/t charged for a tonne left unplaced: far above any logistics cost, so the program places
every tonne it can."""
LOWER_PRIORITY = 1e4
"""USD/t added (in the program only) to the tonnes of a lower-priority row: estimated resources
are placed before values conditional on a deposit being there."""
OWN_FEED_FIRST = 2e4
"""USD/t taken off (in the program only) a tonne sent to its owner's own plant: a plant fills with
its owner's feed before anyone else's, whatever the rows' priority (IREL's OSCOM plant processes
IREL's own beach-sand monazite first)."""


@dataclass
class Allocation:
    """Result of :func:`allocate`.

    Attributes
    ----------
    flows : DataFrame
        One row per deposit and plant with tonnes: ``deposit_id``, ``plant_id``, ``tpa``,
        ``share`` (of the deposit's concentrate), ``cost_usd_t``, ``basis`` (``contract <id>``,
        ``own feed`` to its owner's plant, or ``allocated``).
    deposits : DataFrame
        Per deposit: ``assigned_plant_id`` (largest flow), ``assigned_share``, ``contracted_tpa``,
        ``unplaced_tpa``, ``allocation_note`` (why tonnes are unplaced).
    plants : DataFrame
        Per plant with a flow or a capacity: ``capacity_tpa``, ``captive_tpa``,
        ``contracted_tpa``, ``spare_tpa``, ``own_feed_tpa``, ``allocated_tpa``, ``utilisation``
        (NaN where capacity is unknown).
    """

    flows: pd.DataFrame
    deposits: pd.DataFrame
    plants: pd.DataFrame


def _cost_to_plants(rows: pd.DataFrame, net: RouteNetwork, products, *,
                    unknown_room: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Cost (deposits x facilities, inf where closed), own-plant mask and the reason a deposit
    has no plant to go to; ``unknown_room`` keeps plants without a published capacity open."""
    lon, lat = lonlat(rows.geometry)
    minerals = ree_minerals(rows).to_numpy(dtype=object)
    fac = net.facilities
    known = np.isfinite(fac["spare_tpa"].to_numpy(dtype=float))
    cost = np.full((len(rows), len(fac)), np.inf)
    own = np.zeros(cost.shape, dtype=bool)
    reasons = []
    for i, rec in enumerate(rows.to_dict("records")):
        if not (np.isfinite(lon[i]) and np.isfinite(lat[i])):
            reasons.append("no location")
            continue
        feed = shipped_feed(products[i], minerals[i], rec.get("th_ppm"), rec.get("u_ppm"))
        if feed is None:
            reasons.append("separates on site: its oxide goes to magnet makers, no plant to fill")
            continue
        ok, matrix, *_ = port_plant_matrix(net, feed, rec.get("owner"))
        own[i] = [same_owner(rec.get("owner"), op) for op in fac["operator"]]
        blocked = net.policy.export_block(rec.get("country"), rec.get("admin1"), feed, rec.get("id"))
        allowed = ok & (known | own[i] | unknown_room)
        if blocked:
            allowed &= (fac["country"] == str(rec.get("country") or "").upper()).to_numpy()
        if not allowed.any():
            unknown = fac.loc[ok & ~known & ~own[i], "id"].tolist()
            reasons.append(
                f"export barred by {';'.join(blocked)} and no plant at home has room" if blocked else
                f"no plant open to its {feed.product.replace('_', ' ')}" if not ok.any() else
                f"no open plant with a published capacity ({len(unknown)} without one: "
                f"{', '.join(unknown[:3])})")
            continue
        best = np.full(ok.sum(), np.inf)
        for pi, mode, _corridor in net.export_options(rec.get("country"), rec.get("admin1")):
            code = net.ports.at[pi, "locode"]
            x, y = net.port_xy(code)
            land = float(net.land.leg(lon[i:i + 1], lat[i:i + 1], x, y, mode, port=code)["cost"][0])
            best = np.minimum(best, land + matrix[pi])
        cost[i, np.flatnonzero(ok)] = best
        cost[i] = np.minimum(cost[i], overland_costs(net, str(rec.get("country") or "").upper(),
                                                     lon[i:i + 1], lat[i:i + 1], ok)[0])
        cost[i, ~allowed] = np.inf
        reasons.append("" if np.isfinite(cost[i]).any() else "no export route to an open plant")
    return cost, own, reasons


def plant_options(row: pd.DataFrame, net: RouteNetwork,
                  product: str = "concentrate") -> tuple[pd.DataFrame, str]:
    """Every plant one deposit's product could go to, asked about alone: cheapest first, with
    its capacity, contracted feed and spare capacity after contracted feed (the other rows of a
    file never enter).

    Parameters
    ----------
    row : GeoDataFrame
        One deposit (the columns of :func:`allocate`'s ``rows``).
    net : RouteNetwork
        The scenario's network.
    product : str
        What the deposit ships (``concentrate`` or ``mixed_chemical``).

    Returns
    -------
    (DataFrame, str)
        ``plant_id``, ``name``, ``country``, ``capacity_tpa``, ``contracted_tpa``, ``spare_tpa``
        (NaN: not published), ``own`` and ``cost_usd_t`` (cheapest logistics, USD/t) for each
        plant open to it (a plant with no room after contracted feed is not, unless it is the
        owner's or the investor's); and the reason when there is none.
    """
    one = row.reset_index(drop=True).iloc[:1]
    cost, own, reasons = _cost_to_plants(one, net, [product], unknown_room=True)
    fac = net.facilities.reset_index(drop=True)
    out = pd.DataFrame({"plant_id": fac["id"], "name": fac["name"], "country": fac["country"],
                        "capacity_tpa": fac["capacity_tpa"], "contracted_tpa": fac["contracted_tpa"],
                        "spare_tpa": fac["spare_tpa"], "own": own[0], "cost_usd_t": cost[0]})
    out = out[np.isfinite(out["cost_usd_t"])].sort_values("cost_usd_t", kind="stable")
    return out.reset_index(drop=True), reasons[0]


def allocate(rows, concentrate_tpa, net: RouteNetwork, offtakes: pd.DataFrame | None = None,
             *, as_of: str | None = None, priority=None, products=None) -> Allocation:
    """Assign each deposit's product to plants with spare capacity (see the module docstring).

    Parameters
    ----------
    rows : GeoDataFrame
        Deposits: ``id``, ``country``, ``admin1``, minerals, ``owner``, ``th_ppm``, geometry.
    concentrate_tpa : array_like
        Tonnes a year each row ships (NaN or 0: nothing to place).
    products : array_like of str, optional
        What each row ships (``concentrate``: to a cracker by its mineralogy; ``mixed_chemical``:
        to a separation plant; ``separated_oxide``: nothing to place); default concentrate.
    net : RouteNetwork
        The scenario's network (its facilities carry ``spare_tpa`` after contracted feed).
    offtakes : DataFrame, optional
        Contracts (default: the bundled ``offtakes.csv``); binding ones in force are honoured.
    as_of : str, optional
        ISO date at which contracts count (default: the network's).
    priority : array_like of int, optional
        0 for rows placed first, 1 for rows placed with the capacity left (default: all 0;
        :func:`geoprospect.pipeline` passes 1 for values conditional on a deposit being there).
    """
    from scipy.optimize import linprog

    from geoprospect.io.bundled import layer_path

    rows = rows.reset_index(drop=True)
    supply = np.nan_to_num(np.asarray(concentrate_tpa, dtype=float), nan=0.0).clip(min=0.0)
    products = np.full(len(rows), "concentrate", dtype=object) if products is None else np.asarray(products)
    supply = np.where(products == "separated_oxide", 0.0, supply)  # oxide needs no plant
    if offtakes is None:
        offtakes = pd.read_csv(layer_path("offtakes.csv"), dtype=str)
    live = contracts_in_force(offtakes, as_of or net.as_of)
    fac = net.facilities.reset_index(drop=True)
    fac_index = {f: j for j, f in enumerate(fac["id"])}
    ids = rows["id"].astype(str).to_numpy()
    flows, contracted = [], np.zeros(len(rows))
    for rec in live.itertuples():
        hits = np.flatnonzero(ids == str(rec.deposit_id))
        if len(hits) and np.isfinite(rec.tpa):  # committed, whether or not its plant counts here
            i = hits[0]
            t = min(float(rec.tpa), supply[i] - contracted[i])
            contracted[i] += t
            outside = "" if str(rec.plant_id) in fac_index else " (plant outside this scenario)"
            flows.append((ids[i], rec.plant_id, t, np.nan, f"contract {rec.id}{outside}"))
    residual = supply - contracted
    cost, own, reasons = _cost_to_plants(rows, net, products)
    reachable = np.isfinite(cost).any(axis=1)
    pairs = np.argwhere(np.isfinite(cost) & (residual[:, None] > 0))
    n_x, n_d = len(pairs), len(rows)
    rank = np.zeros(n_d) if priority is None else np.asarray(priority, dtype=float)
    c = np.concatenate([cost[pairs[:, 0], pairs[:, 1]] + LOWER_PRIORITY * rank[pairs[:, 0]]
                        - OWN_FEED_FIRST * own[pairs[:, 0], pairs[:, 1]],
                        np.full(n_d, UNPLACED_PENALTY)])
    a_eq = np.zeros((n_d, n_x + n_d))
    a_eq[pairs[:, 0], np.arange(n_x)] = 1.0
    a_eq[np.arange(n_d), n_x + np.arange(n_d)] = 1.0
    # two capacity rows per plant: everything it takes (own feed included) within its capacity less
    # contracts, and third-party feed within its spare capacity (capacity less captive share and
    # contracts); an owner's own feed fills the captive share
    spare = fac["spare_tpa"].to_numpy(dtype=float)
    room = (fac["capacity_tpa"] - fac["contracted_tpa"]).clip(lower=0).to_numpy(dtype=float)
    third_party = ~own[pairs[:, 0], pairs[:, 1]]
    rows_ub, b_ub = [], []
    for j in range(len(fac)):
        at = pairs[:, 1] == j
        for limit, mask in ((room[j], at), (spare[j], at & third_party)):
            if np.isfinite(limit) and mask.any():
                row = np.zeros(n_x + n_d)
                row[np.flatnonzero(mask)] = 1.0
                rows_ub.append(row)
                b_ub.append(limit)
    res = linprog(c, A_ub=np.array(rows_ub) if rows_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                  A_eq=a_eq, b_eq=residual, bounds=(0, None), method="highs")
    if not res.success:  # cannot happen with the unplaced slack; keep the failure visible
        raise RuntimeError(f"allocation LP failed: {res.message}")
    x, unplaced = res.x[:n_x], res.x[n_x:]
    for (i, j), t in zip(pairs, x, strict=True):
        if t > 1e-6:
            flows.append((ids[i], fac.at[j, "id"], float(t), float(cost[i, j]),
                          "own feed" if own[i, j] else "allocated"))
    flow = pd.DataFrame(flows, columns=["deposit_id", "plant_id", "tpa", "cost_usd_t", "basis"])
    total = pd.Series(supply, index=ids)
    flow["share"] = flow["tpa"] / flow["deposit_id"].map(total).replace(0, np.nan)
    return Allocation(flow, _per_deposit(ids, flow, contracted, unplaced, supply, reachable, reasons),
                      _per_plant(fac, flow))


def _per_deposit(ids, flow, contracted, unplaced, supply, reachable, reasons) -> pd.DataFrame:
    top = flow.sort_values("tpa", ascending=False, kind="stable").drop_duplicates("deposit_id")
    top = top.set_index("deposit_id")
    notes = []
    for i in range(len(ids)):
        if supply[i] <= 0:
            notes.append(reasons[i] or "no output to place")
        elif unplaced[i] > 1e-6:
            why = reasons[i] or ("every open plant is full" if reachable[i] else "no open plant")
            notes.append(f"{unplaced[i]:,.0f} t/yr unplaced: {why}")
        else:
            notes.append("")
    return pd.DataFrame({"deposit_id": ids, "assigned_plant_id": top["plant_id"].reindex(ids).to_numpy(),
                         "assigned_share": top["share"].reindex(ids).to_numpy(),
                         "contracted_tpa": contracted, "unplaced_tpa": unplaced,
                         "allocation_note": notes})


def _per_plant(fac: pd.DataFrame, flow: pd.DataFrame) -> pd.DataFrame:
    def total(basis: str) -> pd.Series:
        return flow[flow["basis"] == basis].groupby("plant_id")["tpa"].sum()

    out = fac.set_index("id")[["capacity_tpa", "captive_tpa", "contracted_tpa", "spare_tpa"]].copy()
    out["own_feed_tpa"] = total("own feed").reindex(out.index).fillna(0.0)
    out["allocated_tpa"] = total("allocated").reindex(out.index).fillna(0.0)
    # an owner's own deposits fill its captive share: count the larger of the two, not both
    used = np.maximum(out["captive_tpa"].fillna(0.0), out["own_feed_tpa"]) + out["contracted_tpa"] + \
        out["allocated_tpa"]
    out["utilisation"] = (used / out["capacity_tpa"]).where(out["capacity_tpa"] > 0)
    flows = out[["own_feed_tpa", "allocated_tpa", "contracted_tpa"]]
    keep = out["capacity_tpa"].notna() | (flows > 0).any(axis=1)
    return out[keep].rename_axis("plant_id").reset_index()
