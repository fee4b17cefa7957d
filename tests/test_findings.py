"""Vectorised validation: problems kept as arrays, messages built only for what is shown, every
failing row known without a cap or a second pass."""

from __future__ import annotations

import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _support import INSIDE, scratch_model

from geoprospect.io import findings as findings_module
from geoprospect.io.findings import Findings
from geoprospect.io.problems import MAX_MESSAGES_PER_RULE, Problem
from geoprospect.io.validate import check, normalise, validate


def _layer(n: int, bad_every: int = 0) -> gpd.GeoDataFrame:
    """``n`` valid deposits in Malawi; every ``bad_every``-th has a grade over 100 % and a
    negative tonnage (two rules, one row)."""
    lon, lat = INSIDE["MWI"]
    treo = np.full(n, 2.0)
    tonnage = np.full(n, 10.0)
    if bad_every:
        treo[::bad_every] = 150.0
        tonnage[::bad_every] = -1.0
    g = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(n)], "name": [f"Site {i}" for i in range(n)],
                          "country": "MWI", "treo_pct": treo, "resource_mt": tonnage},
                         geometry=shapely.points(np.full(n, lon), np.full(n, lat)), crs="EPSG:4326")
    g.index = pd.RangeIndex(1, n + 1, name="row")
    g.attrs["source"] = "big.csv"
    return g


@pytest.fixture
def built(monkeypatch):
    """Count the Problem objects the findings module builds."""
    count = {"n": 0}

    class Counting(Problem):
        def __init__(self, *args, **kwargs):
            count["n"] += 1
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(findings_module, "Problem", Counting)
    return count


def test_clean_rows_cost_no_python_object(built):
    out, found = check(normalise(_layer(20_000)))
    assert len(out) == 20_000 and found.count() == 0 and found.error_rows().size == 0
    assert built["n"] == 0


def test_every_bad_row_is_known_and_messages_are_built_only_when_shown(built):
    n, every = 30_000, 6
    _, found = check(normalise(_layer(n, every)))
    bad = np.arange(1, n + 1, every)
    np.testing.assert_array_equal(found.error_rows(), bad)  # all 5,000 of them: no cap
    assert built["n"] == 0
    counts = found.counts()["errors"]
    assert counts == {"treo_pct: above the maximum": bad.size, "resource_mt: below the minimum": bad.size}
    first = found.first(3)
    assert built["n"] == 3
    assert [(p.row, p.field) for p in first] == [(1, "resource_mt"), (1, "treo_pct"), (7, "resource_mt")]
    assert str(first[1]) == ("big.csv: row 1 (id=s0, name=Site 0): treo_pct: 150 is above the maximum "
                             "100 % TREO in ore")


def test_validate_keeps_its_capped_report():
    _, problems = validate(normalise(_layer(1_300, 2)))
    treo = [p for p in problems if p.field == "treo_pct"]
    assert len(treo) == MAX_MESSAGES_PER_RULE + 1
    assert treo[-1].row is None and treo[-1].message == "... and 450 more rows like this"
    assert [p.severity for p in problems] == sorted(p.severity for p in problems)


def test_score_chunk_rejects_every_bad_row_in_one_pass(monkeypatch, tmp_path):
    from geoprospect.batch import pipeline as batch_pipeline
    from geoprospect.batch.chunks import iter_chunks

    calls = {"n": 0}
    real = batch_pipeline.check

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_pipeline, "check", counting)
    g = _layer(1_200, 2)
    src = tmp_path / "big.parquet"
    g.reset_index(drop=True).to_parquet(src)
    ctx = batch_pipeline.context(batch_pipeline.Settings(model_path=str(scratch_model()), value_draws=2))
    [chunk] = list(iter_chunks(src, 5_000))
    res = batch_pipeline.score_chunk(chunk, ctx)
    assert calls["n"] == 1
    assert (res.rows_read, res.rows_rejected) == (1_200, 600)
    np.testing.assert_array_equal(res.rows, np.arange(2, 1_201, 2))


def test_findings_pickle_shift_select_and_compare():
    f = Findings("a.csv")
    f.add("range.max", "treo_pct", [3, 9], value=np.array([150.0, 120.0]), limit=100.0, unit="%")
    f.add("id.duplicate", "id", [5], value=np.array(["x"], dtype=object), first=np.array([1]))
    f.note(Problem("a.csv", None, "name", "no name column; names made from ids", "warning"))
    back = pickle.loads(pickle.dumps(f))
    assert back == f and len(back) == 4
    assert back.shifted(10).error_rows().tolist() == [13, 15, 19]
    assert f.within(4, 9, whole_file=False).error_rows().tolist() == [5, 9]
    f.demote("id.duplicate")
    assert f.error_rows().tolist() == [3, 9] and f.count("warning") == 2
    assert [p.message for p in f.problems(limit=1, severity="error")] == [
        "150 is above the maximum 100 %", "... and 1 more rows like this"]
