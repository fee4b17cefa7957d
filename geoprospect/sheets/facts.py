"""What a deal sheet says about one deposit, as plain data: key facts with their sources, deal
terms (offtakes, equity), the valuation's assumptions and the scenario rows.

Nothing here formats HTML: :mod:`geoprospect.sheets.page` escapes and lays out what these
functions return. Every figure comes from the deposit's row of :func:`geoprospect.pipeline.rank`
or from a bundled table; nothing is recomputed here.

* :func:`key_facts` — the deposit's figures, each with its source: the per-figure provenance of
  ``layers/deposit_facts.csv`` where the deposit id is there *and* the value on the row is the
  value of that fact (a user layer that reuses a bundled id with other figures keeps its own
  source), else the row's ``source``/``source_url``; model outputs cite the model or the study.
* :func:`deal_terms` — flags, ``offtake_summary``, ``equity_split``, ``partner_sought``,
  ``government_finance`` and the deposit's rows of ``layers/offtakes.csv``.
* :func:`assumptions` — price scenario and prices, base rate, country premium, royalty, tax,
  carry, payability of the product, model hash, data date.
* :func:`scenario_rows` — the deposit's rows of a ``geoprospect scenario`` table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.bundled import data_date, layer_path
from geoprospect.io.terms import PRODUCTS, payability

SCENARIO_COLUMNS = ("id", "scenario", "npv_musd", "npv_musd_p50", "rank", "assigned_plant_id",
                    "delta_npv_musd")
"""Columns of the scenario table a sheet shows (the output of ``geoprospect scenario``)."""

DEAL_TEXT = (("offtake_summary", "Offtake"), ("equity_split", "Equity"),
             ("partner_sought", "Partner sought"), ("government_finance", "Government finance"))
"""Free-text deal columns of the deposit layer, with their labels."""

FACT_FIELDS = (
    # (column, label, unit, digits; None: text, -1: a year)
    ("resource_mt", "Resource", "Mt ore", 2),
    ("treo_pct", "TREO grade", "%", 2),
    ("ndpr_pct", "NdPr share of TREO", "%", 1),
    ("dytb_pct", "Dy+Tb share of TREO", "%", 2),
    ("th_ppm", "Thorium", "ppm", 0),
    ("reserve_mt", "Ore reserve", "Mt ore", 2),
    ("resource_class", "Resource class", "", None),
    ("resource_category", "Category", "", None),
    ("standard", "Reporting standard", "", None),
    ("resource_year", "Statement year", "", -1),
    ("deposit_type", "Deposit type", "", None),
    ("main_ree_minerals", "REE minerals", "", None),
    ("stage", "Stage", "", None),
    ("owner", "Owner", "", None),
    ("legal_status", "Legal status", "", None),
)
"""Published figures of the deposit shown among the key facts, in order."""

MODEL_FIELDS = (
    ("ndpr_oxide_tpa", "NdPr oxide", "t/yr", 0),
    ("dytb_oxide_tpa", "Dy+Tb oxide", "t/yr", 1),
    ("ore_mtpa", "Ore throughput", "Mt/yr", 2),
    ("mine_life_yr", "Mine life", "yr", 0),
    ("capex_musd", "Initial capex", "USD M", 0),
    ("opex_usd_per_kg", "Opex", "USD/kg TREO", 1),
    ("irr_pct", "IRR", "%", 1),
    ("cost_to_plant_usd_t", "Logistics to plant", "USD/t conc.", 0),
)
"""Valuation figures shown among the key facts; their source is ``study_basis`` (a published
study of the deposit) or the model."""


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: the first-named source, how many more, a URL and a year."""

    text: str
    more: int = 0
    url: str | None = None
    year: str = ""

    @property
    def key(self) -> tuple:
        return (self.text, self.url)


@dataclass(frozen=True)
class Fact:
    """One line of the key facts: the row's value (number or text) and its source."""

    column: str
    label: str
    value: object
    unit: str = ""
    digits: int | None = None
    source: Source | None = None


@dataclass
class DealTerms:
    """Flags, the deal texts and the deposit's offtake agreements."""

    flags: list[str]
    texts: list[tuple[str, str]]
    offtakes: pd.DataFrame = field(default_factory=pd.DataFrame)


def text_value(value: object) -> str | None:
    """A cell as stripped text.

    Parameters
    ----------
    value : object

    Returns
    -------
    str or None
        None for a missing value (None, NA, NaN) or blank text.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _blank(value) -> bool:
    return text_value(value) is None


def split_source(text: object, url: object = None, year: object = None) -> Source | None:
    """The first source of a ``a | b | c`` source list, with how many more, its URL and year.

    Parameters
    ----------
    text, url, year : object
        A ``source`` cell (sources separated by `` | ``), its ``source_url`` cell (``|``) and
        ``source_year``.

    Returns
    -------
    Source or None
        None when ``text`` is empty.

    Examples
    --------
    >>> split_source("A | B", "https://a | https://b", 2024.0)
    Source(text='A', more=1, url='https://a', year='2024')
    """
    if _blank(text):
        return None
    parts = [p.strip() for p in str(text).split(" | ") if p.strip()]
    urls = [] if _blank(url) else [u.strip() for u in str(url).split("|") if u.strip()]
    year_text = "" if _blank(year) else str(year).removesuffix(".0")
    return Source(parts[0], len(parts) - 1, urls[0] if urls else None, year_text)


@cache
def _facts_table() -> pd.DataFrame:
    return pd.read_csv(layer_path("deposit_facts.csv"), dtype=str, keep_default_na=False)


@cache
def _offtakes_table() -> pd.DataFrame:
    return pd.read_csv(layer_path("offtakes.csv"), dtype=str, keep_default_na=False)


def _same(fact_value: str, value) -> bool:
    """Whether the row holds the fact's value (numbers compared to 1e-9 relative)."""
    if _blank(value):
        return False
    a, b = pd.to_numeric(pd.Series([fact_value, value]), errors="coerce")
    if np.isfinite(a) and np.isfinite(b):
        return bool(np.isclose(a, b, rtol=1e-9, atol=0))
    return str(fact_value).strip().casefold() == str(value).strip().casefold()


def fact_sources(row: pd.Series) -> dict[str, Source]:
    """Per-figure sources of one deposit row from the bundled ``deposit_facts.csv``.

    Parameters
    ----------
    row : pandas.Series
        One row of a ranked layer (``id`` and the figures).

    Returns
    -------
    dict
        Column name -> :class:`Source`, for the facts of this id whose value the row holds.
    """
    facts = _facts_table()
    mine = facts[facts["deposit_id"] == str(row.get("id", ""))]
    out = {}
    for rec in mine.itertuples(index=False):
        if rec.field in row.index and _same(rec.value, row[rec.field]):
            src = split_source(rec.source, rec.source_url, rec.source_year)
            if src is not None:
                out[rec.field] = src
    return out


def key_facts(row: pd.Series) -> tuple[list[Fact], list[Fact]]:
    """The deposit's published figures and the valuation's figures, each with its source.

    Parameters
    ----------
    row : pandas.Series
        One row of :func:`geoprospect.pipeline.rank`.

    Returns
    -------
    (list of Fact, list of Fact)
        Published figures (missing ones left out) and valuation figures.
    """
    per_figure = fact_sources(row)
    row_source = split_source(row.get("source"), row.get("source_url"), row.get("source_year"))
    published = [Fact(col, label, row[col], unit, digits, per_figure.get(col, row_source))
                 for col, label, unit, digits in FACT_FIELDS if col in row.index and not _blank(row[col])]
    basis = row.get("study_basis")
    model_source = Source("geoprospect screening model" if _blank(basis) or basis == "model"
                          else f"published study: {basis}")
    valued = [Fact(col, label, row.get(col), unit, digits, model_source)
              for col, label, unit, digits in MODEL_FIELDS if col in row.index]
    return published, valued


def deal_terms(row: pd.Series) -> DealTerms:
    """Flags, deal texts and offtakes of one deposit row.

    Returns
    -------
    DealTerms
        ``offtakes``: the bundled ``offtakes.csv`` rows whose ``deposit_id`` is the row's id
        (columns ``counterparty``, ``product``, ``tpa``, ``tpa_basis``, ``term_years``,
        ``binding``, ``status``, ``start_year``, ``source``, ``source_url``).
    """
    flags = [] if _blank(row.get("flags")) else [f for f in str(row["flags"]).split(";") if f]
    texts = [(label, str(row[col]).strip()) for col, label in DEAL_TEXT
             if col in row.index and not _blank(row[col])]
    table = _offtakes_table()
    offtakes = table[(table["deposit_id"] != "") & (table["deposit_id"] == str(row.get("id", "")))]
    return DealTerms(flags, texts, offtakes.reset_index(drop=True))


def assumptions(row: pd.Series, settings, *, model_sha256: str = "") -> list[tuple[str, str, str]]:
    """The valuation's assumptions for one row, as (label, value, note) text triples.

    Parameters
    ----------
    row : pandas.Series
        One ranked row (``discount_rate_pct``, ``royalty_pct``, ``tax_pct``,
        ``state_carry_pct``, ``product``, ``imputed``).
    settings : geoprospect.model.valuation.ValueSettings
        The settings the rows were valued with.
    model_sha256 : str
        The model file's hash (``ranked.attrs["model_sha256"]``).

    Returns
    -------
    list of (str, str, str)
        Plain text (the page escapes it).
    """
    p = settings.prices
    imputed = set(str(row.get("imputed") or "").split(";"))
    rate = float(row.get("discount_rate_pct", np.nan))
    premium = rate - settings.base_rate_pct

    def pct(col: str, key: str) -> tuple[str, str]:
        v = row.get(col)
        text = "—" if _blank(v) else f"{float(v):.1f} %"
        return text, ("imputed (not in the country table)" if key in imputed else "country_terms.csv")

    product = str(row.get("product") or "")
    pay = payability(product) if product in PRODUCTS else None
    kind = p.kind.replace("_", " ")
    out = [
        ("Price scenario", p.name, f"{kind}; {p.label}"),
        ("Oxide prices", f"NdPr {p.ndpr:g} · Dy {p.dy:g} · Tb {p.tb:g} · La/Ce {p.la_ce:g} USD/kg", p.source),
        ("Base real rate", f"{settings.base_rate_pct:g} %", ""),
        ("Country risk premium", "—" if not np.isfinite(premium) else f"{premium:.2f} %",
         "imputed (not in the country table)" if "premium" in imputed else "country_terms.csv"),
        ("Discount rate", "—" if not np.isfinite(rate) else f"{rate:.2f} % real", "base + premium"),
        ("Royalty", *pct("royalty_pct", "royalty")),
        ("Corporate tax", *pct("tax_pct", "tax")),
        ("State free carry", *pct("state_carry_pct", "carry")),
        ("Product, payability", product.replace("_", " ") or "—",
         "" if pay is None else f"{100 * pay[0]:.1f}–{100 * pay[1]:.1f} % of contained value (costs.csv)"),
        ("Monte Carlo", f"{settings.draws} draws, seed {settings.seed}", ""),
        ("Model file SHA-256", model_sha256[:16] + ("…" if len(model_sha256) > 16 else ""), model_sha256),
        ("Data date", data_date() or "—", "newest date of the bundled layers"),
    ]
    return out


def scenario_rows(scenarios: pd.DataFrame | None, deposit_id: str) -> pd.DataFrame | None:
    """The rows of one deposit in a scenario table (None when no table was given).

    Parameters
    ----------
    scenarios : pandas.DataFrame or None
        Columns :data:`SCENARIO_COLUMNS` (``assigned_plant_id`` and ``delta_npv_musd`` may be
        missing; they are shown as unknown).
    deposit_id : str

    Raises
    ------
    LayerError
        The table lacks ``id``, ``scenario`` or ``npv_musd_p50`` (``option="scenarios"``).
    """
    if scenarios is None:
        return None
    missing = [c for c in ("id", "scenario", "npv_musd_p50") if c not in scenarios.columns]
    if missing:
        raise LayerError(f"scenario table: missing column(s) {', '.join(missing)} "
                         f"(expected {', '.join(SCENARIO_COLUMNS)})", option="scenarios")
    mine = scenarios[scenarios["id"].astype(str) == str(deposit_id)].reindex(columns=list(SCENARIO_COLUMNS))
    # the base case first, then the scenarios that move this deposit most (a sheet shows a few)
    moved = pd.to_numeric(mine["delta_npv_musd"], errors="coerce").abs().fillna(-1.0)
    order = np.lexsort((-moved.to_numpy(), (mine["scenario"].astype(str) != "base").to_numpy()))
    return mine.iloc[order].reset_index(drop=True)
