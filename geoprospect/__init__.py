"""geoprospect: geospatial prospect assessment for rare earths (and other critical minerals).

The public API is imported lazily, so ``import geoprospect`` is cheap::

    import geoprospect as gp
    deposits, problems = gp.load_layer("my_deposits.gpkg")
    ranked = gp.rank(deposits)              # screening NPV band, pillars in USD, score, rank
    routes = gp.build_routes(ranked, gp.RouteNetwork.bundled())
    gp.save_map(gp.make_map(ranked), "maps/prospects.html", offline=True)
"""

from __future__ import annotations

from importlib import import_module

from geoprospect._version import __version__

_API = {
    "read_layer": "geoprospect.io.read",
    "load_layer": "geoprospect.io.validate",
    "validate": "geoprospect.io.validate",
    "normalise": "geoprospect.io.validate",
    "write_table": "geoprospect.io.write",
    "build_features": "geoprospect.features",
    "Valuation": "geoprospect.pipeline",
    "score": "geoprospect.pipeline",
    "score_rows": "geoprospect.pipeline",
    "rank": "geoprospect.pipeline",
    "rank_layer": "geoprospect.pipeline",
    "score_files": "geoprospect.batch",
    "train": "geoprospect.model.value_fit",
    "load_valuation": "geoprospect.model.value_fit",
    "Scenario": "geoprospect.routes.scenario",
    "RouteNetwork": "geoprospect.routes",
    "build_routes": "geoprospect.routes",
    "site_logistics": "geoprospect.routes",
    "make_map": "geoprospect.maps",
    "save_map": "geoprospect.maps",
    "write_surface": "geoprospect.surfaces.write",
    "build_sheet": "geoprospect.sheets",
    "write_sheets": "geoprospect.sheets",
}

__all__ = ["__version__", *_API]


def __dir__() -> list[str]:
    return sorted(__all__)


def __getattr__(name: str):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'geoprospect' has no attribute {name!r}")
