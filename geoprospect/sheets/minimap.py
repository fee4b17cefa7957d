"""The sheet's small offline map: the deposit, its route legs, the plants and magnet maker on it.

Drawn by the published map's own runtime (``geoprospect/maps/static/geoprospect_map.js``:
``GP.countryLayer``, ``GP.routeLayer``, ``GP.facilityLayer``, ``GP.depositLayer``) from the same
escaped payloads (:mod:`geoprospect.maps.payload`), on Leaflet inlined from the
``xstatic-leaflet`` wheel (:mod:`geoprospect.maps.assets`). The basemap is the bundled country
outlines clipped to the route's extent; there are no tiles and no request of any kind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.io.countries import BOUNDARY_VIEWS
from geoprospect.maps import assets, payload, style
from geoprospect.maps.basemap import simplified_outlines
from geoprospect.maps.safe import escape_text, script_json

OUTLINE_TOLERANCE_DEG = 0.1
"""Simplification of the country outlines drawn under the route."""
PAD_DEG = 3.0
"""Margin around the route (degrees) for the outlines and the view."""

_SCRIPT = """
(function () {
  "use strict";
  var cfg = %s;
  var map = L.map("gp-sheet-map", {zoomControl: false, attributionControl: true, zoomSnap: 0.25,
                                   scrollWheelZoom: false, fadeAnimation: false, zoomAnimation: false});
  var n = function (name) { return GP.tables[name].n; };
  ["countries", "route", "plants", "deposit"].forEach(function (name) {
    if (cfg[name]) { GP.table(name, cfg[name]); }
  });
  GP.countryLayer(map, "countries", {pane: "gpBase", zIndex: 150}).addTo(map);
  if (cfg.route) { GP.routeLayer(map, "route", {styles: cfg.styles}).addTo(map); }
  if (cfg.plants) { GP.facilityLayer(map, "plants", {from: 0, to: n("plants")}).addTo(map); }
  if (cfg.deposit) {
    GP.depositLayer(map, "deposit", {from: 0, to: n("deposit"), ramp: cfg.ramp}).addTo(map);
  }
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(cfg.attribution);
  map.fitBounds(cfg.bounds, {animate: false, padding: [6, 6]});
  GP.map = map;
  GP.ready = true;
})();
"""


def _bounds(row, legs) -> tuple[float, float, float, float] | None:
    parts = []
    if legs is not None and len(legs):
        parts.append(np.asarray(legs.total_bounds, dtype=float))
    geom = row.geometry
    if len(geom) and geom.notna().all() and not geom.is_empty.all():
        parts.append(np.asarray(row.total_bounds, dtype=float))
    parts = [p for p in parts if np.isfinite(p).all()]
    if not parts:
        return None
    b = np.vstack(parts)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def _plants(network, legs):
    """The facilities the legs touch, as a GeoDataFrame for the facility payload."""
    import geopandas as gpd

    fac = network.facilities
    ids = set(legs["from_id"].astype(str)) | set(legs["to_id"].astype(str)) if len(legs) else set()
    on = fac[fac["id"].astype(str).isin(ids)]
    return gpd.GeoDataFrame(on.drop(columns=["geometry"], errors="ignore"),
                            geometry=gpd.points_from_xy(on["lon"], on["lat"]), crs="EPSG:4326")


def boundary_view(network) -> str:
    """The boundary view of the sheet's map: the investor profile's (India's depiction for an
    Indian investor), else de facto."""
    investor = getattr(network, "investor", None)
    return investor.map_boundaries if investor is not None else "de-facto"


def map_parts(row, legs, network) -> dict | None:
    """Payloads and view of the sheet map; None when there is nothing to place.

    Parameters
    ----------
    row : geopandas.GeoDataFrame
        The deposit's ranked row.
    legs : geopandas.GeoDataFrame
        Its route legs (may be empty).
    network : RouteNetwork
        For the facilities on the route.

    Returns
    -------
    dict or None
        ``countries``, ``route``, ``plants``, ``deposit`` payloads (escaped), ``bounds``
        (``[[south, west], [north, east]]``), ``styles`` and ``attribution``.
    """
    box = _bounds(row, legs)
    if box is None:
        return None
    import shapely

    x0, y0, x1, y1 = box
    view = (max(x0 - PAD_DEG, -180.0), max(y0 - PAD_DEG, -85.0),
            min(x1 + PAD_DEG, 180.0), min(y1 + PAD_DEG, 85.0))
    outlines = simplified_outlines(OUTLINE_TOLERANCE_DEG, view=boundary_view(network))
    clipped = outlines.set_geometry(shapely.clip_by_rect(outlines.geometry.to_numpy(), *view))
    clipped = clipped[~clipped.geometry.is_empty]
    names = pd.Series(row["name"].to_numpy() if "name" in row else row["id"].to_numpy(),
                      index=row["id"].astype(str).to_numpy()) if "id" in row else pd.Series(dtype=object)
    has_point = bool(payload.usable_geometry(row).all())
    return {
        "countries": payload.country_payload(clipped.reset_index(drop=True)),
        "route": payload.route_payload(legs, names) if len(legs) else None,
        "plants": payload.facility_payload(_plants(network, legs)) if len(legs) else None,
        "deposit": payload.deposit_payload(row) if has_point else None,
        "bounds": [[max(y0 - 1, -85.0), max(x0 - 1, -180.0)], [min(y1 + 1, 85.0), min(x1 + 1, 180.0)]],
        "styles": style.MODE_STYLES,
        "ramp": style.ramp_spec(style.score_colormap()),
        "attribution": escape_text("Natural Earth outlines · boundaries are indicative"
                                   + (" (India's depiction)" if boundary_view(network) == "india" else "")),
        "boundary_note": escape_text(BOUNDARY_VIEWS[boundary_view(network)]),
    }


def map_html(parts: dict | None) -> tuple[str, str, str]:
    """The map's HTML in three parts, for the page's head, body and end.

    Parameters
    ----------
    parts : dict or None
        From :func:`map_parts`.

    Returns
    -------
    (str, str, str)
        Leaflet's and the runtime's CSS and scripts inline; the map element; the script that
        draws it (JSON through :func:`geoprospect.maps.safe.script_json`). Without ``parts``: an
        empty head, a "no location" note and no script.
    """
    if parts is None:
        return "", '<div class="nomap">No location: no map.</div>', ""
    head = (f"<style>{assets.leaflet_css()}</style><style>{assets.own_styles()}</style>"
            f"<script>{assets.leaflet_js()}</script><script>{assets.own_script()}</script>")
    body = f'<div id="gp-sheet-map" title="{parts["boundary_note"]}"></div>'
    return head, body, f"<script>{_SCRIPT % script_json(parts)}</script>"
