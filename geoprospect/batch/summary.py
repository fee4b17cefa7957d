"""Counts, rejected rows and their reasons, and timings of a batch run (``--json`` output).

A rejected row is reported with its file, row and reason. Every problem counts toward the
totals by reason; the first :data:`MAX_LISTED` are kept in full for the report (the rest are
counted, so memory stays bounded on runs with millions of bad rows).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field

MAX_LISTED = 1000
"""Problems kept in full in the summary; the rest are counted only."""

_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|\(-?[\d.]+, -?[\d.]+\)|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def reason(problem) -> str:
    """``field: message`` with the row's values blanked, so that equal rules group together."""
    return f"{problem.field}: {_VALUE.sub('…', problem.message)}"


def count(problems: list) -> dict:
    """Counts by reason of every problem (row-level ones; whole-file ones are counted once)."""
    errors, warnings = Counter(), Counter()
    for p in problems:
        if p.row is not None:
            (errors if p.severity == "error" else warnings)[reason(p)] += 1
    return {"errors": errors, "warnings": warnings, "total": sum(errors.values()) + sum(warnings.values())}


@dataclass
class FileStats:
    """Per input file."""

    path: str
    rows_read: int = 0
    rows_scored: int = 0
    error: str | None = None

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_scored


@dataclass
class Summary:
    """Everything the run reports; :meth:`to_dict` is the ``--json`` document."""

    engine: str = "local"
    workers: int = 1
    files: dict = field(default_factory=dict)
    rejected_by_reason: Counter = field(default_factory=Counter)
    warnings_by_reason: Counter = field(default_factory=Counter)
    problems: list = field(default_factory=list)
    problems_total: int = 0
    outputs: list = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    seconds: float | None = None
    _seen_file_level: set = field(default_factory=set)

    def file(self, path) -> FileStats:
        key = str(path)
        if key not in self.files:
            self.files[key] = FileStats(key)
        return self.files[key]

    def add(self, path, rows_read: int, rows_scored: int, problems: list,
            counted: dict | None = None) -> list:
        """Count one chunk; return the problems that are new (whole-file ones only once).

        ``counted`` (from :func:`count`) carries counts made where the problems arose when
        ``problems`` is only the first part of them (dask workers send at most MAX_LISTED).
        """
        stats = self.file(path)
        stats.rows_read += rows_read
        stats.rows_scored += rows_scored
        fresh = []
        for p in problems:
            if p.row is None:
                key = (p.file, p.field, p.message, p.severity)
                if key in self._seen_file_level:
                    continue
                self._seen_file_level.add(key)
            fresh.append(p)
            if counted is None:
                bucket = self.rejected_by_reason if p.severity == "error" else self.warnings_by_reason
                bucket[reason(p)] += 1
                self.problems_total += 1
            if len(self.problems) < MAX_LISTED:
                self.problems.append(p)
        if counted is not None:
            self.rejected_by_reason.update(counted["errors"])
            self.warnings_by_reason.update(counted["warnings"])
            self.problems_total += counted["total"]
        return fresh

    def fail(self, path, message: str) -> None:
        """A whole file could not be scored."""
        self.file(path).error = message

    def finish(self) -> Summary:
        self.seconds = time.perf_counter() - self.started
        return self

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files.values())

    @property
    def rows_scored(self) -> int:
        return sum(f.rows_scored for f in self.files.values())

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_scored

    @property
    def failed_files(self) -> list[FileStats]:
        return [f for f in self.files.values() if f.error]

    def to_dict(self) -> dict:
        """The ``--json`` summary."""
        seconds = self.seconds if self.seconds is not None else time.perf_counter() - self.started
        return {
            "engine": self.engine,
            "workers": self.workers,
            "rows_read": self.rows_read,
            "rows_scored": self.rows_scored,
            "rows_rejected": self.rows_rejected,
            "rejected_by_reason": dict(self.rejected_by_reason.most_common()),
            "warnings_by_reason": dict(self.warnings_by_reason.most_common()),
            "files": [
                {"path": f.path, "rows_read": f.rows_read, "rows_scored": f.rows_scored,
                 "rows_rejected": f.rows_rejected, "error": f.error}
                for f in self.files.values()
            ],
            "problems": [p.to_dict() for p in self.problems],
            "problems_total": self.problems_total,
            "problems_listed": len(self.problems),
            "outputs": [str(o) for o in self.outputs],
            "seconds": round(seconds, 3),
            "rows_per_second": round(self.rows_read / seconds, 1) if seconds > 0 else None,
        }
