"""The dask engine gives the local engine's rows, row for row (two-worker LocalCluster)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from _support import read_any, run, scratch_model, sites

pytest.importorskip("distributed")

from geoprospect.batch import Settings, plan, run_dask, run_local
from geoprospect.errors import LayerError


@pytest.fixture(scope="module")
def model_path(request):
    return str(scratch_model(request.config))


def test_dask_and_local_engines_agree_row_for_row(tmp_path, model_path):
    inputs = []
    for i, n in enumerate((230, 95)):
        g = sites(n, seed=10 + i)
        g.loc[g.index[::40], "treo_pct"] = 150.0  # some rejected rows in both engines
        path = tmp_path / f"part{i}.parquet"
        g.to_parquet(path, row_group_size=60)
        inputs.append(path)
    settings = Settings(model_path=model_path, chunk_size=50)
    local = run_local(plan(inputs, tmp_path / "local.parquet", None), settings)
    # thread workers keep the test quick; benchmarks/bench_batch.py runs process workers at scale
    dask = run_dask(inputs, tmp_path / "dask.parquet", settings, workers=2, processes=False)
    assert (dask.rows_read, dask.rows_scored) == (local.rows_read, local.rows_scored) == (325, 325 - 9)
    assert sorted((p.file, p.row) for p in dask.problems if p.severity == "error") == \
        sorted((p.file, p.row) for p in local.problems if p.severity == "error")
    assert dask.rejected_by_reason == local.rejected_by_reason and sum(dask.rejected_by_reason.values()) == 9
    parts = sorted((tmp_path / "dask.parquet").glob("part-*.parquet"))
    assert len(parts) >= 7  # partitioned: one part per ~50 rows
    pd.testing.assert_frame_equal(read_any(tmp_path / "dask.parquet"), read_any(tmp_path / "local.parquet"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_dask_engine_cli_and_its_limits(tmp_path, model_path):
    src = tmp_path / "sites.parquet"
    sites(12, seed=3).to_parquet(src)
    out = tmp_path / "scored.parquet"
    r = run("score", str(src), "-o", str(out), "--model", model_path, "--engine",
            "dask", "--workers", "2", "--threads", "--chunk-size", "5", "--json",
            "-q")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["engine"] == "dask" and len(read_any(out)) == 12
    r = run("score", str(src), "-o", str(out), "--engine", "dask", "--rank")
    assert r.exit_code == 2 and "--engine local" in r.stderr
    csv = tmp_path / "x.csv"
    csv.write_text("name,lat,lon\na,1,2\n")
    with pytest.raises(LayerError, match="Parquet inputs only"):
        run_dask([csv], tmp_path / "o.parquet", Settings(model_path=model_path))


def test_task_arguments_and_results_survive_pickling(tmp_path, model_path):
    """Process workers and remote clusters pickle what a task takes and returns."""
    import pickle

    from geoprospect.batch.chunks import ReadOptions
    from geoprospect.batch.engine_dask import partitions, score_partition

    src = tmp_path / "s.parquet"
    g = sites(9, seed=2)
    g.loc[g.index[0], "treo_pct"] = 150.0
    g.to_parquet(src, row_group_size=4)
    settings = Settings(model_path=model_path, chunk_size=4, read=ReadOptions(crs="EPSG:4326"))
    tasks = partitions(src, 0, 4)
    assert [(t["first"], t["last"]) for t in tasks] == [(1, 4), (5, 8), (9, 9)]
    settings, tasks = pickle.loads(pickle.dumps((settings, tasks)))
    from geoprospect.batch.chunks import raw_fields

    fields = raw_fields(src)[0]
    stats = score_partition(tasks[0], settings, fields, str(tmp_path), False)
    stats = pickle.loads(pickle.dumps(stats))
    assert (stats["rows_read"], stats["rows_scored"], stats["findings"].first(1)[0].row) == (4, 3, 1)
    assert (tmp_path / "part-00000-000000000001.parquet").exists()
