"""The one scoring pipeline: per-row scores, then whole-set rank, bands and sensitivity.

Every caller (``geoprospect rank``, ``score`` on the local and dask engines, ``map``,
``surface`` and the Python API) runs the same two functions:

* :func:`score_rows` — features -> model -> transparent view -> flags. A row's columns depend
  on that row plus frozen tables and the model, so chunked, parallel and dask runs give the
  same numbers as a whole-file run.
* :func:`whole_set` — what needs the whole set: rank, Monte Carlo bands and P(top-k), and
  the rank stability under random pillar weights.

:func:`rank` composes them for a layer in memory::

    import geoprospect as gp
    ranked = gp.rank_layer()                       # the bundled five-country deposits
    ranked = gp.rank(my_gdf, weights={"grade": .5, "logistics": .2, "risk": .3})
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.errors import ModelError
from geoprospect.features import FEATURE_NAMES, build_features
from geoprospect.features.flags import investability_flags, is_blocked
from geoprospect.io.bundled import layer_path
from geoprospect.io.schema import DEPOSIT_COLUMNS
from geoprospect.io.validate import load_layer
from geoprospect.model.cache import load_for_scoring
from geoprospect.model.estimator import ScoringModel
from geoprospect.model.mcda import weight_sensitivity, weighted_score
from geoprospect.model.predict import score_features
from geoprospect.model.uncertainty import monte_carlo
from geoprospect.routes.plan import build_routes
from geoprospect.routes.scenario import Scenario
from geoprospect.routes.site import route_summaries

INPUT_COLUMNS = frozenset(c.name for c in DEPOSIT_COLUMNS)
"""Canonical input columns: a feature of the same name is the input itself, not a report."""

PILLAR_SCORES = ["grade_score", "logistics_score", "risk_score"]

WHOLE_SET_COLUMNS = ("rank", "score_p10", "score_p90", "p_top10")
"""Columns that need the whole set (``score --rank``/``--uncertainty``), never per chunk."""

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
"""Column order of :func:`rank`'s output (those present; any others follow)."""


@dataclass
class ScoredRows:
    """What :func:`score_rows` returns.

    Attributes
    ----------
    columns : pandas.DataFrame
        The per-row output columns, same index as the input: feature report columns,
        ``score``, pillar scores, ``mcda_score`` (and ``model_score`` with weights),
        ``contrib_*``, ``drivers``, ``flags``.
    features : pandas.DataFrame
        Every feature (inputs included), for :func:`whole_set`'s Monte Carlo band.
    """

    columns: pd.DataFrame
    features: pd.DataFrame


def score_rows(frame, *, model: ScoringModel, scenario: Scenario | None = None, network=None,
               investor: str = "state", weights: dict | None = None,
               covariates: pd.DataFrame | None = None, prices=None) -> ScoredRows:
    """Score rows one by one: features, model, transparent view and flags.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        A normalised, validated deposit layer (EPSG:4326).
    model : ScoringModel
        From :func:`geoprospect.model.cache.load_for_scoring`.
    scenario : Scenario, optional
        Route scenario (the bundled one when None); ignored when ``network`` is given.
    network : RouteNetwork, optional
        A route network built already (e.g. with custom tables).
    investor : {"state", "foreign"}
        Who invests (decides whether a home-country state reservation is a flag).
    weights : dict, optional
        ``{"grade": .5, "logistics": .2, "risk": .3}`` makes ``score`` the transparent weighted
        view; the model's probability moves to ``model_score``.
    covariates : pandas.DataFrame, optional
        Sampled raster covariates (same index as ``frame``); the model uses those it was
        trained with, the others are reported beside it.
    prices : PriceDeck, optional
        Price deck for the basket value (the bundled deck when None).

    Returns
    -------
    ScoredRows

    Examples
    --------
    >>> import geoprospect as gp
    >>> from geoprospect.model.cache import load_for_scoring
    >>> gdf, _ = gp.load_layer()                                    # doctest: +SKIP
    >>> rows = score_rows(gdf, model=load_for_scoring())            # doctest: +SKIP
    >>> rows.columns[["score", "mcda_score", "flags"]].head()       # doctest: +SKIP
    """
    net = network if network is not None else (scenario or Scenario()).network()
    features = build_features(frame, network=net, prices=prices)
    if covariates is not None:
        features = pd.concat([features, covariates.reindex(frame.index)], axis=1)
    scored = score_features(model, features)
    scored["mcda_score"] = weighted_score(scored[PILLAR_SCORES], weights)
    if weights:
        scored["model_score"] = scored["score"]
        scored["score"] = scored["mcda_score"]
    flags = investability_flags(frame, investor=investor)
    report = features[[c for c in features.columns if c not in INPUT_COLUMNS]]
    return ScoredRows(pd.concat([report, scored, flags], axis=1), features)


def whole_set(frame, rows: ScoredRows, *, model: ScoringModel, weights: dict | None = None,
              draws: int = 200, seed: int = 0, top_k: int = 10, ranks: bool = True,
              sensitivity: bool = True) -> pd.DataFrame:
    """Columns that need the whole set: rank, Monte Carlo bands, rank stability.

    Parameters
    ----------
    frame : DataFrame
        The scored rows' normalised inputs (those :func:`monte_carlo` reads).
    rows : ScoredRows
        From :func:`score_rows` on the same rows.
    model, weights
        As given to :func:`score_rows`.
    draws, seed, top_k
        Monte Carlo settings (``draws=0``: no band, NaN columns).
    ranks, sensitivity : bool
        Add ``rank`` (1 = best, ties share the lowest place) and ``rank_best``/``_median``/
        ``_worst``/``rank_stability`` under random pillar weights.

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``; ``rank``, ``score_p10``, ``score_p90``, ``p_top{k}`` and the
        sensitivity columns as asked.
    """
    parts = []
    if ranks:
        rank = rows.columns["score"].rank(ascending=False, method="min").astype("Int64")
        parts.append(rank.rename("rank").to_frame())
    if draws is not None:
        bands = monte_carlo(frame, rows.features, model, draws=draws, seed=seed, top_k=top_k,
                            weights=weights)
        parts.append(bands.rename(columns={f"p_top{top_k}": "p_top10"}) if top_k == 10 else bands)
    if sensitivity:
        parts.append(weight_sensitivity(rows.columns[PILLAR_SCORES], seed=seed))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def rank(deposits, *, model=None, weights: dict | None = None, countries: list[str] | None = None,
         draws: int = 200, seed: int = 0, top_k: int = 10, exclude_flagged: bool = False,
         investor: str = "state", scenario: Scenario | None = None, network=None,
         routes: int = 10, prices=None, covariates=None):
    """Score and rank deposits: :func:`score_rows`, then :func:`whole_set`.

    Parameters
    ----------
    deposits : GeoDataFrame
        A normalised, validated layer (:func:`geoprospect.load_layer`).
    model : ScoringModel or str or Path, optional
        The bundled default model when None.
    weights : dict, optional
        Transparent weighted view (see :func:`score_rows`).
    countries : list of str, optional
        Keep only these ISO3 countries.
    draws, seed, top_k
        Monte Carlo settings for ``score_p10``/``score_p90``/``p_top10``.
    exclude_flagged : bool
        Leave out deposits with a blocking flag (see :mod:`geoprospect.features.flags`).
    investor : {"state", "foreign"}
    scenario, network
        Route scenario (see :func:`score_rows`).
    routes : int
        Build the full processing chain (legs, for maps) of this many best deposits; the
        one-line ``route_summary`` to the first plant is there for every row. 0: none.
    prices : PriceDeck, optional
    covariates : pandas.DataFrame, optional
        Sampled raster covariates, same index as ``deposits``.

    Returns
    -------
    GeoDataFrame
        One row per deposit, best first, with :data:`OUTPUT_COLUMNS` (those available);
        ``attrs["route_legs"]`` holds the legs of the ``routes`` best deposits.

    Examples
    --------
    >>> import geoprospect as gp
    >>> ranked = gp.rank_layer(draws=0)                                  # doctest: +SKIP
    >>> ranked[["rank", "name", "score"]].head(3)                        # doctest: +SKIP
    """
    import geopandas as gpd

    if not isinstance(model, ScoringModel):
        model = load_for_scoring(model)
    net = network if network is not None else (scenario or Scenario()).network()
    gdf = deposits
    if countries:
        gdf = gdf[gdf["country"].isin(countries)]
    if exclude_flagged:
        keep = ~is_blocked(investability_flags(gdf, investor=investor))
        gdf = gdf[keep.to_numpy()]
    rows = score_rows(gdf, model=model, network=net, investor=investor, weights=weights,
                      covariates=covariates, prices=prices)
    whole = whole_set(gdf, rows, model=model, weights=weights, draws=draws, seed=seed,
                      top_k=top_k)
    added = pd.concat([rows.columns, whole], axis=1)
    inputs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    inputs = inputs.drop(columns=[c for c in inputs.columns if c in added.columns])
    out = pd.concat([inputs, added], axis=1)
    out["route_summary"] = route_summaries(out)
    ranked = gpd.GeoDataFrame(out, geometry=gdf.geometry, crs="EPSG:4326")
    ranked = ranked.sort_values(["rank", "name"], kind="stable")
    if routes and len(ranked):
        ranked.attrs["route_legs"] = _route_legs(ranked.head(routes), net)
    ordered = [c for c in OUTPUT_COLUMNS if c in ranked.columns]
    rest = [c for c in ranked.columns if c not in ordered and c != ranked.geometry.name]
    result = ranked[[*ordered, *rest, ranked.geometry.name]]
    result.attrs.update(ranked.attrs)
    result.attrs["model_sha256"] = model.sha256
    result.attrs["weights"] = weights
    return result


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
    >>> gp.rank_layer(draws=0, countries=["MWI"])[["rank", "name"]]      # doctest: +SKIP
    """

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


def check_model_inputs(model: ScoringModel, covariate_names) -> None:
    """Refuse a model that needs raster covariates the caller did not give.

    Raises
    ------
    ModelError
        Naming the missing covariates (``option="raster"``: the CLI adds the flag).
    """
    known = set(covariate_names or ())

    missing = [c for c in model.feature_names if c not in FEATURE_NAMES and c not in known]
    if missing:
        raise ModelError(f"the model was trained with raster covariate(s) {', '.join(missing)}; "
                         "give a raster for each (NAME=PATH)", option="raster")
