"""Small helpers to read optional canonical columns as arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.core.text import by_distinct
from geoprospect.io.schema import ree_minerals


def numeric(gdf, name: str) -> np.ndarray:
    """Column as float array; all-NaN when the column is absent."""
    if name not in gdf.columns:
        return np.full(len(gdf), np.nan)
    return pd.to_numeric(gdf[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def text(gdf, name: str) -> pd.Series:
    """Column as lower-case string Series ('' where missing). ``name="minerals"`` reads the
    REE-bearing minerals (``main_ree_minerals`` where a row has it, see
    :func:`geoprospect.io.schema.ree_minerals`)."""
    if name == "minerals" and "main_ree_minerals" in gdf.columns:
        column = ree_minerals(gdf)
    elif name not in gdf.columns:
        return pd.Series("", index=gdf.index, dtype="object")
    else:
        column = gdf[name]
    # lower-case each distinct value once (batch columns repeat a few values many times)
    return by_distinct(column, lambda s: s.str.lower()).fillna("")


def iso3_codes(gdf) -> pd.Series:
    """The ``country`` column as upper-case ISO3 codes (object dtype, None where missing)."""

    if "country" not in gdf.columns:
        return pd.Series(None, index=gdf.index, dtype="object")
    return by_distinct(gdf["country"], lambda s: s.str.upper().replace("", pd.NA))

