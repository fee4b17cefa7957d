"""Shareable interactive maps of ranked deposits (folium + Leaflet).

* :func:`make_map` / :func:`save_map` — build and write the map (``build``).
* ``safe`` — escaping of every layer value before it reaches the page.
* ``payload`` / ``columnar`` — escaped columnar payloads (one JSON object of arrays per dataset;
  the page builds markers from them and popups on click).
* ``style`` / ``legend`` — colours, sizes, legend and title panels.
* ``basemap`` — simplified country outlines and the country-risk index.
* ``assets`` — offline inlining of Leaflet from the ``xstatic-leaflet`` package.
* ``elements`` — the folium elements that emit the page's script calls.
"""

from __future__ import annotations

from geoprospect.maps.build import make_map, save_map
from geoprospect.maps.safe import escape_series, escape_text

__all__ = ["escape_series", "escape_text", "make_map", "save_map"]
