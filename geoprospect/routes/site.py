"""Vectorised logistics of candidate sites: export port, land leg and cost to the first plant.

:func:`site_logistics` is what the logistics pillar calls for every deposit or batch point. Each
output row depends only on its own inputs and the network's tables (so batch chunks agree with
whole-set runs). Per country, the export ports the country may use (domestic ports and
cross-border corridors, see :meth:`RouteNetwork.export_options`) are candidates: when a country
has more than ``K_PORTS`` of them, each point takes its ``K_PORTS`` nearest from a k-d tree on
unit-sphere xyz; otherwise all are evaluated. Each point keeps the candidate minimising
``land cost + best port-to-plant cost``; the second term is precomputed once per port and
feedstock class. Loops run over countries, ports and feedstock classes, never over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.routes.costs import LAND_MODES
from geoprospect.routes.feedstock import TH_PPM_LIMIT, U_PPM_LIMIT, Feed, accepts, same_owner, shipped_feed
from geoprospect.routes.network import RouteNetwork
from geoprospect.routes.overland import no_route_reason, overland_best, overland_gap

K_PORTS = 8
COLUMNS = ["export_port", "port_km", "land_km", "land_cost_usd_t", "plant_id", "sea_km",
           "cost_to_plant_usd_t", "days_to_plant", "co2_kg_t", "land_mode", "blocked_by", "route_note"]
TEXT_COLUMNS = ("export_port", "plant_id", "land_mode", "blocked_by", "route_note")


def open_to(rec: dict, feed: Feed, owner, net: RouteNetwork, *, need_port: bool = True) -> bool:
    """Whether a plant can take this feed now: chemistry, licence and third-party policy
    (:func:`~geoprospect.routes.feedstock.accepts`; the investor's own and partner plants take its
    feed whatever their policy), a receiving port, and spare capacity after contracted feed (a
    plant with no published capacity is not excluded; its owner's own feed always fits)."""
    plants = net.investor.feed_plants if net.investor is not None else frozenset()
    if accepts(rec, feed.product, feed, owner, plants) is not None or (need_port and rec.get("port") is None):
        return False
    spare = float(rec.get("spare_tpa", np.nan))
    return not (spare <= 0) or same_owner(owner, rec.get("operator")) or rec.get("id") in plants


def port_plant_matrix(net: RouteNetwork, feed: Feed, owner=None) -> tuple[np.ndarray, ...]:
    """Cost, sea km, days and CO2 from every port to every plant open to this feed.

    Cost = export port handling + sea + import port handling + road from the receiving port to
    the plant; when the plant receives through the export port itself only the road leg counts.

    Returns
    -------
    tuple of arrays
        ``open`` (mask over ``net.facilities``), then ``cost``, ``sea_km``, ``days``, ``co2``
        and ``same`` (ports x open plants; cost inf from unusable ports).
    """
    fac = net.facilities
    ok = np.array([open_to(rec, feed, owner, net) for rec in fac.to_dict("records")], dtype=bool)
    n = len(net.ports)
    plants = fac[ok]
    pidx = plants["port"].map(net.port_index).to_numpy(dtype=int)
    road = net.land.leg(plants["port_lon"], plants["port_lat"], plants["lon"], plants["lat"], "road")
    sea_km = net.sea.km[:, pidx]  # (ports, plants)
    same = np.arange(n)[:, None] == pidx[None, :]
    c = net.costs
    cost = np.where(same, 0.0, 2 * c.port_handling + sea_km * c.rate("sea")) + road["cost"][None, :]
    days = np.where(same, 0.0, sea_km / c.speed_kmh("sea") / 24) + road["days"][None, :]
    co2 = np.where(same, 0.0, sea_km * c.co2("sea")) + road["co2"][None, :]
    cost[~net.ports["usable"].to_numpy()] = np.inf
    return ok, cost, sea_km, days, co2, same


def plant_costs(net: RouteNetwork, feed: Feed, owner=None) -> dict[str, np.ndarray]:
    """Cheapest compatible first-stage plant from every port, for one feedstock class
    (:func:`port_plant_matrix`'s cheapest column per port).

    Returns
    -------
    dict of arrays over ``net.ports``: ``cost`` (USD/t, inf when none), ``plant`` (index into
    ``net.facilities`` or -1), ``sea_km``, ``days``, ``co2`` (kg/t).
    """
    key = (feed.key, feed.product, owner)
    if key in net._plant_cache:
        return net._plant_cache[key]
    n = len(net.ports)
    out = {"cost": np.full(n, np.inf), "plant": np.full(n, -1), "sea_km": np.full(n, np.nan),
           "days": np.full(n, np.nan), "co2": np.full(n, np.nan)}
    ok, cost, sea_km, days, co2, same = port_plant_matrix(net, feed, owner)
    if ok.any():
        best = np.argmin(cost, axis=1)
        rows = np.arange(n)
        out["cost"] = cost[rows, best]
        found = np.isfinite(out["cost"])
        out["plant"] = np.where(found, np.nonzero(ok)[0][best], -1)
        out["sea_km"] = np.where(found, np.where(same[rows, best], 0.0, sea_km[rows, best]), np.nan)
        out["days"] = np.where(found, days[rows, best], np.nan)
        out["co2"] = np.where(found, co2[rows, best], np.nan)
    net._plant_cache[key] = out
    return out


def site_logistics(lon, lat, iso3, *, minerals=None, th_ppm=None, u_ppm=None,
                   network: RouteNetwork | None = None, owner=None, ids=None, products=None) -> pd.DataFrame:
    """Export port, land leg and cost to the cheapest compatible first plant, per site.

    Parameters
    ----------
    lon, lat : array_like
        Site coordinates (degrees); NaN allowed.
    iso3 : array_like of str
        Country of each site (ISO3; None/NaN = unknown: any port may be used).
    minerals : array_like of str, optional
        Semicolon lists (``"monazite;xenotime"``); None/NaN = unknown mineralogy.
    th_ppm, u_ppm : array_like, optional
        Ore Th and U (ppm) for the licensing rule.
    network : RouteNetwork, optional
        Default: :meth:`RouteNetwork.bundled`.
    owner : array_like of str, optional
        Owner of each site; lets a site reach its owner's captive plant (e.g. Mount Weld ->
        Lynas). Without it only plants sourced as taking third-party ore count.
    ids : array_like of str, optional
        Deposit ids: a policy event that exempts a deposit (``exemptions``) does not block it.
    products : array_like of str, optional
        What each site ships when known before valuing it (a deposit's own study):
        ``mixed_chemical`` goes to a separation plant and is no raw export; anything else ships
        its mineral concentrate.

    Returns
    -------
    pandas.DataFrame
        Same length and order as the inputs; columns ``export_port, port_km, land_km,
        land_cost_usd_t, plant_id, sea_km, cost_to_plant_usd_t, days_to_plant`` (plus
        ``co2_kg_t``, ``land_mode`` and ``blocked_by``: in-force rules forbidding the raw product to leave the
        country; costs are reported regardless). NaN/None where no location or no compatible plant.
    """
    net = network or RouteNetwork.bundled()
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    n = len(lon)
    if n == 0:
        return pd.DataFrame({c: pd.Series(dtype=object if c in TEXT_COLUMNS else float) for c in COLUMNS})
    iso_codes, iso_values = _factor(iso3, n, upper=True)
    min_codes, min_values = _factor(minerals, n)
    own_codes, own_values = _factor(owner, n)
    hot = (_numbers(th_ppm, n) >= TH_PPM_LIMIT) | (_numbers(u_ppm, n) >= U_PPM_LIMIT)
    if not (len(lat) == len(iso_codes) == len(min_codes) == len(hot) == n):
        raise ValueError("site_logistics: lon, lat, iso3, minerals, th_ppm and u_ppm must have equal length")

    chemical = np.zeros(n, dtype=np.int64) if products is None else \
        (np.asarray(products, dtype=object).ravel() == "mixed_chemical").astype(np.int64)
    # feed class of each row: unique (minerals, hot, product, owner) combinations, few in practice
    combo = ((min_codes.astype(np.int64) * 2 + hot) * 2 + chemical) * (len(own_values) + 1) + own_codes
    combo_values, feed_id = np.unique(combo, return_inverse=True)
    feeds, tables, owners = [], [], []
    for c in combo_values:
        o = int(c % (len(own_values) + 1))
        rest, mixed = divmod(int(c // (len(own_values) + 1)), 2)
        m, h = divmod(rest, 2)
        feed = shipped_feed("mixed_chemical" if mixed else "concentrate",
                            min_values[m] if m < len(min_values) else None, TH_PPM_LIMIT if h else None)
        feeds.append(feed)
        owners.append(own_values[o] if o < len(own_values) else None)
        tables.append(plant_costs(net, feed, owners[-1]))
    onward_all = np.stack([t["cost"] for t in tables])  # (feeds, ports)

    res = {c: np.full(n, np.nan) for c in ("port_km", "land_km", "land_cost_usd_t", "sea_km",
                                            "cost_to_plant_usd_t", "days_to_plant", "co2_kg_t")}
    port_i = np.full(n, -1)
    plant_i = np.full(n, -1)
    mode_i = np.full(n, -1)
    ok_xy = np.isfinite(lon) & np.isfinite(lat)
    overland = np.full(n, None, dtype=object)  # crossing id of rows routed overland
    note = np.full(n, None, dtype=object)
    order = np.argsort(iso_codes, kind="stable")
    bounds = np.searchsorted(iso_codes[order], np.arange(len(iso_values) + 2))
    modes = list(LAND_MODES)
    for code_i in range(len(iso_values) + 1):
        rows = order[bounds[code_i]:bounds[code_i + 1]]
        rows = rows[ok_xy[rows]]
        if not len(rows):
            continue
        country = iso_values[code_i] if code_i < len(iso_values) else None
        if country in net.exclusive_overland or (net.crossings["country"] == country).any():
            _overland(net, country, rows, lon, lat, feed_id, feeds, owners, res, plant_i, mode_i, overland,
                      note)
        opts = net.export_options(country)
        if not opts:
            continue
        opt_port = np.array([o[0] for o in opts])
        opt_mode = np.array([modes.index(o[1]) for o in opts])
        if len(opts) <= K_PORTS:  # few candidates: evaluate them all, no tree needed
            cand = np.broadcast_to(np.arange(len(opts)), (len(rows), len(opts)))
            cells_of = {o: (slice(None), o) for o in range(len(opts))}
        else:  # K nearest eligible ports by great circle (k-d tree on unit-sphere xyz)
            _, cand = net.port_tree(opt_port).query(lon[rows], lat[rows], k=K_PORTS)
            flat = cand.ravel()
            by_opt = np.argsort(flat, kind="stable")
            cuts = np.searchsorted(flat[by_opt], np.arange(len(opts) + 1))
            cells_of = {o: np.divmod(by_opt[cuts[o]:cuts[o + 1]], K_PORTS) for o in range(len(opts))
                        if cuts[o + 1] > cuts[o]}
        total = np.full(cand.shape, np.inf)
        land_km = np.full(cand.shape, np.nan)
        land_cost = np.full(cand.shape, np.nan)
        land_co2 = np.full(cand.shape, np.nan)
        gc_km = np.full(cand.shape, np.nan)
        fid = feed_id[rows]
        for o, (r, k) in cells_of.items():
            code = net.ports.at[opt_port[o], "locode"]
            x, y = net.port_xy(code)
            leg = net.land.leg(lon[rows[r]], lat[rows[r]], x, y, modes[opt_mode[o]], port=code)
            land_km[r, k], land_cost[r, k], gc_km[r, k] = leg["km"], leg["cost"], leg["gc_km"]
            land_co2[r, k] = leg["co2"]
            total[r, k] = leg["cost"] + onward_all[fid[r], opt_port[o]]
        total[~np.isfinite(total)] = np.inf
        best = np.argmin(total, axis=1)
        sel = np.arange(len(rows))
        # a sea route replaces an overland one only where it is cheaper
        good = np.isfinite(total[sel, best]) & ~(total[sel, best] >= np.nan_to_num(
            res["cost_to_plant_usd_t"][rows], nan=np.inf))
        rr, sel, best = rows[good], sel[good], best[good]
        o_best = cand[sel, best]
        p_best = opt_port[o_best]
        f_best = fid[sel]
        port_i[rr] = p_best
        mode_i[rr] = opt_mode[o_best]
        res["port_km"][rr] = gc_km[sel, best]
        res["land_km"][rr] = land_km[sel, best]
        res["land_cost_usd_t"][rr] = land_cost[sel, best]
        res["cost_to_plant_usd_t"][rr] = total[sel, best]
        plant_i[rr] = np.stack([t["plant"] for t in tables])[f_best, p_best]
        res["sea_km"][rr] = np.stack([t["sea_km"] for t in tables])[f_best, p_best]
        speed = np.array([net.costs.speed_kmh(m) for m in modes])[opt_mode[o_best]]
        res["days_to_plant"][rr] = res["land_km"][rr] / speed / 24 + np.stack([t["days"] for t in tables])[
            f_best, p_best]
        res["co2_kg_t"][rr] = land_co2[sel, best] + np.stack([t["co2"] for t in tables])[f_best, p_best]
        overland[rr] = None

    out = pd.DataFrame(res)
    codes_arr = np.append(net.ports["locode"].to_numpy(dtype=object), None)
    plant_ids = np.append(net.facilities["id"].to_numpy(dtype=object), None)
    text = lambda arr: pd.Series(arr, dtype=object)  # noqa: E731  (object: no slow string inference)
    out.insert(0, "export_port", text(codes_arr[port_i]))
    out.insert(4, "plant_id", text(plant_ids[plant_i]))
    out["land_mode"] = text(np.append(np.array(modes, dtype=object), None)[mode_i])
    routed_overland = pd.notna(overland)
    out.loc[routed_overland, "export_port"] = [f"overland via {c}" for c in overland[routed_overland]]
    out["route_note"] = text(note)
    pair = iso_codes.astype(np.int64) * len(feeds) + feed_id
    pair_values, pair_id = np.unique(pair, return_inverse=True)
    rules = np.array([";".join(net.policy.export_block(iso_values[p // len(feeds)] if p // len(feeds) < len(
        iso_values) else None, None, feeds[p % len(feeds)])) or None for p in pair_values], dtype=object)
    blocked = rules[pair_id]
    row_iso = np.append(np.asarray(iso_values, dtype=object), None)[iso_codes]
    plant_iso = np.append(net.facilities["country"].to_numpy(dtype=object), None)[plant_i]
    blocked = np.where(row_iso == plant_iso, None, blocked)  # a plant at home: nothing is exported
    if ids is not None and net.policy.exempt:
        blocked = _without_exempt(blocked, np.asarray(ids, dtype=object).ravel(), net.policy.exempt)
    out["blocked_by"] = text(blocked)
    return out[COLUMNS]


def _overland(net, country, rows, lon, lat, feed_id, feeds, owners, res, plant_i, mode_i, overland, note):
    """Route ``rows`` of ``country`` by road across its border crossings where cheaper (all of
    them when the country ships only overland); see :mod:`geoprospect.routes.overland`."""
    reason = no_route_reason(net, country)
    if reason:
        note[rows] = reason
        return
    for f in np.unique(feed_id[rows]):
        sub = rows[feed_id[rows] == f]
        key = ("open", feeds[f].key, feeds[f].product, owners[f])
        if key not in net._plant_cache:
            net._plant_cache[key] = np.array([open_to(rec, feeds[f], owners[f], net)
                                              for rec in net.facilities.to_dict("records")], dtype=bool)
        best = overland_best(net, country, None, lon[sub], lat[sub], net._plant_cache[key])
        take = np.isfinite(best["cost"]) & ~(best["cost"] >= np.nan_to_num(res["cost_to_plant_usd_t"][sub],
                                                                          nan=np.inf))
        rr = sub[take]
        res["cost_to_plant_usd_t"][rr] = best["cost"][take]
        res["land_km"][rr] = best["km"][take]
        res["land_cost_usd_t"][rr] = best["cost"][take]
        res["sea_km"][rr] = 0.0
        res["port_km"][rr] = np.nan
        res["days_to_plant"][rr] = best["days"][take]
        res["co2_kg_t"][rr] = best["co2"][take]
        plant_i[rr] = best["plant"][take]
        mode_i[rr] = list(LAND_MODES).index("road")
        overland[rr] = best["crossing"][take]
        if country in net.exclusive_overland:
            note[sub[~take]] = overland_gap(net, country)


def _without_exempt(blocked: np.ndarray, site_ids: np.ndarray, exempt: dict) -> np.ndarray:
    """Drop, per row, the blocking events that exempt the row's deposit id."""
    out = blocked.copy()
    exempted = set().union(*exempt.values())
    for i in np.flatnonzero(pd.Series(site_ids).isin(exempted).to_numpy() & pd.notna(blocked)):
        kept = [e for e in str(blocked[i]).split(";") if site_ids[i] not in exempt.get(e, ())]
        out[i] = ";".join(kept) or None
    return out


def _factor(values, n: int, upper: bool = False) -> tuple[np.ndarray, list]:
    """Integer codes (missing = len(uniques)) and uniques of a text column or scalar."""
    if values is None or (np.isscalar(values) and not isinstance(values, str)):
        return np.zeros(n, dtype=np.int64), []
    if isinstance(values, str):
        values = [values] * n
    codes, uniques = pd.factorize(np.asarray(values, dtype=object).ravel(), use_na_sentinel=True)
    uniq = [str(u).strip() for u in uniques]
    if upper:
        uniq = [u.upper() for u in uniq]
    # merge uniques that normalise to the same text; blank counts as missing
    values_out = [u for u in dict.fromkeys(uniq) if u]
    where = {u: i for i, u in enumerate(values_out)}
    remap = np.array([where.get(u, len(values_out)) for u in uniq] + [len(values_out)], dtype=np.int64)
    return remap[np.where(codes < 0, len(uniq), codes)], values_out


def _numbers(values, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        arr = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
    if arr.size == 1 and n != 1:
        arr = np.full(n, arr[0])
    return np.nan_to_num(arr, nan=-1.0)


def route_summaries(rows: pd.DataFrame) -> list[str | None]:
    """One line per row describing its route to the first plant, from :func:`site_logistics`'
    columns (``name`` when present): ``"Kangankunde → rail 790 km → MZMNC → sea 9,810 km →
    aus-iluka-eneabba; USD 310/t conc., 31.2 d"``. None where the row has no route."""
    if "cost_to_plant_usd_t" not in rows:
        return [None] * len(rows)
    names = rows["name"] if "name" in rows else pd.Series([None] * len(rows), index=rows.index)
    cols = ["land_mode", "land_km", "export_port", "sea_km", "plant_id", "cost_to_plant_usd_t",
            "days_to_plant", "blocked_by"]
    view = rows.reindex(columns=cols)
    out: list[str | None] = []
    notes = rows["route_note"].tolist() if "route_note" in rows else [None] * len(rows)
    for name, mode, land, port, sea, plant, cost, days, blocked, reason in zip(
            names.tolist(), *(view[c].tolist() for c in cols), notes, strict=True):
        if not isinstance(plant, str) or not np.isfinite(cost):
            out.append(f"no route: {reason}" if isinstance(reason, str) and reason else None)
            continue
        hops = [str(name) if isinstance(name, str) and name else "site",
                f"{mode} {land:,.0f} km", str(port)]
        if np.isfinite(sea) and sea > 0:
            hops.append(f"sea {sea:,.0f} km")
        hops.append(plant)
        text = " → ".join(hops) + f"; USD {cost:,.0f}/t conc., {days:.1f} d"
        out.append(text + (f"; BLOCKED by {blocked}" if isinstance(blocked, str) and blocked else ""))
    return out
