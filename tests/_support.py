"""Helpers shared by the test modules, defined once: points inside the five countries, the CLI
runner, the scratch model, synthetic site layers and a reader of batch outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# one point well inside each of the five countries (lon, lat)
INSIDE = {
    "MWI": (33.78, -13.96),
    "AUS": (122.55, -28.86),
    "IND": (78.0, 20.0),
    "ARG": (-65.0, -30.0),
    "MMR": (96.0, 21.0),
}


def run(*args, catch_exceptions: bool = True):
    """Invoke ``geoprospect <args>`` through click's CliRunner (arguments turned into text)."""
    from click.testing import CliRunner

    from geoprospect.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=catch_exceptions)


def scratch_model(config=None) -> Path:
    """The bundled valuation model (``geoprospect train`` rebuilds it)."""
    from geoprospect.io.bundled import models_dir

    return models_dir() / "valuation.skops"


def _bundled(name):
    from geoprospect.io.bundled import layer_path

    return layer_path(name)


def sites(n: int, seed: int = 0):
    """``n`` valid candidate sites spread over the five countries (GeoDataFrame)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    codes = np.array(list(INSIDE), dtype=object)[rng.integers(0, 5, n)]
    xy = np.array([INSIDE[c] for c in codes]) + rng.uniform(-0.5, 0.5, (n, 2))
    return gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "name": [f"Site {i}" for i in range(n)],
            "country": codes,
            "treo_pct": np.round(rng.uniform(0.05, 8, n), 3),
            "ndpr_pct": np.round(rng.uniform(10, 35, n), 1),
            "resource_mt": np.round(rng.uniform(0.5, 80, n), 2),
            "minerals": np.array(["monazite", "bastnaesite", None], dtype=object)[rng.integers(0, 3, n)],
            "owner_ref": rng.integers(0, 10_000, n),
        },
        geometry=shapely.points(xy),
        crs="EPSG:4326",
    )


def read_any(path):
    """An output (file or partitioned folder) as a plain DataFrame with WKB geometry."""
    import geopandas as gpd
    import pandas as pd

    path = Path(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    g = gpd.read_parquet(path)
    out = pd.DataFrame(g.drop(columns="geometry"))
    out["geometry"] = g.geometry.to_wkb()
    return out.reset_index(drop=True)
