"""Published study figures on one basis: US dollars of one year, opex per tonne of ore.

``layers/studies.csv`` keeps every figure as published (``capex_value`` in ``capex_currency``,
``opex_value`` per ``opex_unit``, ``npv_value`` in ``npv_currency``, in the money of the study's
``cost_year`` or ``study_year``). :func:`standard_studies` converts them:

1. **to US dollars**: at the exchange rate the study states (``fx_usd_per_unit``) when it states
   one, else at the annual-average rate of the cost year (``layers/fx_rates.csv``, sourced per
   row); a currency or year the table lacks leaves the figure empty (never guessed);
2. **to real US dollars of** :data:`BASE_YEAR`: capex and opex escalated by the cost index
   (``layers/cost_index.csv``: the Chemical Engineering Plant Cost Index where it has the year,
   else US CPI-U). NPVs stay in the study's own money: they are compared at the study's own
   price deck and discount rate;
3. **opex to USD per tonne of ore**, the basis of the USBM cost models (Camm 1991): from USD/kg
   TREO with the product's TREO t/yr, from USD/kg NdPr oxide with the NdPr t/yr, from USD/t
   concentrate with the product tonnes, from an annual figure; each over the ore throughput.
   A figure net of co-product credits (``opex_net_of_credits = yes``) is kept but marked, because
   credits lower it below the cost of the rare-earth circuit.

Every derived figure names its basis in a ``*_basis`` column so the card and the deal sheet can
say how it was obtained.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from geoprospect.io.bundled import layer_path
from geoprospect.io.terms import coproduct_prices

BASE_YEAR = 2024
"""Costs are compared in real US dollars of this year (the latest complete year of the indices)."""
ESCALATORS = ("CEPCI", "CPI-U")
"""The plant-cost index (Chemical Engineering Plant Cost Index) and the consumer-price index that
carries it on past its latest published year (``layers/cost_index.csv``)."""
OPEX_BASES = ("per_kg_treo", "per_kg_ndpr", "per_t_ore", "per_t_concentrate", "per_year")


@cache
def fx_table() -> pd.DataFrame:
    """Annual-average exchange rates (``currency``, ``year``, ``usd_per_unit``) with sources."""
    table = pd.read_csv(layer_path("fx_rates.csv"), dtype={"currency": str})
    table["usd_per_unit"] = pd.to_numeric(table["usd_per_unit"], errors="coerce")
    return table.dropna(subset=["usd_per_unit"])


@cache
def cost_index() -> pd.DataFrame:
    """Annual cost indices (``index``, ``year``, ``value``) with sources."""
    table = pd.read_csv(layer_path("cost_index.csv"), dtype={"index": str})
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    return table.dropna(subset=["value"])


def usd_per_unit(currency, year) -> np.ndarray:
    """Annual-average US dollars per unit of ``currency`` in ``year`` (1 for USD; NaN if unknown).

    Parameters
    ----------
    currency, year : array_like
        ISO 4217 codes and calendar years, one per element (equal lengths).
    """
    codes = [str(c).strip().upper() if isinstance(c, str) else "" for c in np.atleast_1d(currency)]
    years = pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(year, dtype=object))), errors="coerce")
    table = fx_table()
    keys = zip(table["currency"], table["year"].astype(int), strict=True)
    rates = dict(zip(keys, table["usd_per_unit"], strict=True))
    return np.array([1.0 if c == "USD" else rates.get((c, int(y)), np.nan) if c and np.isfinite(y) else np.nan
                     for c, y in zip(codes, years, strict=True)])


def escalation_factor(year, *, to_year: int = BASE_YEAR) -> tuple[np.ndarray, np.ndarray]:
    """Factor taking money of ``year`` to ``to_year``, and the indices used, per element.

    The plant-cost index (:data:`ESCALATORS` first, CEPCI) carries a figure up to its latest
    published year, and consumer prices (CPI-U) from there to ``to_year``; a year the
    plant-cost index lacks is escalated by consumer prices alone. NaN (and ``""``) where neither
    index has the year.
    """
    yr = pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(year, dtype=object))),
                       errors="coerce").to_numpy(float)
    table = cost_index()
    plant, cpi = (table[table["index"] == name].set_index("year")["value"] for name in ESCALATORS)
    factor, used = np.full(yr.shape, np.nan), np.full(yr.shape, "", dtype=object)
    if to_year not in cpi.index:
        return factor, used
    for i, y in enumerate(yr):
        if not np.isfinite(y):
            continue
        y = int(y)
        last = int(plant.index.max()) if len(plant) else None
        if last is not None and y in plant.index and last in cpi.index and y <= last:
            factor[i] = plant[last] / plant[y] * cpi[to_year] / cpi[last]
            used[i] = f"{ESCALATORS[0]} {y}-{last}, {ESCALATORS[1]} {last}-{to_year}"
        elif y in cpi.index:
            factor[i] = cpi[to_year] / cpi[y]
            used[i] = f"{ESCALATORS[1]} {y}-{to_year}"
    return factor, used


def opex_basis(unit) -> np.ndarray:
    """The basis (one of :data:`OPEX_BASES`, or ``""``) of each ``opex_unit`` text."""
    def one(text) -> str:
        t = str(text).lower() if isinstance(text, str) else ""
        if not t:
            return ""
        if "ndpr" in t:
            return "per_kg_ndpr"
        if re.search(r"\bkg\b.*\b(t?reo|treo)\b", t) or "kg treo" in t or "kg reo" in t:
            return "per_kg_treo"
        if re.search(r"\bt(onne)?\b\s*(of\s*)?ore", t):
            return "per_t_ore"
        if "concentrate" in t:
            return "per_t_concentrate"
        if "million" in t or "/yr" in t or "per year" in t or "musd" in t:
            return "per_year"
        return ""
    return np.array([one(u) for u in np.atleast_1d(np.asarray(unit, dtype=object))], dtype=object)


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(float)


def _text(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), "", dtype=object)
    return df[col].fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _currency(df: pd.DataFrame, own: str, unit: str | None = None) -> np.ndarray:
    """The figure's currency: its own column, else a code leading its unit, else the study's."""
    cur = _text(df, own)
    if unit is not None:
        lead = pd.Series(_text(df, unit)).str.extract(r"^\s*([A-Za-z]{3})\b")[0].fillna("").str.upper()
        cur = np.where(cur == "", lead.to_numpy(dtype=object), cur)
    return np.where(cur == "", _text(df, "currency"), cur).astype(object)


def _to_usd(value: np.ndarray, currency: np.ndarray, year: np.ndarray,
            stated: np.ndarray, study_currency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nominal USD of the figures and how each was converted."""
    cur = np.array([c.upper() for c in currency], dtype=object)
    is_usd = cur == "USD"
    own_rate = np.isfinite(stated) & (cur == np.array([c.upper() for c in study_currency])) & ~is_usd
    annual = usd_per_unit(cur, year)
    rate = np.where(is_usd, 1.0, np.where(own_rate, stated, annual))
    basis = np.where(~np.isfinite(value), "", np.where(
        is_usd, "published in USD", np.where(own_rate, "study's stated rate", np.where(
            np.isfinite(annual), [f"annual average {c} {int(y) if np.isfinite(y) else ''}"
                                  for c, y in zip(cur, year, strict=True)], "no exchange rate"))))
    return value * rate, basis.astype(object)


def standard_studies(studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """The studies table with every money figure on one basis (see the module docstring).

    Parameters
    ----------
    studies : pandas.DataFrame, optional
        As ``layers/studies.csv`` (the bundled table when None); the legacy USD columns
        (``capex_musd``, ``opex_usd_per_kg``, ``npv_musd``) stand in for ``*_value`` figures a
        row does not give.

    Returns
    -------
    pandas.DataFrame
        The input plus ``capex_usd_m`` (nominal), ``capex_real_usd_m`` (USD of
        :data:`BASE_YEAR`), ``capex_basis_used``; ``ore_throughput_used`` (published, else the
        study's mine plan over its life, else TREO output over feed grade x recovery) with
        ``throughput_basis``; ``product_treo_tpa_used`` (published, else NdPr t/yr / NdPr share,
        else ore x feed grade x recovery) with ``product_treo_basis``;
        ``opex_real_usd_t_ore`` and ``opex_basis_used``; ``revenue_real_usd_m_yr`` and
        ``ebitda_real_usd_m_yr`` (the published annual revenue and EBITDA, real USD of
        :data:`BASE_YEAR`, escalated as the costs); ``coproduct_usd_m_yr`` (real USD a year:
        priced outputs at deck prices, else the published co-product share of revenue) with
        ``coproduct_basis``; ``npv_usd_m`` (nominal, the study's money) and ``npv_basis_used``.
    """
    df = (pd.read_csv(layer_path("studies.csv")) if studies is None else studies).copy()
    if "study_id" not in df:  # a user's table: rows are their own ids
        df["study_id"] = [f"study-{i + 1}" for i in range(len(df))]
    year = _num(df, "cost_year")
    year = np.where(np.isfinite(year), year, _num(df, "study_year"))
    stated, study_cur = _num(df, "fx_usd_per_unit"), _text(df, "currency")
    escal, index_used = escalation_factor(year)

    capex_v = _num(df, "capex_value")
    legacy = ~np.isfinite(capex_v) & np.isfinite(_num(df, "capex_musd"))
    capex_cur = np.where(legacy, "USD", _currency(df, "capex_currency"))
    capex, how = _to_usd(np.where(legacy, _num(df, "capex_musd"), capex_v), capex_cur, year, stated,
                         study_cur)
    df["capex_usd_m"] = capex
    df["capex_real_usd_m"] = capex * escal
    df["capex_basis_used"] = [f"{h}; {i}" if h and i else h for h, i in zip(how, index_used, strict=True)]

    ndpr_tpa, ndpr_share = _num(df, "ndpr_oxide_tpa"), _num(df, "ndpr_pct")
    treo, grade, rec = _num(df, "product_treo_tpa"), _num(df, "feed_grade_treo_pct"), _num(df, "recovery_pct")
    thr = _num(df, "ore_throughput_mtpa")
    with np.errstate(invalid="ignore", divide="ignore"):
        from_ndpr = ndpr_tpa / (ndpr_share / 100)
        treo = np.where(np.isfinite(treo), treo, from_ndpr)
        from_plan = _num(df, "mine_plan_mt") / _num(df, "mine_life_yr")
        from_output = treo / (grade / 100 * rec / 100) / 1e6
    thr_basis = np.where(np.isfinite(thr), "published", np.where(
        np.isfinite(from_plan), "mine plan / life", np.where(np.isfinite(from_output),
                                                            "TREO output / (feed grade x recovery)", "")))
    thr = np.where(np.isfinite(thr), thr, np.where(np.isfinite(from_plan), from_plan, from_output))
    df["ore_throughput_used"], df["throughput_basis"] = thr, thr_basis
    ore_t = thr * 1e6
    from_feed = ore_t * grade / 100 * rec / 100
    published = np.isfinite(_num(df, "product_treo_tpa"))
    df["product_treo_tpa_used"] = np.where(np.isfinite(treo), treo, from_feed)
    df["product_treo_basis"] = np.where(published, "published", np.where(
        np.isfinite(from_ndpr), "NdPr t/yr / NdPr share", np.where(np.isfinite(from_feed),
                                                                    "ore x feed grade x recovery", "")))

    basis = opex_basis(_text(df, "opex_unit"))
    opex_v = _num(df, "opex_value")
    legacy = ~np.isfinite(opex_v) & np.isfinite(_num(df, "opex_usd_per_kg"))
    opex_cur = np.where(legacy, "USD", _currency(df, "opex_currency", "opex_unit"))
    opex, how = _to_usd(np.where(legacy, _num(df, "opex_usd_per_kg"), opex_v), opex_cur, year, stated,
                        study_cur)
    conc_t = _num(df, "product_tpa")
    annual = np.select(  # USD per year
        [basis == "per_kg_treo", basis == "per_kg_ndpr", basis == "per_t_ore", basis == "per_t_concentrate",
         basis == "per_year"],
        [opex * 1e3 * df["product_treo_tpa_used"].to_numpy(float), opex * 1e3 * ndpr_tpa, opex * ore_t,
         opex * conc_t, opex * 1e6], np.nan)
    money = _currency(df, "npv_currency")
    for col, name in (("annual_revenue_value", "revenue_real_usd_m_yr"), ("annual_ebitda_value",
                                                                          "ebitda_real_usd_m_yr")):
        df[name] = _to_usd(_num(df, col), money, year, stated, study_cur)[0] * escal
    revenue = _num(df, "annual_revenue_value") - _num(df, "annual_ebitda_value")
    rev_usd, rev_how = _to_usd(revenue, money, year, stated, study_cur)
    from_ebitda = ~np.isfinite(annual) & np.isfinite(rev_usd)
    annual = np.where(from_ebitda, rev_usd * 1e6, annual)
    basis = np.where(from_ebitda, "revenue - EBITDA (royalties included)", basis)
    how = np.where(from_ebitda, rev_how, how)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_t = np.where(ore_t > 0, annual / ore_t, np.nan) * escal
    net = pd.Series(_text(df, "opex_net_of_credits")).str.lower().eq("yes").to_numpy()
    df["opex_real_usd_t_ore"] = per_t
    df["opex_net_of_credits_flag"] = net
    df["opex_basis_used"] = np.where(np.isfinite(per_t), [
        f"{b}; {h}; {i}" + ("; net of co-product credits" if n else "")
        for b, h, i, n in zip(basis, how, index_used, net, strict=True)], "")

    priced = priced_outputs_usd(_text(df, "coproduct_outputs"), coproduct_prices())
    share_rev, _ = _to_usd(_num(df, "coproduct_revenue_share_pct") / 100 * _num(df, "annual_revenue_value"),
                           _currency(df, "npv_currency"), year, stated, study_cur)
    df["coproduct_usd_m_yr"] = np.where(priced > 0, priced / 1e6, share_rev * escal)
    df["coproduct_basis"] = np.where(priced > 0, "outputs at deck prices", np.where(
        np.isfinite(share_rev), "published co-product share of revenue", ""))

    npv_v = _num(df, "npv_value")
    legacy = ~np.isfinite(npv_v) & np.isfinite(_num(df, "npv_musd"))
    npv_cur = np.where(legacy, "USD", _currency(df, "npv_currency"))
    df["npv_usd_m"], df["npv_basis_used"] = _to_usd(np.where(legacy, _num(df, "npv_musd"), npv_v), npv_cur,
                                                    year, stated, study_cur)
    return df


def priced_outputs_usd(outputs, prices: dict) -> np.ndarray:
    """USD a year of ``name:tonnes`` lists (``zircon:53000;ilmenite:...``) at ``prices`` (USD/t by
    name); outputs without a price in the deck count 0 (unknown, never guessed)."""
    out = np.zeros(len(outputs))
    for i, text in enumerate(outputs):
        if not isinstance(text, str):
            continue
        for part in text.split(";"):
            name, _, tonnes = part.partition(":")
            t = pd.to_numeric(tonnes.replace(",", "").strip(), errors="coerce")
            price = prices.get(name.strip().lower())
            if price is not None and np.isfinite(t):
                out[i] += float(t) * float(price)
    return out
