"""Rasters: covariates sampled at sites, and logistics/score surfaces written as GeoTIFFs.

* :func:`sample_rasters` / :func:`parse_raster_options` / :data:`raster_option` — ``--raster
  NAME=PATH`` on ``rank``, ``score`` and ``train`` (:mod:`geoprospect.rasters.sample`);
* :func:`write_surface` / :func:`compute_surface` / :func:`country_grid` — ``geoprospect
  surface`` (:mod:`geoprospect.rasters.surface`, :mod:`geoprospect.rasters.grid`);
* :func:`surface_overlay` — a surface as a PNG ``data:`` URI, bounds and legend for maps
  (:mod:`geoprospect.rasters.overlay`).

Names are imported lazily so ``from geoprospect.rasters import raster_option`` stays cheap.
"""

from __future__ import annotations

_EXPORTS = {
    "sample_rasters": "sample", "sample_one": "sample", "join_rasters": "sample",
    "parse_raster_options": "sample",
    "raster_option": "sample",
    "parse_resolution": "grid", "country_grid": "grid", "SurfaceGrid": "grid",
    "parse_grade": "surface", "surface_window": "surface", "compute_surface": "surface",
    "write_surface": "surface", "NODATA": "surface",
    "surface_overlay": "overlay", "png_data_uri": "overlay",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"geoprospect.rasters.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'geoprospect.rasters' has no attribute {name!r}")
