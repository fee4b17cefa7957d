"""Validation findings kept as arrays, turned into messages only for what is shown.

Each validation rule computes a boolean mask over the whole layer (or chunk) and records the
rows it hits as one :class:`Block`: the rule, the field, the row numbers and the values its
message needs, all as numpy arrays. No Python object is built per row: a clean row costs
nothing, a bad row one array slot. :class:`Findings` gathers the blocks of one layer and

* answers the questions the engines ask with array operations: which rows have errors
  (:meth:`Findings.error_rows`), how many problems there are per rule (:meth:`Findings.counts`);
* builds :class:`~geoprospect.io.problems.Problem` objects (message, row identity) only for
  what is printed (:meth:`Findings.problems`, :meth:`Findings.first`).

Messages come from the renderers registered in :data:`RULES` (one per rule), so a block
pickles as plain arrays and strings (workers send findings to the parent cheaply). Problems that
are not row rules (a whole-file warning, a column that maps twice) are kept as Problem objects.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoprospect.io.problems import MAX_MESSAGES_PER_RULE, Problem

__all__ = ["RULES", "Block", "Findings", "Rule", "rule"]


@dataclass(frozen=True)
class Rule:
    """A validation rule: its severity, a value-free label (counts group by it) and the function
    that renders one hit's message from that hit's values."""

    name: str
    severity: str
    label: str
    render: Callable[..., str]


RULES: dict[str, Rule] = {}
"""Rule name -> :class:`Rule`; filled by :func:`rule` where the rules are defined."""


def rule(name: str, severity: str, label: str):
    """Register the decorated function as the message renderer of rule ``name``.

    The function takes the values of one hit as keyword arguments (those given to
    :meth:`Findings.add`) and returns the message text.
    """

    def register(render: Callable[..., str]) -> Callable[..., str]:
        RULES[name] = Rule(name, severity, label, render)
        return render

    return register


@dataclass
class Block:
    """The rows one rule hit in one field, with the values their messages need.

    ``ids``/``names`` hold each row's id and name (for "row 3 (id=x, name=Y)"), filled by
    :meth:`Findings.identify` once the layer's ids are final.
    """

    rule: str
    field: str
    severity: str
    rows: np.ndarray
    args: dict = field(default_factory=dict)
    ids: np.ndarray | None = None
    names: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, sel) -> Block:
        """The hits ``sel`` (an index array or a boolean mask) of this block."""
        return Block(self.rule, self.field, self.severity, self.rows[sel],
                     {k: v[sel] for k, v in self.args.items()},
                     None if self.ids is None else self.ids[sel],
                     None if self.names is None else self.names[sel])

    def problem(self, i: int, file: str) -> Problem:
        """The :class:`Problem` of hit ``i``."""
        values = {k: _scalar(v[i]) for k, v in self.args.items()}
        ident = _ident(None if self.ids is None else self.ids[i],
                       None if self.names is None else self.names[i])
        return Problem(file, int(self.rows[i]), self.field, RULES[self.rule].render(**values),
                       self.severity, ident)

    @property
    def reason(self) -> str:
        """``field: label`` (what the counts group by)."""
        return f"{self.field}: {RULES[self.rule].label}"


class Findings:
    """Every problem found in one layer (or chunk): row rules as :class:`Block` arrays, and a
    few loose :class:`Problem` objects (whole-file problems, odd ones).

    Iterating gives every problem as a :class:`Problem` (materialised; prefer
    :meth:`problems` with a limit, or :meth:`first`, for large layers).
    """

    def __init__(self, file: str = "<layer>") -> None:
        self.file = file
        self.blocks: list[Block] = []
        self.loose: list[Problem] = []

    # ------------------------------------------------------------------ building
    def add(self, name: str, field: str, rows, *, severity: str | None = None, **args) -> None:
        """Record that rule ``name`` hits ``rows`` (row labels) in ``field``.

        ``args`` are arrays aligned with ``rows`` (or scalars, broadcast) that the rule's
        renderer takes. Nothing is recorded when ``rows`` is empty.
        """
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if not rows.size:
            return
        arrays = {}
        for k, v in args.items():
            arr = np.asarray(v, dtype=object) if not isinstance(v, np.ndarray) else v
            arrays[k] = np.broadcast_to(arr, rows.shape) if arr.ndim == 0 else arr
        self.blocks.append(Block(name, field, severity or RULES[name].severity, rows, arrays))

    def note(self, problem: Problem) -> None:
        """Record one problem as it is (a whole-file problem, or one that is not a rule)."""
        self.loose.append(problem)

    def extend(self, other: Findings | list) -> None:
        """Add every finding of ``other`` (findings, or a list of problems)."""
        if isinstance(other, Findings):
            self.blocks.extend(other.blocks)
            self.loose.extend(other.loose)
        else:
            self.loose.extend(other)

    def copy(self) -> Findings:
        """A new container with the same (immutable) blocks and problems."""
        out = Findings(self.file)
        out.extend(self)
        return out

    def __deepcopy__(self, memo) -> Findings:
        # pandas deep-copies ``attrs`` on most operations: blocks are never changed in place,
        # so a copy of the lists is enough (and costs nothing per row)
        return self.copy()

    def identify(self, frame) -> None:
        """Fill the id/name of every hit from ``frame`` (indexed by row label), vectorised."""
        if not self.blocks:
            return
        cols = {c: frame[c].to_numpy(dtype=object) for c in ("id", "name") if c in frame.columns}
        index = frame.index
        for b in self.blocks:
            pos = _positions(index, b.rows)
            known = pos >= 0
            for col, attr in (("id", "ids"), ("name", "names")):
                if col not in cols:
                    continue
                values = np.full(len(b.rows), None, dtype=object)
                values[known] = cols[col][pos[known]]
                setattr(b, attr, values)
        for i, p in enumerate(self.loose):
            if p.row is not None and not p.ident:
                where = _positions(index, np.array([p.row]))[0]
                if where >= 0:
                    ident = _ident(*(cols[c][where] if c in cols else None for c in ("id", "name")))
                    self.loose[i] = Problem(p.file, p.row, p.field, p.message, p.severity, ident)

    def shifted(self, offset: int) -> Findings:
        """The same findings with every row number moved by ``offset``."""
        out = Findings(self.file)
        for b in self.blocks:
            moved = b.take(slice(None))
            moved.rows = b.rows + offset
            out.blocks.append(moved)
        out.loose = [Problem(p.file, p.row + offset, p.field, p.message, p.severity, p.ident)
                     if p.row is not None else p for p in self.loose]
        return out

    def within(self, first: int, last: int, *, whole_file: bool = True) -> Findings:
        """The findings of rows ``first..last`` (and the whole-file ones when ``whole_file``)."""
        out = Findings(self.file)
        for b in self.blocks:
            sel = (b.rows >= first) & (b.rows <= last)
            if sel.any():
                out.blocks.append(b.take(sel))
        out.loose = [p for p in self.loose
                     if (p.row is None and whole_file) or (p.row is not None and first <= p.row <= last)]
        return out

    def demote(self, name: str) -> None:
        """Make every hit of rule ``name`` a warning (the row is kept)."""
        for b in self.blocks:
            if b.rule == name:
                b.severity = "warning"

    # ------------------------------------------------------------------ questions
    def __len__(self) -> int:
        return sum(len(b) for b in self.blocks) + len(self.loose)

    def __bool__(self) -> bool:
        return bool(self.blocks) or bool(self.loose)

    def error_rows(self) -> np.ndarray:
        """Sorted unique row labels with at least one error."""
        parts = [b.rows for b in self.blocks if b.severity == "error"]
        loose = [p.row for p in self.loose if p.severity == "error" and p.row is not None]
        if loose:
            parts.append(np.asarray(loose, dtype=np.int64))
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def fatal(self) -> list[Problem]:
        """Whole-file errors: the layer cannot be used at all."""
        return [p for p in self.loose if p.severity == "error" and p.row is None]

    def counts(self) -> dict:
        """``{"errors": Counter, "warnings": Counter, "total": int}`` by ``field: rule`` of the
        row-level problems (whole-file ones are not rows)."""
        errors, warnings = Counter(), Counter()
        for b in self.blocks:
            (errors if b.severity == "error" else warnings)[b.reason] += len(b)
        for p in self.loose:
            if p.row is not None:
                (errors if p.severity == "error" else warnings)[loose_reason(p)] += 1
        return {"errors": errors, "warnings": warnings,
                "total": sum(errors.values()) + sum(warnings.values())}

    def count(self, severity: str | None = None) -> int:
        """Problems (of ``severity`` when given), whole-file ones included."""
        n = sum(len(b) for b in self.blocks if severity is None or b.severity == severity)
        return n + sum(1 for p in self.loose if severity is None or p.severity == severity)

    # ------------------------------------------------------------------ messages
    def problems(self, limit: int | None = MAX_MESSAGES_PER_RULE, *,
                 severity: str | None = None) -> list[Problem]:
        """Problems as objects, errors first (whole-file, then by row), each rule capped at
        ``limit`` rows followed by a ``... and N more rows like this`` line (None: no cap)."""
        out = [p for p in self.loose if severity is None or p.severity == severity]
        for b in self.blocks:
            if severity is not None and b.severity != severity:
                continue
            n = len(b) if limit is None else min(limit, len(b))
            out.extend(b.problem(i, self.file) for i in range(n))
            if n < len(b):
                out.append(Problem(self.file, None, b.field, f"... and {len(b) - n} more rows like this",
                                   b.severity))
        out.sort(key=order)
        return out

    def first(self, n: int, *, severity: str | None = "error") -> list[Problem]:
        """The first ``n`` problems in row order (whole-file ones first); a message is built
        for those only."""
        if n <= 0:
            return []
        head = [p for p in self.loose if p.row is None and (severity is None or p.severity == severity)]
        picks = [(p.row, 0, k, p) for k, p in enumerate(self.loose)
                 if p.row is not None and (severity is None or p.severity == severity)]
        for j, b in enumerate(self.blocks):
            if severity is not None and b.severity != severity:
                continue
            for i in np.argsort(b.rows, kind="stable")[:n]:
                picks.append((int(b.rows[i]), 1, j, (b, int(i))))
        picks.sort(key=lambda t: t[:3])
        rows = [item if isinstance(item, Problem) else item[0].problem(item[1], self.file)
                for *_, item in picks[:max(n - len(head), 0)]]
        return (head + rows)[:n]

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems(limit=None))

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        if isinstance(other, Findings):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # mutable container

    def __repr__(self) -> str:
        return f"Findings({self.file!r}, {self.count('error')} errors, {self.count('warning')} warnings)"


def order(p: Problem) -> tuple:
    """Sort key: errors first; whole-file problems, then rows in order, then '... and N more'."""
    if p.row is not None:
        where = float(p.row)
    else:
        where = np.inf if p.message.startswith("... and") else -1.0
    return (p.severity != "error", where)


def loose_reason(problem: Problem) -> str:
    """``field: message`` with the row's values blanked (a loose problem has no rule)."""
    return f"{problem.field}: {_VALUE.sub('…', problem.message)}"


_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|\(-?[\d.]+, -?[\d.]+\)|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def _positions(index, rows: np.ndarray) -> np.ndarray:
    """Positions of ``rows`` in ``index`` (-1 where absent), without a Python loop."""
    if isinstance(index, pd.RangeIndex) and index.step == 1:
        pos = rows - index.start
        return np.where((pos >= 0) & (pos < len(index)), pos, -1)
    return index.get_indexer(rows)


def _ident(id_value, name_value) -> str:
    parts = []
    for col, v in (("id", id_value), ("name", name_value)):
        if v is not None and not (isinstance(v, float) and np.isnan(v)) and pd.notna(v) and str(v).strip():
            parts.append(f"{col}={str(v)[:40]}")
    return ", ".join(parts)


def _scalar(v):
    return v.item() if isinstance(v, np.generic) else v
