"""How much of a deposit's NdPr is already sold: committed and uncommitted oxide a year.

Binding offtakes in force (``layers/offtakes.csv``) commit part of a deposit's output. Their
tonnes come on different bases, converted with the deposit's own screening output:

* ``t/yr NdPr oxide`` — as stated;
* tonnes of a concentrate (``t/yr concentrate``, monazite, REEC, REMC) — x the concentrate's TREO
  content (``costs.csv``) x the deposit's NdPr share of its TREO output;
* ``% of output`` with no tonnes — the whole output (the sources say "all", "vast majority" or a
  share not stated: counted as committed, and the note says so);
* any other basis (magnets, alloy, a total over years) — not converted: the flag stays, the
  tonnes are not subtracted.

``uncommitted_ndpr_tpa = max(ndpr_oxide_tpa - committed, 0)``. A row's figures depend on its id,
its own output and the bundled table only.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from geoprospect.io.bundled import layer_path
from geoprospect.io.terms import product_treo_fraction

CONCENTRATE_WORDS = ("concentrate", "monazite", "reec", "remc")


@cache
def _binding() -> pd.DataFrame:
    table = pd.read_csv(layer_path("offtakes.csv"), dtype=str, keep_default_na=False)
    live = table[(table["binding"] == "binding") & (table["status"] == "in_force")
                 & (table["deposit_id"] != "")]
    return live.assign(tpa=pd.to_numeric(live["tpa"], errors="coerce"),
                       basis=live["tpa_basis"].str.lower())


def committed_ndpr(ids, ndpr_tpa, treo_tpa) -> tuple[np.ndarray, np.ndarray]:
    """Committed NdPr oxide (t/yr) and the offtake ids counted, per row.

    Parameters
    ----------
    ids : array_like of str
        Deposit ids.
    ndpr_tpa, treo_tpa : array_like
        The rows' screening NdPr and TREO outputs (t/yr).
    """
    ids = np.asarray(ids, dtype=object)
    ndpr, treo = (np.asarray(a, dtype=float) for a in (ndpr_tpa, treo_tpa))
    share = np.divide(ndpr, treo, out=np.full(len(ids), np.nan), where=treo > 0)
    conc = product_treo_fraction("concentrate")
    committed = np.zeros(len(ids))
    which = np.full(len(ids), "", dtype=object)
    live = _binding()
    for i in np.flatnonzero(pd.Series(ids).isin(set(live["deposit_id"])).to_numpy()):
        total, used = 0.0, []
        for rec in live[live["deposit_id"] == ids[i]].itertuples():
            if "ndpr oxide" in rec.basis and np.isfinite(rec.tpa):
                t = rec.tpa
            elif any(w in rec.basis for w in CONCENTRATE_WORDS) and np.isfinite(rec.tpa):
                t = rec.tpa * conc * share[i]
            elif rec.basis.startswith("%") and not np.isfinite(rec.tpa):
                t = ndpr[i]
            else:
                continue
            total += t if np.isfinite(t) else 0.0
            used.append(str(rec.id))
        committed[i] = min(total, ndpr[i]) if np.isfinite(ndpr[i]) else total
        which[i] = ";".join(used)
    return committed, which


def offtake_columns(ids, ndpr_tpa, treo_tpa, index=None) -> pd.DataFrame:
    """``committed_ndpr_tpa``, ``uncommitted_ndpr_tpa`` and ``committed_offtakes`` per row."""
    committed, which = committed_ndpr(ids, ndpr_tpa, treo_tpa)
    ndpr = np.asarray(ndpr_tpa, dtype=float)
    return pd.DataFrame({"committed_ndpr_tpa": committed,
                         "uncommitted_ndpr_tpa": np.clip(ndpr - committed, 0.0, None),
                         "committed_offtakes": which}, index=index)
