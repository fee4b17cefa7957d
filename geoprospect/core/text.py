"""Text clean-up applied once per distinct value.

Batch columns repeat a few values (country, deposit type, minerals) over millions of rows, so a
string operation is run on the distinct values and the results are taken back by code:
``by_distinct(series, lambda s: s.str.lower())`` costs one hash pass plus the operation on a
handful of strings, instead of a Python-level string call per row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def by_distinct(series: pd.Series, operation: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a vectorised string ``operation`` to each distinct value of ``series`` once.

    Parameters
    ----------
    series : pandas.Series
        Any values; missing values (None/NaN/NA) stay missing and never reach ``operation``.
    operation : callable
        Takes a Series of the distinct values (pandas ``string`` dtype) and returns a Series of
        the same length (pandas string methods, ``map`` ...). A result that is missing stays
        missing.

    Returns
    -------
    pandas.Series
        Object dtype, ``None`` where missing, same index and name as ``series``.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)  # Arrow-backed text: no copy
    done = operation(pd.Series(np.asarray(uniques, dtype=object), dtype="string"))
    done = done.astype("object").where(done.notna(), None).to_numpy(dtype=object)
    values = np.append(done, None)[codes]  # code -1 (missing) picks the trailing None
    return pd.Series(values, index=series.index, name=series.name, dtype="object")


def distinct_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by the combination of their values in ``columns`` (missing is a value).

    Returns
    -------
    (inverse, first) : tuple of numpy.ndarray
        ``inverse[i]`` is the group of row ``i`` and ``first[g]`` the first row of group ``g``,
        so ``f(*(c[first] for c in columns))[inverse]`` equals ``f(*columns)`` for any row-wise
        ``f`` while calling it on one row per group.
    """
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(np.asarray(col), use_na_sentinel=True)
        key, _ = pd.factorize(key * (len(uniques) + 1) + (codes + 1))
    first = np.unique(key, return_index=True)[1]
    return key, first


def strip_or_none(series: pd.Series) -> pd.Series:
    """Strip surrounding whitespace; blank or missing becomes None (object dtype).

    Text columns such as ``id`` and ``name`` are mostly distinct, so :func:`by_distinct` does
    not help there; Arrow's vectorised trim does. A pandas text-dtype column keeps its dtype
    (missing = NaN); an object column comes back as object with None.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if series.dtype != object and pd.api.types.is_string_dtype(series):
        # pandas' own text dtype (Arrow-backed in pandas 3): trim in place of the dtype, no
        # conversion to Python strings; missing stays missing
        trimmed = series.str.strip()
        return trimmed.where(trimmed != "")
    values = series.to_numpy(dtype=object)
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text (e.g. numbers mixed in)
        return by_distinct(series, lambda s: s.str.strip().replace("", pd.NA))
    trimmed = pc.utf8_trim_whitespace(arr)
    blank = pc.equal(trimmed, "")
    if trimmed.equals(arr) and not pc.any(blank).as_py():
        out = values.copy()
        if arr.null_count:
            out[arr.is_null().to_numpy(zero_copy_only=False)] = None
    else:
        out = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed).to_numpy(zero_copy_only=False)
    return pd.Series(out, index=series.index, name=series.name, dtype="object")
