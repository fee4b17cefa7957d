"""Counts, rejected rows and their reasons, and timings of a batch run (``--json`` output).

A :class:`~geoprospect.io.report.RowReport` (the bad-row policy every command shares) plus the
engine, the workers, the outputs and the time. Every rejected row is kept (as arrays, messages
built when shown) and listed in ``--json``; warnings are counted by rule and the first
:data:`MAX_LISTED` listed, so memory stays bounded on runs with millions of warnings.
"""

from __future__ import annotations

import time

from geoprospect.io.report import MAX_LISTED, FileStats, RowReport

__all__ = ["MAX_LISTED", "FileStats", "Summary"]


class Summary(RowReport):
    """Everything the run reports; :meth:`to_dict` is the ``--json`` document."""

    def __init__(self, engine: str = "local", workers: int = 1) -> None:
        super().__init__()
        self.engine = engine
        self.workers = workers
        self.outputs: list = []
        self.started = time.perf_counter()
        self.seconds: float | None = None

    def finish(self) -> Summary:
        self.seconds = time.perf_counter() - self.started
        return self

    @property
    def rows_scored(self) -> int:
        return self.rows_used

    @property
    def rows_rejected(self) -> int:
        return self.rows_skipped

    @property
    def rejected_by_reason(self):
        return self.errors_by_rule

    @property
    def warnings_by_reason(self):
        return self.warnings_by_rule

    def to_dict(self) -> dict:
        """The ``--json`` summary."""
        base = super().to_dict()
        seconds = self.seconds if self.seconds is not None else time.perf_counter() - self.started
        return {
            "engine": self.engine,
            "workers": self.workers,
            "rows_read": base["rows_read"],
            "rows_scored": base["rows_used"],
            "rows_rejected": base["rows_skipped"],
            "rejected_by_reason": base["skipped_by_rule"],
            "warnings_by_reason": base["warnings_by_rule"],
            "files": [{"path": f["path"], "rows_read": f["rows_read"], "rows_scored": f["rows_used"],
                       "rows_rejected": f["rows_skipped"], "error": f["error"]} for f in base["files"]],
            "problems": base["problems"],
            "problems_total": base["problems_total"],
            "problems_listed": base["problems_listed"],
            "outputs": [str(o) for o in self.outputs],
            "seconds": round(seconds, 3),
            "rows_per_second": round(self.rows_read / seconds, 1) if seconds > 0 else None,
        }
