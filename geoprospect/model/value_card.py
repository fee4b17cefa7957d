"""Model card of the screening valuation: the fitted models, the validation against published
studies and its diagnosis, the assumptions and the bundled top 15 (:func:`write_card` writes
``models/<name>.md``).

The validation itself is :mod:`geoprospect.model.value_validation` (its public names are
re-exported here) and the component-by-component diagnosis :mod:`geoprospect.model.value_diagnosis`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.io.bundled import layer_path
from geoprospect.io.studies import BASE_YEAR
from geoprospect.io.terms import PRODUCTS, describe_scenarios, payability, product_treo_fraction
from geoprospect.model.valuation import DEFAULT_BASE_RATE_PCT
from geoprospect.model.value_diagnosis import (
    CAPEX_OVERRUNS,
    STARTUP_SHORTFALL,
    component_ratios,
    engine_check,
    gap_by_group,
    study_components,
)
from geoprospect.model.value_validation import COLUMNS, summary, validate_against_studies

__all__ = ["COLUMNS", "summary", "validate_against_studies", "why", "write_card"]

DATA_FILES = ("ree_deposits_global.csv", "studies.csv", "deposits.geojson", "projects.geojson",
              "country_terms.csv", "prices.csv", "costs.csv", "price_scenarios.csv")
TOP_COLUMNS = ("rank", "name", "country", "ndpr_oxide_tpa", "capex_musd", "npv_musd", "npv_musd_p10",
               "npv_musd_p50", "npv_musd_p90", "product", "study_basis", "flags")
TEXT_COLUMNS = ("rank", "name", "country", "product", "study_basis", "flags")
"""Columns of the top-15 table printed as they are (the others are numbers)."""


# ---------------------------------------------------------------- the card
def _f(v, fmt: str = ".3f") -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v) if v is not None else ""
    return "n/a" if not np.isfinite(x) else format(x, fmt)


def _md(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c).replace("|", "/") for c in r) + " |" for r in rows]


MODEL_NAMES = {"imputer": ("per-type empirical quantiles", "QuantileRegressor (type, continent, minerals)")}


def _model_rows(params: dict) -> tuple[list[list], list[str]]:
    rows, losers = [], []
    for model in ("imputer", "production", "costs"):
        for target, c in params[model].get("card", {}).items():
            base, learned = MODEL_NAMES.get(model, (c.get("baseline"), c.get("learned")))
            beat = c.get("chosen") == "learned"
            verdict = "learned beats baseline" if beat else "learned did NOT beat baseline: baseline used"
            if not beat:
                losers.append(f"{model}/{target}")
            ci = f"[{_f(c.get('ci_low'))}, {_f(c.get('ci_high'))}]"
            err = [_f(c.get(f"median_abs_log10_err_{k}")) for k in ("baseline", "learned")]
            cov = [_f(c.get(f"coverage_p10_p90_{k}", c.get(f"coverage_{k}")), ".2f") for k in ("baseline",
                                                                                                "learned")]
            rows.append([model, target, c.get("n"), c.get("baseline", base), c.get("learned", learned),
                         *err, ci, *cov, c.get("chosen"), verdict])
    return rows, losers


def why(row: pd.Series) -> str:
    """One factual sentence on why a ranked row sits where it does (from its numbers)."""
    m = {k: _f(row[k], ",.0f") for k in ("npv_musd_p10", "npv_musd_p50", "npv_musd_p90", "ndpr_oxide_tpa",
                                          "capex_musd")}
    parts = [f"Rank {int(row['rank'])}: P50 NPV USD {m['npv_musd_p50']}M (P10 {m['npv_musd_p10']} to P90 "
             f"{m['npv_musd_p90']}) from {m['ndpr_oxide_tpa']} t/yr NdPr oxide for USD "
             f"{m['capex_musd']}M capex"]
    basis = str(row.get("study_basis") or "model")
    product = str(row.get("product") or "").replace("_", " ")
    parts.append(f"production and costs from its own {basis}" if basis != "model" else
                 "no study of its own: production and costs from the models fitted on all studies")
    if product:
        parts.append(f"sells a {product}")
    if pd.to_numeric(row.get("coproduct_musd_yr"), errors="coerce") > 0:
        parts.append(f"co-products add USD {_f(row['coproduct_musd_yr'], ',.0f')}M a year")
    drivers = [d.strip() for d in str(row.get("drivers") or "").split(";") if d.strip()]
    if drivers:
        parts.append(f"against the reference project the largest push is {drivers[0]}"
                     + (f" (then {', '.join(drivers[1:])})" if len(drivers) > 1 else ""))
    central = _f(row.get("npv_musd"), ",.0f")
    parts.append(f"an estimated resource, ranked among them by its median-input NPV (USD {central}M)"
                 if row.get("valuation_tier") != "conditional" else
                 "valued conditional on a deposit being there, so ranked below every estimated resource")
    imputed = str(row.get("imputed") or "").replace(";", ", ")
    parts.append(f"imputed: {imputed} (band widened)" if imputed else "no field imputed")
    if _f(row["npv_musd_p10"]) != "n/a" and row["npv_musd_p10"] < 0 < row["npv_musd_p50"]:
        parts.append("its P10 is a loss")
    flags = str(row.get("flags") or "").strip()
    parts.append(f"flags (kept out of the score): {flags}" if flags else "no flags")
    return "; ".join(parts) + "."


def _short(product) -> str:
    """A product's short name for tables (``-`` when unknown)."""
    return {"concentrate": "conc.", "mixed_chemical": "mixed", "separated_oxide": "oxide"}.get(product, "-")


def _diagnosis(params: dict, validation: pd.DataFrame) -> list[str]:
    """The card's section on where the screening NPV departs from the published one."""
    comp = component_ratios(validation)
    out = ["", "## Why the screening NPV differs from the published one", "",
           "Each validated study's screening project beside the study's own published figures (real "
           f"USD of {BASE_YEAR}; only studies that publish the figure): median ratio screening / study.", ""]
    out += _md(["component", "studies", "median screening / study", "screening lower in", "screening <= 0"],
               [[name, int(r.n), _f(r.median_ratio, ".2f"), f"{_f(100 * r.share_lower, '.0f')} %",
                 int(r.n_screen_nonpositive)] for name, r in comp.iterrows()])
    base = engine_check(validation, params)
    out += ["", f"Engine check: fed with a study's own capex, EBITDA and life (n = {len(base)}), the "
                f"screen's cash-flow engine gives a median {_f(base['ratio'].median(), '.2f')} x the "
                "published NPV, so the discounting, tax, royalty and carry arithmetic is not where the gap "
                "comes from; the inputs are.",
            "", _optimism(validation, params, base), ""]
    groups = gap_by_group(validation)
    out += _md(["studies", "n", "both positive", "median ratio", "median abs log10 ratio",
                "screening below published", "inside P10-P90"],
               [[name, int(r.n), int(r.n_both_positive), _f(r.median_ratio, ".2f"),
                 _f(r.median_abs_log10_ratio, ".2f"), f"{_f(100 * r.share_screen_lower, '.0f')} %",
                 f"{_f(100 * r.coverage_p10_p90, '.0f')} %"] for name, r in groups.iterrows()])
    ratio = lambda name: _f(comp.loc[name, "median_ratio"], ".2f")  # noqa: E731
    share = lambda name: _f(100 * groups.loc[name, "share_screen_lower"], ".0f")  # noqa: E731
    lower = share("all")
    out += ["", f"**The remaining gap.** The screening P50 is below the published NPV for {lower} % of "
                "the studies. The components say where: the screen plans more ore and oxide than the "
                f"studies (throughput x {ratio('ore throughput')}, TREO output x {ratio('TREO output')}, "
                f"mine life x {ratio('mine life')}: Taylor's rule sizes rare-earth mines above the studies, "
                "which size to a small market, and it is kept because no learned throughput model beat it) "
                f"but earns far less per tonne of it (revenue x {ratio('revenue (incl. co-products)')}, "
                f"revenue per kg TREO x {ratio('revenue per kg TREO output')} where both are published). "
                "The screen's basket prices NdPr and Dy+Tb and takes every other oxide at the La/Ce price "
                "(yttrium and the other heavy oxides of a xenotime, eudialyte or ionic-clay deposit are "
                "worth more; the deck prices none of them but Eu), at the study's NdPr price only where the "
                "study states one and at 2024 Dy/Tb prices, while each study priced its own deck (the "
                "studies before 2015, priced in or just after the 2010-2012 bubble, sit above their "
                f"screening P50 in {share('study before 2015')} % of cases, later ones in "
                f"{share('study from 2015')} %). That price basis, the heavy-oxide basket and the "
                "promoter optimism above are what remains; none of it is calibrated away, and the band, "
                "not the P50, is what to read against a study."]
    return out


def _optimism(validation: pd.DataFrame, params: dict, base: pd.DataFrame) -> str:
    """The card's sentence on the documented optimism of studies (a share of their NPV)."""
    loss = lambda f, short=0.0: _f(100 * (1 - _overrun(validation, params, base, f, short)), ".0f")  # noqa: E731
    worst, short = max(f for f, _ in CAPEX_OVERRUNS.values()), STARTUP_SHORTFALL[0]
    parts = [f"capex x {f:.2f} ({who}: {note}) lowers a study's NPV through the same engine by a median "
             f"{loss(f)} %" for who, (f, note) in CAPEX_OVERRUNS.items()]
    parts.append(f"a first production year at {100 * (1 - short):.0f} % of design ({STARTUP_SHORTFALL[1]}) "
                 f"takes a further {loss(1.0, short)} %; with the larger overrun, "
                 f"{loss(worst, short)} % in all")
    return ("Optimism documented for built projects (the part of the gap a screen may keep; nothing is "
            "calibrated away): " + "; ".join(parts) + ".")


def _overrun(validation: pd.DataFrame, params: dict, base: pd.DataFrame, factor: float,
             shortfall: float = 0.0) -> float:
    """Median ratio of a study's engine NPV with its capex x ``factor`` (and a first-year
    ``shortfall``) to its engine NPV."""
    over = engine_check(validation, params, capex_factor=factor, first_year_shortfall=shortfall)
    over = over.set_index("study_id")["engine_npv_musd"]
    own = base.set_index("study_id")["engine_npv_musd"]
    keep = own > 0
    return float((over[keep] / own[keep]).median()) if keep.any() else float("nan")


def _product_line(product: str) -> str:
    lo, hi = payability(product)
    return (f"- {product.replace('_', ' ')}: payability {100 * lo:.1f}-{100 * hi:.1f} % of contained oxide "
            f"value; TREO content {100 * product_treo_fraction(product):.1f} % (for the tonnes shipped)")


def _mineable_line(m: dict) -> str:
    """The card's line on the mineable tonnage (the chosen model, in words)."""
    head = "- mineable tonnage = reserve, else "
    if m["chosen"] == "learned":
        est = m["estimator"]
        return (f"{head}{10 ** est.intercept_:.2f} x resource^{est.coef_[0]:.2f} (Mt; log-log fit on "
                f"{m['n']} studied projects' plans, capped at the resource)")
    return f"{head}resource x {m['ratio']:.3f} (median over {m['n']} studied projects)"


def write_card(path, params: dict, validation: pd.DataFrame, top15: pd.DataFrame | None = None) -> Path:
    """Write the Markdown model card of the valuation to ``path``.

    Parameters
    ----------
    path : str or Path
    params : dict
        The fitted valuation (:func:`geoprospect.model.value_fit.fit_valuation`).
    validation : pandas.DataFrame
        From :func:`validate_against_studies`.
    top15 : pandas.DataFrame, optional
        The bundled top 15 (:data:`TOP_COLUMNS`, ``drivers``, ``valuation_tier``, ``imputed``):
        a table and one generated sentence per row (:func:`why`).
    """
    from geoprospect.model.economics import BUILD_YEARS, DEPRECIATION_YEARS

    s = summary(validation)
    rows, losers = _model_rows(params)
    prod = params["production"]
    out = ["# Screening valuation model card", "",
           "The valuation turns a deposit's resource (tonnage, TREO grade, NdPr and Dy+Tb shares; a "
           "missing figure imputed with its P10-P90), type, country and location into a risk-adjusted "
           "NPV: mineable tonnage (the reserve, else the plan the studies' plans suggest for the resource) "
           "-> throughput and recovery (production models) -> oxide output, capped at the largest any "
           "study plans -> revenue at a price scenario x the payability of the product (a deposit "
           "without a study of its own sells, in each draw, the one of concentrate, mixed chemical and "
           "separated oxide with the higher NPV) -> minus opex, capex (cost models per product) and "
           "logistics to the best compatible plant -> "
           "royalty, tax and state free carry -> cash flows over the mine life discounted at a base real "
           "rate plus the country risk premium. Monte Carlo over input intervals, model residuals, "
           "payability and price gives P10/P50/P90. Stage never enters the value.",
           "", "## Fitted models (leave-one-out against baselines)", "",
           "Errors are median |log10 error| (imputer: of the P50) leave-one-project-out; CI is the "
           "95 % paired bootstrap of the mean difference learned - baseline (imputer: pinball loss); "
           "a learned model is used only when the CI lies below 0.", ""]
    out += _md(["model", "target", "n", "baseline", "learned", "err baseline", "err learned", "CI",
                "P10-P90 cover baseline", "cover learned", "chosen", "verdict"], rows)
    out += ["", ("Where the learned model did NOT beat its baseline (the baseline is used): "
                 + ", ".join(losers) + ".") if losers else "Every learned model beat its baseline."]
    costs = params["costs"]["card"]
    out += ["", "Cost baselines are power laws per product (a separated oxide carries the cracking and "
                "separation plant, a concentrate does not). The pooled power law (one intercept for "
                "every product, the earlier baseline) has median |log10 error| "
                + "; ".join(f"{t} {_f(c.get('median_abs_log10_err_pooled'))} (per product "
                            f"{_f(c.get('median_abs_log10_err_baseline'))}; paired bootstrap CI of the "
                            f"difference [{_f(c.get('ci_low_vs_pooled'))}, {_f(c.get('ci_high_vs_pooled'))}])"
                            for t, c in costs.items())
                + ": on these studies the product split is kept for physical consistency (a product's "
                  "revenue never comes without its plant's cost), not because it predicts study costs "
                  "better."]
    imp = params["imputer"].get("card", {})
    if imp:
        out += ["", "Imputer, leave-one-country-out:", ""]
        out += _md(["target", "err baseline", "err learned", "CI", "countries"],
                   [[t, *(_f(c.get(f"median_abs_log10_err_{k}_loco")) for k in ("baseline", "learned")),
                     f"[{_f(c.get('ci_low_loco'))}, {_f(c.get('ci_high_loco'))}]", c.get("n_countries")]
                    for t, c in imp.items()])
    life = prod.get("life_diagnostic", {})
    out += ["", f"Mine life (diagnostic, n = {life.get('n')}): median |log10 error| Taylor "
                f"{_f(life.get('median_abs_log10_err_taylor'))}, learned "
                f"{_f(life.get('median_abs_log10_err_learned'))}.",
            "", "## Validation against published study NPVs", "",
            "Latest study per project with an NPV and rate, valued from its deposit's resource, type, "
            "country and location only (never the study's mine plan, throughput, product, capex, opex or "
            "co-products; the screen chooses the product, and co-products count only where the deposit "
            "row publishes them) at the "
            "study's NdPr price (else the median the studies assume), the study's rate with "
            "the country premium 0 (that rate prices its risk) and tax basis (pre-tax: tax 0); cost and "
            "production models refitted without the project.", ""]
    sold = study_components()["product"]
    out += _md(["project", "study", "published", "screening P50", "P10", "P90", "inside",
                "product study / screen", "NdPr USD/kg", "price basis", "rate %", "tax basis"],
               [[r.project, r.study_id, *(_f(v, ",.0f") for v in (r.published_npv_musd, r.screening_npv_musd,
                                                                   r.p10, r.p90)),
                 "yes" if r.inside_band else "no",
                 f"{_short(sold.get(r.study_id))} / {_short(r.screening_product)}", _f(r.price_used, "g"),
                 r.price_basis,
                 _f(r.npv_discount_pct, "g"), r.npv_tax_basis if isinstance(r.npv_tax_basis, str)
                 else "unstated (post-tax used)"] for r in validation.itertuples()])
    out += ["", f"n = {s['n']}; Spearman rank correlation {_f(s['spearman_rho'])} "
                f"(p = {_f(s['spearman_p'])}); median ratio screening / published {_f(s['median_ratio'])} "
                f"and median |log10 ratio| {_f(s['median_abs_log10_ratio'])} on the {s['n_both_positive']} "
                f"rows where both are positive; {_f(100 * s['coverage_p10_p90'], '.0f')} % of published "
                "NPVs inside the P10-P90 band."]
    out += _diagnosis(params, validation)
    out += ["", "## Data", ""]
    meta = params.get("meta", {})
    out += [f"- {k}: `{v}`" for k, v in meta.items()]
    out += [f"- `layers/{n}` sha256 `{hashlib.sha256(layer_path(n).read_bytes()).hexdigest()}`"
            for n in DATA_FILES]
    out += ["", "## Price scenarios", ""] + [f"- {line}" for line in describe_scenarios()]
    out += ["", "## Assumptions", "",
            *(_product_line(p) for p in PRODUCTS),
            f"- base real discount rate: {DEFAULT_BASE_RATE_PCT:g} % plus the country risk premium",
            f"- costs in real USD of {BASE_YEAR} (published figures converted at the study's stated rate "
            "or the year's average rate, escalated by CEPCI then CPI-U)",
            f"- maximum TREO output: {params['max_treo_tpa']:,.0f} t/yr (largest any study plans; a "
            "market-share cap)",
            _mineable_line(prod["mineable"]),
            "- product without a study of its own: the one of concentrate, mixed chemical and separated "
            "oxide with the higher NPV in each draw (its costs from the cost model of that product; a "
            "mixed chemical is paid as a concentrate, for want of a sourced range of its own, so it wins "
            "only where its costs do; a concentrate an in-force rule keeps in the country with no plant "
            "at home to take it is no option: such a deposit sells a processed product); "
            f"capex over {BUILD_YEARS} years; straight-line depreciation over {DEPRECIATION_YEARS} years; "
            f"price draws' log sd {params['price_sigma']:.3f}"]
    if top15 is not None and len(top15):
        scenario = top15.attrs.get("price_scenario")
        out += ["", "## Bundled top 15", ""] + ([f"Price scenario: {scenario}.", ""] if scenario else [])
        cols = [c for c in TOP_COLUMNS if c in top15]
        out += _md(cols, [[_f(r[c], ",.0f") if c not in TEXT_COLUMNS else r[c]
                           for c in cols] for _, r in top15.iterrows()])
        out += [""] + [f"- **{r['name']}** — {why(r)}" for _, r in top15.iterrows()]
    target = Path(path)
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target

