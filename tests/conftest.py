"""Generic fixtures: a private cache folder for the session, small deposit layers built in
code, and a writer for them in any format."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support import INSIDE

pytest_plugins = ["_postgis_server"]  # the throwaway PostgreSQL + PostGIS server (pg fixtures)


@pytest.fixture(scope="session", autouse=True)
def hermetic_cache(tmp_path_factory):
    """Point ``GEOPROSPECT_CACHE_DIR`` at a fresh temporary folder for the whole session (one per
    xdist worker), in ``os.environ`` so that the subprocesses tests start inherit it: no test
    reads or writes the user's cache, and none trusts what an earlier run left there."""
    folder = tmp_path_factory.mktemp("geoprospect-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GEOPROSPECT_CACHE_DIR", str(folder))
        yield folder





@pytest.fixture
def deposits_gdf():
    """Five valid deposits, one per country, EPSG:4326, canonical columns."""
    import geopandas as gpd
    import shapely

    codes = list(INSIDE)
    return gpd.GeoDataFrame(
        {
            "id": [f"d{i}" for i in range(1, 6)],
            "name": [f"Deposit {c}" for c in codes],
            "country": codes,
            "resource_mt": [10.0, 2.5, 0.7, 40.0, 1.2],
            "treo_pct": [2.1, 1.4, 0.05, 0.9, 0.12],
            "ndpr_pct": [20.0, 23.5, 19.0, 18.0, 30.0],
            "source": ["test fixture"] * 5,
        },
        geometry=shapely.points([INSIDE[c] for c in codes]),
        crs="EPSG:4326",
    )


@pytest.fixture
def write_csv(tmp_path):
    """Write text (str) or bytes to ``tmp_path/name`` and return the path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_layer(tmp_path):
    """Write a GeoDataFrame with pyogrio/geopandas in the format named by the extension."""

    def write(gdf, name: str, **kwargs) -> Path:
        import pyogrio

        path = tmp_path / name
        ext = path.suffix.lower()
        if ext == ".parquet":
            gdf.to_parquet(path)
            return path
        driver = {
            ".gpkg": "GPKG", ".geojson": "GeoJSON", ".geojsonl": "GeoJSONSeq", ".shp": "ESRI Shapefile",
            ".fgb": "FlatGeobuf", ".kml": "KML",
        }[ext]
        pyogrio.write_dataframe(gdf, path, driver=driver, **kwargs)
        return path

    return write
