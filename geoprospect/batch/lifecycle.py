"""A killed run leaves nothing running and nothing behind.

``kill -9`` of a batch parent (what an out-of-memory killer or a job scheduler does) gives it
no chance to clean up, so:

* each forked worker asks the kernel to kill it when its parent dies (Linux
  ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, set through ctypes as the worker starts), and runs a
  watchdog thread that exits the worker when its parent changes (other platforms, and the
  moment between fork and ``prctl``);
* spool folders are named after the process that owns them and record its start time;
  :func:`remove_stale_spools` (run as a pool starts) deletes those whose owner is gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from geoprospect.core.procs import alive, start_time

log = logging.getLogger(__name__)

SPOOL_PREFIX = "geoprospect-spool-"
OWNER_FILE = "owner"
PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 1.0
"""How often a worker's watchdog checks that its parent is alive."""


def die_with_parent(parent_pid: int) -> None:
    """In a forked worker: exit when the parent process dies, however it dies.

    Sets the Linux parent-death signal (SIGKILL) and starts a daemon watchdog thread that
    exits the process as soon as its parent is no longer ``parent_pid`` (re-parented to init or
    a subreaper). Either alone would do on Linux; the watchdog also covers other platforms.
    """
    _set_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the death signal was set
        os._exit(1)
    thread = threading.Thread(target=_watch, args=(parent_pid,), name="parent-watchdog", daemon=True)
    thread.start()


def _set_death_signal() -> bool:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)`` on Linux; False where it is not available."""
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def make_spool(parent: str | None = None) -> str:
    """A new spool folder named after this process, recording its start time."""
    pid = os.getpid()
    path = tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{pid}-", dir=parent)
    with contextlib.suppress(OSError):
        Path(path, OWNER_FILE).write_text(f"{pid} {start_time(pid) or ''}\n")
    return path


def remove_stale_spools(parent: str | None = None) -> list[str]:
    """Delete the spool folders (in ``parent``, default the temporary folder) whose owner
    process is gone; returns the paths removed."""
    root = Path(parent or tempfile.gettempdir())
    removed = []
    for path in root.glob(f"{SPOOL_PREFIX}*"):
        owner = _owner(path)
        if owner is None or owner[0] == os.getpid() or alive(*owner):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(str(path))
            log.info("removed %s, left by process %d", path, owner[0])
    return removed


def _owner(path: Path) -> tuple[int, str | None] | None:
    """(pid, start time) of a spool folder's owner, from its owner file or its name."""
    try:
        pid_text, _, started = Path(path, OWNER_FILE).read_text().strip().partition(" ")
        return int(pid_text), started or None
    except (OSError, ValueError):
        pass
    head = path.name[len(SPOOL_PREFIX):].split("-", 1)[0]
    return (int(head), None) if head.isdigit() else None
