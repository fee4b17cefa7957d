"""A problem found in a layer (file, row, field and what is wrong), as shown to people.

Validation keeps problems as arrays (:mod:`geoprospect.io.findings`) and builds a Problem only
for what is printed or listed."""

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
