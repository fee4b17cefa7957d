"""Small helpers to read optional canonical columns as arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.core.text import by_distinct


def numeric(gdf, name: str) -> np.ndarray:
    """Column as float array; all-NaN when the column is absent."""
    if name not in gdf.columns:
        return np.full(len(gdf), np.nan)
    return pd.to_numeric(gdf[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def text(gdf, name: str) -> pd.Series:
    """Column as lower-case string Series ('' where missing)."""
    if name not in gdf.columns:
        return pd.Series("", index=gdf.index, dtype="object")

    # lower-case each distinct value once (batch columns repeat a few values many times)
    return by_distinct(gdf[name], lambda s: s.str.lower()).fillna("")


def iso3_codes(gdf) -> pd.Series:
    """The ``country`` column as upper-case ISO3 codes (object dtype, None where missing)."""

    if "country" not in gdf.columns:
        return pd.Series(None, index=gdf.index, dtype="object")
    return by_distinct(gdf["country"], lambda s: s.str.upper().replace("", pd.NA))

