"""`geoprospect rank` and `geoprospect train` through click's CliRunner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from _support import run

from geoprospect.io.bundled import layer_path


def test_rank_bundled_writes_json_records(tmp_path):
    out = tmp_path / "ranked.json"
    r = run("rank", "--draws", "10", "--top", "5", "-o", str(out))
    assert r.exit_code == 0, r.output
    payload = json.loads(out.read_text())
    assert payload["metadata"]["data_date"] and len(payload["metadata"]["model_sha256"]) == 64
    recs = payload["records"]
    n_layer = len(json.loads(layer_path("deposits.geojson").read_text())["features"])
    assert len(recs) == n_layer and recs[0]["rank"] == 1
    assert {"score", "grade_score", "drivers", "p_top10", "lon", "lat"} <= set(recs[0])
    assert "Ranked deposits" in r.output


def test_rank_refuses_to_overwrite_and_bad_weights(tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("keep")
    r = run("rank", "--draws", "0", "-o", str(out))
    assert r.exit_code == 2 and "--overwrite" in r.output and out.read_text() == "keep"
    r = run("rank", "--weights", "grade=abc")
    assert r.exit_code == 2 and "not a number" in r.output
    r = run("rank", "--country", "Atlantis")
    assert r.exit_code == 2 and "Atlantis" in r.output


def test_rank_user_layer_with_validation_error_exits_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,country,lat,lon,treo_pct\nA,Malawi,-15.3,35.1,250\n")
    r = run("rank", str(bad))
    assert r.exit_code == 2
    assert "bad.csv: row 1" in r.output and "treo_pct" in r.output
    assert "Traceback" not in r.output


def test_rank_user_csv_with_aliases(tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text("Deposit Name,Country,TREO (%),Tonnage_Mt,Latitude,Longitude\n"
                 "North Hill,MW,2.1,12,-15.30,35.10\nSouth Sands,India,0.5,40,8.90,76.60\n")
    out = tmp_path / "mine.parquet"
    r = run("rank", str(f), "--draws", "5", "-o", str(out))
    assert r.exit_code == 0, r.output
    import geopandas as gpd

    got = gpd.read_parquet(out)
    assert set(got["country"]) == {"MWI", "IND"} and got["treo_pct"].tolist() != []


def test_train_on_user_labels_writes_model_card_metrics(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    treo = rng.lognormal(0, 0.8, n)
    df = pd.DataFrame({
        "id": [f"p{i}" for i in range(n)], "name": [f"P{i}" for i in range(n)],
        "country": rng.choice(["AUS", "CAN", "USA", "BRA", "ZAF"], n),
        "lat": rng.uniform(-30, -20, n), "lon": rng.uniform(120, 140, n),
        "treo_pct": treo, "resource_mt": rng.lognormal(3, 1, n),
        "advanced": np.where(treo + rng.normal(0, 0.5, n) > 1.2, "yes", "no"),
    })
    df["country"] = "AUS"
    f = tmp_path / "labelled.csv"
    df.to_csv(f, index=False)
    out = tmp_path / "mine.skops"
    r = run("train", str(f), "--label", "advanced", "--bootstrap", "50",
            "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.exists() and (tmp_path / "mine.md").exists()
    metrics = json.loads((tmp_path / "mine.metrics.json").read_text())
    assert metrics["n"] == n and "stratified_kfold" in metrics
    assert "loco" not in metrics  # one country: leave-one-country-out impossible, said so
    assert "AUC" in r.output
    r = run("rank", "--model", str(out), "--draws", "0", "--top", "3")
    assert r.exit_code == 0, r.output


def test_train_bad_label_values(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text("name,lat,lon,ok\nA,-20,130,maybe\n")
    r = run("train", str(f), "--label", "ok", "-o", str(tmp_path / "m.skops"))
    assert r.exit_code == 2 and "row 1" in r.output and "ok" in r.output
    r = run("train", str(f), "--label", "ok", "-o", str(tmp_path / "m.pkl"))
    assert r.exit_code == 2 and ".skops" in r.output


def _elevation_raster(path):
    import rasterio
    from rasterio.transform import from_origin

    data = np.arange(200 * 200, dtype="float32").reshape(200, 200)
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(30, -5, 0.1, 0.1), nodata=-1) as dst:
        dst.write(data, 1)


def test_rank_reports_raster_covariate_beside_score(tmp_path):
    tif = tmp_path / "elev.tif"
    _elevation_raster(tif)
    out = tmp_path / "r.csv"
    r = run("rank", "--country", "MWI", "--draws", "0", "--raster",
            f"elevation={tif}", "-o", str(out))
    assert r.exit_code == 0, r.output
    got = pd.read_csv(out)
    assert "elevation" in got.columns
    # Malawi lies inside the raster (lon 30..50, lat -25..-5): every located row has a value
    assert got.loc[got["lon"].notna(), "elevation"].notna().all()
