"""geoprospect score / geoprospect.batch, local engine: chunking, bad rows, outputs, Ctrl-C."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _support import read_any, run, scratch_model, sites

from geoprospect.batch import Settings, WholeSet, plan, run_local

PER_ROW = ("score", "npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "ndpr_oxide_tpa", "capex_musd",
           "value_grade_musd", "value_logistics_musd", "value_risk_musd", "valuation_tier",
           "grade_score", "logistics_score", "risk_score", "drivers", "mcda_score", "flags",
           "port_km", "export_port", "cost_to_plant_usd_t")


@pytest.fixture(scope="module")
def model_path(request):
    return str(scratch_model(request.config))


@pytest.fixture
def csv_with_bad_rows(tmp_path):
    """Twelve sites, three of them bad in different ways (rows 3, 7, 10)."""
    g = sites(12, seed=3)
    frame = pd.DataFrame(g.drop(columns="geometry"))
    frame["lat"] = g.geometry.y.round(5).astype(str)
    frame["lon"] = g.geometry.x.round(5).astype(str)
    frame = frame.astype(str).replace({"None": ""})
    frame.loc[2, "treo_pct"] = "150"  # row 3: above 100 %
    frame.loc[6, "resource_mt"] = "lots"  # row 7: not a number
    frame.loc[9, "lat"], frame.loc[9, "lon"] = "120.5", "10.1"  # row 10: lat out of range
    path = tmp_path / "pipeline.csv"
    frame.to_csv(path, index=False)
    return path


def test_chunked_and_unchunked_runs_agree(tmp_path, model_path):
    src = tmp_path / "sites.parquet"
    sites(60, seed=1).to_parquet(src)
    outs = []
    for size in (7, 100_000):
        out = tmp_path / f"out{size}.parquet"
        summary = run_local(plan([src], out, None), Settings(model_path=model_path, chunk_size=size))
        assert summary.rows_scored == 60
        outs.append(read_any(out))
    pd.testing.assert_frame_equal(outs[0], outs[1])
    assert list(outs[0]["id"]) == [f"s{i}" for i in range(60)]  # input order and ids kept


def test_output_keeps_every_input_column_and_adds_rank_columns(tmp_path, model_path):
    src = tmp_path / "sites.gpkg"
    g = sites(15, seed=2)
    g.to_file(src, driver="GPKG")
    out = tmp_path / "scored.parquet"
    run_local(plan([src], out, None), Settings(model_path=model_path, chunk_size=4))
    got = read_any(out)
    for col in [*g.columns, *PER_ROW]:
        assert col in got.columns, col
    assert got["owner_ref"].tolist() == g["owner_ref"].tolist()  # untouched, type too
    assert got["owner_ref"].dtype == g["owner_ref"].dtype
    assert got["score"].between(0, 100).all()
    for col in ("rank", "p_top10"):
        assert col not in got.columns


def test_bad_rows_are_reported_and_the_rest_scored(csv_with_bad_rows, tmp_path, model_path):
    out = tmp_path / "scored.csv"
    r = run("score", csv_with_bad_rows, "-o", out, "--model", model_path, "--json", "--chunk-size", 5)
    assert r.exit_code == 3, r.output  # done, with rejected rows
    summary = json.loads(r.stdout)
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_rejected"]) == (12, 9, 3)
    rejected = {p["row"]: p for p in summary["problems"] if p["severity"] == "error"}
    assert set(rejected) == {3, 7, 10}
    assert all(p["file"] == "pipeline.csv" for p in rejected.values())
    assert rejected[3]["field"] == "treo_pct" and "maximum" in rejected[3]["message"]
    assert rejected[7]["field"] == "resource_mt" and "not a number" in rejected[7]["message"]
    assert "pipeline.csv: row 3" in r.stderr and "rejected" in r.stderr
    assert sum(summary["rejected_by_reason"].values()) == 3
    got = read_any(out)
    assert got["id"].tolist() == [f"s{i}" for i in range(12) if i not in (2, 6, 9)]
    assert {"lat", "lon"} <= set(got.columns) and "wkt" not in got.columns  # CSV columns kept as is
    assert (got["score"] != "").all()


def test_strict_makes_a_bad_row_fatal_and_writes_nothing(csv_with_bad_rows, tmp_path, model_path):
    out = tmp_path / "scored.parquet"
    r = run("score", csv_with_bad_rows, "-o", out, "--model", model_path, "--strict")
    assert r.exit_code == 2
    assert "row 3" in r.stderr and "--strict" in r.stderr
    assert not out.exists() and list(tmp_path.glob(".scored*")) == []


def test_every_rejected_row_is_named_past_the_per_rule_message_cap(tmp_path, model_path):
    g = sites(520, seed=4)
    g.loc[g.index[:450], "treo_pct"] = 150.0
    src = tmp_path / "many_bad.parquet"
    g.to_parquet(src)
    out = tmp_path / "scored.parquet"
    summary = run_local(plan([src], out, None), Settings(model_path=model_path, chunk_size=10_000))
    assert summary.rows_rejected == 450 and summary.rows_scored == 70
    assert read_any(out)["id"].tolist() == [f"s{i}" for i in range(450, 520)]


def test_interrupted_run_leaves_no_output(tmp_path, model_path, monkeypatch):
    """Serial run (--workers 1); tests/test_batch_parallel.py interrupts parallel ones."""
    import geoprospect.batch.engine_local as engine

    src = tmp_path / "sites.parquet"
    sites(30, seed=5).to_parquet(src)
    real = engine.score_chunk
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "score_chunk", interrupted)
    for out in (tmp_path / "o.parquet", tmp_path / "o.csv", tmp_path / "o.gpkg"):
        calls["n"] = 0
        r = run("score", src, "-o", out, "--model", model_path, "--chunk-size", 5, "--workers", 1)
        assert r.exit_code == 130, r.output
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.parquet"]


def test_existing_output_is_refused_unless_overwrite(tmp_path, model_path):
    src = tmp_path / "sites.parquet"
    sites(5).to_parquet(src)
    out = tmp_path / "o.parquet"
    out.write_text("keep me")
    r = run("score", src, "-o", out, "--model", model_path)
    assert r.exit_code == 2 and "--overwrite" in r.stderr
    assert out.read_text() == "keep me"
    assert run("score", src, "-o", out, "--model", model_path, "--overwrite").exit_code == 0
    assert len(read_any(out)) == 5


def test_folder_and_glob_inputs_merged_and_per_input(tmp_path, model_path):
    folder = tmp_path / "in"
    folder.mkdir()
    sites(6, seed=6).to_parquet(folder / "a.parquet")
    g = sites(4, seed=7)
    frame = pd.DataFrame(g.drop(columns="geometry"))
    frame["lon"], frame["lat"] = g.geometry.x, g.geometry.y
    frame.to_csv(folder / "b.csv", index=False)
    merged = tmp_path / "all.parquet"
    r = run("score", folder, "-o", merged, "--model", model_path, "--json", "-q")
    assert r.exit_code == 0, r.output
    got = read_any(merged)
    assert len(got) == 10 and json.loads(r.stdout)["rows_scored"] == 10
    assert got["source_file"].str.endswith("a.parquet").sum() == 6
    assert got["source_row"].tolist() == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    r = run("score", str(folder / "*.*"), "--out-dir", out_dir, "--format", "csv", "--model", model_path)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out_dir.iterdir()) == ["a_scored.csv", "b_scored.csv"]
    assert len(read_any(out_dir / "b_scored.csv")) == 4


def test_unreadable_file_is_reported_and_others_still_scored(tmp_path, model_path):
    sites(3).to_parquet(tmp_path / "good.parquet")
    (tmp_path / "bad.csv").write_text("name,elevation\nx,1\n")  # no coordinates
    out = tmp_path / "o.parquet"
    r = run("score", tmp_path / "bad.csv", tmp_path / "good.parquet", "-o", out, "--model", model_path,
            "--json")
    assert r.exit_code == 2
    summary = json.loads(r.stdout)
    assert summary["rows_scored"] == 3
    assert "no coordinate columns" in summary["files"][0]["error"]
    assert len(read_any(out)) == 3


def test_rank_and_uncertainty_need_the_whole_set(tmp_path, model_path):
    src = tmp_path / "sites.parquet"
    sites(25, seed=8).to_parquet(src)
    out = tmp_path / "o.parquet"
    run_local(plan([src], out, None), Settings(model_path=model_path, chunk_size=6),
              whole=WholeSet(rank=True, draws=20, seed=1))
    got = read_any(out)
    expected = got["score"].rank(ascending=False, method="min").astype(int)
    assert got["rank"].tolist() == expected.tolist()
    assert got["p_top10"].between(0, 1).all() and abs(got["p_top10"].sum() - 10) < 1e-6
    assert (got["score_p10"] <= got["score_p90"]).all()


def test_whole_file_error_is_fatal_for_that_file(tmp_path, model_path):
    from geoprospect.batch.chunks import ReadOptions
    from geoprospect.errors import LayerError
    from geoprospect.io.mapping import ColumnMap

    src = tmp_path / "sites.parquet"
    sites(4).to_parquet(src)
    settings = Settings(model_path=model_path, read=ReadOptions(columns=ColumnMap((("name", "DEP_NAME"),))))
    with pytest.raises(LayerError, match="no column 'DEP_NAME'"):
        run_local(plan([src], tmp_path / "o.parquet", None), settings, strict=True)
    r = run("score", src, "-o", tmp_path / "o.parquet", "--model", model_path, "--columns", "name=DEP_NAME")
    assert r.exit_code == 2 and "DEP_NAME" in r.stderr
    assert not (tmp_path / "o.parquet").exists()


def test_geojson_output_written_at_the_end(tmp_path, model_path):
    src = tmp_path / "sites.parquet"
    sites(8, seed=9).to_parquet(src)
    out = tmp_path / "o.geojson"
    assert run("score", src, "-o", out, "--model", model_path, "--chunk-size", 3).exit_code == 0
    import geopandas as gpd

    got = gpd.read_file(out)
    assert len(got) == 8 and np.isfinite(got["score"]).all()


def test_rank_over_merged_inputs_with_different_column_types(tmp_path, model_path):
    sites(5, seed=11).to_parquet(tmp_path / "a.parquet")  # owner_ref: integers
    g = sites(3, seed=12)
    frame = pd.DataFrame(g.drop(columns="geometry"))
    frame["lon"], frame["lat"] = g.geometry.x, g.geometry.y
    frame.to_csv(tmp_path / "b.csv", index=False)  # owner_ref: text
    out = tmp_path / "o.parquet"
    r = run("score", tmp_path / "a.parquet", tmp_path / "b.csv", "-o", out, "--model", model_path, "--rank")
    assert r.exit_code == 0, r.output
    got = read_any(out)
    assert len(got) == 8
    # row by row: a site's rank is 1 + the number of sites (of both files) with a higher score
    score = got["score"].to_numpy()
    higher = (score[None, :] > score[:, None]).sum(axis=1)
    assert got["rank"].tolist() == (higher + 1).tolist()
    assert got["owner_ref"].tolist() == [str(v) for v in [*sites(5, seed=11)["owner_ref"], *g["owner_ref"]]]
