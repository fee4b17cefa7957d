"""Overlay a GeoTIFF surface (score or cost) as an image with its own legend.

The picture, bounds and legend come from :func:`geoprospect.maps.raster_overlay.surface_overlay` (the score
band when present, green = better, nodata transparent), embedded as a PNG ``data:`` URI so the
offline file keeps it.
"""

from __future__ import annotations

from pathlib import Path

from geoprospect.maps.elements import Raw
from geoprospect.maps.raster_overlay import surface_overlay
from geoprospect.maps.safe import escape_text


def add_surface(m, path, *, opacity: float = 0.6) -> None:
    """Add the GeoTIFF at ``path`` to map ``m`` as a toggleable image overlay with a legend."""
    import folium


    uri, bounds, legend_html = surface_overlay(path)
    folium.raster_layers.ImageOverlay(
        image=uri, bounds=bounds, opacity=opacity, overlay=True,
        name=escape_text(f"Surface: {Path(path).name}"),
    ).add_to(m)
    legend = (f'<div class="gp-box" style="position:absolute;left:10px;bottom:260px;z-index:800">'
              f"{legend_html}</div>")
    m.get_root().html.add_child(Raw(legend), name="gp_surface_legend")
