"""Derive layers/countries_india_view.geojson: India, China and Pakistan as India depicts them.

India's official maps show the whole of the former princely state of Jammu and Kashmir (the
areas administered by Pakistan — Azad Kashmir and Gilgit-Baltistan, Natural Earth's "Northern
Areas" — the Shaksgam valley ceded by Pakistan to China, and Aksai Chin administered by China)
and the Siachen glacier inside India. Natural Earth publishes these areas as its admin-0
"disputed areas" (each with ``NOTE_BRK`` "... Claimed by India"); its own India point-of-view
layer is built the same way: the claimed areas joined to India and cut out of the country that
administers them.

Provenance: Natural Earth 1:10m cultural ``ne_10m_admin_0_disputed_areas`` v4.1.0 (public
domain), as packaged in the GitHub repository ``martynafford/natural-earth-geojson`` (CC0), file
``10m/cultural/ne_10m_admin_0_disputed_areas.json``; the bundled ``layers/countries.geojson``
(Natural Earth 1:50m admin-0 v4.1.0, see ``scripts/build_countries.py``) for the three countries.
The claimed areas are snapped to the 1:50m outlines (intersected with China, Pakistan and the
Siachen feature) and gaps narrower than ``CLOSE_DEG`` between them and India are closed.

Usage::

    python scripts/build_india_view.py ne_10m_admin_0_disputed_areas.json layers/countries_india_view.geojson
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parents[1]
CLAIM_NOTE = "Claimed by India"
SIACHEN = "Siachen Glacier"
CLOSE_DEG = 0.02
REDRAWN = ("IND", "CHN", "PAK")


def main(disputed_path: str, out_path: str) -> None:
    """Write the three redrawn outlines (columns iso3, name, view, geometry)."""
    disputed = gpd.read_file(disputed_path)
    note = disputed["NOTE_BRK"].fillna("")
    claimed = disputed[note.str.contains(CLAIM_NOTE) | (disputed["BRK_NAME"] == SIACHEN)]
    countries = gpd.read_file(ROOT / "layers" / "countries.geojson")
    geom = {iso: countries.loc[countries["iso3"] == iso, "geometry"].iloc[0] for iso in REDRAWN}
    siachen = countries.loc[countries["name"] == SIACHEN, "geometry"]
    others = shapely.union_all([geom["CHN"], geom["PAK"], *siachen])
    claim = shapely.union_all(claimed.geometry.to_numpy()).intersection(others)
    india = shapely.union_all([geom["IND"], claim, *siachen])
    india = india.buffer(CLOSE_DEG).buffer(-CLOSE_DEG).intersection(
        shapely.union_all([geom["IND"], others]))
    out = gpd.GeoDataFrame(
        {"iso3": list(REDRAWN), "name": ["India", "China", "Pakistan"],
         "view": "india", "replaces": [SIACHEN, "", ""]},
        geometry=[shapely.make_valid(india), shapely.make_valid(geom["CHN"].difference(india)),
                  shapely.make_valid(geom["PAK"].difference(india))],
        crs="EPSG:4326")
    out.to_file(out_path, driver="GeoJSON", COORDINATE_PRECISION=4)
    digest = hashlib.sha256(Path(disputed_path).read_bytes()).hexdigest()
    print(f"wrote {out_path} from {len(claimed)} claimed areas "
          f"({', '.join(claimed['BRK_NAME'])}); input sha256 {digest}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
