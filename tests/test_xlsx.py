"""The spreadsheet an analyst can use at once, and the one column dictionary it and the README
come from."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from _support import run

from geoprospect.io.dictionary import ENTRIES, meaning_of, number_format, readme_table, unit_of

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    out = tmp_path_factory.mktemp("xlsx") / "ranked.xlsx"
    r = run("rank", "--draws", 20, "-o", out)
    assert r.exit_code == 0, r.output
    return openpyxl.load_workbook(out)


def test_results_sheet_is_ready_to_read(book):
    assert book.sheetnames == ["Results", "Columns", "Sources", "Metadata"]
    ws = book["Results"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["rank", "id", "name", "country"]
    assert ws.freeze_panes == "D2"  # header row and rank/id/name stay in view
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{ws.max_row}"
    keys = [c for c in header if c in ("npv_musd_p50", "score", "flags", "capex_musd")]
    assert all(header.index(k) < header.index("source") for k in keys)  # key columns before the rest
    col = {name: i + 1 for i, name in enumerate(header)}
    cell = ws.cell(row=2, column=col["capex_musd"])
    assert cell.number_format == "#,##0.0" and isinstance(cell.value, float)
    assert ws.cell(row=2, column=col["treo_pct"]).number_format == '0.00" %"'
    assert ws.cell(row=2, column=col["p_top10"]).number_format == "0%"
    assert ws.cell(row=2, column=col["ndpr_oxide_tpa"]).number_format == "#,##0"
    letter = openpyxl.utils.get_column_letter
    widths = {name: ws.column_dimensions[letter(i)].width for name, i in col.items()}
    assert widths["name"] == 32 and min(widths.values()) >= 8 and widths["route_summary"] > 13
    scaled = {str(r.sqref).split(":")[0] for r in ws.conditional_formatting}
    for name in ("score", "npv_musd_p50", "value_grade_musd", "mcda_score"):
        assert f"{openpyxl.utils.get_column_letter(col[name])}2" in scaled, name
    assert f"{openpyxl.utils.get_column_letter(col['treo_pct'])}2" not in scaled


def test_columns_sheet_explains_every_column(book):
    results = [c.value for c in book["Results"][1]]
    rows = list(book["Columns"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == results
    unknown = [r[0] for r in rows if r[2] == "(input column)"]
    assert unknown == [], f"columns the dictionary does not explain: {unknown}"
    assert dict((r[0], r[1]) for r in rows)["npv_musd_p50"] == "USD m"


def test_the_dictionary_covers_what_the_pipeline_writes():
    from geoprospect.features import FEATURE_NAMES
    from geoprospect.model.valuation import VALUE_COLUMNS
    from geoprospect.pipeline import OUTPUT_COLUMNS, WHOLE_SET_COLUMNS

    for col in (*OUTPUT_COLUMNS, *VALUE_COLUMNS, *FEATURE_NAMES, *WHOLE_SET_COLUMNS):
        assert meaning_of(col), f"{col}: add it to geoprospect/io/dictionary.py"
        assert unit_of(col), col


def test_a_new_column_gets_a_unit_and_format_from_its_name():
    assert (unit_of("npv_musd_p95"), number_format("npv_musd_p95")) == ("USD m", "#,##0.0")
    assert unit_of("royalty_extra_pct") == "%" and unit_of("magnet_tpa") == "t/yr"
    assert number_format("colour") is None


def test_readme_column_table_is_the_dictionary():
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- columns:start -->", "<!-- columns:end -->"
    assert start in text and end in text, "README lost its column table markers"
    block = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert block == readme_table(), "README column table is stale: run `python scripts/readme_columns.py`"


def test_every_dictionary_entry_has_unit_and_meaning():
    for col, (unit, meaning, _) in ENTRIES.items():
        assert meaning.strip(), col
        assert unit is not None, col
