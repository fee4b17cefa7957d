"""Deal sheets: one self-contained HTML page per deposit, print-ready on one A4 page.

* :func:`build_sheet` / :func:`write_sheets` — build one sheet, write a set with an index
  (``writer``).
* ``facts`` — key facts with their sources, deal terms, assumptions, scenario rows.
* ``sensitivity`` — the tornado: the row revalued under one shock at a time.
* ``route`` — the chain through the deposit's plant to a magnet maker.
* ``charts`` — waterfall, NPV band and tornado as inline SVG (matplotlib).
* ``minimap`` — the offline route map (Leaflet and the map runtime inlined).
* ``page`` / ``style`` / ``index`` — the HTML page, its A4 stylesheet, the index page.

Sheets read ranked rows (:func:`geoprospect.pipeline.rank`) and the bundled tables; they sit
beside the maps in the layering (above the pipeline, below batch and the CLI).
"""

from __future__ import annotations

from geoprospect.sheets.writer import WrittenSheet, build_sheet, sheet_hrefs, slug, write_sheets

__all__ = ["WrittenSheet", "build_sheet", "sheet_hrefs", "slug", "write_sheets"]
