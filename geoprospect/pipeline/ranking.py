"""Whole-set outputs: rank, P(top-k), rank stability, and the capacity allocation of the best
rows' product to plants; :func:`rank` composes them with :func:`~geoprospect.pipeline.rows.score_rows`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.features.flags import investability_flags, is_blocked
from geoprospect.io.bundled import layer_path
from geoprospect.io.terms import product_treo_fraction
from geoprospect.io.validate import load_layer
from geoprospect.model.mcda import weight_sensitivity
from geoprospect.pipeline.rows import PILLAR_SCORES, ScoredRows, Valuation, score_in_slices
from geoprospect.routes.plan import chains_through
from geoprospect.routes.scenario import Scenario
from geoprospect.routes.site import route_summaries

ALLOCATE_TOP = 500
"""Rows whose concentrate :func:`rank` allocates to plants by default (the best by rank)."""

PROGRESS_ROWS = 25_000
"""With a progress callback, rows are scored in slices of this many (:func:`score_in_slices`)."""

WHOLE_SET_COLUMNS = ("rank", "p_top10")
"""Columns that need the whole set (``score --rank``/``--uncertainty``), never per chunk."""

OUTPUT_COLUMNS = (
    "rank", "id", "name", "country", "admin1", "deposit_type", "minerals", "stage", "owner",
    "resource_class", "resource_mt", "treo_pct", "ndpr_pct", "dytb_pct", "th_ppm",
    "ndpr_oxide_tpa", "dytb_oxide_tpa", "capex_musd", "opex_usd_per_kg", "npv_musd_p10",
    "npv_musd_p50", "npv_musd_p90", "irr_pct", "p_npv_positive", "discount_rate_pct",
    "value_grade_musd", "value_logistics_musd", "value_risk_musd", "data_completeness", "imputed",
    "valuation_tier", "score", "score_p10", "score_p90", "p_top10", "drivers", "flags",
    "grade_score", "logistics_score", "risk_score", "mcda_score", "rank_best", "rank_median",
    "rank_worst", "rank_stability", "contained_treo_t", "contained_ndpr_t", "basket_usd_t_ore",
    "export_port", "port_km", "land_km", "cost_to_plant_usd_t", "days_to_plant", "plant_id",
    "route_summary", "wgi_mean_pct", "fraser_ppi", "risk_events", "legal_status",
    "location_confidence", "source", "source_url",
)
"""Column order of :func:`rank`'s output (those present; any others follow)."""


def rank_order(columns: pd.DataFrame, tiers: bool = True) -> pd.Series:
    """Rank 1 = best: estimated resources above values conditional on a deposit being there
    (unless ``tiers`` is False: one list by value), then by the median-input NPV (deterministic,
    so Monte Carlo noise never reorders rows; the P50 of the band is reported beside it;
    unclipped, so saturation creates no ties). Under pillar weights (the transparent lens) the
    rank follows the weighted score alone."""
    tier = (columns["valuation_tier"] == "conditional").astype(int) if "valuation_tier" in columns and tiers \
        else pd.Series(0, index=columns.index)
    by_value = "npv_musd" in columns and "value_score" not in columns  # weights: the MCDA lens
    value = columns["npv_musd"] if by_value else columns["score"]
    key = pd.DataFrame({"tier": tier if by_value else 0, "value": -value.fillna(-np.inf)},
                       index=columns.index)
    order = key.sort_values(["tier", "value"], kind="stable")
    first = ~order.duplicated(["tier", "value"])
    place = pd.Series(np.arange(1, len(order) + 1), index=order.index)
    rank = place.where(first).ffill().astype("Int64")
    return rank.reindex(columns.index).rename("rank")


def whole_set(frame, rows: ScoredRows, *, top_k: int = 10, ranks: bool = True,
              sensitivity: bool = True, seed: int = 0, tiers: bool = True) -> pd.DataFrame:
    """Columns that need the whole set: rank, P(top-k) over the Monte Carlo draws, rank stability.

    Parameters
    ----------
    frame : DataFrame
        The scored rows (for the index).
    rows : ScoredRows
        From :func:`score_rows` on the same rows (``keep_draws=True`` for ``p_top10``).
    top_k : int
        ``p_top{k}``: the share of draws in which a row ranks within the top k (every row sees
        the same price path in a draw).
    ranks, sensitivity : bool
        Add ``rank`` (:func:`rank_order`) and ``rank_best``/``_median``/``_worst``/
        ``rank_stability`` of the transparent view under random pillar weights.
    seed : int
        Seed of the weight draws.
    tiers : bool
        Rank conditional values in their own tier below estimated resources (False: one list).

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``.
    """
    parts = []
    if ranks:
        parts.append(rank_order(rows.columns, tiers).to_frame())
    if rows.draws is not None and len(frame):
        order = (-rows.draws).argsort(axis=0).argsort(axis=0) + 1
        col = "p_top10" if top_k == 10 else f"p_top{top_k}"
        parts.append(pd.DataFrame({col: (order <= top_k).mean(axis=1)}, index=frame.index))
    if sensitivity:
        parts.append(weight_sensitivity(rows.columns[PILLAR_SCORES], seed=seed))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def rank(deposits, *, valuation: Valuation | None = None, weights: dict | None = None,
         countries: list[str] | None = None, seed: int = 0, top_k: int = 10,
         exclude_flagged: bool = False, investor: str | None = None, scenario: Scenario | None = None,
         network=None, routes: int = 10, prices=None, covariates=None, exclude_committed: bool = False,
         allocate_top: int = ALLOCATE_TOP, progress=None, tiers: bool = True):
    """Score and rank deposits: :func:`score_rows`, then :func:`whole_set`.

    Parameters
    ----------
    deposits : GeoDataFrame
        A normalised, validated layer (:func:`geoprospect.load_layer`).
    valuation : Valuation, optional
        Models, price scenario, base rate and draws (:meth:`Valuation.load` when None).
    weights : dict, optional
        Transparent weighted view (see :func:`score_rows`).
    countries : list of str, optional
        Keep only these ISO3 countries.
    seed, top_k
        Seed of the rank-stability draws; ``p_top{k}``.
    exclude_flagged : bool
        Leave out deposits with a flag that blocks the investor (its profile's exclusions and the
        legal blockers, see :mod:`geoprospect.features.flags`).
    investor : str, optional
        Investor profile name or file (default: the scenario's, else IREL).
    scenario, network
        Route scenario (see :func:`score_rows`).
    routes : int
        Build the full processing chain (legs, for maps) of this many best deposits; the
        one-line ``route_summary`` to the first plant is there for every row. 0: none.
    prices : PriceDeck, optional
    covariates : pandas.DataFrame, optional
        Sampled raster covariates, same index as ``deposits``.
    exclude_committed : bool
        Leave out deposits whose NdPr output is wholly committed (no uncommitted t/yr).
    allocate_top : int
        Allocate the concentrate of this many best rows to plants with spare capacity
        (:func:`geoprospect.routes.allocation.allocate`; a set-level output that never changes a
        row's value); 0: none.
    progress : callable, optional
        Called with a number of rows as they are scored (:data:`PROGRESS_ROWS` at a time).
    tiers : bool
        Rank values conditional on a deposit being there (no resource estimate) in their own
        tier below estimated resources (default); False ranks every row by value alone.

    Returns
    -------
    GeoDataFrame
        One row per deposit, best first, with :data:`OUTPUT_COLUMNS` (those available);
        ``attrs["route_legs"]`` holds the legs of the ``routes`` best deposits,
        ``attrs["allocation"]`` the :class:`~geoprospect.routes.allocation.Allocation`.

    Examples
    --------
    >>> import geoprospect as gp
    >>> ranked = gp.rank_layer()                                         # doctest: +SKIP
    >>> ranked[["rank", "name", "npv_musd_p50"]].head(3)                 # doctest: +SKIP
    """
    import geopandas as gpd

    valuation = valuation or Valuation.load(seed=seed)
    scenario = scenario or Scenario(investor=investor or "irel")
    investor = investor or scenario.investor
    net = network if network is not None else scenario.network()
    gdf = deposits
    if countries:
        gdf = gdf[gdf["country"].isin(countries)]
    if exclude_flagged:
        keep = ~is_blocked(investability_flags(gdf, investor=investor))
        gdf = gdf[keep.to_numpy()]
    rows = score_in_slices(gdf, rows_per_slice=PROGRESS_ROWS if progress else max(len(gdf), 1),
                           progress=progress, valuation=valuation, network=net, investor=investor,
                           weights=weights, covariates=covariates, prices=prices, keep_draws=True)
    if exclude_committed:
        keep = rows.columns["uncommitted_ndpr_tpa"].fillna(0).to_numpy() > 0
        gdf, rows = gdf[keep], ScoredRows(rows.columns[keep], rows.features[keep],
                                          rows.draws[keep] if rows.draws is not None else None)
    whole = whole_set(gdf, rows, top_k=top_k, seed=seed, tiers=tiers)
    added = pd.concat([rows.columns, whole], axis=1)
    inputs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    inputs = inputs.drop(columns=[c for c in inputs.columns if c in added.columns])
    out = pd.concat([inputs, added], axis=1)
    out["route_summary"] = route_summaries(out)
    ranked = gpd.GeoDataFrame(out, geometry=gdf.geometry, crs="EPSG:4326")
    ranked = ranked.sort_values(["rank", "name"], kind="stable") if "name" in ranked \
        else ranked.sort_values("rank", kind="stable")
    if allocate_top and len(ranked):
        ranked = _with_allocation(ranked, net, allocate_top)
    if routes and len(ranked):
        ranked.attrs["route_legs"] = _route_legs(ranked.head(routes), net)
    ordered = [c for c in OUTPUT_COLUMNS if c in ranked.columns]
    rest = [c for c in ranked.columns if c not in ordered and c != ranked.geometry.name]
    result = ranked[[*ordered, *rest, ranked.geometry.name]]
    result.attrs.update(ranked.attrs)
    result.attrs["model_sha256"] = valuation.sha256
    result.attrs["price_scenario"] = valuation.settings.prices.name
    result.attrs["weights"] = weights
    return result


def _with_allocation(ranked, net, top: int):
    """``assigned_plant_id``, ``assigned_share``, ``unplaced_tpa``, ``allocation_note`` for the
    ``top`` best rows (estimated resources placed before conditional values)."""
    from geoprospect.routes.allocation import allocate

    head = ranked.head(top)
    product = head["product"].fillna("concentrate").to_numpy(dtype=object)
    shipped = head["treo_tpa"].to_numpy(dtype=float) / np.array([product_treo_fraction(p) for p in product])
    tier = (head["valuation_tier"] == "conditional").astype(int).to_numpy() \
        if "valuation_tier" in head else None
    result = allocate(head, shipped, net, priority=tier, products=product)
    per = result.deposits.set_index(head.index)
    out = ranked.copy()
    for col in ("assigned_plant_id", "assigned_share", "unplaced_tpa", "allocation_note"):
        out[col] = per[col].reindex(out.index)
    out.loc[~out.index.isin(head.index), "allocation_note"] = f"not allocated (outside the best {top})"
    if "route_note" in out:  # no route at all (e.g. overland only, to an avoided country): say so
        why = out["route_note"].astype(object).where(out["route_note"].notna(), "")
        lost = (why != "") & (out["unplaced_tpa"].fillna(0) > 0)
        out.loc[lost, "allocation_note"] = [f"{t:,.0f} t/yr unplaced: {w}" for t, w in
                                            zip(out.loc[lost, "unplaced_tpa"], why[lost], strict=True)]
    out.attrs.update(ranked.attrs)
    out.attrs["allocation"] = result
    return out


def _route_legs(top, net):
    """Legs of the full processing chain of the ``top`` rows (for maps): from the plant the
    allocation assigned (``assigned_plant_id``), else the row's cheapest chain."""
    located = top[~top.geometry.isna() & ~top.geometry.is_empty]
    if located.empty:
        return None
    ids = located["id"].astype(str) if "id" in located else \
        pd.Series(located.index.astype(str), index=located.index)
    assigned = located.get("assigned_plant_id", pd.Series(None, index=located.index))
    plan, _ = chains_through(located, net, dict(zip(ids, assigned, strict=True)))
    return plan.legs


def rank_layer(path=None, *, layer=None, crs=None, encoding=None, strict: bool = True, **kwargs):
    """Load a layer (the bundled deposits when ``path`` is None), validate it, and rank it.

    Raises :class:`~geoprospect.errors.ValidationFailed` on validation errors when ``strict``.
    Other keyword arguments go to :func:`rank`.

    Examples
    --------
    >>> import geoprospect as gp
    >>> gp.rank_layer(countries=["MWI"])[["rank", "name"]]               # doctest: +SKIP
    """

    source = path if path is not None else layer_path("deposits.geojson")
    gdf, problems = load_layer(source, layer=layer, crs=crs, encoding=encoding, strict=strict)
    ranked = rank(gdf, **kwargs)
    ranked.attrs["problems"] = problems
    return ranked


def top_table(ranked, n: int = 15) -> pd.DataFrame:
    """A compact view of the top ``n`` rows for printing."""
    cols = ["rank", "name", "country", "ndpr_oxide_tpa", "capex_musd", "npv_musd", "npv_musd_p10",
            "npv_musd_p50", "npv_musd_p90", "p_top10", "flags"]
    view = ranked[[c for c in cols if c in ranked.columns]].head(n)
    return pd.DataFrame(view).replace({np.nan: None})
