"""Geometry and location rules of layer validation (called by :func:`geoprospect.io.validate.check`).

Empty and invalid geometries (repaired only where the repair keeps the kind of geometry),
coordinates out of range, swapped lat/lon, a named country that disagrees with where the
point lies (tolerating coastal and border points just outside the coarse 1:50m outlines), and a
row whose country is neither given nor derivable from its location. Each rule is a boolean mask
over the whole layer; the rows it hits go to :class:`~geoprospect.io.findings.Findings` as arrays.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from geoprospect.core.geodesy import lonlat
from geoprospect.io.countries import boundaries, locate
from geoprospect.io.findings import Findings, rule

BORDER_TOLERANCE_DEG = 0.15
"""A point this close (degrees, about 16 km) to the outline of the country it names is accepted
with a warning: 1:50m outlines are coarse near borders and coasts."""


@rule("geometry.empty", "warning", "no location (empty geometry)")
def _empty() -> str:
    return "no location (empty geometry): scored without logistics, left off maps"


@rule("geometry.repaired", "warning", "invalid geometry, repaired")
def _repaired(reason: str) -> str:
    return f"invalid ({reason}); repaired"


@rule("geometry.invalid", "error", "invalid geometry")
def _invalid(reason: str, repair: bool) -> str:
    return f"invalid ({reason}){'; cannot be repaired safely' if repair else ''}"


@rule("geometry.swapped", "error", "latitude out of range; lat/lon look swapped")
def _swapped(lat: float) -> str:
    return f"latitude {lat:g} is out of range; lat/lon look swapped"


@rule("geometry.range", "error", "coordinates out of range")
def _range() -> str:
    return "coordinates out of range (lon must be within ±180, lat within ±90)"


def _where(x: float, y: float) -> str:
    return f"the point ({x:.4f}, {y:.4f})"


@rule("country.swapped", "error", "in the named country only with lat/lon swapped")
def _country_swapped(given: str, located, x: float, y: float) -> str:
    return (f"{_where(x, y)} lies in {located or 'no country'}, but in {given} when lat/lon are "
            "swapped; lat/lon look swapped")


@rule("country.near", "warning", "just outside the named country's outline")
def _country_near(given: str, located, x: float, y: float, distance: float) -> str:
    return (f"country is {given}; {_where(x, y)} lies {distance:.2f}° outside its outline "
            f"(in {located or 'the sea'}); kept, outlines are 1:50m")


@rule("country.offshore", "warning", "the point lies in no country")
def _country_offshore(given: str, x: float, y: float) -> str:
    return f"country is {given} but {_where(x, y)} lies in no country (offshore?)"


@rule("country.elsewhere", "error", "the point lies in another country")
def _country_elsewhere(given: str, located: str, x: float, y: float) -> str:
    return f"country is {given} but {_where(x, y)} lies in {located}"


@rule("country.nowhere", "error", "no country given and the point lies in no country")
def _country_nowhere(x: float, y: float, column: bool) -> str:
    given = "country is empty" if column else "the layer has no country column"
    return (f"{given}, and {_where(x, y)} lies in no country (at sea, or off the outlines); "
            "give the country")


def check_geometry(out, findings: Findings, repair: bool) -> tuple[np.ndarray, np.ndarray]:
    """Geometry rules; repairs ``out``'s invalid geometries in place where that is safe.

    Returns the lon/lat of each row's representative point (NaN where there is none).
    """
    import shapely

    geoms = out.geometry.to_numpy()
    index = out.index.to_numpy()
    empty = pd.isna(geoms) | shapely.is_empty(geoms)
    findings.add("geometry.empty", "geometry", index[empty])
    invalid = ~empty & ~shapely.is_valid(geoms)
    if invalid.any():
        bad = geoms[invalid]
        reasons = np.asarray(shapely.is_valid_reason(bad), dtype=object)
        fixed = shapely.make_valid(bad) if repair else bad
        safe = _safe_repair(bad, fixed) if repair else np.zeros(len(bad), dtype=bool)
        rows = index[invalid]
        findings.add("geometry.repaired", "geometry", rows[safe], reason=reasons[safe])
        findings.add("geometry.invalid", "geometry", rows[~safe], reason=reasons[~safe], repair=repair)
        if safe.any():
            out.loc[rows[safe], out.geometry.name] = fixed[safe]
            geoms = out.geometry.to_numpy()
    x, y = lonlat(geoms)
    swapped = (np.abs(y) > 90) & (np.abs(x) <= 90)
    findings.add("geometry.swapped", "geometry", index[swapped], lat=y[swapped])
    outside = ~empty & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    findings.add("geometry.range", "geometry", index[outside])
    return x, y


# shapely type id -> kind: Point, LineString, LinearRing, Polygon, MultiPoint, MultiLineString,
# MultiPolygon (7, GeometryCollection, has no single kind)
_FAMILY = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", ""], dtype=object)


def _safe_repair(original: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """A repair is safe when it keeps the kind of geometry (a bow-tie polygon becomes two
    polygons) and leaves something; a polygon collapsing to lines or a mixed collection is not."""
    import shapely

    def family(g):
        ids = shapely.get_type_id(g)
        return np.where((ids >= 0) & (ids < 7), _FAMILY[np.clip(ids, 0, 7)], "")

    before, after = family(original), family(fixed)
    return (before != "") & (before == after) & ~shapely.is_empty(fixed)


def check_country(out, findings: Findings, x: np.ndarray, y: np.ndarray) -> None:
    """Country rules; fills ``out["country"]`` from the location where it is not given (the
    whole column when the layer has none)."""
    index = out.index.to_numpy()
    inrange = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    located = np.full(len(out), None, dtype=object)
    if inrange.any():
        located[inrange] = locate(x[inrange], y[inrange])
    has_column = "country" in out.columns
    if not has_column:
        out["country"] = located
        nowhere = inrange & pd.isna(located)
        findings.add("country.nowhere", "country", index[nowhere], x=x[nowhere], y=y[nowhere],
                     column=False)
        return
    given = out["country"].to_numpy(dtype=object)
    unknown = out.index.isin(out.attrs.get("country_unknown", ()))
    blank = pd.isna(given) & ~unknown
    fill = blank & pd.notna(located)
    if fill.any():
        out.loc[out.index[fill], "country"] = located[fill]
    nowhere = blank & inrange & pd.isna(located)
    findings.add("country.nowhere", "country", index[nowhere], x=x[nowhere], y=y[nowhere], column=True)
    disagree = pd.notna(given) & inrange & (given != located)
    if not disagree.any():
        return
    idx = np.flatnonzero(disagree)
    gx, gy, g, loc = x[idx], y[idx], given[idx], located[idx]
    # swapped coordinates that land in the named country are the likelier story
    swap_loc = np.full(len(idx), None, dtype=object)
    can_swap = np.abs(gx) <= 90
    if can_swap.any():
        swap_loc[can_swap] = locate(gy[can_swap], gx[can_swap])
    swapped = swap_loc == g
    near = _distance_to_country(gx, gy, g)
    close = ~swapped & (near <= BORDER_TOLERANCE_DEG)
    offshore = ~swapped & ~close & pd.isna(loc)
    elsewhere = ~swapped & ~close & ~offshore
    rows = index[idx]
    for name, sel, extra in (("country.swapped", swapped, {"located": loc}),
                             ("country.near", close, {"located": loc, "distance": near}),
                             ("country.offshore", offshore, {}),
                             ("country.elsewhere", elsewhere, {"located": loc})):
        findings.add(name, "country", rows[sel], given=g[sel], x=gx[sel], y=gy[sel],
                     **{k: v[sel] for k, v in extra.items()})


def _distance_to_country(x: np.ndarray, y: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Planar distance (degrees) from each point to the outline of its named country."""
    import shapely

    dist = np.full(len(x), np.inf)
    for code in pd.unique(given):
        outline = _outline(code)
        if outline is None:
            continue
        sel = given == code
        dist[sel] = shapely.distance(outline, shapely.points(x[sel], y[sel]))
    return dist


@cache
def _outline(code: str):
    """The union of a country's bundled outlines (prepared), or None for an unknown code."""
    import shapely

    world = boundaries()
    shapes = world.geometry[world["iso3"] == code]
    if shapes.empty:
        return None
    outline = shapely.union_all(shapes.to_numpy())
    shapely.prepare(outline)
    return outline
