"""``index.html`` of a folder of deal sheets: one line per sheet, linked, best first."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from geoprospect.io.bundled import data_date
from geoprospect.maps.safe import escape_text as e
from geoprospect.sheets.page import num

_CSS = """body { font: 10pt/1.4 "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 60em;
color: #1d1d1d; }
table { border-collapse: collapse; } th, td { text-align: left; padding: .2em 1em .2em 0;
border-bottom: 1px solid #ddd; } td.n { text-align: right; } .meta { color: #555; }"""


def index_page(sheets, attrs: dict | None = None) -> str:
    """The index page of written sheets (:class:`~geoprospect.sheets.writer.WrittenSheet`).

    Parameters
    ----------
    sheets : list of WrittenSheet
        In the order to list them.
    attrs : dict, optional
        The ranked table's ``attrs`` (price scenario, model hash) for the header.

    Returns
    -------
    str
    """
    attrs = attrs or {}
    rows = "".join(
        f'<tr data-id="{e(s.id)}"><td class="n">{num(s.rank, 0)}</td>'
        f'<td><a href="{e(quote(Path(s.path).name))}">{e(s.name)}</a></td><td>{e(s.id)}</td>'
        f'<td class="n">{num(s.npv_musd, 0)}</td></tr>' for s in sheets)
    sha = str(attrs.get("model_sha256") or "")[:12]
    meta = f"Prices: {e(attrs.get('price_scenario') or '')} · model {e(sha)} · data date {e(data_date())}"
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>geoprospect deal sheets'
            f"</title><style>{_CSS}</style></head><body><h1>Deal sheets</h1><p class=\"meta\">{meta}</p>"
            "<table><tr><th>Rank</th><th>Deposit</th><th>Id</th><th>NPV, USD M (median inputs)</th></tr>"
            f"{rows}</table></body></html>\n")
