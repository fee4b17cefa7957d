"""``geoprospect score`` with PostGIS (tests/_postgis_server.py): 200,000 sites streamed into a
table, a real SIGINT mid-run that leaves the previous table as it was, tables and queries read in
chunks by the workers, and the dask engine into a table."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from _postgis_server import PASSWORD
from _support import read_any, run, sites

from geoprospect.io.read import read_layer
from geoprospect.io.write import write_table

pytestmark = pytest.mark.postgis
HANG_GUARD_S = 600
META = {"data_date": "2026-11-26", "model_sha256": "abc123"}


def copy_progress(pg) -> int | None:
    """Rows the server has taken so far in a COPY into this database (None: no COPY running)."""
    rows = pg.query("SELECT tuples_processed FROM pg_stat_progress_copy WHERE datname = %s "
                    "AND command = 'COPY FROM'", [pg.name])
    return int(rows[0][0]) if rows else None


def start(args: list, tmp_path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "geoprospect", "score", *map(str, args)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, cwd=tmp_path)


def wait_until(happened, what: str, proc: subprocess.Popen) -> None:
    give_up = time.monotonic() + HANG_GUARD_S
    while not happened():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {what}: {proc.communicate()}")
        if time.monotonic() > give_up:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"{what}: still not so after {HANG_GUARD_S} s (hang guard, not a timing test)")
        time.sleep(0.05)  # poll interval, not a synchronisation


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the run did not end within {HANG_GUARD_S} s (hang guard): {proc.communicate()}")
    assert PASSWORD not in out + err
    return proc.returncode, out, err


def test_200k_sites_are_streamed_into_a_table(pg, tmp_path):
    """Rows reach the server chunk by chunk while the run goes on, stay invisible until the end,
    and the table holds every row in input order with the values a file output gets."""
    n, chunk = 200_000, 50_000
    src = tmp_path / "sites.parquet"
    frame = sites(n, seed=11)
    frame.to_parquet(src, row_group_size=chunk)
    proc = start([src, "-o", pg.uri, "--table", "scored", "--chunk-size", chunk, "--workers", 2, "--json"],
                 tmp_path)
    seen: list[int] = []

    def mid_run() -> bool:
        rows = copy_progress(pg)
        if rows:
            seen.append(rows)
            assert pg.query("SELECT to_regclass('scored')") == [(None,)]  # nothing visible yet
        return bool(rows) and rows >= chunk

    wait_until(mid_run, "the server has taken the first chunk", proc)
    code, out, err = finish(proc)
    summary = json.loads(out)
    scored = summary["rows_scored"]
    assert code == (3 if scored < n else 0), err  # exit 3: done, rows with errors skipped
    assert summary["rows_read"] == n and scored > 0.99 * n  # a few random sites fall outside their country
    assert 0 < min(seen) < scored  # the server had rows while the run was still going
    assert pg.query("SELECT count(*), count(DISTINCT fid) FROM scored") == [(scored, scored)]
    ids = [r[0] for r in pg.query("SELECT id FROM scored ORDER BY fid")]
    kept = set(ids)
    assert ids == [i for i in frame["id"] if i in kept]  # input order
    assert pg.query("SELECT type, srid FROM geometry_columns WHERE f_table_name = 'scored'") == [
        ("POINT", 4326)]
    comment = json.loads(pg.query("SELECT obj_description('scored'::regclass)")[0][0])["geoprospect"]
    assert len(comment["model_sha256"]) == 64 and comment["data_date"]
    # the first rows equal a file output of the same sites (every row depends on itself only)
    head = tmp_path / "head.parquet"
    frame.iloc[:2000].to_parquet(head)
    assert run("score", head, "-o", tmp_path / "head_scored.parquet", "--workers", 1, "-q").exit_code == 0
    want = read_any(tmp_path / "head_scored.parquet")
    back = read_layer(f"{pg.uri}?sql=SELECT%20*%20FROM%20scored%20ORDER%20BY%20fid%20LIMIT%20{len(want)}")
    got = pd.DataFrame(back.drop(columns="geometry"))
    got["geometry"] = back.geometry.to_wkb()
    pd.testing.assert_frame_equal(got[want.columns].reset_index(drop=True), want, check_dtype=False)


def test_sigint_mid_run_leaves_the_previous_table_intact(pg, deposits_gdf, tmp_path):
    write_table(deposits_gdf, f"{pg.uri}?table=scored", metadata=META)
    before = pg.query("SELECT * FROM scored ORDER BY fid")
    src = tmp_path / "sites.parquet"
    sites(40_000, seed=3).to_parquet(src, row_group_size=2_000)
    proc = start([src, "-o", pg.uri, "--table", "scored", "--overwrite", "--chunk-size", 2_000,
                  "--workers", 2, "-q"], tmp_path)
    wait_until(lambda: bool(copy_progress(pg)), "scored rows are being copied", proc)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole process group
    code, _, err = finish(proc)
    assert code == 130 and "Interrupted" in err, err
    assert pg.query("SELECT * FROM scored ORDER BY fid") == before
    assert json.loads(pg.query("SELECT obj_description('scored'::regclass)")[0][0])["geoprospect"] == META
    assert pg.query("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'geoprospect_staging%'") == [(0,)]
    deadline = time.monotonic() + HANG_GUARD_S  # the server notices the closed connection
    while pg.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'geoprospect'") != [(0,)]:
        assert time.monotonic() < deadline, "the interrupted run's session is still open (hang guard)"
        time.sleep(0.05)


def test_tables_and_queries_are_read_in_chunks_like_files(pg, tmp_path):
    frame = sites(3_000, seed=8)
    write_table(frame, f"{pg.uri}?table=sites")
    frame.to_parquet(tmp_path / "sites.parquet")
    codes = []
    for source in ((tmp_path / "sites.parquet",), (pg.uri, "--table", "sites")):
        out = tmp_path / f"out{len(source)}.parquet"
        r = run("score", *source, "-o", out, "--chunk-size", 700, "--workers", 2, "-q")
        assert r.exit_code in (0, 3), r.output
        codes.append(r.exit_code)
    assert codes[0] == codes[1]  # the same rows skipped from the table as from the file
    want, got = read_any(tmp_path / "out1.parquet"), read_any(tmp_path / "out3.parquet")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    r = run("score", pg.uri, "--sql", "SELECT * FROM sites WHERE country = 'MWI'", "-o", tmp_path / "mwi.csv",
            "--json", "--workers", 1)
    summary = json.loads(r.stdout)
    assert r.exit_code == (3 if summary["rows_scored"] < summary["rows_read"] else 0)
    assert summary["rows_read"] == int((frame["country"] == "MWI").sum())
    assert summary["files"][0]["path"] == f"{pg.uri} (query)"


def test_rejected_rows_of_a_table_are_reported_like_a_file(pg, tmp_path):
    frame = sites(20, seed=4)
    frame.loc[5, "treo_pct"] = 250.0
    write_table(frame, f"{pg.uri}?table=sites")
    r = run("score", pg.uri, "--table", "sites", "-o", pg.uri + "?table=out", "--workers", 1)
    assert r.exit_code == 3, r.output  # done, one row skipped
    assert "rejected: sites: row 6 (id=s5, name=Site 5): treo_pct: 250 is above the maximum 100" in r.stderr
    assert pg.query("SELECT count(*) FROM out") == [(19,)]
    r = run("score", pg.uri, "--table", "sites", "-o", f"{pg.uri}?table=out", "--append", "-q")
    assert r.exit_code == 3, r.output
    assert pg.query("SELECT count(*), count(DISTINCT fid), count(DISTINCT id) FROM out") == [(38, 38, 19)]


def test_dask_engine_into_a_table(pg, tmp_path):
    src = tmp_path / "sites.parquet"
    sites(12, seed=5).to_parquet(src)
    r = run("score", src, "-o", pg.uri, "--table", "dasked", "--engine", "dask", "--threads", "--workers", 1,
            "--chunk-size", 5, "-q", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["outputs"] == [f"{pg.uri} (table dasked)"]
    assert [i for (i,) in pg.query("SELECT id FROM dasked ORDER BY fid")] == [f"s{i}" for i in range(12)]
