"""geoprospect: geospatial prospect assessment for rare earths (and other critical minerals).

The public API is imported lazily, so ``import geoprospect`` is cheap::

    import geoprospect as gp
    deposits, problems = gp.load_layer("my_deposits.gpkg")
    ranked = gp.rank(deposits)              # GeoDataFrame with score, pillars, rank, bands
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
    "load_model": "geoprospect.model.estimator",
    "save_model": "geoprospect.model.estimator",
    "score": "geoprospect.model.predict",
    "rank": "geoprospect.pipeline",
    "rank_layer": "geoprospect.pipeline",
    "RouteNetwork": "geoprospect.routes",
    "build_routes": "geoprospect.routes",
    "site_logistics": "geoprospect.routes",
    "make_map": "geoprospect.maps",
    "save_map": "geoprospect.maps",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'geoprospect' has no attribute {name!r}")
