"""One progress bar for long work (score, rank on large inputs, surface): rich on stderr, only
on a terminal and never with ``-q``; safe to advance from another thread."""

from __future__ import annotations

import sys


class Bar:
    """A progress bar; a no-op when disabled.

    Parameters
    ----------
    label : str
        What is counted (``scoring``, ``windows``).
    total : int or None
        Units to do, when known.
    enabled : bool
        Show it at all (the caller passes ``not quiet``); it also needs stderr to be a terminal.

    Use as a context manager; :meth:`start` shows the bar (its refresh thread starts then, so a
    caller that forks processes starts it afterwards), :meth:`advance` counts (and starts the
    bar if need be), :meth:`stage` renames what is counted and resets the total.
    """

    def __init__(self, label: str, total: int | None = None, *, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self.total = total
        self._progress = None
        self._task = None

    def __enter__(self) -> Bar:
        return self

    def start(self) -> None:
        if not self.enabled or self._progress is not None:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(),
                                  console=Console(stderr=True), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=self.total)

    def advance(self, n: int = 1) -> None:
        if not self.enabled:
            return
        self.start()
        self._progress.advance(self._task, n)

    def stage(self, label: str, total: int | None = None) -> None:
        """Count something else from now on (``routes`` after ``scoring``)."""
        if not self.enabled:
            return
        self.start()
        self._progress.reset(self._task, total=total, description=label)

    def __exit__(self, *exc) -> bool:
        if self._progress is not None:
            self._progress.stop()
        return False
