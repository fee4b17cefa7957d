"""Reference tables read at run time: country risk, policy events and the price deck.

They live in ``layers/`` (users may pass their own files) and never inside a model file, so a
model can be re-used with an updated risk table or price deck.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.io.bundled import layer_path

WGI_PCT = ("wgi_va_pct", "wgi_pv_pct", "wgi_ge_pct", "wgi_rq_pct", "wgi_rl_pct", "wgi_cc_pct")
"""World Bank WGI percentile ranks (0-100, higher = better governance)."""

RESTRICTIVE_EVENTS = ("export_ban", "export_restriction", "licence_freeze", "armed_conflict",
                      "sanctions")
"""Policy/security event types that count against a jurisdiction when in force. A state
reservation is not counted here: whether it bars an investor depends on who invests, which the
flags handle (:mod:`geoprospect.features.flags`)."""

_PRICE_KEYS = {
    "ndpr": r"^\s*ndpr\b",
    "nd": r"^\s*nd2o3",
    "dy": r"^\s*dy2o3",
    "tb": r"^\s*tb4o7",
    "la": r"^\s*la2o3",
    "ce": r"^\s*ce(?:o2|2o3)",
}


@dataclass(frozen=True)
class PriceDeck:
    """Oxide prices (USD/kg) picked from a deck: the latest annual (``YYYY``) figure per product.

    Attributes
    ----------
    usd_per_kg : dict
        ``{"ndpr": 51.0, "dy": 260.0, ...}``; a product missing from the deck is absent.
    periods : dict
        The period each price belongs to.
    sources : dict
        The source of each price.
    """

    usd_per_kg: dict
    periods: dict
    sources: dict


def read_table(path: str | Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a reference CSV and check it has the required columns (one-line error otherwise)."""
    path = Path(path)
    if not path.exists():
        raise LayerError(f"{path}: file not found")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LayerError(f"{path.name}: not valid UTF-8 ({exc.reason})") from exc
    except pd.errors.ParserError as exc:
        raise LayerError(f"{path.name}: malformed CSV ({str(exc).splitlines()[0]})") from exc
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise LayerError(f"{path.name}: missing column(s) {', '.join(missing)}")
    return table


def price_deck(path: str | Path | None = None) -> PriceDeck:
    """Load a price deck (columns ``product``, ``price_usd_per_kg``, ``period``, ``source``).

    The bundled ``layers/prices.csv`` is used when ``path`` is None.
    """
    if path is None:
        return _bundled_deck()
    return _deck(read_table(path, ("product", "price_usd_per_kg", "period")), Path(path).name)


@cache
def _bundled_deck() -> PriceDeck:

    p = layer_path("prices.csv")
    return _deck(read_table(p, ("product", "price_usd_per_kg", "period")), p.name)


def _deck(table: pd.DataFrame, name: str) -> PriceDeck:
    prices, periods, sources = {}, {}, {}
    value = pd.to_numeric(table["price_usd_per_kg"], errors="coerce")
    bad = value.isna() & (table["price_usd_per_kg"].str.strip() != "")
    if bad.any():
        r = int(np.flatnonzero(bad)[0]) + 1
        raise LayerError(f"{name}: row {r}: price_usd_per_kg: "
                         f"{table['price_usd_per_kg'].iloc[r - 1]!r} is not a number")
    annual = table["period"].str.fullmatch(r"\d{4}") & value.notna()
    for key, pattern in _PRICE_KEYS.items():
        hit = annual & table["product"].str.lower().str.contains(pattern, regex=True)
        if not hit.any():
            continue
        rows = table[hit].assign(_v=value[hit]).sort_values("period", kind="stable")
        last = rows.iloc[-1]
        prices[key] = float(last["_v"])
        periods[key] = last["period"]
        sources[key] = last.get("source", "")
    return PriceDeck(prices, periods, sources)


def national_rows(long: pd.DataFrame) -> pd.DataFrame:
    """The national rows of a long country-risk table, with numeric ``value`` and ``year``.

    Parameters
    ----------
    long : pandas.DataFrame
        The ``layers/country_risk.csv`` layout: ``iso3, [admin1,] indicator, value, year``.

    Returns
    -------
    pandas.DataFrame
        Rows whose ``admin1`` is blank (all rows when there is no such column); ``iso3``
        upper-cased, ``value`` and ``year`` as floats (NaN where not a number).
    """
    if "admin1" in long:
        long = long[long["admin1"].astype("string").fillna("").str.strip() == ""]
    return long.assign(iso3=long["iso3"].astype(str).str.strip().str.upper(),
                       value=pd.to_numeric(long["value"], errors="coerce"),
                       year=pd.to_numeric(long["year"], errors="coerce"))


def latest_national(long: pd.DataFrame) -> pd.DataFrame:
    """The latest national figure of each indicator per country, as a wide table.

    The one parser of the long country-risk layout: the model's risk features
    (:func:`country_risk_table`) and the map's choropleth
    (:func:`geoprospect.maps.basemap.country_risk_index`) both read it through here.

    Parameters
    ----------
    long : pandas.DataFrame
        The long layout (see :func:`national_rows`; sub-national rows are dropped here).

    Returns
    -------
    pandas.DataFrame
        Indexed by ISO3, one column per indicator: the value of the latest year (a missing
        value does not hide an older one).

    Examples
    --------
    >>> long = pd.DataFrame({"iso3": ["mwi", "MWI"], "indicator": ["wgi_va_pct"] * 2,
    ...                      "value": ["40.2", "45.5"], "year": ["2022", "2023"]})
    >>> latest_national(long).to_dict()
    {'wgi_va_pct': {'MWI': 45.5}}
    """
    national = national_rows(long)
    latest = national.sort_values("year").groupby(["iso3", "indicator"]).last()["value"]
    return latest.unstack("indicator")


@cache
def country_risk_table(path: str | None = None) -> pd.DataFrame:
    """Country risk indicators as a wide table: one row per ISO3 (national figures).

    Columns: the WGI percentile ranks (:data:`WGI_PCT`), ``wgi_year``, ``fraser_ppi`` (latest
    national figure, often missing), ``restrictive_events`` (count of in-force restrictive policy
    or security events at national level) and ``events`` (their ids).
    """

    p = Path(path) if path else layer_path("country_risk.csv")
    national = national_rows(read_table(p, ("iso3", "indicator", "value", "year")))
    wide = latest_national(national)
    for col in (*WGI_PCT, "fraser_ppi"):
        if col not in wide:
            wide[col] = np.nan
    years = national[national["indicator"].isin(WGI_PCT)].groupby("iso3")["year"].max()
    wide["wgi_year"] = years
    events = policy_events()
    active = events[events["in_force"].ne("no") & events["event_type"].isin(RESTRICTIVE_EVENTS)
                    & (events["admin1"] == "")]
    wide["restrictive_events"] = active.groupby("iso3").size().reindex(wide.index).fillna(0)
    wide["events"] = active.groupby("iso3")["id"].agg(";".join).reindex(wide.index)
    return wide[[*WGI_PCT, "wgi_year", "fraser_ppi", "restrictive_events", "events"]]


@cache
def policy_events(path: str | None = None) -> pd.DataFrame:
    """The dated policy and security events table (``layers/policy_events.csv``)."""

    p = Path(path) if path else layer_path("policy_events.csv")
    return read_table(p, ("id", "iso3", "admin1", "event_type", "in_force"))


def admin1_events(iso3: np.ndarray, admin1: np.ndarray) -> np.ndarray:
    """Count in-force restrictive events recorded for each row's admin-1 region (vectorised)."""
    events = policy_events()
    active = events[events["in_force"].ne("no") & events["event_type"].isin(RESTRICTIVE_EVENTS)
                    & (events["admin1"] != "")]
    if active.empty:
        return np.zeros(len(iso3))
    counts = active.groupby([active["iso3"], active["admin1"].str.casefold()]).size()
    keys = pd.MultiIndex.from_arrays([pd.Series(iso3, dtype="object").fillna(""),
                                      pd.Series(admin1, dtype="object").fillna("").str.casefold()])
    return counts.reindex(keys).fillna(0).to_numpy(dtype=float)


@cache
def committed_offtake_ids() -> frozenset:
    """Deposit ids with a binding offtake in force (``layers/offtakes.csv``): part or all of
    their output is already sold, which a buyer must negotiate around."""
    table = pd.read_csv(layer_path("offtakes.csv"), dtype=str, keep_default_na=False)
    live = (table["status"] == "in_force") & (table["binding"] == "binding") & (table["deposit_id"] != "")
    return frozenset(table.loc[live, "deposit_id"])
