"""Transparent multi-criteria view: pillar indices, a weighted sum, and weight sensitivity.

Each pillar score (0-100) is the mean of a few plainly normalised indicators:

* grade: log10 TREO %, log10 contained NdPr oxide, NdPr share, log10 basket value;
* logistics: cost to the cheapest compatible plant and distance to the export port (lower is
  better);
* risk: mean WGI percentile (weight 0.7), no armed conflict (0.15), few in-force restrictive
  events such as export bans (0.15) — weights inside a pillar are design assumptions.

Min-max bounds are the 5th and 95th percentiles of the reference (training) set, frozen in the
model file, so a pillar score depends on its own row only. A pillar with no data at all is NaN
(unknown); in a weighted sum an unknown pillar earns nothing (no credit for unpublished data).
This is the same ``(matrix, weights, types)`` idea as pymcdm's weighted sum, with benefit (+1)
and cost (-1) criteria.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoprospect.features import PILLARS


@dataclass(frozen=True)
class Indicator:
    """One transparent criterion."""

    name: str
    pillar: str
    direction: int  # +1 benefit, -1 cost
    log: bool = False
    weight: float = 1.0  # weight inside its pillar


INDICATORS: tuple[Indicator, ...] = (
    Indicator("treo_pct", "grade", +1, log=True),
    Indicator("log_contained_ndpr_t", "grade", +1),
    Indicator("ndpr_pct", "grade", +1),
    Indicator("basket_usd_t_ore", "grade", +1, log=True),
    Indicator("cost_to_plant_usd_t", "logistics", -1),
    Indicator("port_km", "logistics", -1),
    Indicator("wgi_mean_pct", "risk", +1, weight=0.7),
    Indicator("conflict_area", "risk", -1, weight=0.15),
    Indicator("restrictive_events", "risk", -1, weight=0.15),
)
FIXED_BOUNDS = {"wgi_mean_pct": (0.0, 100.0), "conflict_area": (0.0, 1.0),
                "restrictive_events": (0.0, 3.0)}
DEFAULT_WEIGHTS = {"grade": 1 / 3, "logistics": 1 / 3, "risk": 1 / 3}


def _raw(features: pd.DataFrame) -> np.ndarray:
    cols = []
    for ind in INDICATORS:
        v = features[ind.name].to_numpy(dtype=float) if ind.name in features else \
            np.full(len(features), np.nan)
        if ind.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(v > 0, np.log10(v), np.nan)
        cols.append(v)
    return np.column_stack(cols) if cols else np.empty((len(features), 0))


def fit_bounds(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Freeze normalisation bounds from a reference set (5th/95th percentiles, fixed for
    indicators on a natural scale)."""
    raw = _raw(features)
    lo = np.empty(len(INDICATORS))
    hi = np.empty(len(INDICATORS))
    for j, ind in enumerate(INDICATORS):
        if ind.name in FIXED_BOUNDS:
            lo[j], hi[j] = FIXED_BOUNDS[ind.name]
            continue
        col = raw[:, j][np.isfinite(raw[:, j])]
        if col.size >= 2:
            lo[j], hi[j] = np.percentile(col, [5, 95])
        else:
            lo[j], hi[j] = np.nan, np.nan
    return lo, hi


def pillar_scores(features: pd.DataFrame, lo: np.ndarray, hi: np.ndarray) -> pd.DataFrame:
    """Per-row pillar scores 0-100 (NaN where a pillar has no data).

    Parameters
    ----------
    features : pandas.DataFrame
        Output of :func:`geoprospect.features.build_features`.
    lo, hi : numpy.ndarray
        Frozen bounds from :func:`fit_bounds`.
    """
    raw = _raw(features)
    span = np.where(hi > lo, hi - lo, np.nan)
    norm = np.clip((raw - lo) / span, 0, 1)
    direction = np.array([ind.direction for ind in INDICATORS])
    norm = np.where(direction > 0, norm, 1 - norm)
    out = pd.DataFrame(index=features.index)
    pillars = np.array([ind.pillar for ind in INDICATORS])
    weights = np.array([ind.weight for ind in INDICATORS])
    for p in PILLARS:
        sel = pillars == p
        block, w = norm[:, sel], weights[sel]
        known = np.isfinite(block)
        total = (known * w).sum(axis=1)
        with np.errstate(all="ignore"):
            out[f"{p}_score"] = np.where(total > 0, 100 * np.nansum(block * w, axis=1) / total,
                                         np.nan)
    return out


def parse_weights(text: str | None) -> dict | None:
    """Parse ``"grade=0.5,logistics=0.2,risk=0.3"``; weights are normalised to sum to 1."""
    if not text:
        return None
    weights = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in PILLARS:
            raise ValueError(f"unknown pillar {key!r} in weights (use {', '.join(PILLARS)})")
        try:
            weights[key] = float(value)
        except ValueError:
            raise ValueError(f"weight for {key!r} is not a number: {value!r}") from None
        if weights[key] < 0:
            raise ValueError(f"weight for {key!r} is negative")
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("weights must not all be zero")
    return {p: weights.get(p, 0.0) / total for p in PILLARS}


def weighted_score(pillars: pd.DataFrame, weights: dict | None = None) -> pd.Series:
    """Weighted sum of pillar scores (0-100); an unknown pillar contributes 0."""
    w = weights or DEFAULT_WEIGHTS
    total = sum(w[p] * pillars[f"{p}_score"].fillna(0.0) for p in PILLARS)
    return pd.Series(total, index=pillars.index, name="mcda_score")


def weight_sensitivity(pillars: pd.DataFrame, *, draws: int = 500, seed: int = 0) -> pd.DataFrame:
    """Rank stability across weights drawn uniformly from the simplex (Dirichlet(1,1,1)).

    Returns
    -------
    pandas.DataFrame
        ``rank_best``, ``rank_median``, ``rank_worst`` (5th/50th/95th percentile ranks) and
        ``rank_stability`` (share of weightings within two places of the median rank).
    """
    rng = np.random.default_rng(seed)
    W = rng.dirichlet(np.ones(len(PILLARS)), size=draws)  # draws x pillars
    P = np.column_stack([pillars[f"{p}_score"].fillna(0.0).to_numpy() for p in PILLARS])
    S = P @ W.T  # rows x draws
    ranks = (-S).argsort(axis=0).argsort(axis=0) + 1
    med = np.median(ranks, axis=1)
    return pd.DataFrame(
        {
            "rank_best": np.percentile(ranks, 5, axis=1),
            "rank_median": med,
            "rank_worst": np.percentile(ranks, 95, axis=1),
            "rank_stability": (np.abs(ranks - med[:, None]) <= 2).mean(axis=1),
        },
        index=pillars.index,
    )
