"""The spreadsheet an analyst can use at once.

Results sheet: the key columns first (rank, id, name, country, type, stage, the NPV band,
score, flags: :func:`geoprospect.io.dictionary.is_key`) and every other column after, in the
table's order; the header row and the columns up to the name frozen; an autofilter; a number
format per unit (``#,##0.0`` for USD million, ``0.0 %`` for percentages, ``#,##0`` for tonnes);
widths that fit the header and the values; colour scales on the score and value columns
(red - white - green; for values the white is at zero). A Columns sheet explains every column
(unit and meaning, from the one column dictionary :mod:`geoprospect.io.dictionary`); Sources and
Metadata sheets follow. Text that starts with ``=`` is stored as text, never as a formula.

Written in openpyxl's write-only mode, so memory stays near one row at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.io.dictionary import is_key, meaning_of, number_format, unit_of

MIN_WIDTH, MAX_WIDTH, NAME_WIDTH = 8, 48, 32
WIDTH_SAMPLE = 300
"""Rows looked at to size a column."""
RED, WHITE, GREEN = "F8696B", "FFFFFF", "63BE7B"
HEADER_FILL = "DDEBF7"


def ordered(columns) -> list[str]:
    """Key columns first (``rank``, ``id``, ``name`` leading), then the rest, each in order."""
    columns = list(columns)
    lead = [c for c in ("rank", "id", "name") if c in columns]
    keys = [c for c in columns if is_key(c) and c not in lead]
    return lead + keys + [c for c in columns if c not in lead and c not in keys]


def scale(column: str) -> str | None:
    """Which colour scale a column gets: ``value`` (USD million; white at 0), ``score`` or None."""
    unit = unit_of(column)
    if unit in ("USD m",) and ("npv" in column or column.startswith("value_")):
        return "value"
    if unit == "0-100" and ("score" in column):
        return "score"
    return None


def write_workbook(data: pd.DataFrame, path, *, metadata: dict | None = None, sources=None) -> None:
    """Write ``data`` (no geometry column) as a formatted workbook at ``path``."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    columns = ordered(data.columns)
    _results(wb.create_sheet("Results"), data[columns])
    _plain(wb.create_sheet("Columns"), pd.DataFrame({
        "column": columns, "unit": [unit_of(c) for c in columns],
        "meaning": [meaning_of(c) or "(input column)" for c in columns]}), widths=(28, 14, 100))
    if sources is not None and len(sources):
        _plain(wb.create_sheet("Sources"), pd.DataFrame(sources))
    elif "source" in data.columns:
        _plain(wb.create_sheet("Sources"), data[[c for c in ("id", "name", "source", "source_url")
                                                  if c in data.columns]])
    meta = metadata or {}
    _plain(wb.create_sheet("Metadata"), pd.DataFrame({"key": list(meta),
                                                      "value": [str(v) for v in meta.values()]}),
           widths=(24, 80))
    wb.save(path)


def _results(ws, data: pd.DataFrame) -> None:
    from openpyxl.utils import get_column_letter

    columns = list(data.columns)
    n = len(data)
    last = get_column_letter(max(len(columns), 1))
    freeze = columns.index("name") + 2 if "name" in columns else (2 if columns[:1] == ["rank"] else 1)
    ws.freeze_panes = f"{get_column_letter(freeze)}2"
    if columns:
        ws.auto_filter.ref = f"A1:{last}{n + 1}"
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(col, data[col])
        kind = scale(col)
        if kind and n:
            _colour_scale(ws, f"{get_column_letter(i)}2:{get_column_letter(i)}{n + 1}", kind)
    ws.append(_header(ws, columns))
    formats = [number_format(c) for c in columns]
    values = [_cells(data[c]) for c in columns]
    for r in range(n):
        ws.append([_cell(ws, values[j][r], formats[j]) for j in range(len(columns))])


def _cells(series: pd.Series) -> list:
    """The column's values as Excel-ready Python values (NaN/NA -> empty)."""
    if pd.api.types.is_bool_dtype(series):
        return [None if pd.isna(v) else bool(v) for v in series.tolist()]
    if pd.api.types.is_numeric_dtype(series):
        arr = series.to_numpy(dtype=float, na_value=np.nan)
        return [None if not np.isfinite(v) else v for v in arr.tolist()]
    return [None if _missing(v) else (v if isinstance(v, (str, int, float)) else str(v))
            for v in series.tolist()]


def _missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _cell(ws, value, fmt: str | None):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        if value.startswith("="):  # text, never a formula
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            return cell
        return value
    if fmt is None or value is None or isinstance(value, bool):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = fmt
    return cell


def _header(ws, names: list[str]) -> list:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    cells = []
    for name in names:
        cell = WriteOnlyCell(ws, value=name)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells.append(cell)
    return cells


def _width(column: str, series: pd.Series) -> float:
    if column == "name":
        return NAME_WIDTH
    sample = series.head(WIDTH_SAMPLE)
    if pd.api.types.is_numeric_dtype(sample) and not pd.api.types.is_bool_dtype(sample):
        longest = 12
    else:
        lengths = sample.dropna().astype(str).str.len()
        longest = int(lengths.quantile(0.9)) if len(lengths) else 0
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2, min(len(column) + 2, 24))))


def _colour_scale(ws, ref: str, kind: str) -> None:
    from openpyxl.formatting.rule import ColorScaleRule

    if kind == "value":
        rule = ColorScaleRule(start_type="min", start_color=RED, mid_type="num", mid_value=0,
                              mid_color=WHITE, end_type="max", end_color=GREEN)
    else:
        rule = ColorScaleRule(start_type="num", start_value=0, start_color=RED, mid_type="num",
                              mid_value=50, mid_color=WHITE, end_type="num", end_value=100,
                              end_color=GREEN)
    ws.conditional_formatting.add(ref, rule)


def _plain(ws, frame: pd.DataFrame, widths=None) -> None:
    from openpyxl.utils import get_column_letter

    columns = list(frame.columns)
    for i, col in enumerate(columns, start=1):
        width = widths[i - 1] if widths and i <= len(widths) else _width(str(col), frame[col])
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append(_header(ws, [str(c) for c in columns]))
    values = [_cells(frame[c]) for c in columns]
    for r in range(len(frame)):
        ws.append([_cell(ws, values[j][r], None) for j in range(len(columns))])
