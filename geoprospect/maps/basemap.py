"""Country outlines for the offline basemap and the political-risk choropleth.

The bundled Natural Earth outlines (``geoprospect.io.countries.boundaries()``) are simplified for
size; they are indicative (``geoprospect.io.countries.BOUNDARY_NOTE``). The displayed risk index is
``100 - mean WGI percentile rank`` over the six World Bank governance indicators, each at its
latest national figure as the model reads them (higher = riskier), unless the caller passes its
own 0-100 scores.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.countries import display_boundaries
from geoprospect.io.reference import WGI_PCT, latest_national, read_table

SIMPLIFY_DEG = 0.05
WGI_LABEL = "Governance risk index: 100 − mean WGI percentile rank (6 indicators, World Bank)"
SCORE_LABEL = "Country risk (0–100, higher = riskier)"
_VALUE_NAMES = ("risk", "risk_score", "risk_index", "country_risk", "value", "score")


@cache
def simplified_outlines(tolerance: float = SIMPLIFY_DEG, view: str = "de-facto"):
    """Return the bundled country outlines in a boundary ``view``
    (:data:`geoprospect.io.countries.BOUNDARY_VIEWS`) simplified to ``tolerance`` degrees."""
    import shapely


    world = display_boundaries(view)[["iso3", "name", "geometry"]].copy()
    geom = shapely.simplify(world.geometry.to_numpy(), tolerance, preserve_topology=True)
    world = world.set_geometry(geom)
    world = world[~world.geometry.is_empty & world.geometry.notna()]
    return world.reset_index(drop=True)


def country_risk_index(table) -> tuple[pd.Series, str]:
    """Return (iso3 -> 0-100 risk index, label) from a country-risk table.

    Parameters
    ----------
    table : pandas.Series, pandas.DataFrame or path
        * a Series indexed by ISO3 with 0-100 values;
        * a wide DataFrame with an ``iso3`` column and one of ``risk``, ``risk_score``,
          ``risk_index``, ``country_risk``, ``value``, ``score``;
        * the long ``layers/country_risk.csv`` layout (``iso3, admin1, indicator, value, year``),
          from which ``100 - mean(wgi_*_pct)`` of each indicator's latest national figure is
          computed (:func:`geoprospect.io.reference.latest_national`, as the model's features).

    Raises
    ------
    LayerError
        When the table has none of these layouts.
    """
    if isinstance(table, (str, bytes)) or hasattr(table, "__fspath__"):
        table = read_table(table, ("iso3",))
    if isinstance(table, pd.Series):
        values = pd.to_numeric(table, errors="coerce")
        values.index = values.index.astype(str).str.upper()
        return values.dropna().clip(0, 100), SCORE_LABEL
    if not isinstance(table, pd.DataFrame) or "iso3" not in table:
        raise LayerError("country_risk: needs an iso3 column (or a Series indexed by ISO3)")
    if {"indicator", "value"} <= set(table.columns):
        return _wgi_index(table), WGI_LABEL
    for name in _VALUE_NAMES:
        if name in table:
            values = pd.to_numeric(table[name], errors="coerce")
            series = pd.Series(values.to_numpy(), index=table["iso3"].astype(str).str.upper())
            return series[~series.index.duplicated()].dropna().clip(0, 100), SCORE_LABEL
    raise LayerError(f"country_risk: no value column (one of {', '.join(_VALUE_NAMES)})")


def _wgi_index(long: pd.DataFrame) -> pd.Series:
    wide = latest_national(long)
    found = sorted(c for c in wide.columns if re.fullmatch(r"wgi_[a-z]+_pct", str(c)))
    wgi = [c for c in WGI_PCT if c in found] + [c for c in found if c not in WGI_PCT]
    if not wgi:
        return pd.Series(dtype=float)
    # the mean of each country's figures in the table's usual order (va, pv, ge, rq, rl, cc):
    # a different summation order could move a rounded index by 0.1
    mean = wide[wgi].stack().dropna().groupby(level=0).mean()
    return (100 - mean).clip(0, 100).round(1).astype(float)
