"""Turn layers into the compact, escaped JSON payloads the page draws.

A payload is ``{"cols": [...], "rows": [[geometry, v1, v2, ...], ...]}``: column names once,
then one short list per feature, geometry first (``[lon, lat]`` for points, a GeoJSON geometry
otherwise). The page's script turns it into GeoJSON features for one ``L.geoJSON`` layer with
data-driven style, which keeps 100k deposits in a few MB. Every text value is escaped here
(:mod:`geoprospect.maps.safe`); numbers are rounded floats or ``None``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from geoprospect.io.countries import country_name
from geoprospect.maps import style
from geoprospect.maps.safe import clean_numbers, escape_series, plain_words, safe_urls

DEPOSIT_TEXT = {
    "id": "id", "nm": "name", "a1": "admin1", "dt": "deposit_type", "st": "stage",
    "ro": "route_summary", "so": "source", "lc": "location_confidence", "vt": "valuation_tier",
    "im": "imputed",
}
DEPOSIT_LISTS = {"mi": "minerals", "fl": "flags"}
DEPOSIT_NUMBERS = {
    "rk": ("rank", 0), "sc": ("score", 1), "gs": ("grade_score", 0), "ls": ("logistics_score", 0),
    "rs": ("risk_score", 0), "p10": ("score_p10", 1), "p90": ("score_p90", 1),
    "pt": ("p_top10", 3), "mt": ("resource_mt", 2), "tr": ("treo_pct", 2), "nd": ("ndpr_pct", 1),
    "dy": ("dytb_pct", 2), "ox": ("ndpr_oxide_tpa", 0), "cx": ("capex_musd", 0),
    "v10": ("npv_musd_p10", 0), "v50": ("npv_musd_p50", 0), "v90": ("npv_musd_p90", 0),
    "vg": ("value_grade_musd", 0), "vl": ("value_logistics_musd", 0), "vr": ("value_risk_musd", 0),
}


def usable_geometry(gdf) -> np.ndarray:
    """Boolean mask of rows whose geometry is present, non-empty and has finite bounds."""
    geom = gdf.geometry
    ok = geom.notna().to_numpy() & ~geom.is_empty.to_numpy()
    bounds = geom.bounds.to_numpy(float)
    return ok & np.isfinite(bounds).all(axis=1)


def geometries(gdf, digits: int = 5) -> list:
    """GeoJSON-ready geometries: ``[lon, lat]`` for points (vectorised), mappings otherwise."""
    import shapely

    geom = gdf.geometry.to_numpy()
    is_point = np.asarray(shapely.get_type_id(geom) == 0)
    out = np.empty(len(geom), dtype=object)
    if is_point.any():
        xy = np.round(shapely.get_coordinates(geom[is_point]), digits)
        out[np.flatnonzero(is_point)] = xy.tolist()
    others = np.flatnonzero(~is_point)
    if others.size:
        rounded = shapely.set_precision(geom[others], 10.0 ** -digits)
        out[others] = [json.loads(s) for s in shapely.to_geojson(rounded)]
    return out.tolist()


def _text(frame, col) -> pd.Series:
    if col not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return escape_series(frame[col])


def _rows(geoms: list, columns: dict[str, pd.Series]) -> dict:
    """Assemble a payload; text columns with many repeats are dictionary-encoded
    (``dicts[col]`` holds the distinct values, rows hold their index or ``None``)."""
    cols = list(columns)
    table = {}
    dicts = {}
    n = len(geoms)
    for key, series in columns.items():
        values = series.to_numpy()
        if n >= 50 and series.dtype == object and series.map(type).eq(str).any():
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            if len(uniques) <= n // 4:
                dicts[key] = [str(u) for u in uniques]
                values = np.where(codes < 0, None, codes.astype(object))
        table[key] = values
    frame = pd.DataFrame(table)
    frame = frame.astype(object).where(frame.notna(), None)
    values = frame.to_numpy().tolist() if cols else [[] for _ in range(n)]
    out = {"cols": ["g", *cols], "rows": [[g, *r] for g, r in zip(geoms, values, strict=True)]}
    if dicts:
        out["dicts"] = dicts
    return out


def deposit_payload(gdf) -> dict:
    """Payload of deposits (already filtered to usable geometries)."""

    n = len(gdf)
    cols: dict[str, pd.Series] = {k: _text(gdf, c) for k, c in DEPOSIT_TEXT.items()}
    for key, col in DEPOSIT_LISTS.items():
        cols[key] = escape_series(plain_words(gdf[col])) if col in gdf else _text(gdf, col)
    iso = gdf["country"].astype("string") if "country" in gdf else pd.Series(pd.NA, index=gdf.index)
    names = iso.map({c: country_name(str(c)) for c in iso.dropna().unique() if str(c)})
    cols["cc"] = escape_series(iso)
    cols["cn"] = escape_series(names.astype("string"))
    for key, (col, digits) in DEPOSIT_NUMBERS.items():
        cols[key] = clean_numbers(gdf[col] if col in gdf else None, n, digits).set_axis(gdf.index)
    tonnes = style.contained_ndpr(gdf)
    cols["nt"] = clean_numbers(tonnes, n, 0)
    cols["su"] = safe_urls(gdf["source_url"]) if "source_url" in gdf else _text(gdf, "source_url")
    cols["c"] = pd.Series(style.colours(gdf["score"] if "score" in gdf else np.full(n, np.nan),
                                        style.score_colormap()), index=gdf.index)
    cols["r"] = pd.Series(style.radius(tonnes), index=gdf.index)
    return _rows(geometries(gdf), cols)


def facility_payload(gdf) -> dict:
    """Payload of processing/magnet facilities; ``sk`` is the most downstream chain stage."""
    n = len(gdf)
    cols = {
        "id": _text(gdf, "id"), "nm": _text(gdf, "name"), "cc": _text(gdf, "country"),
        "st": escape_series(plain_words(gdf["stages"])) if "stages" in gdf else _text(gdf, "stages"),
        "ss": _text(gdf, "status"), "op": _text(gdf, "operator"),
        "cap": clean_numbers(gdf["product_capacity_tpa"] if "product_capacity_tpa" in gdf else None,
                             n, 0).set_axis(gdf.index),
        "cu": _text(gdf, "product"), "so": _text(gdf, "source"),
        "su": safe_urls(gdf["source_url"]) if "source_url" in gdf else _text(gdf, "source_url"),
        "sk": style.top_stage(gdf["stages"] if "stages" in gdf else pd.Series("", index=gdf.index)),
    }
    return _rows(geometries(gdf), cols)


def route_payload(legs, names: pd.Series) -> dict:
    """Payload of route legs; ``names`` maps deposit id -> deposit name (raw text)."""
    n = len(legs)
    dep = legs["deposit_id"] if "deposit_id" in legs else pd.Series(pd.NA, index=legs.index)
    mode = legs["mode"] if "mode" in legs else pd.Series(pd.NA, index=legs.index)
    cols = {
        "did": escape_series(dep), "dn": escape_series(dep.map(names)),
        "lg": clean_numbers(legs["leg"] if "leg" in legs else None, n, 0).set_axis(legs.index),
        "md": style.mode_key(mode), "mt": escape_series(mode),
        "fr": _text(legs, "from_id"), "to": _text(legs, "to_id"), "nt": _text(legs, "note"),
    }
    for key, col, digits in (("km", "km", 0), ("d", "days", 1), ("cu", "cost_usd_t", 0)):
        cols[key] = clean_numbers(legs[col] if col in legs else None, n, digits).set_axis(legs.index)
    return _rows(geometries(legs, digits=4), cols)


def country_payload(outlines, values: pd.Series | None = None) -> dict:
    """Payload of country outlines; with ``values`` (iso3 -> 0-100) adds value and colour."""
    cols = {"iso": _text(outlines, "iso3"), "nm": _text(outlines, "name")}
    if values is not None:
        v = outlines["iso3"].map(values)
        cols["v"] = clean_numbers(v, len(outlines), 0)
        cols["c"] = pd.Series(style.colours(v, style.risk_colormap()), index=outlines.index)
    return _rows(geometries(outlines, digits=2), cols)
