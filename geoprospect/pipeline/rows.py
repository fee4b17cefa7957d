"""Per-row scoring: features -> screening valuation -> transparent view -> offtake and flags.

A row's columns depend on that row plus frozen tables and models (its Monte Carlo draws are
keyed by its id), so chunked, parallel and dask runs give the same numbers as a whole-file run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.features import build_features
from geoprospect.features.flags import investability_flags
from geoprospect.features.offtake import offtake_columns
from geoprospect.io.schema import DEPOSIT_COLUMNS
from geoprospect.io.terms import DEFAULT_SCENARIO, price_scenario
from geoprospect.model.mcda import pillar_scores, weighted_score
from geoprospect.model.valuation import PILLARS, ValueSettings, barred_from, value_rows, value_score
from geoprospect.model.value_fit import load_valuation
from geoprospect.routes.scenario import Scenario

INPUT_COLUMNS = frozenset(c.name for c in DEPOSIT_COLUMNS)
"""Canonical input columns: a feature of the same name is the input itself, not a report."""

PILLAR_SCORES = ["grade_score", "logistics_score", "risk_score"]

RANK_DRAWS = 200
"""Monte Carlo draws of the commands that value a set for people to read (``rank``, ``sheet``,
``scenario``, ``whatif``, the model card's top 15): one number, so their P10/P50/P90 agree.
Batch ``score`` keeps the library's 100 per row."""


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
                              valuation.params, valuation.settings, keep_draws=keep_draws,
                              export_barred=barred_from(features["blocked_by"]))
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


def score_in_slices(frame, *, rows_per_slice: int, progress=None, **kwargs) -> ScoredRows:
    """:func:`score_rows` on consecutive slices of ``frame``, calling ``progress(n)`` after each
    (a progress bar moves while a large set is scored). The rows are identical to one call:
    each row's columns depend on that row only."""
    parts = []
    for a in range(0, max(len(frame), 1), rows_per_slice):
        part = frame.iloc[a:a + rows_per_slice] if rows_per_slice < len(frame) else frame
        parts.append(score_rows(part, **kwargs))
        if progress is not None:
            progress(len(part))
    if len(parts) == 1:
        return parts[0]
    draws = None if parts[0].draws is None else np.concatenate([p.draws for p in parts])
    return ScoredRows(pd.concat([p.columns for p in parts]), pd.concat([p.features for p in parts]), draws)


def drivers(value: pd.DataFrame) -> list[str]:
    """'grade +310 MUSD; risk -120 MUSD; logistics -15 MUSD' per row: the pillar split of the
    NPV against the reference project, largest push first."""
    cols = [f"value_{p}_musd" for p in PILLARS]
    values = value[cols].to_numpy(dtype=float)
    order = np.argsort(-np.abs(np.nan_to_num(values)), axis=1)
    return ["; ".join(f"{PILLARS[j]} {values[i, j]:+,.0f} MUSD" for j in order[i]
                      if np.isfinite(values[i, j])) for i in range(len(values))]


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
