"""Turn layers into the escaped, columnar JSON payloads the page draws (:mod:`.columnar`).

Each dataset (deposits, facilities, route legs, country outlines) becomes one object of arrays;
the page builds its markers from the coordinates and a few style columns, and builds a popup's
HTML from the other columns only when the marker is clicked, so no popup markup is stored per
feature. Every text value is escaped here (:mod:`geoprospect.maps.safe`) before it is encoded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.io.countries import country_name
from geoprospect.maps import style
from geoprospect.maps.columnar import Columns, geometry_arrays
from geoprospect.maps.safe import escape_series, plain_words, safe_relative_urls, safe_urls

DEPOSIT_TEXT = {
    "id": "id", "nm": "name", "a1": "admin1", "dt": "deposit_type", "st": "stage",
    "ro": "route_summary", "so": "source", "lc": "location_confidence", "vt": "valuation_tier",
    "im": "imputed", "pr": "product", "sb": "study_basis", "an": "allocation_note",
}
DEPOSIT_LISTS = {"mi": "minerals", "fl": "flags"}
DEPOSIT_NUMBERS = {
    "rk": ("rank", 0), "sc": ("score", 1), "gs": ("grade_score", 0), "ls": ("logistics_score", 0),
    "rs": ("risk_score", 0), "p10": ("score_p10", 1), "p90": ("score_p90", 1),
    "pt": ("p_top10", 3), "mt": ("resource_mt", 2), "tr": ("treo_pct", 2), "nd": ("ndpr_pct", 1),
    "dy": ("dytb_pct", 2), "ox": ("ndpr_oxide_tpa", 0), "cx": ("capex_musd", 0),
    "v10": ("npv_musd_p10", 0), "v50": ("npv_musd_p50", 0), "v90": ("npv_musd_p90", 0),
    "vg": ("value_grade_musd", 0), "vl": ("value_logistics_musd", 0), "vr": ("value_risk_musd", 0),
    "uc": ("uncommitted_ndpr_tpa", 0), "as": ("assigned_share", 2), "un": ("unplaced_tpa", 0),
}
PLANT_USE = {
    "al": ("allocated_tpa", 0), "of": ("own_feed_tpa", 0), "ct": ("contracted_tpa", 0),
    "sp": ("spare_tpa", 0), "ut": ("utilisation", 3),
}
"""Facility columns from the capacity allocation (``Allocation.plants``), keyed by plant id."""
SHEET_COLUMN = "sheet_href"
"""Column of relative paths to deal sheets written beside the map (a "Deal sheet" link)."""
_ARROW = " → "


def usable_geometry(gdf) -> np.ndarray:
    """Boolean mask of rows whose geometry is present, non-empty and has finite bounds."""
    geom = gdf.geometry
    ok = geom.notna().to_numpy() & ~geom.is_empty.to_numpy()
    bounds = geom.bounds.to_numpy(float)
    return ok & np.isfinite(bounds).all(axis=1)


def _text(frame, col) -> pd.Series:
    if col not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return escape_series(frame[col])


def _column(frame, col):
    return frame[col] if col in frame else None


def deposit_payload(gdf, plant_names: pd.Series | None = None) -> dict:
    """Columnar payload of deposits (usable geometries, already in drawing order).

    ``nm`` is left empty where the name equals the id (the page shows the id), ``ro`` holds the
    route without its first hop when that hop is the deposit itself (the popup names it), ``cn``
    maps each country code to its name once, ``sh`` holds the safe relative link of
    :data:`SHEET_COLUMN`, and ``ap`` the plant the capacity allocation assigned (its name from
    ``plant_names``, plant id -> name, else its id). Colour and radius are computed by the page
    from ``sc`` and ``nt``.
    """
    cols = Columns(len(gdf))
    raw_id = gdf["id"].astype("string").str.strip() if "id" in gdf else None
    for key, col in DEPOSIT_TEXT.items():
        values = gdf[col] if col in gdf else None
        if values is not None and key == "nm" and raw_id is not None:
            values = values.astype("string").mask(values.astype("string").str.strip() == raw_id)
        if values is not None and key == "ro":
            values = _without_origin(values, _column(gdf, "name"))
        cols.text(key, escape_series(values) if values is not None else _text(gdf, col))
    for key, col in DEPOSIT_LISTS.items():
        cols.text(key, escape_series(plain_words(gdf[col])) if col in gdf else _text(gdf, col))
    iso = gdf["country"].astype("string") if "country" in gdf else pd.Series(pd.NA, index=gdf.index)
    cols.text("cc", escape_series(iso))
    for key, (col, digits) in DEPOSIT_NUMBERS.items():
        cols.number(key, _column(gdf, col), digits)
    cols.number("nt", style.contained_ndpr(gdf), 0)
    if "assigned_plant_id" in gdf:
        plant = gdf["assigned_plant_id"].astype("string")
        named = plant.map(plant_names) if plant_names is not None else plant
        cols.text("ap", escape_series(named.astype("string").fillna(plant)))
    cols.text("su", safe_urls(gdf["source_url"]) if "source_url" in gdf else _text(gdf, "source_url"))
    cols.text("sh", safe_relative_urls(gdf[SHEET_COLUMN]) if SHEET_COLUMN in gdf
              else _text(gdf, SHEET_COLUMN))
    out = cols.payload(geometry_arrays(gdf))
    codes = [c for c in iso.dropna().unique() if str(c).strip()]
    names = escape_series(pd.Series([country_name(str(c)) for c in codes], dtype=object))
    keys = escape_series(pd.Series([str(c).strip() for c in codes], dtype=object))
    out["cn"] = {k: v for k, v in zip(keys, names, strict=True) if k and v}
    return out


def _without_origin(routes: pd.Series, names) -> pd.Series:
    """Drop a route's first hop (``"<name> → "`` or ``"site → "``): the popup names the deposit."""
    text = routes.astype("string")
    parts = text.str.partition(_ARROW)
    if parts.shape[1] < 3:  # no text at all (every route missing): nothing to drop
        return text
    first, rest = parts[0].str.strip(), parts[2].where(parts[1] == _ARROW)
    own = first == "site"
    if names is not None:
        own |= first == names.astype("string").str.strip()
    return text.mask(own.fillna(False) & rest.notna(), rest)


def facility_payload(gdf, plant_use: pd.DataFrame | None = None) -> dict:
    """Columnar payload of processing/magnet facilities; ``sk`` is the most downstream stage.

    With ``plant_use`` (the capacity allocation's per-plant table, ``plant_id`` and the
    :data:`PLANT_USE` columns) each plant also carries what the allocation put there.
    """
    cols = Columns(len(gdf))
    for key, col in (("id", "id"), ("nm", "name"), ("cc", "country"), ("ss", "status"),
                     ("op", "operator"), ("cu", "product"), ("so", "source")):
        cols.text(key, _text(gdf, col))
    cols.text("st", escape_series(plain_words(gdf["stages"])) if "stages" in gdf else _text(gdf, "stages"))
    cols.number("cap", _column(gdf, "product_capacity_tpa"), 0)
    cols.text("su", safe_urls(gdf["source_url"]) if "source_url" in gdf else _text(gdf, "source_url"))
    stages = style.top_stage(gdf["stages"] if "stages" in gdf else pd.Series("", index=gdf.index))
    cols.text("sk", stages)
    if plant_use is not None and "id" in gdf:
        use = plant_use.set_index("plant_id").reindex(gdf["id"].astype(str))
        for key, (col, digits) in PLANT_USE.items():
            cols.number(key, use[col].to_numpy() if col in use else None, digits)
    return cols.payload(geometry_arrays(gdf))


def route_payload(legs, names: pd.Series) -> dict:
    """Columnar payload of route legs; ``names`` maps deposit id -> deposit name (raw text)."""
    cols = Columns(len(legs))
    dep = legs["deposit_id"] if "deposit_id" in legs else pd.Series(pd.NA, index=legs.index)
    mode = legs["mode"] if "mode" in legs else pd.Series(pd.NA, index=legs.index)
    cols.text("did", escape_series(dep))
    cols.text("dn", escape_series(dep.map(names)))
    cols.number("lg", _column(legs, "leg"), 0)
    cols.text("md", style.mode_key(mode))
    cols.text("mt", escape_series(mode))
    for key, col in (("fr", "from_id"), ("to", "to_id"), ("nt", "note")):
        cols.text(key, _text(legs, col))
    for key, col, digits in (("km", "km", 0), ("d", "days", 1), ("cu", "cost_usd_t", 0)):
        cols.number(key, _column(legs, col), digits)
    return cols.payload(geometry_arrays(legs, digits=4))


def country_payload(outlines, values: pd.Series | None = None) -> dict:
    """Columnar payload of country outlines; with ``values`` (iso3 -> 0-100) adds ``v``.

    One payload serves both the offline basemap (every outline) and the risk choropleth (the
    outlines with a value), so the shapes are stored once.
    """
    cols = Columns(len(outlines))
    cols.text("iso", _text(outlines, "iso3"))
    cols.text("nm", _text(outlines, "name"))
    if values is not None:
        cols.number("v", outlines["iso3"].map(values), 0)
    return cols.payload(geometry_arrays(outlines, digits=2))
