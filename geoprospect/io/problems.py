"""A problem found in a layer (file, row, field and what is wrong), and helpers to report them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

MAX_MESSAGES_PER_RULE = 200
"""Past this many rows failing one rule, the report gives a count instead of each row."""


@dataclass(frozen=True)
class Problem:
    """One validation finding.

    Attributes
    ----------
    file : str
        File name the row came from.
    row : int or None
        1-based data row (header not counted); None for a whole-file problem.
    field : str
        The column (or ``geometry``) concerned.
    message : str
        What is wrong, in plain words.
    severity : str
        ``"error"`` (the row cannot be used as is) or ``"warning"`` (repaired or doubtful).
    ident : str
        The row's id and/or name, for people who do not count rows.
    """

    file: str
    row: int | None
    field: str
    message: str
    severity: str = "error"
    ident: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f": row {self.row}"
            if self.ident:
                where += f" ({self.ident})"
        return f"{where}: {self.field}: {self.message}"

    def to_dict(self) -> dict:
        """Return the problem as a plain dict (for JSON reports)."""
        return asdict(self)


def report(problems, file, rows, field, message, ident, severity="error") -> None:
    """Append one Problem per row (``message(row)`` builds its text), capped with a count."""
    rows = list(rows)
    for r in rows[:MAX_MESSAGES_PER_RULE]:
        problems.append(Problem(file, int(r), field, message(r), severity, ident.get(r, "")))
    if len(rows) > MAX_MESSAGES_PER_RULE:
        problems.append(Problem(file, None, field, f"... and {len(rows) - MAX_MESSAGES_PER_RULE} "
                                "more rows like this", severity))


def row_identity(gdf) -> dict:
    """Row -> 'id=..., name=...' text, built lazily only for the rows that need it."""
    return _LazyIdentity(gdf)


class _LazyIdentity(dict):
    """Row label -> "id=..., name=..." on demand. The columns are taken out once as plain arrays:
    ``gdf.at`` per problem would make pandas deep-copy ``gdf.attrs`` (which holds the problem
    list) on every lookup, quadratic in the number of problems."""

    def __init__(self, gdf) -> None:
        super().__init__()
        self._gdf = gdf
        self._pos: dict | None = None
        self._cols: dict = {}

    def get(self, row, default=""):
        import pandas as pd

        if self._pos is None:  # taken out on the first lookup, when the frame is final
            gdf = self._gdf
            self._pos = {label: i for i, label in enumerate(gdf.index)}
            self._cols = {c: gdf[c].to_numpy(dtype=object) for c in ("id", "name") if c in gdf.columns}
        i = self._pos.get(row)
        if i is None:
            return default
        parts = []
        for col, values in self._cols.items():
            v = values[i]
            if pd.notna(v) and str(v).strip():
                parts.append(f"{col}={str(v)[:40]}")
        return ", ".join(parts) or default
