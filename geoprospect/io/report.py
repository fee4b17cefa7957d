"""What a command did with the rows of its inputs: read, used, skipped, and why.

One bad-row policy for every command that reads a layer: rows with errors are skipped and
counted per rule, the rest are used; with ``strict`` any error stops the command
(:func:`usable_rows`). :class:`RowReport` gathers the counts and the findings of every file
(or chunk): every error is kept (as arrays; a message is built when one is shown), warnings up
to :data:`MAX_LISTED`, and counts of everything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from geoprospect.core.messages import first_and_more
from geoprospect.errors import ValidationFailed
from geoprospect.io.findings import Findings
from geoprospect.io.problems import Problem

MAX_LISTED = 1000
"""Warnings kept in full in a report; the rest are counted only (every error is kept)."""


@dataclass
class FileStats:
    """Rows of one input file."""

    path: str
    rows_read: int = 0
    rows_used: int = 0
    error: str | None = None

    @property
    def rows_skipped(self) -> int:
        return self.rows_read - self.rows_used


class RowReport:
    """Rows read, used and skipped per file, problems counted per rule."""

    def __init__(self) -> None:
        self.files: dict[str, FileStats] = {}
        self.errors_by_rule: Counter = Counter()
        self.warnings_by_rule: Counter = Counter()
        self.problems_total = 0
        self.kept: list[Findings] = []
        self._warnings_kept = 0
        self._seen_file_level: set = set()

    def file(self, path) -> FileStats:
        """The stats of ``path`` (created on first use)."""
        key = str(path)
        if key not in self.files:
            self.files[key] = FileStats(key)
        return self.files[key]

    def add(self, path, rows_read: int, rows_used: int, findings: Findings | list,
            counted: dict | None = None) -> Findings:
        """Count one file or chunk; return its findings without whole-file problems already seen.

        ``counted`` (from :meth:`Findings.counts`) replaces the counting when ``findings`` is
        only part of what was found.
        """
        stats = self.file(path)
        stats.rows_read += rows_read
        stats.rows_used += rows_used
        if not isinstance(findings, Findings):
            loose, findings = findings, Findings(str(path))
            findings.extend(loose)
        fresh = Findings(findings.file)
        fresh.blocks = list(findings.blocks)
        for p in findings.loose:
            if p.row is None:
                key = (p.file, p.field, p.message, p.severity)
                if key in self._seen_file_level:
                    continue
                self._seen_file_level.add(key)
            fresh.loose.append(p)
        counts = counted or fresh.counts()
        self.errors_by_rule.update(counts["errors"])
        self.warnings_by_rule.update(counts["warnings"])
        self.problems_total += counts["total"] + sum(1 for p in fresh.loose if p.row is None)
        self._keep(fresh)
        return fresh

    def _keep(self, findings: Findings) -> None:
        kept = Findings(findings.file)
        for b in findings.blocks:
            if b.severity == "error":
                kept.blocks.append(b)
            elif self._warnings_kept < MAX_LISTED:
                part = b.take(slice(0, MAX_LISTED - self._warnings_kept))
                self._warnings_kept += len(part)
                kept.blocks.append(part)
        kept.loose = list(findings.loose)
        if kept:
            self.kept.append(kept)

    def fail(self, path, message: str) -> None:
        """A whole file could not be used."""
        self.file(path).error = message

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files.values())

    @property
    def rows_used(self) -> int:
        return sum(f.rows_used for f in self.files.values())

    @property
    def rows_skipped(self) -> int:
        return self.rows_read - self.rows_used

    @property
    def failed_files(self) -> list[FileStats]:
        return [f for f in self.files.values() if f.error]

    def first_errors(self, n: int) -> list[Problem]:
        """The first ``n`` errors, file by file in the order they came."""
        out: list[Problem] = []
        for f in self.kept:
            if len(out) >= n:
                break
            out.extend(f.first(n - len(out)))
        return out

    @property
    def problems(self) -> list[Problem]:
        """Every error and the kept warnings, as objects (built on each call)."""
        out: list[Problem] = []
        for f in self.kept:
            out.extend(f.problems(limit=None))
        return out

    def to_dict(self) -> dict:
        """The report as plain data: counts, per-file stats, every error (and kept warnings)."""
        problems = self.problems
        return {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_skipped": self.rows_skipped,
            "skipped_by_rule": dict(self.errors_by_rule.most_common()),
            "warnings_by_rule": dict(self.warnings_by_rule.most_common()),
            "files": [{"path": f.path, "rows_read": f.rows_read, "rows_used": f.rows_used,
                       "rows_skipped": f.rows_skipped, "error": f.error} for f in self.files.values()],
            "problems": [p.to_dict() for p in problems],
            "problems_total": self.problems_total,
            "problems_listed": len(problems),
        }


def strict_message(findings: Findings) -> str:
    """The first error and how many more there are (``strict`` stops at any)."""
    first = findings.first(1)[0]
    more = findings.count("error") - 1
    return f"{first}" + (f" (and {more} more errors)" if more > 0 else "")


def usable_rows(gdf, findings: Findings, *, strict: bool = False, report: RowReport | None = None,
                path=None):
    """Apply the bad-row policy to a checked layer: the rows without errors.

    Parameters
    ----------
    gdf : GeoDataFrame
        From :func:`geoprospect.io.validate.check`.
    findings : Findings
        Its findings.
    strict : bool
        Any error raises instead of skipping the row.
    report : RowReport, optional
        Counts and findings are added to it (under ``path``).

    Raises
    ------
    ValidationFailed
        A whole-file error (the layer cannot be used), or any error with ``strict``.
    """
    fatal = findings.fatal()
    if fatal:
        raise ValidationFailed(first_and_more(fatal), fatal)
    bad = findings.error_rows()
    if strict and bad.size:
        raise ValidationFailed(strict_message(findings), findings.first(MAX_LISTED), option="strict")
    keep = ~np.isin(gdf.index.to_numpy(), bad)
    if report is not None:
        report.add(path if path is not None else findings.file, len(gdf), int(keep.sum()), findings)
    return gdf if keep.all() else gdf[keep]
