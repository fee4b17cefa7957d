"""geoprospect score, local engine with worker processes: the serial run's output, problem
report, errors and exit codes; Ctrl-C and a dying worker leave nothing behind."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _support import run, scratch_model, sites

import geoprospect.batch.engine_local as engine
import geoprospect.batch.parallel as parallel
from geoprospect import errors
from geoprospect.batch import Settings, plan, run_local
from geoprospect.batch.transfer import PackedChunk
from geoprospect.io.problems import Problem

pytestmark = pytest.mark.skipif(parallel.fork_context() is None, reason="needs the fork start method")


@pytest.fixture(scope="module")
def model_path(request):
    return str(scratch_model(request.config))


@pytest.fixture
def inputs(tmp_path):
    """A Parquet file cut in row groups of 5 (workers read row ranges) and a CSV (the parent
    reads it), both with rejected rows; 18 + 12 rows."""
    g = sites(18, seed=21)
    g.loc[g.index[[3, 11, 12]], "treo_pct"] = 150.0
    parquet = tmp_path / "a.parquet"
    g.to_parquet(parquet, row_group_size=5)
    g = sites(12, seed=22)
    frame = pd.DataFrame(g.drop(columns="geometry"))
    frame["lat"], frame["lon"] = g.geometry.y.round(5), g.geometry.x.round(5)
    frame = frame.astype(str)
    frame.loc[6, "resource_mt"] = "lots"
    frame.loc[9, "lat"] = "120.5"
    csv = tmp_path / "b.csv"
    frame.to_csv(csv, index=False)
    return parquet, csv


@pytest.fixture(autouse=True)
def spool(tmp_path_factory, monkeypatch):
    """The workers' spool folders go here (checked empty by :func:`no_leftovers`)."""
    folder = tmp_path_factory.mktemp("spool")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


HANG_GUARD_S = 300
"""How long :func:`wait_for` waits before failing: only a guard against a hang, never a speed
requirement (the events it waits for take well under a second)."""


def wait_for(happened, what: str, proc: subprocess.Popen | None = None) -> None:
    """Poll ``happened()`` until it is true; fail if ``proc`` exits first, or after
    :data:`HANG_GUARD_S` seconds (so that a hung run fails the test instead of blocking it)."""
    give_up = time.monotonic() + HANG_GUARD_S
    while not happened():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: the process exited ({proc.returncode}) first: {proc.communicate()}")
        if time.monotonic() > give_up:
            pytest.fail(f"{what}: still not so after {HANG_GUARD_S} s; hang guard, not a timing test")
        time.sleep(0.02)  # poll interval, not a synchronisation


def no_leftovers(folder: Path, keep: set[str]):
    assert {p.name for p in folder.iterdir()} == keep
    assert multiprocessing.active_children() == []
    assert list(Path(tempfile.gettempdir()).iterdir()) == []  # no spool folder left


@pytest.mark.parametrize("extra", [[], ["--rank", "--uncertainty", "20"]])
def test_two_workers_write_the_serial_output_byte_for_byte(tmp_path, model_path, inputs, extra):
    outs, reports = [], []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.parquet"
        r = run("score", *inputs, "-o", out, "--model", model_path, "--chunk-size", 5, "--workers", workers,
                "--json", *extra)
        assert r.exit_code == 3, r.output  # done, with rejected rows
        summary = json.loads(r.stdout)
        assert summary.pop("workers") == workers
        for key in ("seconds", "rows_per_second", "outputs"):
            summary.pop(key)
        outs.append(out.read_bytes())
        reports.append((summary, r.stderr.splitlines()[:-1]))  # the last line has the run time
    assert outs[0] == outs[1]
    assert reports[0] == reports[1]
    summary, stderr = reports[1]
    assert (summary["rows_read"], summary["rows_rejected"]) == (30, 5)
    assert [(p["file"], p["row"]) for p in summary["problems"] if p["severity"] == "error"] == [
        ("a.parquet", 4), ("a.parquet", 12), ("a.parquet", 13), ("b.csv", 7), ("b.csv", 10)]
    assert len([line for line in stderr if line.startswith("rejected: ")]) == 5


def test_one_output_per_input_and_csv_output_under_workers(tmp_path, model_path, inputs):
    """Chunks of 4 cut a.parquet's row groups of 5 (the parent reads them); c.parquet is plain
    Parquet with coordinate columns."""
    g = sites(9, seed=23)
    plain = pd.DataFrame(g.drop(columns="geometry")).assign(lon=g.geometry.x, lat=g.geometry.y)
    plain.to_parquet(tmp_path / "c.parquet")
    dirs = []
    for workers in (1, 2):
        out_dir = tmp_path / f"out{workers}"
        out_dir.mkdir()
        r = run("score", *inputs, tmp_path / "c.parquet", "--out-dir", out_dir, "--format", "csv",
                "--model", model_path, "--chunk-size", 4, "--workers", workers, "-q")
        assert r.exit_code == 3, r.output  # a.parquet and b.csv have rows with errors
        dirs.append({p.name: p.read_bytes() for p in out_dir.iterdir()})
    assert dirs[0] == dirs[1] and sorted(dirs[0]) == ["a_scored.csv", "b_scored.csv", "c_scored.csv"]


def _failing_on(start: int, exc: BaseException, file: str = "a.parquet"):
    real = parallel.score_chunk

    def score(chunk, ctx, **kwargs):
        if chunk.start == start and chunk.file == file:
            raise exc
        return real(chunk, ctx, **kwargs)

    return score


@pytest.mark.parametrize("start", [1, 6])
def test_a_whole_file_error_in_a_worker_is_reported_as_in_a_serial_run(tmp_path, model_path, inputs,
                                                                        monkeypatch, start):
    """In the first chunk, the file is skipped (exit 2, the other file written); in the
    second, its first chunk was written already, so the run fails and writes nothing."""
    boom = errors.ValidationFailed("a.parquet: boom", [Problem("a.parquet", None, "x", "boom")])
    failing = _failing_on(start, boom)
    monkeypatch.setattr(parallel, "score_chunk", failing)
    monkeypatch.setattr(engine, "score_chunk", failing)
    results = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.parquet"
        r = run("score", *inputs, "-o", out, "--model", model_path, "--chunk-size", 5, "--workers", workers)
        results.append((r.exit_code, r.stderr.splitlines()[-1], out.read_bytes() if out.exists() else None))
    assert results[0] == results[1]
    code, line, written = results[1]
    assert code == 2 and "boom" in line
    assert (written is not None) == (start == 1)
    written_files = ["w1.parquet", "w1.qml", "w2.parquet", "w2.qml"]  # each with its QGIS style
    no_leftovers(tmp_path, {"a.parquet", "b.csv", *(written_files if start == 1 else [])})


def test_strict_under_workers_fails_on_the_first_rejected_row(tmp_path, model_path, inputs):
    outcomes = []
    for workers in (1, 2):
        r = run("score", *inputs, "-o", tmp_path / "o.parquet", "--model", model_path, "--chunk-size", 5,
                "--workers", workers, "--strict", "-q")
        outcomes.append((r.exit_code, r.stderr))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 2 and "a.parquet: row 4" in outcomes[0][1] and "--strict" in outcomes[0][1]
    no_leftovers(tmp_path, {"a.parquet", "b.csv"})


def test_a_reader_error_midway_is_reported_where_the_serial_run_reports_it(tmp_path, model_path):
    lines = ["name,lat,lon,treo_pct"] + [f"s{i},-13.9,33.7,1.5" for i in range(12)]
    lines[9] = 's8,"-13.9,33.7,1.5'  # an unterminated quote: the CSV reader fails on the 2nd chunk
    src = tmp_path / "broken.csv"
    src.write_text("\n".join(lines) + "\n")
    outcomes = []
    for workers in (1, 2):
        r = run("score", src, "-o", tmp_path / "o.parquet", "--model", model_path, "--chunk-size", 5,
                "--workers", workers)
        outcomes.append((r.exit_code, r.stderr))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 2 and "broken.csv" in outcomes[0][1]
    no_leftovers(tmp_path, {"broken.csv"})


def test_ctrl_c_in_the_parent_or_a_worker_leaves_nothing(tmp_path, model_path, inputs, monkeypatch):
    from geoprospect.batch.sinks import Sink

    real_write, calls = Sink.write, {"n": 0}

    def interrupted(self, table):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_write(self, table)

    for out in (tmp_path / "o.parquet", tmp_path / "o.csv", tmp_path / "o.gpkg"):
        calls["n"] = 0
        with monkeypatch.context() as m:
            m.setattr(Sink, "write", interrupted)
            r = run("score", *inputs, "-o", out, "--model", model_path, "--chunk-size", 5, "--workers", 2)
        assert r.exit_code == 130, r.output
        no_leftovers(tmp_path, {"a.parquet", "b.csv"})
    monkeypatch.setattr(parallel, "score_chunk", _failing_on(11, KeyboardInterrupt()))
    r = run("score", *inputs, "-o", tmp_path / "o.parquet", "--model", model_path, "--chunk-size", 5,
            "--workers", 2)
    assert r.exit_code == 130, r.output
    no_leftovers(tmp_path, {"a.parquet", "b.csv"})


def test_a_dying_worker_fails_the_run_with_one_line(tmp_path, model_path, inputs, monkeypatch):
    real = parallel.score_chunk

    def oom(chunk, ctx, **kwargs):
        if chunk.start == 11:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(chunk, ctx, **kwargs)

    monkeypatch.setattr(parallel, "score_chunk", oom)
    out = tmp_path / "o.parquet"
    with pytest.raises(errors.WorkerError, match=r"a\.parquet: a worker process died .*SIGKILL"):
        run_local(plan(list(inputs), out, None), Settings(model_path=model_path, chunk_size=5), workers=2)
    r = run("score", *inputs, "-o", out, "--model", model_path, "--chunk-size", 5, "--workers", 2, "-q")
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "worker process died while scoring (killed by SIGKILL, probably out of memory)" in r.stderr
    no_leftovers(tmp_path, {"a.parquet", "b.csv"})


def test_sigint_to_the_process_group_stops_a_parallel_run(tmp_path, model_path, spool):
    """The real Ctrl-C: every process of the group gets SIGINT; exit 130, nothing left, no hang."""
    src = tmp_path / "sites.parquet"
    sites(6000, seed=5).to_parquet(src, row_group_size=250)
    out = tmp_path / "o.parquet"
    cmd = [sys.executable, "-m", "geoprospect", "score", str(src), "-o", str(out), "--model", model_path,
           "--chunk-size", "250", "--workers", "2", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": str(spool)})
    wait_for(lambda: any(p.name.startswith(".o.") for p in tmp_path.iterdir()),
             "the first chunk is written to the partial output", proc)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"SIGINT did not stop the run within {HANG_GUARD_S} s (hang guard): {proc.communicate()}")
    assert proc.returncode == 130, stderr
    assert b"Interrupted" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.parquet"]
    assert list(spool.iterdir()) == []

    def group_gone() -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(group_gone, "every worker of the interrupted run has exited")  # none is left running


def test_packed_chunks_round_trip_exactly():
    import pyarrow as pa
    import shapely

    from geoprospect.batch.chunks import Chunk

    raw = pa.table({"id": [f"s{i}" for i in range(10)], "v": np.arange(10.0)}).slice(2, 6)
    for geoms in ([shapely.Point(1.5, -2.25), None, shapely.Point(3, 4), shapely.Point(0.1, 0.2),
                   None, shapely.Point(-180, 90)],
                  [shapely.Point(1, 2, 3), shapely.box(0, 0, 1, 1), None, shapely.Point(),
                   shapely.Point(5, 6), shapely.LineString([(0, 0), (1, 1)])]):
        chunk = Chunk(Path("x.gpkg"), 3, raw, np.array(geoms, dtype=object),
                      [Problem("x.gpkg", 4, "geometry", "no location")], True)
        packed = PackedChunk.of(chunk)
        assert len(pickle.dumps(packed)) < 4000  # the slice only, not the whole table
        back = pickle.loads(pickle.dumps(packed)).chunk(Settings())
        assert back.raw.equals(raw) and back.start == 3 and back.problems == chunk.problems
        assert back.coords_from_columns and back.path == chunk.path
        assert [g is None for g in back.geometry] == [g is None for g in geoms]
        present = np.array([g is not None for g in geoms])
        assert list(shapely.to_wkb(back.geometry[present])) == list(shapely.to_wkb(chunk.geometry[present]))


def test_errors_survive_pickling():
    """Errors raised in a worker reach the parent through pickle with their type and data."""
    for cls in (errors.GeoprospectError, errors.LayerError, errors.CRSError, errors.OutputError,
                errors.ModelError, errors.RouteError, errors.RasterError, errors.WorkerError):
        back = pickle.loads(pickle.dumps(cls("x.csv: something is wrong")))
        assert type(back) is cls and str(back) == "x.csv: something is wrong"
    problems = [Problem("x.csv", None, "name", "required column missing")]
    back = pickle.loads(pickle.dumps(errors.ValidationFailed("x.csv: name missing", problems)))
    assert type(back) is errors.ValidationFailed and str(back) == "x.csv: name missing"
    assert back.problems == problems
    assert pickle.loads(pickle.dumps(errors.ValidationFailed("m"))).problems == []


def test_how_many_workers(tmp_path, monkeypatch):
    one = tmp_path / "one.parquet"
    sites(8).to_parquet(one)
    many = tmp_path / "many.parquet"
    sites(30).to_parquet(many, row_group_size=10)
    csv = tmp_path / "s.csv"
    csv.write_text("name,lat,lon\n" + "".join(f"s{i},1,2\n" for i in range(25)))
    s = Settings(chunk_size=10)
    assert parallel.plan_workers(4, [one], s) == 1  # a single chunk: no fork
    assert parallel.plan_workers(4, [one, one], s) == 2
    assert parallel.plan_workers(8, [many], s) == 3
    assert parallel.plan_workers(2, [many], Settings(chunk_size=5)) == 2  # row groups > chunk: read here
    assert parallel.plan_workers(8, [csv], s) == 3  # lines counted
    assert parallel.plan_workers(8, [csv], Settings(chunk_size=100)) == 1
    assert parallel.plan_workers(1, [many], s) == 1
    assert 1 <= parallel.default_workers() <= parallel.MAX_DEFAULT_WORKERS
    monkeypatch.setattr(parallel, "fork_context", lambda: None)
    assert parallel.plan_workers(4, [many], s) == 1

