"""Plant capacity and what is already promised: spare feed capacity after contracted feed.

For each plant (``facilities.geojson``), in tonnes of mineral concentrate a year:

* ``capacity_tpa`` — the sourced ``feed_capacity_tpa`` (NaN where no figure was found);
* ``captive_tpa`` — the share of it its owner's own mines fill (``contracted_feed_share_pct``:
  100 % for Lynas' plants, Mountain Pass, White Mesa, Nolans; sourced per plant);
* ``contracted_tpa`` — binding offtakes in force at the date asked for (``offtakes.csv``) whose
  tonnes are concentrate delivered to that plant (``tpa_basis`` in t/yr of a concentrate:
  concentrate, monazite, REEC, REMC; an offtake of oxide or magnets does not fill a cracker);
* ``spare_tpa = capacity - captive - contracted`` (at least 0); 0 for a plant its owner's feed
  fills entirely (100 % captive) even where its tonnage is not published; NaN where the capacity
  is not known otherwise: unknown stays unknown, it is never read as zero or as unlimited
  without saying so.

Examples
--------
>>> import pandas as pd
>>> fac = pd.DataFrame({"id": ["p"], "feed_capacity_tpa": [10000.0], "contracted_feed_share_pct": [20.0]})
>>> off = pd.DataFrame({"id": ["o"], "plant_id": ["p"], "tpa": [3000.0], "tpa_basis": ["t/yr concentrate"],
...                     "binding": ["binding"], "status": ["in_force"], "start_year": [None]})
>>> float(plant_capacity(fac, off)["spare_tpa"].iloc[0])
5000.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.io.bundled import data_date, layer_path

CONCENTRATE_BASES = ("concentrate", "monazite", "reec", "remc", "xenotime", "bastnaesite")
"""Words of an offtake's ``tpa_basis`` that mean tonnes of mineral concentrate (plant feed)."""


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame[col].fillna("").astype(str) if col in frame else pd.Series("", index=frame.index)


def _num(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[col], errors="coerce")


def contracts_in_force(offtakes: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    """Binding offtakes in force at ``as_of`` (ISO date; default: the data date) that deliver
    concentrate to a plant, with ``tpa`` numeric."""
    when = (as_of or data_date() or "9999")[:4]
    start = _num(offtakes, "start_year")
    basis = _text(offtakes, "tpa_basis").str.lower()
    keep = (_text(offtakes, "binding").str.lower().eq("binding")
            & _text(offtakes, "status").str.lower().eq("in_force")
            & _text(offtakes, "plant_id").ne("")
            & basis.str.contains("|".join(CONCENTRATE_BASES))
            & ~basis.str.contains("oxide|magnet|alloy|metal")
            & (start.isna() | (start <= float(when))))
    out = offtakes.loc[keep].copy()
    out["tpa"] = _num(out, "tpa")
    return out


def plant_capacity(facilities: pd.DataFrame, offtakes: pd.DataFrame | None = None, *,
                   as_of: str | None = None) -> pd.DataFrame:
    """Feed capacity, captive, contracted and spare tonnes per plant (see the module docstring).

    Parameters
    ----------
    facilities : DataFrame
        ``id``, ``feed_capacity_tpa``, ``contracted_feed_share_pct`` (missing: unknown/none).
    offtakes : DataFrame, optional
        The offtakes table (default: the bundled ``offtakes.csv``).
    as_of : str, optional
        ISO date at which contracts count (default: the data date).

    Returns
    -------
    pandas.DataFrame
        Indexed by plant id: ``capacity_tpa``, ``captive_tpa``, ``contracted_tpa``,
        ``spare_tpa`` and ``contracts`` (the offtake ids counted, ``;``-joined).
    """
    if offtakes is None:
        offtakes = pd.read_csv(layer_path("offtakes.csv"), dtype=str)
    fac = facilities.drop_duplicates("id").set_index("id")
    cap = _num(fac, "feed_capacity_tpa")
    share = _num(fac, "contracted_feed_share_pct").fillna(0.0)
    captive = (cap * share / 100).where(cap.notna())
    live = contracts_in_force(offtakes, as_of)
    by_plant = live.groupby("plant_id")
    contracted = by_plant["tpa"].sum(min_count=1).reindex(fac.index).fillna(0.0)
    ids = by_plant["id"].agg(lambda s: ";".join(map(str, s))).reindex(fac.index).fillna("")
    spare = (cap - captive.fillna(0.0) - contracted).clip(lower=0.0).where(cap.notna())
    spare = spare.where(share < 100, 0.0)
    return pd.DataFrame({"capacity_tpa": cap, "captive_tpa": captive, "contracted_tpa": contracted,
                         "spare_tpa": spare, "contracts": ids}, index=fac.index)
