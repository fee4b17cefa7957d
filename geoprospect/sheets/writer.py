"""Build deal sheets from ranked rows and write them: one HTML file per deposit and an index.

:func:`build_sheet` gathers what one sheet shows (:mod:`~geoprospect.sheets.facts`,
:mod:`~geoprospect.sheets.sensitivity`, :mod:`~geoprospect.sheets.route`,
:mod:`~geoprospect.sheets.charts`, :mod:`~geoprospect.sheets.minimap`) and renders it
(:mod:`~geoprospect.sheets.page`); :func:`write_sheets` writes a set of them atomically
(:func:`geoprospect.io.write.written`), each named by :func:`slug` of its id, with
``index.html`` listing them.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from geoprospect._version import __version__
from geoprospect.errors import LayerError, ModelError, OutputError
from geoprospect.io.write import written
from geoprospect.model.valuation import PILLARS
from geoprospect.routes.scenario import Scenario
from geoprospect.sheets import charts
from geoprospect.sheets.facts import assumptions, deal_terms, key_facts, scenario_rows
from geoprospect.sheets.index import index_page
from geoprospect.sheets.minimap import map_html, map_parts
from geoprospect.sheets.page import SheetContent, render_sheet
from geoprospect.sheets.route import sheet_route
from geoprospect.sheets.sensitivity import tornado

RESERVED = frozenset({"index", "con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                      *(f"lpt{i}" for i in range(10))})
"""File stems a sheet never takes (the index, and names Windows refuses)."""


@dataclass(frozen=True)
class WrittenSheet:
    """One written sheet: the deposit's id and name, its rank, NPV and the file."""

    id: str
    name: str
    path: Path
    rank: object = None
    npv_musd: float = float("nan")


def slug(deposit_id) -> str:
    """A file-name-safe stem for a deposit id: lower-case ASCII letters, digits, ``.``, ``_``, ``-``.

    An id that is not already such a stem (or is a reserved name) gets 8 hex digits of its
    SHA-1 appended, so that two ids never share a file.

    Examples
    --------
    >>> slug("aus-mount-weld")
    'aus-mount-weld'
    >>> slug("../<img src=x>")[:8]
    'img-src-'
    """
    text = str(deposit_id)
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9._-]+", "-", ascii_.lower()).strip("-._")[:80] or "deposit"
    if base != text or base in RESERVED:
        base = f"{base}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"
    return base


def _check(ranked, valuation) -> None:
    sha = ranked.attrs.get("model_sha256")
    if sha and valuation.sha256 and sha != valuation.sha256:
        raise ModelError("the valuation model given is not the one these rows were ranked with "
                         f"({valuation.sha256[:12]} vs {sha[:12]})", option="model")
    scen = ranked.attrs.get("price_scenario")
    if scen and scen != valuation.settings.prices.name:
        raise ModelError(f"these rows were ranked under price scenario {scen!r}, the valuation "
                         f"given is {valuation.settings.prices.name!r}", option="price_scenario")


def _row(ranked, deposit_id):
    if "id" not in ranked.columns:
        raise LayerError("ranked rows need an id column for deal sheets")
    where = (ranked["id"].astype(str) == str(deposit_id)).to_numpy().nonzero()[0]
    if not len(where):
        raise LayerError(f"no ranked deposit with id {deposit_id!r}")
    row = ranked.iloc[where[:1]]
    row.attrs = {}  # pandas deep-copies attrs (route legs, problems) on every operation
    return row


def build_sheet(ranked, deposit_id, *, valuation, network=None, scenarios: pd.DataFrame | None = None) -> str:
    """The deal sheet of one ranked deposit, as a complete HTML page.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        The output of :func:`geoprospect.pipeline.rank` (``attrs`` with ``model_sha256`` and
        ``price_scenario``); ``assigned_plant_id``/``assigned_share`` are used when present.
    deposit_id : str
        The deposit's ``id``.
    valuation : geoprospect.pipeline.Valuation
        The valuation the rows were ranked with (checked: model hash, price scenario, and the
        row's NPV must be reproduced).
    network : RouteNetwork, optional
        The route network the rows were ranked on (the bundled scenario when None).
    scenarios : pandas.DataFrame, optional
        A ``geoprospect scenario`` table (columns ``id``, ``scenario``, ``npv_musd_p50``,
        ``rank``, ``assigned_plant_id``, ``delta_npv_musd``); without it the sheet says how to
        get one.

    Returns
    -------
    str

    Raises
    ------
    LayerError
        No such id; a scenario table without its key columns.
    ModelError
        ``valuation`` is not the one that ranked the rows.

    Examples
    --------
    >>> import geoprospect as gp
    >>> v = gp.Valuation.load()                                             # doctest: +SKIP
    >>> page = build_sheet(gp.rank_layer(valuation=v), "aus-nolans", valuation=v)  # doctest: +SKIP
    """
    _check(ranked, valuation)
    frame = _row(ranked, deposit_id)
    row = frame.iloc[0]
    shown = scenario_rows(scenarios, str(row["id"]))  # a bad table fails before any work
    net = network if network is not None else Scenario().network()
    published, valued = key_facts(row)
    table = tornado(frame, valuation.params, valuation.settings)
    route = sheet_route(frame, net)
    npv = float(row["npv_musd"])
    steps = [(p, float(row[f"value_{p}_musd"])) for p in PILLARS]
    svgs = {
        "waterfall": charts.waterfall_svg(npv - sum(v for _, v in steps), steps, npv),
        "band": charts.band_svg(*(float(row.get(c, float("nan"))) for c in
                                  ("npv_musd_p10", "npv_musd_p50", "npv_musd_p90")),
                                npv, float(row.get("p_npv_positive", float("nan")))),
        "tornado": charts.tornado_svg(table, npv),
    }
    content = SheetContent(
        row=row, total=len(ranked), published=published, valued=valued, deal=deal_terms(row),
        assumptions=assumptions(row, valuation.settings,
                                model_sha256=ranked.attrs.get("model_sha256") or valuation.sha256),
        scenarios=shown, tornado=table, route=route, charts=svgs,
        map_html=map_html(map_parts(frame, route.legs, net)), version=__version__)
    return render_sheet(content)


def write_sheets(ranked, out_dir, *, valuation, ids=None, top: int | None = None, network=None,
                 scenarios: pd.DataFrame | None = None, overwrite: bool = False) -> list[WrittenSheet]:
    """Write the deal sheets of some ranked deposits into ``out_dir``, and ``index.html``.

    Parameters
    ----------
    ranked : geopandas.GeoDataFrame
        From :func:`geoprospect.pipeline.rank` (best first).
    out_dir : str or Path
        Folder (created when missing).
    valuation, network, scenarios
        As for :func:`build_sheet`.
    ids : sequence of str, optional
        The deposits wanted, in this order; default: the ``top`` best rows.
    top : int, optional
        How many best-ranked rows when ``ids`` is None (default 10).
    overwrite : bool
        Replace existing files (else an existing sheet or index is an error).

    Returns
    -------
    list of WrittenSheet

    Raises
    ------
    OutputError
        A file exists without ``overwrite``; the folder cannot be made or written.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot make the folder ({exc.strerror or exc})") from exc
    wanted = [str(i) for i in ids] if ids is not None else \
        ranked["id"].astype(str).head(10 if top is None else max(int(top), 0)).tolist()
    done = []
    for deposit_id in dict.fromkeys(wanted):
        page = build_sheet(ranked, deposit_id, valuation=valuation, network=network, scenarios=scenarios)
        row = _row(ranked, deposit_id).iloc[0]
        path = out / f"{slug(deposit_id)}.html"
        with written(path, overwrite=overwrite) as tmp:
            tmp.write_text(page, encoding="utf-8")
        done.append(WrittenSheet(deposit_id, str(row.get("name") or deposit_id), path, row.get("rank"),
                                 float(row.get("npv_musd", float("nan")))))
    with written(out / "index.html", overwrite=overwrite) as tmp:
        tmp.write_text(index_page(done, ranked.attrs), encoding="utf-8")
    return done


def sheet_hrefs(sheets: list[WrittenSheet], relative_to) -> dict[str, str]:
    """Where each sheet is, seen from a folder (the ``sheet_href`` column of map popups).

    Parameters
    ----------
    sheets : list of WrittenSheet
        From :func:`write_sheets`.
    relative_to : str or Path
        The folder the links are followed from (the map's).

    Returns
    -------
    dict
        Deposit id -> relative URL (``/``-separated, percent-encoded).
    """
    base = Path(relative_to)
    return {s.id: quote(Path(os.path.relpath(s.path, base)).as_posix()) for s in sheets}
