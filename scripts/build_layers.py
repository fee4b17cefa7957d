"""Turn the research tables (CSV with lon/lat, one row per fact-checked record) into the bundled
layers. Run once after the data are compiled or edited:

    python scripts/build_layers.py INCOMING_DIR

Geometries go to GeoJSON (EPSG:4326, 6 decimals); tables are copied as CSV. A row whose
coordinates could not be sourced keeps a null geometry rather than an invented point.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

LAYERS = Path(__file__).resolve().parents[1] / "layers"

GEO = {
    "deposits.geojson": ["deposits_aus_mwi.csv", "deposits_ind_arg_mmr.csv"],
    "projects.geojson": ["global_projects_a.csv", "global_projects_b.csv"],
    "facilities.geojson": ["facilities.csv"],
    "ports.geojson": ["ports.csv"],
}
TABLES = ["corridors.csv", "country_risk.csv", "policy_events.csv", "prices.csv", "costs.csv"]


def to_geojson(frames: list[pd.DataFrame], out: Path) -> int:
    df = pd.concat(frames, ignore_index=True)
    lon = pd.to_numeric(df.pop("lon"), errors="coerce").to_numpy()
    lat = pd.to_numeric(df.pop("lat"), errors="coerce").to_numpy()
    geoms = [shapely.Point(x, y) if pd.notna(x) and pd.notna(y) else None
             for x, y in zip(lon, lat, strict=True)]
    for col in df.columns:
        numeric = pd.to_numeric(df[col], errors="coerce")
        if df[col].notna().any() and numeric.notna().sum() == df[col].notna().sum():
            df[col] = numeric
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4326")
    gdf.to_file(out, driver="GeoJSON", COORDINATE_PRECISION=6, WRITE_NAME="NO")
    return len(gdf)


def main(incoming: str) -> None:
    src = Path(incoming)
    for target, files in GEO.items():
        frames = [pd.read_csv(src / f, dtype=str, keep_default_na=False).replace("", None)
                  for f in files]
        n = to_geojson(frames, LAYERS / target)
        print(f"{target}: {n} features")
    for name in TABLES:
        table = pd.read_csv(src / name, dtype=str, keep_default_na=False)
        table.to_csv(LAYERS / name, index=False)
        print(f"{name}: {len(table)} rows")


if __name__ == "__main__":
    main(sys.argv[1])
