"""The deal sheet as one self-contained HTML page, laid out for one A4 page at 100 % scale.

Every text value from a layer or a table goes through
:func:`geoprospect.maps.safe.escape_text` (HTML with quotes, and ``\\``, backtick, ``$``, ``{``,
``}`` as character references), every link through :func:`geoprospect.maps.safe.safe_urls`
(``http(s)`` only). Each figure is written with ``data-field`` and ``data-value`` (the exact
number, ``repr`` of the float) so that tests and other programs read the numbers the page shows.
The page has a fixed A4 box (``@page`` A4, no margins); long texts are cut to a few lines with
the full text in the ``title`` attribute, so content never flows onto a second page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoprospect.io.countries import country_name
from geoprospect.maps.safe import escape_text, safe_urls
from geoprospect.model.valuation import PILLARS
from geoprospect.sheets.facts import DealTerms, Fact, Source, split_source
from geoprospect.sheets.route import SheetRoute

MAX_OFFTAKES = 4
MAX_SCENARIOS = 7
MAX_SOURCES = 9
MAX_TEXT = 400
"""Longest text kept in the page for a clamped field (the full text is in its ``title``)."""


@dataclass
class SheetContent:
    """Everything one sheet shows (plain values; :func:`render_sheet` escapes)."""

    row: pd.Series
    total: int
    published: list[Fact]
    valued: list[Fact]
    deal: DealTerms
    assumptions: list[tuple[str, str, str]]
    scenarios: pd.DataFrame | None
    tornado: pd.DataFrame
    route: SheetRoute
    charts: dict[str, str]
    map_html: tuple[str, str, str]
    version: str = ""
    sources: list[Source] = field(default_factory=list)


def e(value: object) -> str:
    """Escaped text for HTML text and attributes (:func:`geoprospect.maps.safe.escape_text`).

    Parameters
    ----------
    value : object
        Anything; missing values give an empty string.

    Returns
    -------
    str
    """
    return escape_text(value)


def _finite(v) -> bool:
    try:
        return bool(np.isfinite(float(v)))
    except (TypeError, ValueError):
        return False


def num(value: object, digits: int = 0, name: str | None = None, unit: str = "",
        signed: bool = False) -> str:
    """A number as the sheet shows it, optionally tagged with its exact value.

    Parameters
    ----------
    value : object
        A number; anything that is not a finite number shows as "—".
    digits : int
        Decimals (grouped thousands); ``-1`` for a year (no grouping).
    name : str, optional
        The column it shows: the result is ``<span class="n" data-field=name
        data-value=repr(value)>text</span>`` so that programs read the exact figure.
    unit : str
        Appended after a space.
    signed : bool
        Always show the sign.

    Returns
    -------
    str
        Escaped HTML.

    Examples
    --------
    >>> num(-1234.5, 0)
    '−1,234'
    >>> num(2024.0, -1, "resource_year")
    '<span class="n" data-field="resource_year" data-value="2024.0">2024</span>'
    """
    if _finite(value):
        v = float(value)
        spec = ".0f" if digits < 0 else f"{'+' if signed else ''},.{digits}f"
        text = f"{v:{spec}}".replace("-", "−") + (f" {unit}" if unit else "")
        exact = repr(int(value)) if isinstance(value, (int, np.integer)) else repr(v)
    else:
        text, exact = "—", ""
    if name is None:
        return e(text)
    return f'<span class="n" data-field="{e(name)}" data-value="{e(exact)}">{e(text)}</span>'


def clamp(text: object, lines: int = 2, cls: str = "") -> str:
    """Text cut to ``lines`` lines on the page (CSS line clamp), the full text in its tooltip.

    Parameters
    ----------
    text : object
        Plain text (escaped here); longer than :data:`MAX_TEXT` characters is cut with "…".
    lines : int
        1, 2 or 3.
    cls : str
        Extra CSS class.

    Returns
    -------
    str
        A ``<div>`` of escaped HTML.
    """
    full = "" if text is None else str(text)
    shown = full if len(full) <= MAX_TEXT else full[:MAX_TEXT] + "…"
    return f'<div class="clamp l{lines} {cls}" title="{e(full)}">{e(shown)}</div>'


def _cite(source: Source | None, sources: list[Source]) -> str:
    if source is None:
        return ""
    keys = [s.key for s in sources]
    if source.key not in keys:
        sources.append(source)
        keys.append(source.key)
    n = keys.index(source.key) + 1
    return f'<sup class="cite">[{n}]</sup>'


def _fact_row(f: Fact, sources: list[Source]) -> str:
    if f.digits is None:
        value = clamp(str(f.value).replace(";", ", "), 2)
    else:
        value = num(f.value, f.digits, f.column, f.unit)
    return f"<tr><th>{e(f.label)}</th><td>{value}{_cite(f.source, sources)}</td></tr>"


def _header(c: SheetContent) -> str:
    r = c.row
    iso = str(r.get("country") or "")
    place = ", ".join(p for p in (country_name(iso) if iso else "", str(r.get("admin1") or "")) if p)
    badges = "".join(f'<span class="flag">{e(f.replace("_", " "))}</span>' for f in c.deal.flags)
    cond = '<span class="cond">conditional on a deposit being there</span>' \
        if str(r.get("valuation_tier") or "") == "conditional" else ""
    return f"""
<header>
  <div class="title">
    <h1 id="deposit-name">{e(r.get("name") or r.get("id"))}</h1>
    <div class="sub">{e(r.get("id"))} · {e(place)} ({e(iso)}) · {e(r.get("deposit_type"))} ·
      {e(r.get("stage"))}</div>
    <div class="badges">{badges}</div>
  </div>
  <div class="headline">
    <div class="rank">Rank {num(r.get("rank"), 0, "rank")} of {num(c.total, 0)}
      {cond}</div>
    <div class="npv">NPV {num(r.get("npv_musd"), 0, "npv_musd")} <small>USD M at median inputs</small></div>
    <div class="band" id="npv-band">P10 {num(r.get("npv_musd_p10"), 0, "npv_musd_p10")} ·
      P50 {num(r.get("npv_musd_p50"), 0, "npv_musd_p50")} ·
      P90 {num(r.get("npv_musd_p90"), 0, "npv_musd_p90")}
      · P(NPV&gt;0) {num(_pct(r.get("p_npv_positive")), 0, None, "%")}
      <span hidden>{num(r.get("p_npv_positive"), 3, "p_npv_positive")}</span></div>
  </div>
</header>"""


def _pct(v):
    return float(v) * 100 if _finite(v) else np.nan


def _facts(c: SheetContent) -> str:
    r = c.row
    pub = "".join(_fact_row(f, c.sources) for f in c.published)
    cells = [f"<th>{e(f.label)}</th><td>{num(f.value, f.digits, f.column, f.unit)}"
             f"{_cite(f.source, c.sources)}</td>" for f in c.valued]
    cells += [
        f"<th>Product</th><td>{e(str(r.get('product') or '—').replace('_', ' '))}</td>",
        f"<th>Completeness</th><td>{num(_pct(r.get('data_completeness')), 0, None, '%')}"
        f"<span hidden>{num(r.get('data_completeness'), 3, 'data_completeness')}</span></td>",
    ]
    pairs = "".join(f"<tr>{''.join(cells[i:i + 2])}</tr>" for i in range(0, len(cells), 2))
    basis = str(r.get("study_basis") or "model")
    imputed = str(r.get("imputed") or "").replace(";", ", ") or "nothing"
    return f"""
<section class="facts"><h2>Key facts</h2>
  <table class="kv">{pub}</table>
  <h3>Screening project</h3>
  <table class="kv2">{pairs}</table>
  <table class="kv"><tr><th>Study basis</th><td>{clamp(basis, 1)}</td></tr>
    <tr><th>Imputed</th><td>{clamp(imputed, 1)}</td></tr></table>
</section>"""


def _value(c: SheetContent) -> str:
    r = c.row
    pillars = " · ".join(f'{e(p)} {num(r.get(f"value_{p}_musd"), 0, f"value_{p}_musd", signed=True)}'
                         for p in PILLARS)
    ref = float(r.get("npv_musd")) - sum(float(r.get(f"value_{p}_musd")) for p in PILLARS)
    return f"""
<section class="value"><h2>Value</h2>
  <figure class="chart" id="waterfall">{c.charts["waterfall"]}</figure>
  <div class="pillars">Reference project {num(ref, 0, "reference_npv_musd")} · {pillars} =
    deposit NPV {num(r.get("npv_musd"), 0)} (USD M; the pillars are the exact Shapley split)</div>
  <figure class="chart" id="band">{c.charts["band"]}</figure>
</section>"""


def _tornado(c: SheetContent) -> str:
    rows = "".join(
        f'<tr data-shock="{e(t.key)}"><td>{e(t.label)}</td><td>{e(t.low_label)}: '
        f'{num(t.npv_low, 0, f"tornado_{t.key}_low")}</td><td>{e(t.high_label)}: '
        f'{num(t.npv_high, 0, f"tornado_{t.key}_high")}</td></tr>' for t in c.tornado.itertuples(index=False))
    return f"""
<section class="tornado"><h2>Sensitivity</h2>
  <figure class="chart" id="tornado-chart">{c.charts["tornado"]}</figure>
  <table class="mini" hidden>{rows}</table>
  <p class="note">One shock at a time, NPV at median inputs, logistics cost kept.</p>
  {_scenarios(c)}
</section>"""


def _route(c: SheetContent) -> str:
    rt = c.route
    t = rt.table
    how = "assigned by the capacity allocation" if rt.assigned else "best compatible plant"
    if rt.assigned and _finite(c.row.get("assigned_share")):
        how += f", share {num(_pct(c.row.get('assigned_share')), 0, None, '%')}"
    plant = (f"{e(rt.plant_name or rt.plant_id)} <small>({e(rt.plant_id)}; {how})</small>"
             if rt.plant_id else "none")
    totals = ""
    if t.get("magnet_maker"):
        totals = (f'<div class="totals">Chain: {e(t.get("plants"))} → {e(t.get("magnet_maker"))} · '
                  f'{num(t.get("total_km"), 0, "route_km", "km")} · '
                  f'{num(t.get("total_days"), 1, None, "d")} · '
                  f'USD {num(t.get("cost_usd_per_t_conc"), 0, "route_cost_usd_t")}/t conc.</div>')
    blocked = f'<div class="blocked">Blocked by {e(t["blocked_by"])}</div>' \
        if isinstance(t.get("blocked_by"), str) else ""
    note = f'<div class="note">{e(rt.note)}</div>' if rt.note else ""
    return f"""
<section class="route"><h2>Route to the plant and on to a magnet maker</h2>
  {c.map_html[1]}
  <div class="plant">Plant: {plant}</div>{totals}{blocked}
  <div id="route-summary">{clamp(t.get("summary") or "no route", 3)}</div>{note}
</section>"""


def _deal(c: SheetContent) -> str:
    d = c.deal
    texts = "".join(f"<tr><th>{e(label)}</th><td>{clamp(text, 2)}</td></tr>" for label, text in d.texts)
    rows = []
    for o in d.offtakes.head(MAX_OFFTAKES).itertuples(index=False):
        tpa = f"{o.tpa} {o.tpa_basis}".strip() if o.tpa else o.tpa_basis
        line = " · ".join(p for p in (o.counterparty, tpa, o.binding, o.status.replace("_", " "),
                                      f"{o.term_years} yr" if o.term_years else "") if p)
        rows.append(f'<li>{clamp(line, 1)}{_cite(_src(o), c.sources)}</li>')
    more = len(d.offtakes) - MAX_OFFTAKES
    if more > 0:
        rows.append(f"<li>+{more} more in offtakes.csv</li>")
    offtakes = f'<ul class="offtakes">{"".join(rows)}</ul>' if rows else "<p>No offtake in offtakes.csv.</p>"
    flags = ", ".join(f.replace("_", " ") for f in d.flags) or "none"
    return f"""
<section class="deal"><h2>Flags, offtake and equity</h2>
  <table class="kv"><tr><th>Flags</th><td id="flags">{e(flags)}</td></tr>{texts}</table>
  <h3>Offtake agreements</h3>{offtakes}
</section>"""


def _src(o) -> Source | None:
    return split_source(o.source, o.source_url, o.source_year)


def _assumptions(c: SheetContent) -> str:
    rows = "".join(f'<tr><th>{e(label)}</th><td>{e(value)}</td><td class="why">{clamp(note, 1)}</td></tr>'
                   for label, value, note in c.assumptions)
    return f"""
<section class="assumptions"><h2>Assumptions</h2><table class="kv">{rows}</table></section>"""


def _scenarios(c: SheetContent) -> str:
    s = c.scenarios
    if s is None:
        body = ('<p class="none">No scenario results given: run <code>geoprospect scenario</code> and '
                "pass its table (<code>--scenarios FILE</code>).</p>")
    elif s.empty:
        body = "<p class=\"none\">The scenario table has no row for this deposit.</p>"
    else:
        rows = "".join(
            f'<tr data-scenario="{e(r.scenario)}"><td>{clamp(r.scenario, 1)}</td>'
            f'<td>{num(r.npv_musd, 0, "scenario_npv_musd")}</td>'
            f'<td>{num(r.npv_musd_p50, 0, "scenario_npv_musd_p50")}</td>'
            f'<td>{num(r.delta_npv_musd, 0, "scenario_delta_npv_musd", signed=True)}</td>'
            f'<td>{num(r.rank, 0, "scenario_rank")}</td><td>{clamp(r.assigned_plant_id, 1)}</td></tr>'
            for r in s.head(MAX_SCENARIOS).itertuples(index=False))
        more = f"<p>+{len(s) - MAX_SCENARIOS} more scenarios</p>" if len(s) > MAX_SCENARIOS else ""
        body = ("<table class=\"grid\"><tr><th>Scenario</th><th>NPV</th><th>P50</th><th>Δ NPV</th>"
                f"<th>Rank</th><th>Assigned plant</th></tr>{rows}</table>{more}"
                "<p class=\"note\">NPV at median inputs (what ranks; Δ against the base), P50 of the band; "
                "the scenarios that move this deposit most first.</p>")
    return f'<div class="scenarios"><h2>Scenarios</h2>{body}</div>'


def _sources(c: SheetContent) -> str:
    items = []
    for i, s in enumerate(c.sources[:MAX_SOURCES], start=1):
        url = safe_urls(pd.Series([s.url], dtype=object)).iloc[0] if s.url else None
        more = f" (+{s.more} more)" if s.more else ""
        year = f", {e(s.year)}" if s.year else ""
        link = f' <a href="{url}" rel="noopener noreferrer">link</a>' if url else ""
        items.append(f'<li title="{e(s.text)}"><b>[{i}]</b> {e(s.text)}{e(more)}{year}{link}</li>')
    if len(c.sources) > MAX_SOURCES:
        items.append(f"<li>+{len(c.sources) - MAX_SOURCES} more sources in the layer's source columns</li>")
    return f'<section class="sources"><h2>Sources</h2><ol>{"".join(items)}</ol></section>'


def render_sheet(c: SheetContent) -> str:
    """The sheet's HTML page.

    Parameters
    ----------
    c : SheetContent
        What the sheet shows (plain values).

    Returns
    -------
    str
        A complete, self-contained HTML document (sources are numbered as cited).
    """
    from geoprospect.sheets.style import SHEET_CSS

    head, _, script = c.map_html
    body = (_header(c) + '<div class="cols">' + _facts(c) + _value(c) + "</div>"
            + '<div class="cols">' + _tornado(c) + _route(c) + "</div>"
            + '<div class="cols">' + _deal(c) + _assumptions(c) + "</div>")
    sources = _sources(c)  # after the body: citations are numbered as they appear
    footer = (f"<footer>Screening estimate at the median inputs, not a study. geoprospect {e(c.version)} · "
              "one page per deposit, print at 100 % on A4.</footer>")
    title = e(f"{c.row.get('name') or c.row.get('id')} — geoprospect deal sheet")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{SHEET_CSS}</style>{head}</head><body><main class=\"sheet\">{body}{sources}{footer}"
            f"</main>{script}</body></html>\n")
