"""Monte Carlo over input uncertainty: score bands and the probability of a top-k place.

Every draw perturbs the inputs of every deposit, rescores the whole set and re-ranks it.
The spreads below are **assumptions** (no public source gives them per deposit); they are
documented in the README and the model card and can be changed here:

* TREO grade and tonnage: log-normal factors whose sigma grows with weaker resource categories
  (:data:`GRADE_SIGMA`; tonnage uses 1.5 times the grade sigma);
* NdPr share: +- :data:`NDPR_SD` percentage points (normal);
* logistics costs and port distance: log-normal factors by ``location_confidence``
  (:data:`LOCATION_SIGMA`);
* WGI percentiles: +- :data:`WGI_SD` points (normal), about the published standard errors;
* an unknown input is drawn from the training set's distribution of that feature, so missing
  data widen the band instead of being filled with one made-up number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.features.columns import numeric, text
from geoprospect.features.grade import grade_features
from geoprospect.io.reference import WGI_PCT
from geoprospect.model.mcda import pillar_scores, weighted_score
from geoprospect.model.predict import matrix, probability

GRADE_SIGMA = {
    "reserve": 0.05, "measured": 0.05, "measured+indicated": 0.08, "indicated": 0.10,
    "m+i+i": 0.15, "inferred": 0.20, "historic": 0.30,
}
GRADE_SIGMA_UNKNOWN = 0.25
NDPR_SD = 2.0
LOCATION_SIGMA = {"high": 0.02, "medium": 0.10, "low": 0.25}
LOCATION_SIGMA_UNKNOWN = 0.25
WGI_SD = 5.0
LOGISTICS = ("port_km", "land_cost_usd_t", "cost_to_plant_usd_t")


def monte_carlo(gdf, features: pd.DataFrame, model, *, draws: int = 200, seed: int = 0,
                top_k: int = 10, weights: dict | None = None) -> pd.DataFrame:
    """Score bands and P(top-k) over ``draws`` perturbed copies of the whole set.

    Parameters
    ----------
    gdf : GeoDataFrame
        The deposits (canonical columns), aligned with ``features``.
    features : pandas.DataFrame
        Their features (:func:`geoprospect.features.build_features`).
    model : geoprospect.model.estimator.ScoringModel
    draws : int
        Number of Monte Carlo draws (0 disables: NaN bands).
    seed : int
        Random seed; the same seed gives identical output.
    top_k : int
        ``p_top{k}`` is the share of draws in which the deposit ranks within the top k.
    weights : dict, optional
        Score with the transparent weighted view instead of the model.

    Returns
    -------
    pandas.DataFrame
        ``score_p10``, ``score_p90``, ``p_top{k}``, indexed like ``gdf``.
    """
    n = len(gdf)
    col = f"p_top{top_k}"
    if draws <= 0 or n == 0:
        return pd.DataFrame({"score_p10": np.nan, "score_p90": np.nan, col: np.nan},
                            index=gdf.index)
    rng = np.random.default_rng(seed)
    sample = _perturbed_features(gdf, features, model, draws, rng)
    scores = _score(sample, model, weights).reshape(draws, n)
    ranks = (-scores).argsort(axis=1).argsort(axis=1) + 1
    return pd.DataFrame(
        {
            "score_p10": np.percentile(scores, 10, axis=0),
            "score_p90": np.percentile(scores, 90, axis=0),
            col: (ranks <= top_k).mean(axis=0),
        },
        index=gdf.index,
    )


def _score(sample: pd.DataFrame, model, weights) -> np.ndarray:

    if weights:
        return weighted_score(pillar_scores(sample, model.mcda_lo, model.mcda_hi), weights).to_numpy()
    return 100 * probability(model, matrix(model, sample))


def _perturbed_features(gdf, features, model, draws, rng) -> pd.DataFrame:

    n = len(gdf)
    total = n * draws
    category = text(gdf, "resource_category").to_numpy(dtype=object)
    sigma = np.tile([GRADE_SIGMA.get(c, GRADE_SIGMA_UNKNOWN) for c in category], draws)
    inputs = pd.DataFrame(index=pd.RangeIndex(total))
    treo = _fill(np.tile(numeric(gdf, "treo_pct"), draws), model, "treo_pct", rng)
    inputs["treo_pct"] = np.clip(treo * rng.lognormal(0, sigma), 0, 100)
    tonnage = np.tile(numeric(gdf, "resource_mt"), draws)
    inputs["resource_mt"] = tonnage * rng.lognormal(0, 1.5 * sigma)
    contained = _fill(np.log10(inputs["resource_mt"] * 1e6 * inputs["treo_pct"] / 100),
                      model, "log_contained_treo_t", rng)
    inputs["resource_mt"] = 10 ** contained / (1e4 * inputs["treo_pct"])
    ndpr = _fill(np.tile(numeric(gdf, "ndpr_pct"), draws), model, "ndpr_pct", rng)
    inputs["ndpr_pct"] = np.clip(ndpr + rng.normal(0, NDPR_SD, total), 0, 100)
    for name in ("dytb_pct", "th_ppm", "u_ppm"):
        inputs[name] = np.tile(numeric(gdf, name), draws)
    for name in ("minerals", "deposit_type"):
        inputs[name] = np.tile(text(gdf, name).to_numpy(dtype=object), draws)
    out = features.iloc[np.tile(np.arange(n), draws)].reset_index(drop=True)
    grade = grade_features(inputs)
    for c in grade.columns:
        if c in out:
            out[c] = grade[c].to_numpy()
    conf = np.tile(text(gdf, "location_confidence").to_numpy(dtype=object), draws)
    loc_sigma = np.array([LOCATION_SIGMA.get(c, LOCATION_SIGMA_UNKNOWN) for c in conf])
    factor = rng.lognormal(0, loc_sigma)
    for c in LOGISTICS:
        if c in out:
            out[c] = _fill(out[c].to_numpy(dtype=float), model, c, rng) * factor
    for c in WGI_PCT:
        if c in out:
            out[c] = np.clip(out[c].to_numpy(dtype=float) + rng.normal(0, WGI_SD, total), 0, 100)
    if "wgi_mean_pct" in out:
        out["wgi_mean_pct"] = out[list(WGI_PCT)].mean(axis=1, skipna=False)
    return out


def _fill(values: np.ndarray, model, name: str, rng) -> np.ndarray:
    """Replace unknowns by draws from the training distribution of ``name`` (if known)."""
    values = np.asarray(values, dtype=float).copy()
    missing = ~np.isfinite(values)
    if not missing.any() or name not in model.feature_names:
        return values
    q = model.quantiles[model.feature_names.index(name)]
    if not np.isfinite(q).all():
        return values
    u = rng.uniform(0, 100, missing.sum())
    values[missing] = np.interp(u, np.linspace(0, 100, len(q)), q)
    return values
