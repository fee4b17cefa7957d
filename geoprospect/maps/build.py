"""Build and save the shareable deposit map: :func:`make_map` and :func:`save_map`."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError, OutputError
from geoprospect.io.bundled import data_date as bundled_date
from geoprospect.io.countries import BOUNDARY_NOTE, country_name
from geoprospect.io.write import written
from geoprospect.maps import assets, payload, style
from geoprospect.maps.basemap import country_risk_index, simplified_outlines
from geoprospect.maps.elements import DataLayer, Setup, inline_script, inline_style
from geoprospect.maps.legend import legend_html, title_html
from geoprospect.maps.safe import escape_text
from geoprospect.maps.surface import add_surface

log = logging.getLogger(__name__)

DEFAULT_TITLE = "geoprospect — rare-earth prospects"
CANVAS_THRESHOLD = 3000
"""Above this many deposits markers are drawn on a canvas instead of one SVG element each."""


def make_map(
    ranked,
    *,
    facilities=None,
    route_legs=None,
    country_risk=None,
    offline: bool = False,
    title: str = DEFAULT_TITLE,
    data_date: str | None = None,
    top_routes: int = 10,
    surface=None,
):
    """Build the interactive map of ranked deposits.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        Ranked deposits (EPSG:4326; points or polygons). Columns are optional: ``id``, ``name``,
        ``country`` (ISO3), ``score``, ``rank``, pillar scores, ``score_p10``/``score_p90``,
        ``p_top10``, ``route_summary``, ``source``, ... Rows without geometry are skipped and
        counted (shown in the title panel and in ``m.geoprospect_info["skipped"]``).
    facilities : geopandas.GeoDataFrame, optional
        Processing and magnet facilities (``stages`` like ``'cracking;separation'``); one layer
        per most-downstream chain stage.
    route_legs : geopandas.GeoDataFrame, optional
        Route legs (LineStrings) with ``deposit_id``, ``alternative`` (0 = best), ``leg``,
        ``mode``, ``from_id``, ``to_id``, ``km``, ``days``, ``cost_usd_t``. The best routes of
        the ``top_routes`` best-ranked deposits are drawn.
    country_risk : pandas.Series, pandas.DataFrame or path, optional
        Country risk for the choropleth; see :func:`geoprospect.maps.basemap.country_risk_index`.
    offline : bool
        Self-contained page: Leaflet inlined from the ``xstatic-leaflet`` package, no tile layer
        (country outlines are the basemap), no minimap.
    title : str
        Map title (plain text; escaped).
    data_date : str, optional
        Data date shown under the title; default: the bundled layers' date.
    top_routes : int
        How many best-ranked deposits get their best route drawn.
    surface : str or Path, optional
        A GeoTIFF drawn as an image overlay with its own legend.

    Returns
    -------
    folium.Map
        With ``m.geoprospect_info`` = ``{"offline", "shown", "skipped", "layers"}``.
    """
    import folium

    deposits, skipped = _usable(ranked, "ranked")
    if data_date is None:

        data_date = bundled_date() or None
    m = folium.Map(location=[0, 0], zoom_start=2, tiles=None if offline else "OpenStreetMap",
                   max_zoom=18, min_zoom=1, control_scale=True, world_copy_jump=False)
    m.get_root().title = escape_text(title)
    _add_assets(m, offline)
    layers: list[DataLayer] = []
    if offline:

        base = DataLayer("countryLayer", payload.country_payload(simplified_outlines()),
                         "Countries", {"pane": "gpBase", "zIndex": 150}, overlay=False, control=False)
        base.add_to(m)
    risk_label = _add_risk(m, country_risk, layers)
    modes = _add_routes(m, deposits, route_legs, top_routes, layers)
    stages = _add_facilities(m, facilities, layers)
    _add_deposits(m, deposits, layers)
    if surface is not None:

        add_surface(m, surface)
    bounds = None
    if len(deposits):
        x0, y0, x1, y1 = (float(v) for v in deposits.total_bounds)
        pad = 0.5
        bounds = [[y0 - pad, x0 - pad], [y1 + pad, x1 + pad]]
    Setup({
        "bounds": bounds,
        "title": title_html(title, data_date, len(deposits), skipped),
        "legend": legend_html(facility_stages=stages, route_modes=modes, risk_label=risk_label),
        "attribution": _attribution(offline),
    }).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    if not offline:
        from folium.plugins import MiniMap

        MiniMap(toggle_display=True, position="bottomleft").add_to(m)
    m.geoprospect_info = {
        "offline": offline, "shown": len(deposits), "skipped": skipped,
        "layers": {html.unescape(layer.layer_name): layer.count for layer in layers},
    }
    return m


def save_map(m, path, *, offline: bool = False, overwrite: bool = False) -> Path:
    """Write a map from :func:`make_map` to one HTML file, atomically.

    Parameters
    ----------
    m : folium.Map
    path : str or Path
        Target ``.html`` file.
    offline : bool
        Check that the page is self-contained (no script, stylesheet or CSS ``url()`` outside
        the file). The map must have been built with ``make_map(..., offline=True)``.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        Wrong extension, existing file without ``overwrite``, missing folder, an online map
        asked to be saved offline, or external assets in an offline page.
    """

    path = Path(path)
    if path.suffix.lower() not in {".html", ".htm"}:
        raise OutputError(f"{path}: a map is written as .html")
    info = getattr(m, "geoprospect_info", {})
    if offline and not info.get("offline", False):
        raise OutputError(f"{path}: this map was built online; build it with make_map(..., offline=True)")
    page = m.get_root().render()
    if offline or info.get("offline"):
        refs = assets.external_references(page)
        if refs:
            raise OutputError(f"{path}: offline map still references {refs[0]!r}")
    with written(path, overwrite=overwrite) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def _usable(gdf, label: str):
    import geopandas as gpd

    if gdf is None:
        return gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326")), 0
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise LayerError(f"{label}: needs a GeoDataFrame with geometries")
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    ok = payload.usable_geometry(gdf)
    skipped = int((~ok).sum())
    if skipped:
        log.info("%s: %d rows without usable geometry are not drawn", label, skipped)
    return gdf[ok], skipped


def _add_assets(m, offline: bool) -> None:
    header = m.get_root().header
    if offline:
        m.default_js = []  # instance lists: folium's class-level lists stay untouched
        m.default_css = []
        header.add_child(inline_style(assets.leaflet_css()), name="leaflet_css")
        header.add_child(inline_script(assets.leaflet_js()), name="leaflet_js")
        m.get_root().html.add_child(inline_style(".folium-map { background: #cfe3f0; }"), name="gp_sea")
    header.add_child(inline_style(assets.own_styles()), name="geoprospect_css")
    header.add_child(inline_script(assets.own_script()), name="geoprospect_js")


def _add_risk(m, country_risk, layers) -> str | None:
    if country_risk is None:
        return None

    values, label = country_risk_index(country_risk)
    outlines = simplified_outlines()
    outlines = outlines[outlines["iso3"].isin(values.index)]
    if outlines.empty:
        return None
    layer = DataLayer("countryLayer", payload.country_payload(outlines, values),
                      escape_text(f"Country risk ({outlines['iso3'].nunique()} countries)"),
                      {"choropleth": True, "pane": "gpRisk", "zIndex": 350, "label": escape_text(label)})
    layer.add_to(m)
    layers.append(layer)
    return label


def _add_routes(m, deposits, route_legs, top_routes: int, layers) -> list[str]:
    if route_legs is None or top_routes <= 0 or not len(deposits) or "deposit_id" not in route_legs:
        return []
    legs, _ = _usable(route_legs, "route_legs")
    order = _rank_order(deposits)
    top = deposits.loc[order[:top_routes]]
    top_ids = top["id"].astype(str) if "id" in top else pd.Series(dtype=str)
    keep = legs["deposit_id"].astype(str).isin(set(top_ids))
    if "alternative" in legs:
        keep &= pd.to_numeric(legs["alternative"], errors="coerce").fillna(0).to_numpy() == 0
    legs = legs[keep]
    if legs.empty:
        return []
    raw = top["name"].to_numpy() if "name" in top else top_ids.to_numpy()
    names = pd.Series(raw, index=top_ids.to_numpy())
    names = names[~names.index.duplicated()]
    layer = DataLayer("routeLayer", payload.route_payload(legs, names),
                      f"Best routes of the top {min(top_routes, len(top))} deposits",
                      {"styles": style.MODE_STYLES})
    layer.add_to(m)
    layers.append(layer)
    return sorted(set(style.mode_key(legs["mode"] if "mode" in legs else pd.Series("", index=legs.index))))


def _add_facilities(m, facilities, layers) -> list[str]:
    if facilities is None:
        return []
    fac, _ = _usable(facilities, "facilities")
    if fac.empty:
        return []
    keys = style.top_stage(fac["stages"] if "stages" in fac else pd.Series("", index=fac.index))
    present = []
    for stage in (*style.CHAIN_STAGES, "other"):
        part = fac[(keys == stage).to_numpy()]
        if part.empty:
            continue
        present.append(stage)
        layer = DataLayer("facilityLayer", payload.facility_payload(part),
                          f"Facilities — {stage} ({len(part)})")
        layer.add_to(m)
        layers.append(layer)
    return present


def _add_deposits(m, deposits, layers) -> None:

    if not len(deposits):
        return
    order = _rank_order(deposits)
    deposits = deposits.loc[order[::-1]]  # best drawn last, on top
    iso = (deposits["country"].astype("string").fillna("") if "country" in deposits
           else pd.Series("", index=deposits.index, dtype="string"))
    best = pd.Series(np.arange(len(deposits))[::-1], index=deposits.index).groupby(iso.to_numpy()).min()
    options = {"canvas": len(deposits) > CANVAS_THRESHOLD}
    for code in best.sort_values().index:
        part = deposits[(iso == code).to_numpy()]
        label = country_name(code) if code else "country unknown"
        layer = DataLayer("depositLayer", payload.deposit_payload(part),
                          escape_text(f"Deposits — {label} ({len(part):,})"), options)
        layer.add_to(m)
        layers.append(layer)


def _rank_order(gdf) -> pd.Index:
    """Index labels from best to worst: by ``rank``, else by descending ``score``."""
    if "rank" in gdf:
        key = pd.to_numeric(gdf["rank"], errors="coerce")
    elif "score" in gdf:
        key = -pd.to_numeric(gdf["score"], errors="coerce")
    else:
        return gdf.index
    return key.sort_values(na_position="last", kind="stable").index


def _attribution(offline: bool) -> str:

    base = "Basemap: Natural Earth outlines · " if offline else ""
    text = escape_text(f"{base}Deposits, facilities: geoprospect layers (sources in popups) · ")
    return f'{text}<span title="{escape_text(BOUNDARY_NOTE)}">Boundaries are indicative</span>'

