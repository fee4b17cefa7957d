"""Rank a set of deposits: per-row scores, then rank, bands and P(top-k) over the whole set.

``rank`` is the Python face of ``geoprospect rank``::

    import geoprospect as gp
    ranked = gp.rank_layer()                       # the bundled five-country deposits
    ranked = gp.rank(my_gdf, weights={"grade": .5, "logistics": .2, "risk": .3})
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OUTPUT_COLUMNS = (
    "rank", "id", "name", "country", "admin1", "deposit_type", "minerals", "stage", "owner",
    "resource_mt", "treo_pct", "ndpr_pct", "dytb_pct", "th_ppm", "contained_treo_t",
    "contained_ndpr_t", "basket_usd_t_ore", "score", "score_p10", "score_p90", "p_top10",
    "grade_score", "logistics_score", "risk_score", "mcda_score", "contrib_grade",
    "contrib_logistics", "contrib_risk", "drivers", "rank_best", "rank_median", "rank_worst",
    "rank_stability", "flags", "export_port", "port_km",
    "land_km", "cost_to_plant_usd_t", "days_to_plant", "plant_id", "route_summary",
    "wgi_mean_pct", "fraser_ppi", "risk_events", "legal_status", "location_confidence",
    "source", "source_url",
)


def rank(
    deposits,
    *,
    model=None,
    weights: dict | None = None,
    countries: list[str] | None = None,
    draws: int = 200,
    seed: int = 0,
    top_k: int = 10,
    exclude_flagged: bool = False,
    investor: str = "state",
    network=None,
    routes: bool = True,
    prices=None,
    covariates=None,
):
    """Score and rank deposits.

    Parameters
    ----------
    deposits : GeoDataFrame
        A normalised, validated layer (:func:`geoprospect.load_layer`).
    model : ScoringModel or str or Path, optional
        The bundled default model when None.
    weights : dict, optional
        ``{"grade": .5, "logistics": .2, "risk": .3}`` switches ``score`` to the transparent
        weighted view (the model's probability stays in ``model_score``).
    countries : list of str, optional
        Keep only these ISO3 countries.
    draws, seed, top_k
        Monte Carlo settings for ``score_p10``/``score_p90``/``p_top10``.
    exclude_flagged : bool
        Leave out deposits with a blocking flag (see :mod:`geoprospect.features.flags`).
    investor : {"state", "foreign"}
        Who invests; decides whether a home-country state reservation is a blocker.
    network : RouteNetwork, optional
        Route scenario for the logistics pillar and the route summary.
    routes : bool
        Add the best processing route's summary (and its legs in ``attrs["route_legs"]``).
    prices : PriceDeck, optional
        Price deck for the basket value (default: the bundled deck).
    covariates : pandas.DataFrame, optional
        Sampled raster covariates (one column per NAME, same index as ``deposits``); they
        enter the model when it was trained with them, else they are reported beside it.

    Returns
    -------
    GeoDataFrame
        One row per deposit, best first, with :data:`OUTPUT_COLUMNS` (those available).
    """
    import geopandas as gpd

    from geoprospect.features import build_features
    from geoprospect.features.flags import investability_flags, is_blocked
    from geoprospect.model.mcda import pillar_scores, weight_sensitivity, weighted_score
    from geoprospect.model.estimator import ScoringModel
    from geoprospect.model.cache import load_for_scoring
    from geoprospect.model.predict import score
    from geoprospect.model.uncertainty import monte_carlo

    if not isinstance(model, ScoringModel):
        model = load_for_scoring(model)
    gdf = deposits
    if countries:
        gdf = gdf[gdf["country"].isin(countries)]
    flags = investability_flags(gdf, investor=investor)
    if exclude_flagged:
        keep = ~is_blocked(flags)
        gdf, flags = gdf[keep.to_numpy()], flags[keep.to_numpy()]
    features = build_features(gdf, network=network, prices=prices)
    if covariates is not None:
        features = pd.concat([features, covariates.reindex(gdf.index)], axis=1)
    scored = score(model, features)
    scored["mcda_score"] = weighted_score(pillar_scores(features, model.mcda_lo, model.mcda_hi),
                                          weights)
    if weights:
        scored["model_score"] = scored["score"]
        scored["score"] = scored["mcda_score"]
    pillars = scored[["grade_score", "logistics_score", "risk_score"]]
    sensitivity = weight_sensitivity(pillars, seed=seed)
    bands = monte_carlo(gdf, features, model, draws=draws, seed=seed, top_k=top_k, weights=weights)
    bands = bands.rename(columns={f"p_top{top_k}": "p_top10"}) if top_k == 10 else bands
    report = features.drop(columns=[c for c in features.columns if c in gdf.columns])
    out = pd.concat([pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), report, scored, bands,
                     sensitivity, flags], axis=1)
    out["rank"] = out["score"].rank(ascending=False, method="min").astype("Int64")
    ranked = gpd.GeoDataFrame(out, geometry=gdf.geometry, crs="EPSG:4326")
    if routes and len(ranked):
        _add_routes(ranked, network)
    ranked = ranked.sort_values(["rank", "name"], kind="stable")
    ordered = [c for c in OUTPUT_COLUMNS if c in ranked.columns]
    rest = [c for c in ranked.columns if c not in ordered and c != ranked.geometry.name]
    result = ranked[[*ordered, *rest, ranked.geometry.name]]
    result.attrs.update(ranked.attrs)
    result.attrs["model_sha256"] = model.sha256
    result.attrs["weights"] = weights
    return result


def _add_routes(ranked, network) -> None:
    """Attach the best route's summary per deposit (and the legs, for maps)."""
    from geoprospect.routes import RouteNetwork, build_routes

    net = network or RouteNetwork.bundled()
    located = ranked[~ranked.geometry.isna() & ~ranked.geometry.is_empty]
    if located.empty:
        ranked["route_summary"] = None
        return
    plan = build_routes(located, net, k=1)
    best = plan.table[plan.table["alternative"] == 0].set_index("deposit_id")
    ranked["route_summary"] = ranked["id"].map(best["summary"]) if "summary" in best else None
    ranked.attrs["route_legs"] = plan.legs


def rank_layer(path=None, *, layer=None, crs=None, encoding=None, strict: bool = True, **kwargs):
    """Load a layer (the bundled deposits when ``path`` is None), validate it, and rank it.

    Raises :class:`~geoprospect.errors.ValidationFailed` on validation errors when ``strict``.
    Other keyword arguments go to :func:`rank`.
    """
    from geoprospect.io.bundled import layer_path
    from geoprospect.io.validate import load_layer

    source = path if path is not None else layer_path("deposits.geojson")
    gdf, problems = load_layer(source, layer=layer, crs=crs, encoding=encoding, strict=strict)
    ranked = rank(gdf, **kwargs)
    ranked.attrs["problems"] = problems
    return ranked


def top_table(ranked, n: int = 15) -> pd.DataFrame:
    """A compact view of the top ``n`` rows for printing."""
    cols = ["rank", "name", "country", "score", "score_p10", "score_p90", "grade_score",
            "logistics_score", "risk_score", "p_top10", "flags"]
    view = ranked[[c for c in cols if c in ranked.columns]].head(n)
    return pd.DataFrame(view).replace({np.nan: None})
