"""A killed run leaves nothing running and nothing behind: a real SIGKILL of a `geoprospect score`
parent mid-run; its forked workers must exit, and the next run removes the spool folder and the
half-written output it left. The waits below are hang guards, not timing assertions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _support import sites

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork + /proc: Linux")

HANG_GUARD_S = 120


def _wait(condition, what: str) -> None:
    give_up = time.monotonic() + HANG_GUARD_S
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"{what}: still not so after {HANG_GUARD_S} s (hang guard, not a timing test)")
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; it only waits to be reaped


def test_sigkill_of_the_parent_leaves_no_worker_and_the_next_run_cleans_up(tmp_path):
    src = tmp_path / "sites.parquet"
    sites(24_000, seed=4).to_parquet(src, row_group_size=1000)
    spool_root = tmp_path / "tmp"
    spool_root.mkdir()
    out = tmp_path / "out.parquet"
    env = {**os.environ, "TMPDIR": str(spool_root), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "geoprospect", "score", str(src), "-o", str(out), "--chunk-size", "1000",
           "--workers", "2", "-q"]
    parent = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    workers: list[int] = []
    try:
        # mid-run: the workers are forked, the spool folder exists and results are being written
        _wait(lambda: len(_children(parent.pid)) >= 2 and any(spool_root.glob("geoprospect-spool-*"))
              and any(tmp_path.glob(".out.*.tmp.parquet")), "score has workers and output in flight")
        workers = _children(parent.pid)
        assert parent.poll() is None, "the run finished before it could be killed; use more rows"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        _wait(lambda: not any(_alive(w) for w in workers), "every worker has exited")
    finally:  # never leave processes behind, even when the test fails
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
    assert parent.returncode == -signal.SIGKILL
    left = list(spool_root.glob("geoprospect-spool-*"))
    assert left and left[0].name.startswith(f"geoprospect-spool-{parent.pid}-")  # what kill -9 leaves
    assert list(tmp_path.glob(".out.*.tmp.parquet"))
    assert not out.exists()

    small = tmp_path / "small.csv"
    small.write_text("id,name,lat,lon\na,Alpha,-13.96,33.78\n")
    r = subprocess.run([sys.executable, "-m", "geoprospect", "score", str(small), "-o", str(out), "-q"],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert list(spool_root.glob("geoprospect-spool-*")) == []
    assert list(tmp_path.glob(".out.*.tmp.parquet")) == [] and out.exists()


def test_a_spool_folder_of_a_live_process_is_kept(tmp_path):
    from geoprospect.batch import lifecycle

    mine = lifecycle.make_spool(str(tmp_path))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = tmp_path / f"geoprospect-spool-{sleeper.pid}-abc"
        theirs.mkdir()
        gone = tmp_path / "geoprospect-spool-999999999-abc"  # no such process
        gone.mkdir()
        reused = tmp_path / "geoprospect-spool-1-xyz"  # its owner's number now names another process
        reused.mkdir()
        (reused / lifecycle.OWNER_FILE).write_text(f"{sleeper.pid} 1\n")
        assert sorted(lifecycle.remove_stale_spools(str(tmp_path))) == sorted([str(gone), str(reused)])
        assert Path(mine).exists() and theirs.exists() and not gone.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert lifecycle.remove_stale_spools(str(tmp_path)) == [str(theirs)]
