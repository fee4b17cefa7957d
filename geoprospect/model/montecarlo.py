"""Monte Carlo machinery of the valuation: split-normal draws through (P10, P50, P90), and
counter-based uniform numbers keyed by a row's id, so a row draws the same numbers in any
chunking, on any worker.

Examples
--------
>>> import numpy as np
>>> q = (np.array([1.0]), np.array([2.0]), np.array([4.0]))
>>> float(draw(q, np.zeros((1, 1)), log=True)[0, 0])      # z = 0 is the P50
2.0
>>> u = uniform(np.array([7], dtype=np.uint64), 3, variable=0, seed=0)
>>> bool(np.all((u > 0) & (u < 1))) and u.shape == (1, 3)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z90 = 1.2815515655446004
"""Standard-normal quantile of 0.9: a P10-P90 range spans 2 x Z90 standard deviations."""


def draw(q: tuple, z: np.ndarray, log: bool) -> np.ndarray:
    """A split-normal draw through (P10, P50, P90) at standard-normal ``z``.

    Parameters
    ----------
    q : tuple of array_like
        P10, P50, P90 per row.
    z : numpy.ndarray
        Standard-normal draws, rows x draws (or broadcastable); 0 gives the P50.
    log : bool
        Draw in log space (positive scale quantities).

    Returns
    -------
    numpy.ndarray
        Rows x draws.
    """
    lo, mid, hi = (np.asarray(a, float)[:, None] for a in q)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, mid, hi = np.log(lo), np.log(mid), np.log(hi)
    step = np.where(z > 0, hi - mid, mid - lo) / Z90
    out = mid + z * np.nan_to_num(step)
    return np.exp(out) if log else out


def row_keys(frame: pd.DataFrame) -> np.ndarray:
    """Stable 64-bit keys of the rows: a hash of ``id`` (of the index when there is none)."""
    ids = frame["id"].astype(str).to_numpy(dtype=object) if "id" in frame else frame.index.astype(str)
    return pd.util.hash_array(np.asarray(ids, dtype=object)).astype(np.uint64)


def uniform(keys: np.ndarray, draws: int, variable: int, seed: int) -> np.ndarray:
    """Uniform (0, 1) numbers per (row key, draw, variable): splitmix64 of the counter.

    Parameters
    ----------
    keys : numpy.ndarray of uint64
        One key per row (:func:`row_keys`).
    draws : int
        Draws per row.
    variable : int
        Which input the numbers are for (each gets an independent stream).
    seed : int
        Run seed.

    Returns
    -------
    numpy.ndarray
        Rows x draws, strictly inside (0, 1).
    """
    d = np.arange(draws, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        salt = np.uint64((variable * 0x632BE59BD9B4E019 + seed * 0xD1B54A32D192ED03) & (2**64 - 1))
        x = keys[:, None] + d * np.uint64(0x9E3779B97F4A7C15) + salt
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)


def market_draws(draws: int, seed: int) -> np.ndarray:
    """Standard-normal market draws (1 x draws), shared by every row at a draw index."""
    return np.random.default_rng(seed).standard_normal(draws)[None, :]
