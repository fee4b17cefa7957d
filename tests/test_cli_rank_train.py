"""`geoprospect rank` and `geoprospect train` through click's CliRunner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
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


def test_train_writes_a_loadable_model_with_its_card_and_metrics(tmp_path):
    from geoprospect.model.value_fit import load_valuation

    out = tmp_path / "v.skops"
    r = run("train", "-o", out, "--seed", 1)
    assert r.exit_code == 0, r.output + r.stderr
    params = load_valuation(out)
    assert {"imputer", "production", "costs"} <= set(params)
    card = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "baseline" in card
    metrics = json.loads(out.with_suffix(".metrics.json").read_text())
    assert metrics["cards"]["costs"] and metrics["validation"]["n"] > 0
    assert run("train", "-o", out).exit_code == 2  # exists without --overwrite
    assert run("train", "-o", tmp_path / "v.pkl").exit_code == 2


@pytest.mark.parametrize(("args", "hint"), [
    (("--price-scenario", "nope"), "--price-scenario"),
    (("--ndpr-price", "-5"), "--ndpr-price"),
    (("--discount-rate", "-1"), "--discount-rate"),
    (("--draws", "-3"), "--draws"),
])
def test_rank_bad_valuation_options_exit_2(args, hint):
    r = run("rank", *args)
    assert r.exit_code == 2, r.output + r.stderr
    assert hint in r.stderr + r.output and "Traceback" not in r.stderr + r.output


def test_rank_price_scenario_and_ndpr_price_move_the_value(tmp_path):
    low, high = tmp_path / "low.json", tmp_path / "high.json"
    assert run("rank", "--draws", 0, "-o", low).exit_code == 0
    assert run("rank", "--draws", 0, "--price-scenario", "dod-floor-2025", "-o", high).exit_code == 0
    a = pd.DataFrame(json.loads(low.read_text())["records"]).set_index("id")
    b = pd.DataFrame(json.loads(high.read_text())["records"]).set_index("id")
    # a higher NdPr price (USD 110 floor vs USD 51 market) never lowers a deposit's value
    assert (b.loc[a.index, "npv_musd"] >= a["npv_musd"] - 1e-6).all()
    assert (b.loc[a.index, "npv_musd"] > a["npv_musd"]).any()


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


def test_rank_with_nothing_left_is_a_one_line_error():
    r = run("rank", "--country", "NPL", "--draws", "0")
    assert r.exit_code == 2
    assert "no deposits left to rank" in r.output and "Traceback" not in r.output
