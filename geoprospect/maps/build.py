"""Build and save the shareable deposit map: :func:`make_map` and :func:`save_map`."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError, OutputError
from geoprospect.io.bundled import data_date as bundled_date
from geoprospect.io.countries import BOUNDARY_VIEWS, country_name
from geoprospect.io.write import written
from geoprospect.maps import assets, payload, style
from geoprospect.maps.basemap import country_risk_index, simplified_outlines
from geoprospect.maps.elements import DataLayer, DataTable, Finish, Setup, inline_script, inline_style
from geoprospect.maps.legend import legend_html, title_html
from geoprospect.maps.safe import escape_text
from geoprospect.maps.surface import add_surface

log = logging.getLogger(__name__)

DEFAULT_TITLE = "geoprospect — rare-earth prospects"
CANVAS_THRESHOLD = 3000
"""Above this many deposits markers are drawn on a canvas instead of one SVG element each."""
FIRST_VIEW_SHARE = 0.9
"""The first view holds at least this share of the deposits (see ``_bounds``)."""
FIRST_VIEW_TOP = 10
"""... and the best-ranked deposits, this many."""
MANY_LAYERS = 6
"""With more toggleable layers than this the layer list starts collapsed (it always does on
small screens)."""


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
    plant_use=None,
    boundaries: str = "de-facto",
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
    plant_use : pandas.DataFrame, optional
        The capacity allocation's per-plant table (``Allocation.plants``: ``plant_id``,
        ``allocated_tpa``, ``spare_tpa``, ``utilisation``, ...), shown in the plants' popups.
    boundaries : str
        Boundary view of the country outlines: ``de-facto`` or ``india`` (India's depiction of
        Jammu and Kashmir); :data:`geoprospect.io.countries.BOUNDARY_VIEWS`.

    Returns
    -------
    folium.Map
        With ``m.geoprospect_info`` = ``{"offline", "shown", "skipped", "layers"}``.
    """
    import folium

    if boundaries not in BOUNDARY_VIEWS:
        raise LayerError(f"unknown boundary view {boundaries!r} (one of {', '.join(BOUNDARY_VIEWS)})",
                         option="boundaries")
    deposits, skipped = _usable(ranked, "ranked")
    if data_date is None:
        data_date = bundled_date() or None
    m = folium.Map(location=[20, 0], zoom_start=2, tiles=None if offline else "OpenStreetMap",
                   max_zoom=18, min_zoom=1, control_scale=True, world_copy_jump=False,
                   zoom_snap=0.25)
    m.get_root().title = escape_text(title)
    _add_assets(m, offline)
    layers: list[DataLayer] = []
    setup = Setup()
    setup.add_to(m)  # panels and the first view before any layer is drawn
    risk_label = _add_countries(m, offline, country_risk, layers, boundaries)
    modes = _add_routes(m, deposits, route_legs, top_routes, layers)
    stages, plant_names = _add_facilities(m, facilities, layers, plant_use)
    _add_deposits(m, deposits, layers, plant_names)
    if surface is not None:
        add_surface(m, surface)
    setup.config.update({
        "bounds": _bounds(deposits),
        "title": title_html(title, data_date, len(deposits), skipped),
        "legend": legend_html(facility_stages=stages, route_modes=modes, risk_label=risk_label),
        "attribution": _attribution(offline, boundaries),
    })
    listed = sum(layer.control for layer in layers)
    folium.LayerControl(collapsed=listed > MANY_LAYERS, position="topright").add_to(m)
    if not offline:
        from folium.plugins import MiniMap

        MiniMap(toggle_display=True, position="bottomleft").add_to(m)
    Finish().add_to(m)
    m.geoprospect_info = {
        "offline": offline, "shown": len(deposits), "skipped": skipped, "boundaries": boundaries,
        "layers": {html.unescape(layer.layer_name): layer.count for layer in layers if layer.control},
    }
    return m


def _bounds(deposits) -> list | None:
    """``[[south, west], [north, east]]`` of the first view: the deposits, with far outliers left
    to a zoom out when they are few.

    Deposits spread over several continents would otherwise make the first view the whole
    world: the view keeps the narrowest band of longitude that holds at least
    :data:`FIRST_VIEW_SHARE` of the deposits, widened to hold the :data:`FIRST_VIEW_TOP`
    best-ranked ones, and the latitudes of the deposits inside it; padded by 2 % of the span
    (at least 0.2°). ``None`` without deposits (the world view stays).
    """
    if not len(deposits):
        return None
    b = deposits.geometry.bounds.to_numpy(float)
    lon = (b[:, 0] + b[:, 2]) / 2
    k = max(1, int(np.ceil(FIRST_VIEW_SHARE * len(lon))))
    order = np.sort(lon)
    widths = order[k - 1:] - order[: len(order) - k + 1]
    start = int(np.argmin(widths))
    west, east = order[start], order[start + k - 1]
    best = np.zeros(len(lon), dtype=bool)
    best[np.asarray(deposits.index.get_indexer(_rank_order(deposits)[:FIRST_VIEW_TOP]))] = True
    inside = ((lon >= west) & (lon <= east)) | best
    sel = b[inside]
    x0, y0 = sel[:, 0].min(), sel[:, 1].min()
    x1, y1 = sel[:, 2].max(), sel[:, 3].max()
    px, py = max(0.02 * (x1 - x0), 0.2), max(0.02 * (y1 - y0), 0.2)
    return [[max(y0 - py, -85.0), max(x0 - px, -180.0)], [min(y1 + py, 85.0), min(x1 + px, 180.0)]]


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
    return gdf[ok].reset_index(drop=True), skipped


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


def _add_countries(m, offline: bool, country_risk, layers, view: str) -> str | None:
    """The offline basemap (every outline) and the risk choropleth share one outline table."""
    values, label = (None, None) if country_risk is None else country_risk_index(country_risk)
    outlines = simplified_outlines(view=view)
    with_value = outlines["iso3"].isin(values.index) if values is not None else None
    if not offline:
        if with_value is None or not with_value.any():
            return None
        outlines, with_value = outlines[with_value], with_value[with_value]
    DataTable("countries", payload.country_payload(outlines, values)).add_to(m)
    if offline:
        DataLayer("countryLayer", "countries", "Countries", len(outlines),
                  {"pane": "gpBase", "zIndex": 150}, overlay=False, control=False).add_to(m)
    if with_value is None or not with_value.any():
        return None
    codes = outlines.loc[with_value.to_numpy(), "iso3"].nunique()
    layer = DataLayer("countryLayer", "countries", escape_text(f"Country risk ({codes} countries)"),
                      int(with_value.sum()),
                      {"choropleth": True, "pane": "gpRisk", "zIndex": 350, "label": escape_text(label),
                       "ramp": style.ramp_spec(style.risk_colormap())})
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
    DataTable("routes", payload.route_payload(legs, names)).add_to(m)
    layer = DataLayer("routeLayer", "routes", f"Routes of the top {min(top_routes, len(top))} deposits",
                      len(legs), {"styles": style.MODE_STYLES})
    layer.add_to(m)
    layers.append(layer)
    return sorted(set(style.mode_key(legs["mode"] if "mode" in legs else pd.Series("", index=legs.index))))


def _add_facilities(m, facilities, layers, plant_use=None) -> tuple[list[str], pd.Series | None]:
    """Facility layers by most downstream stage; returns the stages drawn and plant id -> name."""
    if facilities is None:
        return [], None
    fac, _ = _usable(facilities, "facilities")
    if fac.empty:
        return [], None
    names = pd.Series(fac["name"].to_numpy(), index=fac["id"].astype(str)) \
        if {"id", "name"} <= set(fac.columns) else None
    keys = style.top_stage(fac["stages"] if "stages" in fac else pd.Series("", index=fac.index))
    order = [*style.CHAIN_STAGES, "other"]
    rank = keys.map({stage: i for i, stage in enumerate(order)}).to_numpy()
    sort = np.argsort(rank, kind="stable")
    fac, rank = fac.iloc[sort], rank[sort]
    DataTable("facilities", payload.facility_payload(fac, plant_use)).add_to(m)
    present = []
    for i, stage in enumerate(order):
        start, stop = np.searchsorted(rank, [i, i + 1])
        if start == stop:
            continue
        present.append(stage)
        layer = DataLayer("facilityLayer", "facilities", f"Facilities — {stage} ({stop - start})",
                          int(stop - start), {"from": int(start), "to": int(stop)})
        layer.add_to(m)
        layers.append(layer)
    return present, None if names is None else names[~names.index.duplicated()]


def _add_deposits(m, deposits, layers, plant_names=None) -> None:
    """One table of every deposit, ordered by country layer (the country holding the best
    deposit first) and worst to best within each (the best are drawn last, on top)."""
    if not len(deposits):
        return
    order = _rank_order(deposits)
    deposits = deposits.loc[order[::-1]]
    iso = (deposits["country"].astype("string").fillna("") if "country" in deposits
           else pd.Series("", index=deposits.index, dtype="string"))
    best = pd.Series(np.arange(len(deposits))[::-1], index=deposits.index).groupby(iso.to_numpy()).min()
    group = iso.map({code: i for i, code in enumerate(best.sort_values().index)}).to_numpy()
    sort = np.argsort(group, kind="stable")
    deposits, group = deposits.iloc[sort], group[sort]
    DataTable("deposits", payload.deposit_payload(deposits, plant_names)).add_to(m)
    options = {"canvas": len(deposits) > CANVAS_THRESHOLD, "ramp": style.ramp_spec(style.score_colormap())}
    for i, code in enumerate(best.sort_values().index):
        start, stop = (int(v) for v in np.searchsorted(group, [i, i + 1]))
        label = country_name(code) if code else "country unknown"
        layer = DataLayer("depositLayer", "deposits", escape_text(f"Deposits — {label} ({stop - start:,})"),
                          stop - start, {**options, "from": start, "to": stop})
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


def _attribution(offline: bool, view: str = "de-facto") -> str:

    base = "Basemap: Natural Earth outlines · " if offline else ""
    text = escape_text(f"{base}Deposits, facilities: geoprospect layers (sources in popups) · ")
    which = " (India's depiction)" if view == "india" else ""
    return f'{text}<span title="{escape_text(BOUNDARY_VIEWS[view])}">Boundaries are indicative{which}</span>'

