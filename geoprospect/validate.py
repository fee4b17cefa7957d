"""Normalise a raw layer to the canonical schema and report every problem in it.

:func:`normalise` renames aliased columns (with unit conversion), coerces numbers, maps country
names/codes to ISO3 and tidies categorical values. :func:`validate` then checks every rule and
returns all problems at once, each naming the file, the 1-based row (with its id/name) and the
field. Everything is vectorised; per-row Python runs only over the rows that fail a rule.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from geoprospect.problems import Problem
from geoprospect.schema import COLUMNS_BY_NAME, DEPOSIT_COLUMNS, canonical_name

BORDER_TOLERANCE_DEG = 0.15
"""A point this close (degrees, about 16 km) to the outline of the country it names is accepted
with a warning: 1:50m outlines are coarse near borders and coasts."""

MAX_MESSAGES_PER_RULE = 200
"""Past this many rows failing one rule, the report gives a count instead of each row."""

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
        As returned by :func:`geoprospect.io.read_layer`.
    file : str, optional
        File name used in messages (defaults to ``gdf.attrs["source"]``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``attrs["problems"]`` carries the read problems plus those found here (non-numeric
        values, unknown country names, duplicate aliased columns).
    """
    file = file or gdf.attrs.get("source", "<layer>")
    problems: list[Problem] = list(gdf.attrs.get("problems", []))
    out = gdf.copy()
    renames: dict[str, str] = {}
    factors: dict[str, float] = {}
    taken: dict[str, str] = {}
    for col in out.columns:
        if col == out.geometry.name:
            continue
        hit = canonical_name(col)
        if hit is None:
            continue
        name, factor = hit
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
    # a column already named like a canonical column must not be overwritten by a rename
    clashes = [src for src, dst in renames.items() if dst in out.columns and dst != src]
    for src in clashes:
        renames.pop(src)
    out = out.rename(columns=renames)
    ident = _identity(out)
    for col in DEPOSIT_COLUMNS:
        if col.name not in out.columns:
            continue
        if col.kind in ("float", "int"):
            out[col.name] = _coerce_numeric(out[col.name], col.name, file, ident, problems)
            if col.name in factors:
                out[col.name] = out[col.name] * factors[col.name]
        else:
            out[col.name] = _clean_text(out[col.name])
    if "id" in out.columns:
        out["id"] = out["id"].astype("object").where(out["id"].notna(), None)
    if "country" in out.columns:
        from geoprospect.countries import normalise_countries

        iso3, unknown = normalise_countries(out["country"])
        for r in out.index[unknown.to_numpy()][:MAX_MESSAGES_PER_RULE]:
            problems.append(Problem(file, int(r), "country",
                                    f"{out.at[r, 'country']!r} is not a known country name or "
                                    "ISO code", ident=ident.get(r, "")))
        out["country"] = iso3
    if "stage" in out.columns:
        lowered = out["stage"].astype("string").str.lower().str.strip()
        out["stage"] = lowered.replace(_STAGE_ALIASES).astype("object").where(lowered.notna(), None)
    for name in ("deposit_type", "location_confidence", "conflict_area"):
        if name in out.columns:
            s = out[name].astype("string").str.lower().str.strip().str.replace(" ", "_")
            out[name] = s.astype("object").where(s.notna(), None)
    if "minerals" in out.columns:
        s = out["minerals"].astype("string").str.lower()
        s = s.str.replace(r"\s*[,;/]\s*", ";", regex=True)
        out["minerals"] = s.astype("object").where(s.notna(), None)
    out.attrs["problems"] = problems
    out.attrs["source"] = file
    return out


def validate(gdf, *, file: str | None = None, repair: bool = True):
    """Check a normalised layer against every rule; return it (repaired) and all problems.

    Rules: required columns (``name``), numbers in range (tonnage >= 0, grades and shares
    <= 100 %), coordinates within range, suspected swapped lat/lon, empty or invalid
    geometries (invalid ones repaired with ``make_valid`` and a warning when ``repair``),
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
        where empty, invalid geometries repaired; and every problem, errors first.
    """

    file = file or gdf.attrs.get("source", "<layer>")
    problems: list[Problem] = list(gdf.attrs.get("problems", []))
    out = gdf.copy()
    ident = _identity(out)
    if "name" not in out.columns:
        problems.append(Problem(file, None, "name", "required column is missing "
                                "(aliases: deposit_name, project_name, deposit, site_name)"))
    if "id" not in out.columns:
        out["id"] = [f"row-{r}" for r in out.index]
        problems.append(Problem(file, None, "id", "no id column; ids made from row numbers",
                                "warning"))
    else:
        blank = out["id"].isna() | (out["id"].astype("string").str.strip() == "")
        out.loc[blank, "id"] = [f"row-{r}" for r in out.index[blank.to_numpy()]]
        ids = out["id"].astype(str)
        dup = ids.duplicated(keep="first")
        _report(problems, file, out.index[dup.to_numpy()], "id",
                lambda r: f"duplicate id {ids.at[r]!r} (first used on row "
                          f"{out.index[(ids == ids.at[r]).to_numpy()][0]})", ident)
    for col in DEPOSIT_COLUMNS:
        if col.name not in out.columns or col.kind not in ("float", "int"):
            continue
        values = out[col.name].to_numpy(dtype=float, na_value=np.nan)
        if col.minimum is not None:
            low = values < col.minimum
            _report(problems, file, out.index[low], col.name,
                    lambda r, c=col: f"{out.at[r, c.name]:g} is below the minimum "
                                     f"{c.minimum:g} {c.unit}".rstrip(), ident)
        if col.maximum is not None:
            high = values > col.maximum
            _report(problems, file, out.index[high], col.name,
                    lambda r, c=col: f"{out.at[r, c.name]:g} is above the maximum "
                                     f"{c.maximum:g} {c.unit}".rstrip(), ident)
        if col.kind == "int":
            frac = np.isfinite(values) & (np.floor(values) != values)
            _report(problems, file, out.index[frac], col.name,
                    lambda r, c=col: f"{out.at[r, c.name]} is not a whole year", ident)
    for name in ("stage", "deposit_type", "location_confidence", "conflict_area"):
        if name in out.columns:
            allowed = set(COLUMNS_BY_NAME[name].choices)
            s = out[name]
            odd = s.notna() & ~s.isin(allowed)
            _report(problems, file, out.index[odd.to_numpy()], name,
                    lambda r, n=name: f"{out.at[r, n]!r} is not one of "
                                      f"{', '.join(sorted(COLUMNS_BY_NAME[n].choices))}",
                    ident, severity="warning")
    _check_geometry(out, file, problems, ident, repair)
    if len(out):
        _check_country(out, file, problems, ident)
    problems.sort(key=lambda p: (p.severity != "error", p.row or 0))
    out.attrs["problems"] = problems
    return out, problems


def _check_geometry(out, file, problems, ident, repair) -> None:
    import shapely

    geoms = out.geometry.to_numpy()
    empty = pd.isna(geoms) | shapely.is_empty(geoms)
    _report(problems, file, out.index[empty], "geometry",
            lambda r: "no location (empty geometry): scored without logistics, left off maps",
            ident, severity="warning")
    present = ~empty
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        for r, g in zip(out.index[invalid], geoms[invalid], strict=True):
            reason = shapely.is_valid_reason(g)
            if repair:
                problems.append(Problem(file, int(r), "geometry", f"invalid ({reason}); repaired",
                                        "warning", ident.get(r, "")))
            else:
                problems.append(Problem(file, int(r), "geometry", f"invalid ({reason})",
                                        ident=ident.get(r, "")))
        if repair:
            fixed = shapely.make_valid(geoms[invalid])
            out.loc[out.index[invalid], out.geometry.name] = fixed
            geoms = out.geometry.to_numpy()
    pts = np.full((len(out), 2), np.nan)
    if present.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reps = shapely.point_on_surface(geoms[present])
        pts[present] = shapely.get_coordinates(reps)
    x, y = pts[:, 0], pts[:, 1]
    swapped = (np.abs(y) > 90) & (np.abs(x) <= 90)
    _report(problems, file, out.index[swapped], "geometry",
            lambda r: f"latitude {out.geometry.at[r].representative_point().y:g} is out of "
                      "range; lat/lon look swapped", ident)
    outside = present & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    _report(problems, file, out.index[outside], "geometry",
            lambda r: "coordinates out of range (lon must be within ±180, lat within ±90)", ident)
    out.attrs["_xy"] = pts


def _check_country(out, file, problems, ident) -> None:
    from geoprospect.countries import locate

    pts = out.attrs.pop("_xy")
    x, y = pts[:, 0], pts[:, 1]
    inrange = np.isfinite(x) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    located = np.full(len(out), None, dtype=object)
    located[inrange] = locate(x[inrange], y[inrange])
    if "country" not in out.columns:
        out["country"] = located
        return
    given = out["country"].to_numpy(dtype=object)
    fill = pd.isna(given) & pd.notna(located)
    out.loc[out.index[fill], "country"] = located[fill]
    disagree = pd.notna(given) & inrange & (given != located)
    if not disagree.any():
        return
    # swapped coordinates that land in the named country are the likelier story
    swap_loc = np.full(len(out), None, dtype=object)
    idx = np.flatnonzero(disagree & (np.abs(x) <= 90))
    if idx.size:
        swap_loc[idx] = locate(y[idx], x[idx])
    near = _distance_to_country(x, y, given, disagree)
    for i in np.flatnonzero(disagree)[:MAX_MESSAGES_PER_RULE]:
        r = out.index[i]
        where = f"the point ({x[i]:.4f}, {y[i]:.4f})"
        severity = "error"
        if swap_loc[i] == given[i]:
            msg = (f"{where} lies in {located[i] or 'no country'}, but in {given[i]} when "
                   "lat/lon are swapped; lat/lon look swapped")
        elif near[i] <= BORDER_TOLERANCE_DEG:
            msg = (f"country is {given[i]}; {where} lies {near[i]:.2f}° outside its outline "
                   f"(in {located[i] or 'the sea'}); kept, outlines are 1:50m")
            severity = "warning"
        elif located[i] is None:
            msg = f"country is {given[i]} but {where} lies in no country (offshore?)"
            severity = "warning"
        else:
            msg = f"country is {given[i]} but {where} lies in {located[i]}"
        problems.append(Problem(file, int(r), "country", msg, severity, ident.get(r, "")))
    extra = int(disagree.sum()) - MAX_MESSAGES_PER_RULE
    if extra > 0:
        problems.append(Problem(file, None, "country", f"... and {extra} more rows like this"))


def _distance_to_country(x, y, given, mask) -> np.ndarray:
    """Planar distance (degrees) from each masked point to the outline of its named country."""
    import shapely

    from geoprospect.countries import boundaries

    world = boundaries()
    dist = np.full(len(x), np.inf)
    for code in pd.unique(given[mask]):
        shapes = world.geometry[world["iso3"] == code]
        if shapes.empty:
            continue
        outline = shapely.union_all(shapes.to_numpy())
        sel = mask & (given == code)
        dist[sel] = shapely.distance(outline, shapely.points(x[sel], y[sel]))
    return dist


def _report(problems, file, rows, field, message, ident, severity="error") -> None:
    rows = list(rows)
    for r in rows[:MAX_MESSAGES_PER_RULE]:
        problems.append(Problem(file, int(r), field, message(r), severity, ident.get(r, "")))
    if len(rows) > MAX_MESSAGES_PER_RULE:
        problems.append(Problem(file, None, field, f"... and {len(rows) - MAX_MESSAGES_PER_RULE} "
                                "more rows like this", severity))


def _identity(gdf) -> dict:
    """Row -> 'id=..., name=...' text, built lazily only for the rows that need it."""
    return _LazyIdentity(gdf)


class _LazyIdentity(dict):
    def __init__(self, gdf) -> None:
        super().__init__()
        self._gdf = gdf

    def get(self, row, default=""):
        parts = []
        for col in ("id", "name"):
            if col in self._gdf.columns:
                v = self._gdf.at[row, col]
                if pd.notna(v) and str(v).strip():
                    parts.append(f"{col}={str(v)[:40]}")
        return ", ".join(parts) or default


def _coerce_numeric(series: pd.Series, name: str, file: str, ident, problems) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    text = series.astype("string").str.strip().str.replace(",", "", regex=False)
    text = text.str.rstrip("%").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna() & (text != "")
    for r in series.index[bad.to_numpy()][:MAX_MESSAGES_PER_RULE]:
        problems.append(Problem(file, int(r), name, f"{str(series.at[r])[:40]!r} is not a number",
                                ident=ident.get(r, "")))
    return values.astype(float)


def _clean_text(series: pd.Series) -> pd.Series:
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        s = series.astype("string").str.strip()
        return s.astype("object").where(s.notna() & (s != ""), None)
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
        See :func:`geoprospect.io.read_layer`.
    strict : bool
        Raise :class:`~geoprospect.errors.ValidationFailed` when any error is found.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Problem)
    """
    from geoprospect.errors import ValidationFailed
    from geoprospect.io import read_layer

    raw = read_layer(path, layer=layer, crs=crs, encoding=encoding)
    gdf, problems = validate(normalise(raw))
    errs = errors_in(problems)
    if strict and errs:
        more = f" (and {len(errs) - 1} more problems)" if len(errs) > 1 else ""
        raise ValidationFailed(f"{errs[0]}{more}", problems)
    return gdf, problems
