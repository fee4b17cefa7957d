"""Colours, sizes and categories shared by the map layers and the legend.

Deposit colour follows ``score`` through a branca :class:`~branca.colormap.LinearColormap`
(evaluated vectorised with numpy, so 100k rows cost milliseconds); radius grows with the
logarithm of contained NdPr; facilities are grouped by their most downstream chain stage; route
legs are styled by transport mode.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from geoprospect.features.columns import numeric
from geoprospect.features.grade import contained_oxides

SCORE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
"""Low to high score (ColorBrewer RdYlGn, 5 classes)."""
MISSING_COLOUR = "#9e9e9e"
RISK_COLOURS = ("#fff5eb", "#fdbe85", "#fd8d3c", "#d94701", "#7f2704")
"""Low to high country risk (ColorBrewer Oranges)."""
SURFACE_COLOURS = ("#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850")
"""Low to high value of a surface overlay (ColorBrewer RdYlGn, 6 classes)."""

CHAIN_STAGES = ("cracking", "separation", "metal", "magnet")
"""Processing chain stages, upstream to downstream."""
STAGE_COLOURS = {
    "cracking": "#8c510a", "separation": "#2166ac", "metal": "#762a83", "magnet": "#b2182b",
    "other": "#4d4d4d",
}
MODE_STYLES = {
    "road": {"color": "#a0522d", "dashArray": None, "weight": 3},
    "rail": {"color": "#252525", "dashArray": "6 3", "weight": 3},
    "sea": {"color": "#1f78b4", "dashArray": "8 6", "weight": 2},
    "river": {"color": "#33a0c4", "dashArray": "4 4", "weight": 2},
    "pipeline": {"color": "#6a3d9a", "dashArray": "2 4", "weight": 2},
    "port": {"color": "#e31a1c", "dashArray": "1 4", "weight": 4},
    "other": {"color": "#7f7f7f", "dashArray": "2 2", "weight": 2},
}

_HEX = np.array([f"{i:02x}" for i in range(256)], dtype=object)


@cache
def score_colormap():
    """Return the branca colormap of scores 0-100 (also drawn in the legend)."""
    from branca.colormap import LinearColormap

    return LinearColormap(list(SCORE_COLOURS), vmin=0, vmax=100, caption="Score (0-100)")


@cache
def risk_colormap():
    """Return the branca colormap of the country risk index 0-100."""
    from branca.colormap import LinearColormap

    return LinearColormap(list(RISK_COLOURS), vmin=0, vmax=100, caption="Country risk index")


@cache
def surface_colormap():
    """Return the branca colormap of surface overlays, over the fraction 0-1 of the value range."""
    from branca.colormap import LinearColormap

    return LinearColormap(list(SURFACE_COLOURS), vmin=0, vmax=1)


def ramp_rgb(values, colormap) -> np.ndarray:
    """RGB (0-255 integers) of numbers along a branca LinearColormap, vectorised; the one colour
    ramp of the package (deposit markers, the country choropleth, surface overlays, legends).

    Parameters
    ----------
    values : array_like of float
        Any shape. Values outside the colormap's range are clipped; NaN takes the first colour
        (callers mask it).
    colormap : branca.colormap.LinearColormap
        :func:`score_colormap`, :func:`risk_colormap` or :func:`surface_colormap`.

    Returns
    -------
    numpy.ndarray
        Integers of shape ``values.shape + (3,)``, linear interpolation between the stops.

    Examples
    --------
    >>> ramp_rgb([0.0, 1.0], surface_colormap()).tolist()
    [[215, 48, 39], [26, 152, 80]]
    """
    v = np.asarray(values, dtype=float)
    index = np.asarray(colormap.index, dtype=float)
    rgba = np.asarray(colormap.colors, dtype=float)  # floats 0..1
    clipped = np.clip(np.nan_to_num(v, nan=index[0]), index[0], index[-1])
    channels = [np.rint(np.interp(clipped, index, rgba[:, k]) * 255).astype(int) for k in range(3)]
    return np.stack(channels, axis=-1)


def ramp_spec(colormap) -> dict:
    """The colormap as the page's runtime needs it to colour markers itself (``GP.ramp``):
    ``{"index": stops, "colors": [[r, g, b], ...] (0-1), "missing": MISSING_COLOUR}``.

    ``GP.ramp`` interpolates exactly as :func:`ramp_rgb` (numpy's round half to even), so a
    marker's colour in the browser equals :func:`colours` of its value.
    """
    return {"index": [float(v) for v in colormap.index],
            "colors": [[float(c) for c in rgba[:3]] for rgba in colormap.colors],
            "missing": MISSING_COLOUR}


def colours(values: pd.Series | np.ndarray, colormap) -> np.ndarray:
    """Map numbers to ``#rrggbb`` through a branca LinearColormap (:func:`ramp_rgb`), vectorised.

    Missing values get :data:`MISSING_COLOUR`; values outside the colormap range are clipped.
    """
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(float)
    rgb = ramp_rgb(v, colormap)
    hexes = "#" + _HEX[rgb[:, 0]] + _HEX[rgb[:, 1]] + _HEX[rgb[:, 2]]
    return np.where(np.isfinite(v), hexes, MISSING_COLOUR).astype(object)


def gradient_stops(colormap, n: int = 5) -> list[tuple[float, str]]:
    """Return ``n`` (fraction, colour) stops of a colormap, for an SVG legend gradient."""
    vals = np.linspace(colormap.vmin, colormap.vmax, n)
    cols = colours(vals, colormap)
    return [(float(i / (n - 1)), str(c)) for i, c in enumerate(cols)]


def contained_ndpr(frame: pd.DataFrame) -> pd.Series:
    """Contained NdPr oxide in tonnes: the ``contained_ndpr_t`` column, else
    :func:`geoprospect.features.grade.contained_oxides` where all three inputs are known."""
    _, derived = contained_oxides(*(numeric(frame, c) for c in ("resource_mt", "treo_pct", "ndpr_pct")))
    given = pd.Series(numeric(frame, "contained_ndpr_t"), index=frame.index)
    return given.where(given.notna(), pd.Series(derived, index=frame.index))


def radius(tonnes: pd.Series) -> np.ndarray:
    """Marker radius in pixels: 3 px plus 2.2 px per decade of contained NdPr (t), max 18."""
    t = pd.to_numeric(tonnes, errors="coerce").to_numpy(float)
    r = 3 + 2.2 * np.log10(1 + np.clip(np.nan_to_num(t, nan=0.0), 0, None))
    return np.round(np.minimum(r, 18), 1)


def top_stage(stages: pd.Series) -> pd.Series:
    """The most downstream chain stage named in each ``'cracking;separation'`` value.

    Values naming none of :data:`CHAIN_STAGES` become ``'other'``; the result is always one of
    the fixed keys (safe to use as a CSS class or a dictionary key).
    """
    text = stages.astype("string").str.lower().fillna("")
    out = pd.Series("other", index=stages.index, dtype=object)
    for stage in CHAIN_STAGES:  # later stages overwrite earlier ones
        out = out.mask(text.str.contains(rf"\b{stage}", regex=True), stage)
    return out


def mode_key(modes: pd.Series) -> pd.Series:
    """Normalise transport modes to the keys of :data:`MODE_STYLES` (unknown -> ``'other'``)."""
    text = modes.astype("string").str.lower().str.strip()
    aliases = {"truck": "road", "railway": "rail", "ship": "sea", "shipping": "sea", "ocean": "sea",
               "barge": "river"}
    text = text.replace(aliases)
    return text.where(text.isin(list(MODE_STYLES)), "other").fillna("other").astype(object)
