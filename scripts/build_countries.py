"""Derive layers/countries.geojson from Natural Earth admin-0 (1:50m) as packaged in npm.

Provenance: the npm package ``world-atlas`` 2.0.2 (Natural Earth vector data 4.1.0, public
domain, converted to TopoJSON by Mike Bostock, ISC licence for the packaging). Fetch it with
``npm pack world-atlas@2.0.2`` and pass the extracted ``countries-50m.json``.

The derived layer keeps the Natural Earth name and adds ISO 3166-1 alpha-3/alpha-2 codes from the
numeric id (via pycountry). Features without an ISO code (Somaliland, Kosovo, N. Cyprus, Siachen
Glacier, Indian Ocean Ter.) keep an empty code. Boundaries are indicative: Natural Earth's
default (de facto) view differs from India's official depiction.
"""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pycountry
import shapely
import shapely.affinity


def _polygonal(geom):
    """Keep only the polygon parts (make_valid may add slivers as lines)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def _fix_antimeridian(geom):
    """Repair a ring that crosses ±180° (Russia, Fiji in this packaging): unwrap to 0..360,
    make valid, then cut at 180° and shift the eastern part back."""
    if geom.is_valid or geom.bounds[2] - geom.bounds[0] < 180:
        return geom
    unwrapped = shapely.transform(geom, lambda xy: np.where(xy < 0, xy + 360, xy)
                                  * np.array([1, 0]) + xy * np.array([0, 1]))
    unwrapped = shapely.make_valid(unwrapped)
    west = shapely.clip_by_rect(unwrapped, 0, -90, 180, 90)
    east = shapely.affinity.translate(shapely.clip_by_rect(unwrapped, 180, -90, 360, 90), -360)
    return shapely.union_all([west, east])


def main(topojson_path: str, out_path: str) -> None:
    g = gpd.read_file(topojson_path, layer="countries")
    iso3, iso2 = [], []
    for code in g["id"]:
        c = pycountry.countries.get(numeric=str(code)) if isinstance(code, str) else None
        iso3.append(c.alpha_3 if c else None)
        iso2.append(c.alpha_2 if c else None)
    out = gpd.GeoDataFrame(
        {"iso3": iso3, "iso2": iso2, "name": g["name"], "iso_n3": g["id"]},
        geometry=[_polygonal(shapely.make_valid(_fix_antimeridian(geom)))
                  for geom in g.geometry.values],
        crs="EPSG:4326",
    )
    out = out.sort_values(["iso3", "name"]).reset_index(drop=True)
    out.to_file(out_path, driver="GeoJSON", COORDINATE_PRECISION=4)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
