"""A deposit's own published study, as the valuation reads it: the *anchors*.

Where the bundled studies table (:func:`geoprospect.io.studies.standard_studies`) has studies of a
deposit id, its design figures (throughput, product, TREO output, capex, opex, life, recovery,
co-product revenue) replace the models' estimates in that deposit's valuation, banded by the
accuracy of the study's class (``layers/study_accuracy.csv``: SEC Regulation S-K 1302). A row's
anchors depend only on its own id and the bundled tables, so chunked and whole runs agree; a
user's candidate sites, whose ids are not bundled deposits, get none.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from geoprospect.io.bundled import layer_path
from geoprospect.io.studies import standard_studies


@cache
def study_accuracy() -> dict[str, float]:
    """Accuracy (fraction, read as the P10-P90 half-range) of a study's cost estimates by
    ``study_type`` (``layers/study_accuracy.csv``: SEC Regulation S-K 1302 classes)."""
    table = pd.read_csv(layer_path("study_accuracy.csv"), dtype={"study_type": str})
    return {t: float(a) / 100 for t, a in zip(table["study_type"], table["accuracy_pct"], strict=True)}


ANCHOR_FIELDS = ("mine_plan_mt", "ore_throughput_mtpa", "recovery", "capex_real_usd_m",
                 "opex_real_usd_t_ore", "product_treo_tpa", "ndpr_oxide_tpa", "mine_life_yr",
                 "coproduct_usd_m_yr")
DESIGN_FIGURES = ("ore_throughput_used", "product_treo_tpa_used", "ndpr_oxide_tpa")
"""A study that states one of these is a production design (a capex-only expansion is not)."""
"""Numeric figures a deposit's own published study supplies to its valuation."""


@cache
def _anchor_table() -> pd.DataFrame:
    return study_anchors(standard_studies())


def study_anchors(std: pd.DataFrame) -> pd.DataFrame:
    """One row per deposit id: the figures of its own published studies the valuation uses.

    The *design study* is the deposit's latest study (``study_year``, then file order) that states a
    production design (:data:`DESIGN_FIGURES`: throughput, stated or derived by
    :func:`~geoprospect.io.studies.standard_studies`, TREO or NdPr output): it supplies the
    throughput (else the project's latest mine plan over this design's life), product, TREO and
    NdPr output, capex, opex, life and recovery, all of one design (figures it lacks are modelled,
    never taken from an older design). The mineable
    tonnage is the latest ``mine_plan_mt`` of any of its studies (a mine plan or reserve);
    co-product revenue (real USD a year) the latest any study publishes, unless the design's opex
    is net of co-product credits (counting them twice would double count). ``accuracy`` is the
    design study's class accuracy (:func:`study_accuracy`).

    Parameters
    ----------
    std : pandas.DataFrame
        From :func:`standard_studies`.

    Returns
    -------
    pandas.DataFrame
        Indexed by deposit id: ``study_id``, ``study_type``, ``study_year``, ``accuracy``,
        ``product``, ``opex_net_of_credits``, ``coproduct_basis`` and :data:`ANCHOR_FIELDS`.
    """
    df = std.loc[std["deposit_id"].notna()].copy() if "deposit_id" in std else std.iloc[:0].copy()
    df["_order"] = np.arange(len(df))
    df = df.sort_values(["study_year", "_order"], kind="stable")
    acc = study_accuracy()
    rows = {}
    for dep, group in df.groupby("deposit_id", sort=True):
        plan = group.loc[pd.to_numeric(group["mine_plan_mt"], errors="coerce").gt(0)]
        stated = group[list(DESIGN_FIGURES)].apply(pd.to_numeric, errors="coerce").gt(0).any(axis=1)
        design = group.loc[stated]
        row = {"study_id": "", "study_type": "", "study_year": np.nan, "accuracy": np.nan, "product": "",
               "opex_net_of_credits": False, "coproduct_basis": "",
               **{f: np.nan for f in ANCHOR_FIELDS}}
        if len(plan):
            row["mine_plan_mt"] = float(plan["mine_plan_mt"].iloc[-1])
        credits = group.loc[pd.to_numeric(group["coproduct_usd_m_yr"], errors="coerce").gt(0)]
        if len(design):
            row.update(_design_figures(design.iloc[-1], acc))
            if not np.isfinite(row["ore_throughput_mtpa"]):  # the project's mine plan over this life
                row["ore_throughput_mtpa"] = row["mine_plan_mt"] / row["mine_life_yr"]
            if len(credits) and not row["opex_net_of_credits"]:
                c = credits.iloc[-1]
                row["coproduct_usd_m_yr"] = float(c["coproduct_usd_m_yr"])
                row["coproduct_basis"] = f"{c['coproduct_basis']} ({c['study_id']})"
        if row["study_id"] or np.isfinite(row["mine_plan_mt"]):
            rows[dep] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _design_figures(d: pd.Series, accuracy: dict[str, float]) -> dict:
    """The figures one design study supplies (see :func:`study_anchors`)."""
    def num(col: str) -> float:
        return float(pd.to_numeric(d.get(col), errors="coerce"))

    return {"study_id": d["study_id"], "study_type": str(d.get("study_type", "")),
            "study_year": num("study_year"), "accuracy": accuracy.get(str(d.get("study_type")), np.nan),
            "product": d.get("product") if isinstance(d.get("product"), str) else "",
            "opex_net_of_credits": bool(d.get("opex_net_of_credits_flag", False)),
            "ore_throughput_mtpa": num("ore_throughput_used"), "recovery": num("recovery_pct") / 100,
            "capex_real_usd_m": num("capex_real_usd_m"), "opex_real_usd_t_ore": num("opex_real_usd_t_ore"),
            "product_treo_tpa": num("product_treo_tpa_used"), "ndpr_oxide_tpa": num("ndpr_oxide_tpa"),
            "mine_life_yr": num("mine_life_yr")}


def deposit_anchors(ids) -> pd.DataFrame:
    """The bundled studies' figures for each id (positional rows; empty where none).

    A row's anchors depend only on its own id and the bundled table, so chunked and whole runs
    agree. Ids that are not a bundled deposit (a user's candidate sites) get no anchors.
    """
    table = _anchor_table()
    keys = pd.Series(np.asarray(ids, dtype=object)).astype(str)
    out = table.reindex(keys.to_numpy())
    out.index = pd.RangeIndex(len(keys))
    for c in ("study_id", "study_type", "product", "coproduct_basis"):
        out[c] = out[c].fillna("") if c in out else ""
    out["opex_net_of_credits"] = out["opex_net_of_credits"].fillna(False).astype(bool) \
        if "opex_net_of_credits" in out else False
    return out
