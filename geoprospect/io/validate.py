"""Normalise a raw layer to the canonical schema and report every problem in it.

:func:`normalise` renames aliased columns (with unit conversion), coerces numbers, maps country
names/codes to ISO3 and tidies categorical values. :func:`validate` then checks every rule and
returns all problems at once, each naming the file, the 1-based row (with its id/name) and the
field. Everything is vectorised; per-row Python runs only over the rows that fail a rule.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from geoprospect.core.messages import first_and_more
from geoprospect.io.geochecks import BORDER_TOLERANCE_DEG, check_country, check_geometry
from geoprospect.io.problems import MAX_MESSAGES_PER_RULE, Problem, report, row_identity

__all__ = ["BORDER_TOLERANCE_DEG", "MAX_MESSAGES_PER_RULE", "errors_in", "load_layer", "normalise",
           "validate"]
from geoprospect.core.text import by_distinct, strip_or_none
from geoprospect.errors import ValidationFailed
from geoprospect.io.countries import normalise_countries
from geoprospect.io.read import read_layer
from geoprospect.io.schema import COLUMNS_BY_NAME, DEPOSIT_COLUMNS, canonical_name

_STAGE_ALIASES = {
    "producing": "production", "operating": "production", "operation": "production",
    "mining": "production", "in production": "production", "mine": "production",
    "advanced exploration": "exploration", "early exploration": "exploration",
    "prospect": "exploration", "drilling": "exploration",
    "pfs": "feasibility", "dfs": "feasibility", "bfs": "feasibility", "scoping": "feasibility",
    "pea": "feasibility", "pre-feasibility": "feasibility", "prefeasibility": "feasibility",
    "definitive feasibility": "feasibility", "development": "construction",
    "under construction": "construction", "care and maintenance": "suspended",
    "closed": "historic", "past producer": "historic", "past production": "historic",
    "resource definition": "resource", "mineral resource": "resource",
    "showing": "occurrence", "deposit": "resource",
}


def normalise(gdf, *, file: str | None = None):
    """Return a copy of ``gdf`` with canonical columns and types; the input is not modified.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        As returned by :func:`geoprospect.io.read.read_layer`.
    file : str, optional
        File name used in messages (defaults to ``gdf.attrs["source"]``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``attrs["problems"]`` carries the read problems plus those found here (non-numeric
        values, unknown country names, duplicate aliased columns).

    Notes
    -----
    A column named exactly like a canonical column wins over aliases of it. In numeric columns
    ``%`` signs and thousands separators (``1,234.5``) are dropped and a lone decimal comma
    (``2,5``) is read as a decimal point; :data:`MISSING_TOKENS` (``n/a``, ``-`` ...) and empty
    cells stay NaN. Unknown country names become None (reported), never a guess.
    """
    file = file or gdf.attrs.get("source", "<layer>")
    problems: list[Problem] = list(gdf.attrs.get("problems", []))
    out = gdf.copy()
    renames: dict[str, str] = {}
    factors: dict[str, float] = {}
    taken: dict[str, str] = {}
    # exact canonical names win over headers that normalise to one, which win over aliases:
    # a file with both ``treo_pct`` and ``TREO ppm`` keeps treo_pct and leaves the other as is
    candidates = []
    for pos, col in enumerate(out.columns):
        if col == out.geometry.name:
            continue
        hit = canonical_name(col)
        if hit is None:
            continue
        rank = 0 if col == hit[0] else (1 if col in COLUMNS_BY_NAME or hit[1] == 1.0 else 2)
        candidates.append((rank, pos, col, *hit))
    for _, _, col, name, factor in sorted(candidates):
        if name in taken:
            problems.append(
                Problem(file, None, col, f"also maps to {name!r} (already from {taken[name]!r}); "
                        "kept as is", "warning")
            )
            continue
        taken[name] = col
        if col != name:
            renames[col] = name
        if factor != 1.0:
            factors[name] = factor
    out = out.rename(columns=renames)
    ident = row_identity(out)
    problems = [replace(p, ident=ident.get(p.row, "")) if p.row is not None and not p.ident
                and p.row in out.index else p for p in problems]
    for col in DEPOSIT_COLUMNS:
        if col.name not in out.columns:
            continue
        if col.kind in ("float", "int"):
            out[col.name] = _coerce_numeric(out[col.name], col.name, file, ident, problems)
            if col.name in factors:
                out[col.name] = out[col.name] * factors[col.name]
        else:
            out[col.name] = _clean_text(out[col.name])
    if "id" in out.columns and not pd.api.types.is_string_dtype(out["id"]):
        out["id"] = out["id"].astype("object").where(out["id"].notna(), None)
    if "country" in out.columns:

        iso3, unknown = normalise_countries(out["country"])
        for r in out.index[unknown.to_numpy()][:MAX_MESSAGES_PER_RULE]:
            problems.append(Problem(file, int(r), "country",
                                    f"{out.at[r, 'country']!r} is not a known country name or "
                                    "ISO code", ident=ident.get(r, "")))
        out["country"] = iso3
        out.attrs["country_unknown"] = [int(r) for r in out.index[unknown.to_numpy()]]
    if "stage" in out.columns:
        out["stage"] = by_distinct(out["stage"],
                                   lambda s: s.str.lower().str.strip().replace(_STAGE_ALIASES))
    for name in ("deposit_type", "location_confidence", "conflict_area"):
        if name in out.columns:
            out[name] = by_distinct(out[name],
                                    lambda s: s.str.lower().str.strip().str.replace(" ", "_"))
    if "minerals" in out.columns:
        out["minerals"] = by_distinct(
            out["minerals"], lambda s: s.str.lower().str.replace(r"\s*[,;/]\s*", ";", regex=True))
    out.attrs["problems"] = problems
    out.attrs["source"] = file
    return out


def validate(gdf, *, file: str | None = None, repair: bool = True):
    """Check a normalised layer against every rule; return it (repaired) and all problems.

    Rules: required columns (``name``), numbers in range (tonnage >= 0, grades and shares
    <= 100 %), coordinates within range, suspected swapped lat/lon, empty or invalid
    geometries (invalid ones repaired with ``make_valid`` and a warning when ``repair`` and the
    repair keeps the kind of geometry; an error otherwise),
    duplicate ids, unknown categorical values (warning), and a country that disagrees with
    where the point lies.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Output of :func:`normalise`.
    file : str, optional
        File name used in messages.
    repair : bool
        Repair invalid geometries (with a warning) instead of reporting them as errors.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Problem)
        A copy with ``id`` filled where missing (``row-N``), ``country`` filled from location
        where empty (not where unrecognised), invalid geometries repaired; and every problem,
        errors first (whole-file problems, then by row).
    """

    file = file or gdf.attrs.get("source", "<layer>")
    problems: list[Problem] = list(gdf.attrs.get("problems", []))
    out = gdf.copy()
    ident = row_identity(out)
    if "name" not in out.columns:
        problems.append(Problem(file, None, "name", "required column is missing "
                                "(aliases: deposit_name, project_name, deposit, site_name)"))
    if "id" not in out.columns:
        out["id"] = [f"row-{r}" for r in out.index]
        problems.append(Problem(file, None, "id", "no id column; ids made from row numbers",
                                "warning"))
    else:
        blank = strip_or_none(out["id"]).isna()
        out.loc[blank, "id"] = [f"row-{r}" for r in out.index[blank.to_numpy()]]
        ids = out["id"].astype(str)
        dup = ids.duplicated(keep="first")
        report(problems, file, out.index[dup.to_numpy()], "id",
                lambda r: f"duplicate id {ids.at[r]!r} (first used on row "
                          f"{out.index[(ids == ids.at[r]).to_numpy()][0]})", ident)
    for col in DEPOSIT_COLUMNS:
        if col.name not in out.columns or col.kind not in ("float", "int"):
            continue
        values = out[col.name].to_numpy(dtype=float, na_value=np.nan)
        if col.minimum is not None:
            low = values < col.minimum
            report(problems, file, out.index[low], col.name,
                    lambda r, c=col: f"{out.at[r, c.name]:g} is below the minimum "
                                     f"{c.minimum:g} {c.unit}".rstrip(), ident)
        if col.maximum is not None:
            high = values > col.maximum
            report(problems, file, out.index[high], col.name,
                    lambda r, c=col: f"{out.at[r, c.name]:g} is above the maximum "
                                     f"{c.maximum:g} {c.unit}".rstrip(), ident)
        if col.kind == "int":
            frac = np.isfinite(values) & (np.floor(values) != values)
            report(problems, file, out.index[frac], col.name,
                    lambda r, c=col: f"{out.at[r, c.name]} is not a whole year", ident)
    for name in ("stage", "deposit_type", "location_confidence", "conflict_area"):
        if name in out.columns:
            allowed = set(COLUMNS_BY_NAME[name].choices)
            s = out[name]
            odd = s.notna() & ~s.isin(allowed)
            report(problems, file, out.index[odd.to_numpy()], name,
                    lambda r, n=name: f"{out.at[r, n]!r} is not one of "
                                      f"{', '.join(sorted(COLUMNS_BY_NAME[n].choices))}",
                    ident, severity="warning")
    check_geometry(out, file, problems, ident, repair)
    if len(out):
        check_country(out, file, problems, ident)
    out.attrs.pop("_xy", None)
    problems.sort(key=_order)
    out.attrs["problems"] = problems
    return out, problems


def _order(p: Problem) -> tuple:
    """Errors first; whole-file problems, then rows in order, then '... and N more' counts."""
    if p.row is not None:
        where = float(p.row)
    else:
        where = np.inf if p.message.startswith("... and") else -1.0
    return (p.severity != "error", where)


MISSING_TOKENS = ("na", "n/a", "nan", "null", "none", "-", "--", "?", "nd", "n.d.", "unknown")
"""Cell texts that mean "no value" in numeric columns: they stay NaN and are not errors."""
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _coerce_numeric(series: pd.Series, name: str, file: str, ident, problems) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    text = series.astype("string").str.strip().str.rstrip("%").str.strip()
    text = text.mask(text.str.lower().isin(MISSING_TOKENS))
    # "1,234.5" has thousands separators; "2,5" is a decimal comma; anything else with a
    # comma is ambiguous and reported rather than guessed
    thousands = text.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
    decimal_comma = ~thousands & text.str.fullmatch(_DECIMAL_COMMA).fillna(False).astype(bool)
    text = text.mask(thousands, text.str.replace(",", "", regex=False))
    text = text.mask(decimal_comma, text.str.replace(",", ".", regex=False))
    values = pd.to_numeric(text.where(~text.str.contains(",", regex=False).fillna(False)),
                           errors="coerce")
    values = values.where(np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)))
    bad = values.isna() & text.notna() & (text != "")
    for r in series.index[bad.to_numpy()][:MAX_MESSAGES_PER_RULE]:
        problems.append(Problem(file, int(r), name, f"{str(series.at[r])[:40]!r} is not a number",
                                ident=ident.get(r, "")))
    return values.astype(float)


def _clean_text(series: pd.Series) -> pd.Series:
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return strip_or_none(series)
    return series


def errors_in(problems: list[Problem]) -> list[Problem]:
    """Return only the problems of severity ``error``."""
    return [p for p in problems if p.severity == "error"]


def load_layer(path, *, layer=None, crs=None, encoding=None, strict: bool = False):
    """Read, normalise and validate a deposit layer in one call.

    Parameters
    ----------
    path : str or Path
        Any supported vector or table file.
    layer, crs, encoding : optional
        See :func:`geoprospect.io.read.read_layer`.
    strict : bool
        Raise :class:`~geoprospect.errors.ValidationFailed` when any error is found.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Problem)
    """

    raw = read_layer(path, layer=layer, crs=crs, encoding=encoding)
    gdf, problems = validate(normalise(raw))
    errs = errors_in(problems)
    if strict and errs:
        raise ValidationFailed(first_and_more(errs, noun="problems"), problems)
    return gdf, problems
