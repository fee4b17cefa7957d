"""The one scoring pipeline: per-row scores, then whole-set rank, bands and sensitivity.

Every caller (``geoprospect rank``, ``score`` on the local and dask engines, ``map``,
``surface`` and the Python API) runs the same two functions:

* :func:`score_rows` — features -> screening valuation (NPV band, pillars in USD) ->
  transparent view -> flags. A row's columns depend on that row plus frozen tables and models
  (its Monte Carlo draws are keyed by its id), so chunked, parallel and dask runs give the same
  numbers as a whole-file run.
* :func:`whole_set` — what needs the whole set: rank, P(top-k) over the shared price draws,
  and the rank stability of the transparent view under random pillar weights.

:func:`rank` composes them for a layer in memory::

    import geoprospect as gp
    ranked = gp.rank_layer()                       # the bundled five-country deposits
    ranked = gp.rank(my_gdf, weights={"grade": .5, "logistics": .2, "risk": .3})
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.features import build_features
from geoprospect.features.flags import investability_flags, is_blocked
from geoprospect.features.offtake import offtake_columns
from geoprospect.io.bundled import layer_path
from geoprospect.io.schema import DEPOSIT_COLUMNS
from geoprospect.io.terms import DEFAULT_SCENARIO, price_scenario, product_treo_fraction
from geoprospect.io.validate import load_layer
from geoprospect.model.mcda import pillar_scores, weight_sensitivity, weighted_score
from geoprospect.model.valuation import PILLARS, ValueSettings, value_rows, value_score
from geoprospect.model.value_fit import load_valuation
from geoprospect.routes.plan import build_routes
from geoprospect.routes.scenario import Scenario
from geoprospect.routes.site import route_summaries

INPUT_COLUMNS = frozenset(c.name for c in DEPOSIT_COLUMNS)
"""Canonical input columns: a feature of the same name is the input itself, not a report."""

PILLAR_SCORES = ["grade_score", "logistics_score", "risk_score"]

ALLOCATE_TOP = 500
"""Rows whose concentrate :func:`rank` allocates to plants by default (the best by rank)."""

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


@dataclass(frozen=True)
class Valuation:
    """What the valuation needs besides the rows: the fitted models and the settings."""

    params: dict
    settings: ValueSettings

    @classmethod
    def load(cls, path=None, *, price_scenario_name: str | None = None, ndpr_price: float | None = None,
             discount_rate: float | None = None, draws: int = 100, seed: int = 0) -> Valuation:
        """The bundled (or given) valuation model with a price scenario and a base real rate.

        Raises
        ------
        ModelError, LayerError
            Unreadable model; unknown scenario or a negative price / rate (with the option).
        """
        from geoprospect.errors import LayerError
        from geoprospect.model.valuation import DEFAULT_BASE_RATE_PCT

        prices = price_scenario(price_scenario_name or DEFAULT_SCENARIO, ndpr_price=ndpr_price)
        rate = DEFAULT_BASE_RATE_PCT if discount_rate is None else float(discount_rate)
        if not np.isfinite(rate) or rate < 0 or rate > 50:
            raise LayerError(f"discount rate must be 0-50 %, got {discount_rate!r}", option="discount_rate")
        return cls(load_valuation(path), ValueSettings(prices, rate, draws, seed))

    @property
    def sha256(self) -> str:
        """The model file's hash (recorded with every output)."""
        return self.params.get("meta", {}).get("sha256", "")


@dataclass
class ScoredRows:
    """What :func:`score_rows` returns.

    Attributes
    ----------
    columns : pandas.DataFrame
        The per-row output columns, same index as the input: feature report columns, the
        valuation (:data:`geoprospect.model.valuation.VALUE_COLUMNS`), ``score`` (and
        ``score_p10``/``score_p90``), pillar scores and ``mcda_score`` of the transparent view,
        ``drivers``, ``flags``.
    features : pandas.DataFrame
        Every feature (inputs included).
    draws : numpy.ndarray or None
        NPV per row and Monte Carlo draw, when asked for (set-level P(top-k)).
    """

    columns: pd.DataFrame
    features: pd.DataFrame
    draws: np.ndarray | None = None


def score_rows(frame, *, valuation: Valuation, scenario: Scenario | None = None, network=None,
               investor: str | None = None, weights: dict | None = None,
               covariates: pd.DataFrame | None = None, prices=None, keep_draws: bool = False) -> ScoredRows:
    """Score rows one by one: features, valuation, transparent view and flags.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        A normalised, validated deposit layer (EPSG:4326).
    valuation : Valuation
        From :meth:`Valuation.load`.
    scenario : Scenario, optional
        Route scenario (the bundled one when None); ignored when ``network`` is given.
    network : RouteNetwork, optional
        A route network built already (e.g. with custom tables).
    investor : str, optional
        Investor profile name or file (:mod:`geoprospect.routes.investor`; default: the
        scenario's, else IREL): decides which flags count and, through the scenario, which
        plants take the feed.
    weights : dict, optional
        ``{"grade": .5, "logistics": .2, "risk": .3}`` makes ``score`` the transparent weighted
        view (the value-based score moves to ``value_score``).
    covariates : pandas.DataFrame, optional
        Sampled raster covariates (same index as ``frame``), reported beside the value.
    prices : PriceDeck, optional
        Price deck for the in-situ basket value report column (the bundled deck when None).
    keep_draws : bool
        Keep the NPV draws for :func:`whole_set`'s P(top-k).

    Returns
    -------
    ScoredRows

    Examples
    --------
    >>> import geoprospect as gp
    >>> gdf, _ = gp.load_layer()                                          # doctest: +SKIP
    >>> rows = score_rows(gdf, valuation=Valuation.load())                # doctest: +SKIP
    >>> rows.columns[["npv_musd_p50", "score", "flags"]].head()           # doctest: +SKIP
    """
    scenario = scenario or Scenario(investor=investor or "irel")
    investor = investor or scenario.investor
    net = network if network is not None else scenario.network()
    features = build_features(frame, network=net, prices=prices)
    if covariates is not None:
        features = pd.concat([features, covariates.reindex(frame.index)], axis=1)
    value, draws = value_rows(frame, features["cost_to_plant_usd_t"].to_numpy(dtype=float),
                              valuation.params, valuation.settings, keep_draws=keep_draws)
    value["score_p10"] = value_score(value["npv_musd_p10"].to_numpy())
    value["score_p90"] = value_score(value["npv_musd_p90"].to_numpy())
    lo, hi = valuation.params["mcda_bounds"]
    transparent = pillar_scores(features, lo, hi)
    transparent["mcda_score"] = weighted_score(transparent[PILLAR_SCORES], weights)
    if weights:
        value["value_score"] = value["score"]
        value["score"] = transparent["mcda_score"]
    value["drivers"] = drivers(value)
    ids = frame["id"].to_numpy(dtype=object) if "id" in frame else np.full(len(frame), None, dtype=object)
    value = pd.concat([value, offtake_columns(ids, value["ndpr_oxide_tpa"], value["treo_tpa"],
                                              index=value.index)], axis=1)
    flags = investability_flags(frame, investor=investor)
    report = features[[c for c in features.columns if c not in INPUT_COLUMNS]]
    return ScoredRows(pd.concat([report, value, transparent, flags], axis=1), features, draws)


def drivers(value: pd.DataFrame) -> list[str]:
    """'grade +310 MUSD; risk -120 MUSD; logistics -15 MUSD' per row: the pillar split of the
    NPV against the reference project, largest push first."""
    cols = [f"value_{p}_musd" for p in PILLARS]
    values = value[cols].to_numpy(dtype=float)
    order = np.argsort(-np.abs(np.nan_to_num(values)), axis=1)
    return ["; ".join(f"{PILLARS[j]} {values[i, j]:+,.0f} MUSD" for j in order[i]
                      if np.isfinite(values[i, j])) for i in range(len(values))]


def rank_order(columns: pd.DataFrame) -> pd.Series:
    """Rank 1 = best: estimated resources above values conditional on a deposit being there,
    then by the median-input NPV (deterministic, so Monte Carlo noise never reorders rows; the
    P50 of the band is reported beside it; unclipped, so saturation creates no ties).
    Under pillar weights (the transparent lens) the rank follows the weighted score alone."""
    tier = (columns["valuation_tier"] == "conditional").astype(int) if "valuation_tier" in columns \
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
              sensitivity: bool = True, seed: int = 0) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``.
    """
    parts = []
    if ranks:
        parts.append(rank_order(rows.columns).to_frame())
    if rows.draws is not None and len(frame):
        order = (-rows.draws).argsort(axis=0).argsort(axis=0) + 1
        col = "p_top10" if top_k == 10 else f"p_top{top_k}"
        parts.append(pd.DataFrame({col: (order <= top_k).mean(axis=1)}, index=frame.index))
    if sensitivity:
        parts.append(weight_sensitivity(rows.columns[PILLAR_SCORES], seed=seed))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def score(deposits, *, valuation: Valuation | None = None, scenario: Scenario | None = None,
          investor: str | None = None, weights: dict | None = None, prices=None):
    """Score deposits: the input rows with every per-row column of :func:`score_rows` (no rank).

    Examples
    --------
    >>> import geoprospect as gp
    >>> gdf, _ = gp.load_layer()                                          # doctest: +SKIP
    >>> gp.score(gdf)[["id", "npv_musd_p50", "score"]].head()             # doctest: +SKIP
    """
    import geopandas as gpd

    rows = score_rows(deposits, valuation=valuation or Valuation.load(), scenario=scenario,
                      investor=investor, weights=weights, prices=prices)
    inputs = pd.DataFrame(deposits.drop(columns=deposits.geometry.name))
    inputs = inputs.drop(columns=[c for c in inputs.columns if c in rows.columns.columns])
    return gpd.GeoDataFrame(pd.concat([inputs, rows.columns], axis=1), geometry=deposits.geometry,
                            crs="EPSG:4326")


def rank(deposits, *, valuation: Valuation | None = None, weights: dict | None = None,
         countries: list[str] | None = None, seed: int = 0, top_k: int = 10,
         exclude_flagged: bool = False, investor: str | None = None, scenario: Scenario | None = None,
         network=None, routes: int = 10, prices=None, covariates=None, exclude_committed: bool = False,
         allocate_top: int = ALLOCATE_TOP):
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
    rows = score_rows(gdf, valuation=valuation, network=net, investor=investor, weights=weights,
                      covariates=covariates, prices=prices, keep_draws=True)
    if exclude_committed:
        keep = rows.columns["uncommitted_ndpr_tpa"].fillna(0).to_numpy() > 0
        gdf, rows = gdf[keep], ScoredRows(rows.columns[keep], rows.features[keep],
                                          rows.draws[keep] if rows.draws is not None else None)
    whole = whole_set(gdf, rows, top_k=top_k, seed=seed)
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
    out.attrs.update(ranked.attrs)
    out.attrs["allocation"] = result
    return out


def _route_legs(top, net):
    """Legs of the best full processing chain of the ``top`` rows (for maps)."""

    located = top[~top.geometry.isna() & ~top.geometry.is_empty]
    if located.empty:
        return None
    return build_routes(located, net, k=1).legs


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
