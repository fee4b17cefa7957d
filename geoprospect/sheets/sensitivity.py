"""The tornado of one deposit: its median-input NPV revalued under one shock at a time.

Each shock is a :class:`~geoprospect.model.valuation.ValueSettings` change (the "what if" factors
of the valuation: ``capex_factor``, ``opex_factor``, ``recovery_factor``, ``premium_add_pct``, or
the NdPr price of the price scenario) and the row is revalued with
:func:`geoprospect.model.valuation.value_rows` at ``draws=0`` (the deterministic NPV at the median
inputs, the figure ``rank`` ranks by), keeping the row's own logistics cost. Nothing is computed
here that the valuation does not compute itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from geoprospect.errors import ModelError
from geoprospect.io.terms import country_terms
from geoprospect.model.valuation import ValueSettings, barred_from, value_rows


@dataclass(frozen=True)
class Shock:
    """One bar of the tornado: a settings change for the low and for the high case."""

    key: str
    label: str
    low_label: str
    high_label: str
    setting: str  # ValueSettings field, or "ndpr_price"
    low: float
    high: float


SHOCKS = (
    Shock("ndpr_price", "NdPr price", "−25 %", "+25 %", "ndpr_price", 0.75, 1.25),
    Shock("capex", "Capex", "×0.75", "×1.25", "capex_factor", 0.75, 1.25),
    Shock("opex", "Opex", "×0.75", "×1.25", "opex_factor", 0.75, 1.25),
    Shock("recovery", "Recovery", "×0.9", "×1.1", "recovery_factor", 0.9, 1.1),
    Shock("premium", "Risk premium", "−2 pp", "+2 pp", "premium_add_pct", -2.0, 2.0),
)
"""The shocks of a sheet's tornado: price, capex, opex, recovery and risk premium."""

TOLERANCE = 1e-6
"""Relative difference allowed between the row's ``npv_musd`` and its revaluation."""


def shocked(settings: ValueSettings, shock: Shock, value: float) -> ValueSettings:
    """``settings`` with one shock applied, at the median inputs (no Monte Carlo draws).

    Parameters
    ----------
    settings : ValueSettings
        What the rows were valued with.
    shock : Shock
        One of :data:`SHOCKS`.
    value : float
        Its low or high value: a factor, percentage points, or the NdPr price multiplier.

    Returns
    -------
    ValueSettings
        With ``draws=0``. The NdPr price shock multiplies the deck's NdPr price (other oxides
        unchanged; the same deck with one price moved, which also holds for a user's
        ``--ndpr-price`` deck that :func:`~geoprospect.io.terms.price_scenario` cannot name).
    """
    base = replace(settings, draws=0)
    if shock.setting == "ndpr_price":
        return replace(base, prices=replace(settings.prices, ndpr=settings.prices.ndpr * value))
    return replace(base, **{shock.setting: value})


def tornado(row: pd.DataFrame, params: dict, settings: ValueSettings) -> pd.DataFrame:
    """Revalue one ranked row under each shock of :data:`SHOCKS`.

    Parameters
    ----------
    row : pandas.DataFrame
        One row of :func:`geoprospect.pipeline.rank` (its inputs, ``cost_to_plant_usd_t`` and
        ``npv_musd``).
    params : dict
        The fitted valuation model the row was ranked with (``Valuation.params``).
    settings : ValueSettings
        The settings the row was ranked with (``Valuation.settings``).

    Returns
    -------
    pandas.DataFrame
        One row per shock: ``key``, ``label``, ``low_label``, ``high_label``, ``npv_low``,
        ``npv_high`` (USD million), ``base`` (the row's ``npv_musd``) and ``swing``
        (``|npv_high - npv_low|``), largest swing first.

    Raises
    ------
    ModelError
        The model or settings given do not reproduce the row's ``npv_musd``: the sheet would
        not describe the ranked row.
    """
    if len(row) != 1:
        raise ValueError("tornado() values one row at a time")
    cost = pd.to_numeric(row["cost_to_plant_usd_t"], errors="coerce").to_numpy(dtype=float) \
        if "cost_to_plant_usd_t" in row else np.full(1, np.nan)

    text = lambda c: row[c].to_numpy(dtype=object) if c in row else None  # noqa: E731
    terms = country_terms(text("country"), text("admin1"))  # looked up once, not per shock

    barred = barred_from(row["blocked_by"]) if "blocked_by" in row else None

    def npv(s: ValueSettings) -> float:
        value = value_rows(row, cost, params, s, terms=terms, export_barred=barred)[0]
        return float(value["npv_musd"].iloc[0])

    base = float(pd.to_numeric(row["npv_musd"], errors="coerce").iloc[0])
    again = npv(replace(settings, draws=0))
    if not np.isclose(again, base, rtol=TOLERANCE, atol=1e-6, equal_nan=True):
        raise ModelError(f"the valuation given does not reproduce the ranked NPV of {row['id'].iloc[0]!r} "
                         f"({again:,.1f} vs {base:,.1f} USD M): use the model, prices and rate it was "
                         "ranked with")
    rows = [{"key": s.key, "label": s.label, "low_label": s.low_label, "high_label": s.high_label,
             "npv_low": npv(shocked(settings, s, s.low)), "npv_high": npv(shocked(settings, s, s.high)),
             "base": base} for s in SHOCKS]
    out = pd.DataFrame(rows)
    out["swing"] = (out["npv_high"] - out["npv_low"]).abs()
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
