"""The bundled layers validate, carry their sources, and ship inside the wheel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geoprospect.io import bundled
from geoprospect.io.validate import BORDER_TOLERANCE_DEG, errors_in, load_layer

FIVE = ("IND", "ARG", "AUS", "MWI", "MMR")
REPO = Path(__file__).resolve().parents[1]
TABLES = ("corridors.csv", "costs.csv", "country_risk.csv", "policy_events.csv", "prices.csv")


@pytest.fixture(scope="module")
def loaded():
    return {name: load_layer(bundled.layer_path(f"{name}.geojson")) for name in ("deposits", "projects")}


@pytest.fixture(scope="module")
def facilities():
    import geopandas as gpd

    return gpd.read_file(bundled.layer_path("facilities.geojson"))


@pytest.mark.parametrize("name", ["deposits", "projects"])
def test_no_validation_errors(loaded, name):
    _, problems = loaded[name]
    assert errors_in(problems) == [], "\n".join(map(str, errors_in(problems)))


@pytest.mark.parametrize("name", ["deposits", "projects"])
def test_ids_unique_and_sources_present(loaded, name):
    gdf, _ = loaded[name]
    assert gdf["id"].notna().all() and gdf["id"].is_unique
    assert not gdf["id"].str.startswith("row-").any()
    assert gdf["name"].notna().all()
    blank = gdf["source"].isna() | (gdf["source"].astype(str).str.strip() == "")
    assert not blank.any(), gdf.loc[blank, "id"].tolist()


@pytest.mark.parametrize("name", ["deposits", "projects"])
def test_every_number_has_a_source_on_its_row(loaded, name):
    from geoprospect.io.schema import NUMERIC_COLUMNS

    gdf, _ = loaded[name]
    numeric = [c for c in NUMERIC_COLUMNS if c in gdf.columns]
    assert "treo_pct" in numeric and "resource_mt" in numeric
    has_number = gdf[numeric].notna().any(axis=1)
    sourced = gdf["source"].fillna("").astype(str).str.strip() != ""
    assert (sourced | ~has_number).all(), gdf.loc[has_number & ~sourced, "id"].tolist()


def test_deposits_cover_the_five_countries(loaded):
    gdf, _ = loaded["deposits"]
    counts = gdf["country"].value_counts()
    assert set(gdf["country"]) == set(FIVE)
    for code in FIVE:
        assert counts.get(code, 0) >= 4, (code, counts.get(code, 0))


def test_each_deposit_lies_in_the_country_it_names(loaded):
    from geoprospect.io.countries import boundaries

    gdf, _ = loaded["deposits"]
    world = boundaries()
    located = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    assert len(located) >= 0.8 * len(gdf)
    for row in located.itertuples():
        outline = shapely.union_all(world.geometry[world["iso3"] == row.country].to_numpy())
        dist = shapely.distance(outline, row.geometry.representative_point())
        assert dist <= BORDER_TOLERANCE_DEG, (row.id, row.country, dist)


def test_projects_mostly_outside_the_five(loaded):
    gdf, _ = loaded["projects"]
    assert (~gdf["country"].isin(FIVE)).sum() >= 60
    assert gdf["country"].notna().all()


def test_facilities(facilities):
    assert len(facilities) >= 35
    assert facilities["id"].is_unique
    assert (facilities["source"].fillna("").str.strip() != "").all()


def test_ports_have_locodes_matching_country(tmp_path):
    import geopandas as gpd

    from geoprospect.io.countries import to_iso3

    ports = gpd.read_file(bundled.layer_path("ports.geojson"))
    assert ports["locode"].is_unique
    assert (ports["source"].fillna("").str.strip() != "").all()
    iso2 = ports["locode"].str[:2].map(to_iso3)
    assert (iso2 == ports["country"]).all(), ports.loc[iso2 != ports["country"], "locode"].tolist()


@pytest.mark.parametrize("table", TABLES)
def test_reference_tables_carry_sources(table):
    frame = pd.read_csv(bundled.layer_path(table), dtype=str, keep_default_na=False)
    assert len(frame) > 0 and "source" in frame.columns
    assert (frame["source"].str.strip() != "").all()


def test_catalog_matches_folder():
    cat = bundled.catalog()
    assert list(cat.columns[:6]) == ["file", "title", "kind", "data_date", "licence", "sources"]
    files = {p.name for p in bundled.layers_dir().iterdir() if p.is_file() and p.name != "catalog.csv"
             and p.suffix in (".geojson", ".csv")}
    assert set(cat["file"]) == files
    assert (cat["licence"].str.strip() != "").all() and (cat["sources"].str.strip() != "").all()
    assert bundled.data_date() == max(d for d in cat["data_date"] if d)
    for geojson in cat.loc[cat["file"].str.endswith(".geojson"), "file"]:  # counted by another reader
        features = json.loads(bundled.layer_path(geojson).read_text(encoding="utf-8"))["features"]
        assert bundled.row_count(geojson) == len(features) > 0, geojson
    assert bundled.row_count("prices.csv") == len(pd.read_csv(bundled.layer_path("prices.csv")))


def test_layer_path_missing_raises():
    with pytest.raises(FileNotFoundError, match=r"nope\.geojson"):
        bundled.layer_path("nope.geojson")


def test_bundled_dir_preferred_when_present(tmp_path, monkeypatch):
    pkg = tmp_path / "site-packages" / "geoprospect"
    (pkg / "_bundled" / "layers").mkdir(parents=True)
    (pkg / "_bundled" / "models").mkdir()
    shutil.copy(REPO / "layers" / "catalog.csv", pkg / "_bundled" / "layers" / "catalog.csv")
    monkeypatch.setattr(bundled, "_PACKAGE_DIR", pkg)
    assert bundled.layers_dir() == pkg / "_bundled" / "layers"
    assert bundled.models_dir() == pkg / "_bundled" / "models"
    assert len(bundled.catalog()) > 0
    # a source checkout: layers/ beside the package
    checkout = tmp_path / "checkout"
    (checkout / "geoprospect").mkdir(parents=True)
    (checkout / "layers").mkdir()
    monkeypatch.setattr(bundled, "_PACKAGE_DIR", checkout / "geoprospect")
    assert bundled.layers_dir() == checkout / "layers"
    with pytest.raises(FileNotFoundError, match="'models' not found"):
        bundled.models_dir()


@pytest.mark.slow
def test_wheel_contains_bundled_data(tmp_path):
    pytest.importorskip("hatchling", reason="the wheel is built offline with the venv's hatchling")
    out = tmp_path / "whl"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(out), str(REPO)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [wheel] = out.glob("geoprospect-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    required_files = ("geoprospect/_bundled/layers/deposits.geojson",
                      "geoprospect/_bundled/layers/catalog.csv",
                      "geoprospect/_bundled/layers/countries.geojson", "geoprospect/io/bundled.py",
                      "geoprospect/cli/__init__.py")
    for required in required_files:
        assert required in names, required
    assert any(n.startswith("geoprospect/_bundled/models/") for n in names)
    assert not any("/.venv/" in n or n.startswith("tests/") for n in names)
    assert np.all([not n.endswith(".pyc") for n in names])
