"""Why a screening NPV differs from a study's published NPV, component by component.

The validation (:func:`geoprospect.model.value_validation.validate_against_studies`) keeps the
screening project of every validated study: ore throughput, mine life, TREO and NdPr output,
revenue, opex, EBITDA, capex, co-products and the product. This module sets them beside the
study's own published figures (standardised by :func:`geoprospect.io.studies.standard_studies`):

* :func:`component_ratios` — per component, the median log10 ratio screening / study over the
  studies that publish the figure (a ratio below 1: the screen is lower);
* :func:`engine_check` — the NPV that the screen's own cash-flow engine
  (:func:`geoprospect.model.economics.npv`) gives from a study's *own* capex, EBITDA and life at
  its rate and tax basis: when it reproduces the published NPV, the gap lies in the inputs, not
  in the discounting, tax or royalty arithmetic; with ``capex_factor`` it also shows what the
  capital-cost overruns documented for built projects (:data:`CAPEX_OVERRUNS`) do to a study's
  NPV — the part of the gap a screen may legitimately keep;
* :func:`gap_by_group` — the agreement within groups of studies (price basis, study era,
  whether the screen chose the study's product).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.io.studies import standard_studies
from geoprospect.io.terms import country_terms
from geoprospect.model.economics import BUILD_YEARS, Project, npv

CAPEX_OVERRUNS = {
    "Bertisen & Davis (2008)": (1.14, "as-built capex 14 % above the bankable feasibility study's on "
                                "average over 63 mining and smelting projects; half fall outside "
                                "+/-15 %, one in 13 overruns by 100 % or more (The Engineering "
                                "Economist 53(2):118-139, doi:10.1080/00137910802058533)"),
    "Bullock (2011), via AMC Consultants": (1.26, "average capital overrun of 26 % over 258 projects "
                                            "from eight authors, no improvement in 50 years "
                                            "(AMC Consultants, 'Why feasibility studies fail', "
                                            "https://amcconsultants.com/experience/why-feasibility-"
                                            "studies-fail/)"),
}
"""Documented average ratios of as-built to estimated initial capex, with their sources."""
STARTUP_SHORTFALL = (0.30, "in the first year after commissioning 60 % of mines and 70 % of treatment "
                           "plants produced below 70 % of design capacity (a 1970s World Bank survey, in "
                           "P. McCarthy, 'Why feasibility studies fail', AMC Consultants, AusIMM Melbourne "
                           "Branch, 2013)")
"""Share of the first production year's operating cash flow a typical start-up loses, and why."""

COMPONENT_NAMES = {
    "ore_mtpa": "ore throughput", "mine_life_yr": "mine life", "treo_tpa": "TREO output",
    "ndpr_oxide_tpa": "NdPr oxide output", "revenue_musd_yr": "revenue (incl. co-products)",
    "opex_musd_yr": "opex (annual)", "ebitda_musd_yr": "EBITDA (annual)", "capex_musd": "initial capex",
    "coproduct_musd_yr": "co-product revenue", "revenue_usd_per_kg_treo": "revenue per kg TREO output",
}
"""Components compared, in the order of the card's table."""


def study_components(studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each study's published figures on the screen's basis, indexed by ``study_id``.

    Annual opex leaves out figures net of co-product credits (they understate the cost of the
    rare-earth circuit); EBITDA is the published one, else revenue less opex; money in real USD
    of :data:`geoprospect.io.studies.BASE_YEAR`.

    Parameters
    ----------
    studies : pandas.DataFrame, optional
        The raw studies table (the bundled ``layers/studies.csv`` when None).

    Returns
    -------
    pandas.DataFrame
        ``product`` and one column per key of :data:`COMPONENT_NAMES`.
    """
    std = standard_studies(studies).drop_duplicates("study_id").set_index("study_id")
    num = lambda c: pd.to_numeric(std[c], errors="coerce")  # noqa: E731
    ore = num("ore_throughput_used")
    opex = (num("opex_real_usd_t_ore") * ore).where(~std["opex_net_of_credits_flag"].astype(bool))
    revenue = num("revenue_real_usd_m_yr")
    return pd.DataFrame({
        "product": std["product"], "ore_mtpa": ore, "mine_life_yr": num("mine_life_yr"),
        "treo_tpa": num("product_treo_tpa_used"), "ndpr_oxide_tpa": num("ndpr_oxide_tpa"),
        "revenue_musd_yr": revenue, "opex_musd_yr": opex,
        "ebitda_musd_yr": num("ebitda_real_usd_m_yr").fillna(revenue - opex),
        "capex_musd": num("capex_real_usd_m"), "coproduct_musd_yr": num("coproduct_usd_m_yr"),
        "revenue_usd_per_kg_treo": revenue / num("product_treo_tpa_used") * 1e3,
    })


def component_ratios(validation: pd.DataFrame, studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Screening / study ratio of every component over the studies that publish it.

    Parameters
    ----------
    validation : pandas.DataFrame
        From :func:`~geoprospect.model.value_validation.validate_against_studies`.
    studies : pandas.DataFrame, optional
        The raw studies table (bundled when None).

    Returns
    -------
    pandas.DataFrame
        Indexed by component name: ``n`` (studies with a positive published figure),
        ``median_log10_ratio``, ``median_ratio`` (its antilog), ``share_lower`` (screening below the
        study) and ``n_screen_nonpositive`` (a screening figure at or below 0, e.g. a loss-making
        EBITDA or no co-products: counted, its log ratio taken at 0.1 % of the study's).
    """
    own = study_components(studies).reindex(validation["study_id"].to_numpy())
    screen = {f"screening_{k}": pd.to_numeric(validation[f"screening_{k}"], errors="coerce")
              for k in ("revenue_musd_yr", "treo_tpa")}
    per_kg = screen["screening_revenue_musd_yr"] / screen["screening_treo_tpa"] * 1e3
    validation = validation.assign(screening_revenue_usd_per_kg_treo=per_kg)
    rows = {}
    for key, name in COMPONENT_NAMES.items():
        scr = pd.to_numeric(validation[f"screening_{key}"], errors="coerce").to_numpy(float)
        pub = own[key].to_numpy(float)
        ok = np.isfinite(pub) & (pub > 0) & np.isfinite(scr)
        lr = np.log10(np.maximum(scr[ok], 1e-3 * pub[ok]) / pub[ok])
        med = float(np.median(lr)) if lr.size else float("nan")
        rows[name] = {"n": int(ok.sum()), "median_log10_ratio": med, "median_ratio": 10 ** med,
                      "share_lower": float((scr[ok] < pub[ok]).mean()) if ok.any() else float("nan"),
                      "n_screen_nonpositive": int((scr[ok] <= 0).sum())}
    return pd.DataFrame.from_dict(rows, orient="index")


def engine_check(validation: pd.DataFrame, params: dict, studies: pd.DataFrame | None = None,
                 *, capex_factor: float = 1.0, first_year_shortfall: float = 0.0) -> pd.DataFrame:
    """The screen's cash-flow engine fed with each study's own capex, EBITDA and life.

    Terms as in the validation: the study's discount rate with no country premium, tax 0 for a
    pre-tax NPV (else the country's), the country's free carry; a published EBITDA is after
    royalties (no royalty charged again), an EBITDA derived as revenue less opex pays the
    country's royalty. A term the country table lacks takes the valuation's median.

    Parameters
    ----------
    validation : pandas.DataFrame
        From :func:`~geoprospect.model.value_validation.validate_against_studies`.
    params : dict
        The valuation model (its ``terms_quantiles`` fill missing terms).
    studies : pandas.DataFrame, optional
        The raw studies table (bundled when None).
    capex_factor : float
        Multiplies the study's capex (an as-built overrun, :data:`CAPEX_OVERRUNS`).
    first_year_shortfall : float
        Share of the first production year's operating cash flow lost to the start-up
        (:data:`STARTUP_SHORTFALL`).

    Returns
    -------
    pandas.DataFrame
        One row per validated study with capex, EBITDA and life: ``study_id``,
        ``published_npv_musd``, ``engine_npv_musd`` and ``ratio``.
    """
    std = standard_studies(studies).drop_duplicates("study_id").set_index("study_id")
    ids = [i for i in validation["study_id"] if i in std.index]
    s = std.loc[ids]
    num = lambda c: pd.to_numeric(s[c], errors="coerce").to_numpy(float)  # noqa: E731
    ebitda_pub = num("ebitda_real_usd_m_yr")
    revenue = num("revenue_real_usd_m_yr")
    opex = num("opex_real_usd_t_ore") * num("ore_throughput_used")
    terms = country_terms(s["country"].to_numpy(dtype=object))
    fill = lambda col: np.where(np.isfinite(terms[col]), terms[col], params["terms_quantiles"][col][1])  # noqa: E731
    royalty = np.where(np.isfinite(ebitda_pub), 0.0, fill("royalty_pct") / 100)
    rev = np.where(np.isfinite(ebitda_pub), ebitda_pub, revenue)
    cost = np.where(np.isfinite(ebitda_pub), 0.0, opex)
    pre_tax = (s["npv_tax_basis"].astype(str) == "pre_tax").to_numpy()
    project = Project(capex=num("capex_real_usd_m") * capex_factor, revenue=rev, opex=cost,
                      life=num("mine_life_yr"), royalty=royalty,
                      tax=np.where(pre_tax, 0.0, fill("tax_pct") / 100), carry=fill("carry_pct") / 100)
    rate = num("npv_discount_pct") / 100
    first = project.operating()[0] * (1.0 + rate) ** -float(BUILD_YEARS)  # production year 1, discounted
    value = npv(project, rate) - first_year_shortfall * np.maximum(first, 0.0)
    published = validation.set_index("study_id").loc[ids, "published_npv_musd"].to_numpy(float)
    out = pd.DataFrame({"study_id": ids, "published_npv_musd": published, "engine_npv_musd": value})
    out = out[np.isfinite(value)].reset_index(drop=True)
    out["ratio"] = out["engine_npv_musd"] / out["published_npv_musd"]
    return out


def gap_by_group(validation: pd.DataFrame, studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Agreement of screening and published NPVs within groups of validated studies.

    Groups: the price basis (the study's own NdPr price, or the studies' median when it states
    none), the study era (published before 2015, when studies priced the 2010-2012 rare-earth
    bubble, or from 2015) and whether the screen chose the product the study sells.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n``, ``n_both_positive``, ``median_ratio`` and
        ``median_abs_log10_ratio`` on the rows where both NPVs are positive, ``share_screen_lower``
        (screening P50 below the published NPV) and ``coverage_p10_p90``.
    """
    own = study_components(studies).reindex(validation["study_id"].to_numpy())
    year = pd.to_numeric(validation["study_year"], errors="coerce").to_numpy(float)
    same = (validation["screening_product"].to_numpy(dtype=object) == own["product"].to_numpy(dtype=object))
    groups = {
        "study states its NdPr price": validation["price_basis"].eq("study").to_numpy(),
        "NdPr price: the studies' median": validation["price_basis"].ne("study").to_numpy(),
        "study before 2015": year < 2015, "study from 2015": year >= 2015,
        "screen chose the study's product": same, "screen chose another product": ~same,
        "all": np.ones(len(validation), bool),
    }
    pub = validation["published_npv_musd"].to_numpy(float)
    scr = validation["screening_npv_musd"].to_numpy(float)
    inside = validation["inside_band"].astype(bool).to_numpy()
    nan = float("nan")
    rows = {}
    for name, mask in groups.items():
        both = mask & (pub > 0) & (scr > 0)
        ratio = scr[both] / pub[both]
        lr = np.log10(ratio)
        rows[name] = {"n": int(mask.sum()), "n_both_positive": int(both.sum()),
                      "median_ratio": float(np.median(ratio)) if lr.size else nan,
                      "median_abs_log10_ratio": float(np.median(np.abs(lr))) if lr.size else nan,
                      "share_screen_lower": float((scr[mask] < pub[mask]).mean()) if mask.any() else nan,
                      "coverage_p10_p90": float(inside[mask].mean()) if mask.any() else nan}
    return pd.DataFrame.from_dict(rows, orient="index")
