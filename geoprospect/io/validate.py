"""Normalise a raw layer to the canonical schema and report every problem in it.

:func:`normalise` renames mapped and aliased columns (with unit conversion), coerces numbers,
maps country names/codes to ISO3 and tidies categorical values. :func:`check` then applies every
rule; each rule is a boolean mask over the whole layer and the rows it hits are kept as arrays
(:class:`~geoprospect.io.findings.Findings`), so a clean row costs no Python object and a bad
row no message until one is shown. :func:`validate` is :func:`check` with the problems as a
list (each rule capped at :data:`MAX_MESSAGES_PER_RULE` rows plus a count), as ``geoprospect
validate`` prints them: file, 1-based row (with its id/name), field.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geoprospect.core.messages import first_and_more
from geoprospect.core.text import by_distinct, strip_or_none
from geoprospect.errors import ValidationFailed
from geoprospect.io.countries import normalise_countries
from geoprospect.io.findings import Findings, rule
from geoprospect.io.geochecks import BORDER_TOLERANCE_DEG, check_country, check_geometry
from geoprospect.io.mapping import ColumnMap, suggest_header
from geoprospect.io.problems import MAX_MESSAGES_PER_RULE, Problem
from geoprospect.io.read import read_layer
from geoprospect.io.schema import COLUMNS_BY_NAME, DEPOSIT_COLUMNS, canonical_name
from geoprospect.io.vocabulary import DEPOSIT_TYPE_VALUES, STAGE_VALUES

__all__ = ["BORDER_TOLERANCE_DEG", "MAX_MESSAGES_PER_RULE", "check", "errors_in", "load_layer",
           "normalise", "validate"]

CATEGORIES = ("stage", "deposit_type", "location_confidence", "conflict_area")
"""Columns with a closed list of values (an unknown value is a warning)."""


@rule("number", "error", "not a number")
def _not_a_number(value) -> str:
    return f"{str(value)[:40]!r} is not a number"


@rule("country.unknown", "error", "not a known country name or ISO code")
def _unknown_country(value) -> str:
    return f"{value!r} is not a known country name or ISO code"


@rule("id.duplicate", "error", "duplicate id")
def _duplicate(value, first) -> str:
    return f"duplicate id {value!r} (first used on row {first})"


@rule("range.min", "error", "below the minimum")
def _below(value, limit, unit) -> str:
    return f"{value:g} is below the minimum {limit:g} {unit}".rstrip()


@rule("range.max", "error", "above the maximum")
def _above(value, limit, unit) -> str:
    return f"{value:g} is above the maximum {limit:g} {unit}".rstrip()


@rule("zero.unknown", "warning", "0 read as unknown (no estimate)")
def _zero(value) -> str:
    return "0 is not an estimate: read as unknown (leave the cell empty when there is none)"


@rule("year.whole", "error", "not a whole year")
def _fraction(value) -> str:
    return f"{value} is not a whole year"


@rule("category", "warning", "not one of the known values")
def _category(value, allowed) -> str:
    return f"{value!r} is not one of {allowed}"


def normalise(gdf, *, file: str | None = None, columns: ColumnMap | None = None):
    """Return a copy of ``gdf`` with canonical columns and types; the input is not modified.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        As returned by :func:`geoprospect.io.read.read_layer`.
    file : str, optional
        File name used in messages (defaults to ``gdf.attrs["source"]``).
    columns : ColumnMap, optional
        The user's mapping (``--columns``): it wins over the alias table.

    Returns
    -------
    geopandas.GeoDataFrame
        ``attrs["problems"]`` (:class:`~geoprospect.io.findings.Findings`) carries the read
        problems plus those found here (non-numeric values, unknown country names, duplicate
        aliased columns).

    Raises
    ------
    LayerError
        A header named in ``columns`` is not in the layer (with the closest one).

    Notes
    -----
    A column named exactly like a canonical column wins over aliases of it. In numeric columns
    ``%`` signs and thousands separators (``1,234.5``) are dropped and a lone decimal comma
    (``2,5``) is read as a decimal point; :data:`MISSING_TOKENS` (``n/a``, ``-`` ...) and empty
    cells stay NaN. Unknown country names become None (reported), never a guess.
    """
    file = file or gdf.attrs.get("source", "<layer>")
    findings = Findings(file)
    findings.extend(gdf.attrs.get("problems") or [])
    out = gdf.copy()
    out.attrs = {}  # pandas deep-copies attrs on every operation: keep them empty while working
    out, factors = _rename(out, file, columns, findings)
    for col in DEPOSIT_COLUMNS:
        if col.name not in out.columns:
            continue
        if col.kind in ("float", "int"):
            out[col.name] = _coerce_numeric(out[col.name], col.name, findings)
            if col.name in factors:
                out[col.name] = out[col.name] * factors[col.name]
        else:
            out[col.name] = _clean_text(out[col.name])
    if "id" in out.columns and not pd.api.types.is_string_dtype(out["id"]):
        out["id"] = out["id"].astype("object").where(out["id"].notna(), None)
    unknown_rows = np.zeros(0, dtype=np.int64)
    if "country" in out.columns:
        iso3, unknown = normalise_countries(out["country"])
        bad = unknown.to_numpy()
        findings.add("country.unknown", "country", out.index[bad],
                     value=out["country"].to_numpy(dtype=object)[bad])
        out["country"] = iso3
        unknown_rows = out.index.to_numpy()[bad]
    if "stage" in out.columns:
        out["stage"] = by_distinct(out["stage"],
                                   lambda s: s.str.lower().str.strip().replace(STAGE_VALUES))
    if "deposit_type" in out.columns:
        out["deposit_type"] = by_distinct(out["deposit_type"],
                                          lambda s: _snake(s).replace(DEPOSIT_TYPE_VALUES))
    for name in ("location_confidence", "conflict_area"):
        if name in out.columns:
            out[name] = by_distinct(out[name], _snake)
    if "minerals" in out.columns:
        out["minerals"] = by_distinct(
            out["minerals"], lambda s: s.str.lower().str.replace(r"\s*[,;/]\s*", ";", regex=True))
    findings.identify(out)
    out.attrs["problems"] = findings
    out.attrs["source"] = file
    out.attrs["country_unknown"] = unknown_rows
    return out


def _rename(out, file: str, columns: ColumnMap | None, findings: Findings):
    """Rename mapped and aliased headers to canonical columns; return the frame and the unit
    factors to apply. The user's mapping first; then exact canonical names, headers that
    normalise to one, and aliases: a file with both ``treo_pct`` and ``TREO ppm`` keeps
    treo_pct and leaves the other as is. A column named like a canonical column that the
    mapping gives another header is kept as ``input_<name>``."""
    headers = [c for c in out.columns if c != out.geometry.name]
    mapped = columns.resolve(headers, file) if columns else {}
    taken = {name: header for header, name in mapped.items()}  # canonical -> header
    factors: dict[str, float] = {}
    candidates = []
    for pos, col in enumerate(headers):
        if col in mapped:
            continue
        hit = canonical_name(col)
        if hit is None:
            continue
        rank = 0 if col == hit[0] else (1 if col in COLUMNS_BY_NAME or hit[1] == 1.0 else 2)
        candidates.append((rank, pos, col, *hit))
    for _, _, col, name, factor in sorted(candidates):
        if name in taken:
            if col != name:  # a column named exactly so is renamed below
                findings.note(Problem(file, None, col, f"also maps to {name!r} (already from "
                                      f"{taken[name]!r}); kept as is", "warning"))
            continue
        taken[name] = col
        if factor != 1.0:
            factors[name] = factor
    renames = {header: name for name, header in taken.items() if header != name}
    for name in set(renames.values()) & (set(headers) - set(renames)):
        renames[name] = f"input_{name}"
        findings.note(Problem(file, None, name, f"kept as 'input_{name}' ({name} comes from "
                              f"{taken[name]!r})", "warning"))
    return out.rename(columns=renames), factors


def _snake(s: pd.Series) -> pd.Series:
    return s.str.lower().str.strip().str.replace(r"[\s\-]+", "_", regex=True)


def check(gdf, *, file: str | None = None, repair: bool = True):
    """Apply every rule to a normalised layer; return it (repaired, completed) and the findings.

    Rules: required columns, numbers in range (tonnage >= 0, grades and shares <= 100 %), whole
    years, coordinates within range, suspected swapped lat/lon, empty or invalid geometries
    (invalid ones repaired with ``make_valid`` and a warning when ``repair`` and the repair keeps
    the kind of geometry; an error otherwise), duplicate ids, unknown categorical values
    (warning), a country that disagrees with where the point lies, and a row whose country is
    neither given nor where the point lies (at sea).

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
    (geopandas.GeoDataFrame, Findings)
        A copy with ``id`` filled where missing (``row-N``), ``name`` from the id when the layer
        has no name column, ``country`` filled from the location where it is not given (the
        whole column when the layer has none; not where a name was unrecognised), invalid
        geometries repaired; and every finding, as arrays.
    """
    file = file or gdf.attrs.get("source", "<layer>")
    findings = Findings(file)
    findings.extend(gdf.attrs.get("problems") or [])
    out = gdf.copy()
    out.attrs = {"country_unknown": gdf.attrs.get("country_unknown", ())}
    headers = [c for c in out.columns if c != out.geometry.name]
    unmapped = [c for c in headers if c not in COLUMNS_BY_NAME]
    for col in DEPOSIT_COLUMNS:
        if col.required and col.name not in out.columns:
            findings.note(Problem(file, None, col.name,
                                  "required column is missing" + _hint(col.name, unmapped)))
    index = out.index.to_numpy()
    if "id" not in out.columns:
        out["id"] = np.char.add("row-", index.astype(str)).astype(object)
        findings.note(Problem(file, None, "id", "no id column; ids made from row numbers"
                              + _hint("id", unmapped), "warning"))
    else:
        blank = strip_or_none(out["id"]).isna().to_numpy()
        if blank.any():
            out.loc[out.index[blank], "id"] = np.char.add("row-", index[blank].astype(str)).astype(object)
        ids = out["id"].astype(str)
        dup = ids.duplicated(keep="first").to_numpy()
        if dup.any():
            first = pd.Series(index[~dup], index=ids.to_numpy()[~dup])
            findings.add("id.duplicate", "id", index[dup], value=ids.to_numpy()[dup],
                         first=first.reindex(ids.to_numpy()[dup]).to_numpy())
    if "name" not in out.columns:
        out["name"] = out["id"]
        findings.note(Problem(file, None, "name", "no name column; names made from ids"
                              + _hint("name", unmapped), "warning"))
    if "country" not in out.columns and (hint := _hint("country", unmapped)):
        findings.note(Problem(file, None, "country", "no country column; countries taken from "
                              "the location" + hint, "warning"))
    for col in DEPOSIT_COLUMNS:
        if col.name in out.columns and col.kind in ("float", "int"):
            values = out[col.name].to_numpy(dtype=float, na_value=np.nan)
            if col.zero_is_unknown and (zero := values == 0).any():
                findings.add("zero.unknown", col.name, index[zero], value=values[zero])
                out[col.name] = np.where(zero, np.nan, values)
                values = np.where(zero, np.nan, values)
            _check_numbers(values, index, col, findings)
    for name in CATEGORIES:
        if name in out.columns:
            choices = COLUMNS_BY_NAME[name].choices
            s = out[name]
            odd = (s.notna() & ~s.isin(choices)).to_numpy()
            findings.add("category", name, index[odd], value=s.to_numpy(dtype=object)[odd],
                         allowed=", ".join(sorted(choices)))
    x, y = check_geometry(out, findings, repair)
    if len(out):
        check_country(out, findings, x, y)
    out.attrs.pop("country_unknown", None)
    findings.identify(out)
    out.attrs["problems"] = findings
    out.attrs["source"] = file
    return out, findings


def _check_numbers(values: np.ndarray, index: np.ndarray, col, findings: Findings) -> None:
    if col.minimum is not None:
        low = values < col.minimum
        findings.add("range.min", col.name, index[low], value=values[low], limit=col.minimum, unit=col.unit)
    if col.maximum is not None:
        high = values > col.maximum
        findings.add("range.max", col.name, index[high], value=values[high], limit=col.maximum, unit=col.unit)
    if col.kind == "int":
        frac = np.isfinite(values) & (np.floor(values) != values)
        findings.add("year.whole", col.name, index[frac], value=values[frac])


def _hint(column: str, headers: list) -> str:
    """`` (did you mean DEPNAME?)`` when a header the layer has looks like ``column``."""
    hit = suggest_header(column, headers)
    return f" (did you mean {hit}?)" if hit else ""


def validate(gdf, *, file: str | None = None, repair: bool = True):
    """:func:`check`, with the problems as a list, as ``geoprospect validate`` shows them.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Problem)
        The checked layer, and every problem, errors first (whole-file problems, then by row),
        each rule capped at :data:`MAX_MESSAGES_PER_RULE` rows and a ``... and N more rows like
        this`` line.
    """
    out, findings = check(gdf, file=file, repair=repair)
    return out, findings.problems(MAX_MESSAGES_PER_RULE)


MISSING_TOKENS = ("na", "n/a", "nan", "null", "none", "-", "--", "?", "nd", "n.d.", "unknown")
"""Cell texts that mean "no value" in numeric columns: they stay NaN and are not errors."""
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _coerce_numeric(series: pd.Series, name: str, findings: Findings) -> pd.Series:
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
    bad = (values.isna() & text.notna() & (text != "")).to_numpy()
    findings.add("number", name, series.index[bad], value=series.to_numpy(dtype=object)[bad])
    return values.astype(float)


def _clean_text(series: pd.Series) -> pd.Series:
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return strip_or_none(series)
    return series


def errors_in(problems) -> list[Problem]:
    """Return only the problems of severity ``error``."""
    return [p for p in problems if p.severity == "error"]


def load_layer(path, *, layer=None, crs=None, encoding=None, columns: ColumnMap | None = None,
               strict: bool = False):
    """Read, normalise and validate a deposit layer in one call.

    Parameters
    ----------
    path : str or Path
        Any supported vector or table file.
    layer, crs, encoding : optional
        See :func:`geoprospect.io.read.read_layer`.
    columns : ColumnMap, optional
        The user's column mapping (:mod:`geoprospect.io.mapping`).
    strict : bool
        Raise :class:`~geoprospect.errors.ValidationFailed` when any error is found.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Problem)
    """
    raw = read_layer(path, layer=layer, crs=crs, encoding=encoding, columns=columns)
    gdf, problems = validate(normalise(raw, columns=columns))
    errs = errors_in(problems)
    if strict and errs:
        raise ValidationFailed(first_and_more(errs, noun="problems"), problems)
    return gdf, problems
