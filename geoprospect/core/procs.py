"""Is a process still there? (For files named after the process that owns them.)"""

from __future__ import annotations

import os
from pathlib import Path


def start_time(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux ``/proc``), which
    tells a live owner from a new process that reuses its number; None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: the fields after it follow its ')'
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def alive(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` exists (and, when ``started`` is known, is the same process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: not our spool's owner
        return started is None
    if started is not None:
        now = start_time(pid)
        return now is None or now == started
    return True
