"""Geometry and location rules of layer validation (called by :func:`geoprospect.io.validate.validate`).

Empty and invalid geometries (repaired only where the repair keeps the kind of geometry),
coordinates out of range, swapped lat/lon, and a named country that disagrees with where the
point lies (tolerating coastal and border points just outside the coarse 1:50m outlines).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.core.geodesy import lonlat
from geoprospect.io.countries import boundaries, locate
from geoprospect.io.problems import MAX_MESSAGES_PER_RULE, Problem, report

BORDER_TOLERANCE_DEG = 0.15
"""A point this close (degrees, about 16 km) to the outline of the country it names is accepted
with a warning: 1:50m outlines are coarse near borders and coasts."""


def check_geometry(out, file, problems, ident, repair) -> None:
    import shapely

    geoms = out.geometry.to_numpy()
    empty = pd.isna(geoms) | shapely.is_empty(geoms)
    report(problems, file, out.index[empty], "geometry",
            lambda r: "no location (empty geometry): scored without logistics, left off maps",
            ident, severity="warning")
    present = ~empty
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        rows_bad = out.index[invalid]
        fixed = shapely.make_valid(geoms[invalid]) if repair else geoms[invalid]
        safe = _safe_repair(geoms[invalid], fixed) if repair else np.zeros(len(fixed), bool)
        for r, g, ok in zip(rows_bad, geoms[invalid], safe, strict=True):
            reason = shapely.is_valid_reason(g)
            if ok:
                problems.append(Problem(file, int(r), "geometry", f"invalid ({reason}); repaired",
                                        "warning", ident.get(r, "")))
            else:
                tail = "; cannot be repaired safely" if repair else ""
                problems.append(Problem(file, int(r), "geometry", f"invalid ({reason}){tail}",
                                        ident=ident.get(r, "")))
        if safe.any():
            out.loc[rows_bad[safe], out.geometry.name] = fixed[safe]
            geoms = out.geometry.to_numpy()
    x, y = lonlat(geoms)
    pts = np.column_stack([x, y])
    swapped = (np.abs(y) > 90) & (np.abs(x) <= 90)
    report(problems, file, out.index[swapped], "geometry",
            lambda r: f"latitude {out.geometry.at[r].representative_point().y:g} is out of "
                      "range; lat/lon look swapped", ident)
    outside = present & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    report(problems, file, out.index[outside], "geometry",
            lambda r: "coordinates out of range (lon must be within ±180, lat within ±90)", ident)
    out.attrs["_xy"] = pts


# shapely type id -> kind: Point, LineString, LinearRing, Polygon, MultiPoint, MultiLineString,
# MultiPolygon (7, GeometryCollection, has no single kind)
_FAMILY = {0: "point", 1: "line", 2: "line", 3: "polygon", 4: "point", 5: "line", 6: "polygon"}


def _safe_repair(original: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """A repair is safe when it keeps the kind of geometry (a bow-tie polygon becomes two
    polygons) and leaves something; a polygon collapsing to lines or a mixed collection is not."""
    import shapely

    before = [_FAMILY.get(t) for t in shapely.get_type_id(original).tolist()]
    after = [_FAMILY.get(t) for t in shapely.get_type_id(fixed).tolist()]
    same = np.array([b is not None and b == a for b, a in zip(before, after, strict=True)], dtype=bool)
    return same & ~shapely.is_empty(fixed)


def check_country(out, file, problems, ident) -> None:

    pts = out.attrs.pop("_xy")
    x, y = pts[:, 0], pts[:, 1]
    inrange = np.isfinite(x) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    located = np.full(len(out), None, dtype=object)
    located[inrange] = locate(x[inrange], y[inrange])
    if "country" not in out.columns:
        out["country"] = located
        return
    given = out["country"].to_numpy(dtype=object)
    unknown = out.index.isin(out.attrs.get("country_unknown", []))
    fill = pd.isna(given) & pd.notna(located) & ~unknown
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
