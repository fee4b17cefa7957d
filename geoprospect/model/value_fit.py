"""Fit, save and load the valuation model: imputer, production and cost models, and the frozen
reference values the per-row valuation needs.

Everything is fitted on bundled tables (``ree_deposits_global.csv``, ``studies.csv``,
``deposits.geojson``, ``country_terms.csv``, ``prices.csv``, ``costs.csv``) and saved with skops;
loading checks the file's types against :data:`TRUSTED` and refuses anything else.

Examples
--------
>>> from geoprospect.model.value_fit import load_valuation
>>> params = load_valuation()            # the bundled models/valuation.skops   # doctest: +SKIP
>>> sorted(params)[:3]                                                         # doctest: +SKIP
['costs', 'imputer', 'logistics_quantiles']
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import ModelError
from geoprospect.features import build_features
from geoprospect.io.bundled import layer_path, models_dir
from geoprospect.io.studies import standard_studies
from geoprospect.io.terms import _terms, price_scenario
from geoprospect.io.validate import load_layer
from geoprospect.io.write import atomic_path
from geoprospect.model.costs import fit_costs
from geoprospect.model.imputation import fit_imputer
from geoprospect.model.mcda import fit_bounds
from geoprospect.model.production import fit_production

FILE = "valuation.skops"
TRUSTED_PREFIXES = ("sklearn.", "numpy.")
"""Module prefixes of the types a valuation file may hold beyond skops' own safe defaults
(plain containers and numbers): scikit-learn estimators and numpy arrays. Anything else — a
builtin function such as ``eval``, a custom class — is refused."""
REFERENCE_COLUMNS = ("resource_mt", "reserve_mt", "treo_pct", "ndpr_pct", "dytb_pct")


def fit_valuation(*, seed: int = 0, deposits=None, logistics_cost=None) -> dict:
    """Fit every model of the valuation and freeze its reference values.

    Parameters
    ----------
    seed : int
        Seed of every fit and bootstrap.
    deposits : GeoDataFrame, optional
        The layer whose medians define the reference project of the pillar split (the bundled
        deposits when None).
    logistics_cost : array_like, optional
        Their cost to plant (USD/t concentrate; default: from their features); its quantiles
        fill rows with no route. The layer's features also freeze the transparent view's bounds.

    Returns
    -------
    dict
        Plain containers, numpy arrays and scikit-learn estimators only.
    """
    if deposits is None:
        deposits, _ = load_layer(layer_path("deposits.geojson"))
    features = build_features(deposits)
    if logistics_cost is None:
        logistics_cost = features["cost_to_plant_usd_t"].to_numpy(dtype=float)
    cost = np.asarray(logistics_cost, dtype=float)
    reference = {c: float(np.nanmedian(pd.to_numeric(deposits[c], errors="coerce")))
                 if c in deposits and pd.to_numeric(deposits[c], errors="coerce").notna().any() else np.nan
                 for c in REFERENCE_COLUMNS}
    reference["reserve_mt"] = np.nan  # the reference plans on its resource
    reference["cost_to_plant_usd_t"] = float(np.nanmedian(cost))
    terms = _terms_quantiles()
    for col, q in terms.items():
        reference[col] = float(q[1])
    reference["carry_pct"] = 0.0
    outputs = pd.to_numeric(standard_studies()["product_treo_tpa_used"], errors="coerce")
    return {
        "imputer": fit_imputer(seed=seed),
        "production": fit_production(seed=seed),
        "costs": fit_costs(seed=seed),
        "reference": reference,
        "logistics_quantiles": np.nanpercentile(cost, [10, 50, 90]),
        "terms_quantiles": terms,
        "max_treo_tpa": float(outputs.max()),
        "price_sigma": _price_sigma(),
        "tb_share_of_dytb": _tb_share(),
        "mcda_bounds": fit_bounds(features),
        "meta": {"seed": seed, "data": _data_hash(), "default_scenario": price_scenario().name},
    }


def _terms_quantiles() -> dict:
    """P10/P50/P90 of each country term over the table's countries (fills a missing term)."""
    table = _terms()
    names = {"royalty_pct": "royalty_ree", "tax_pct": "corporate_tax",
             "premium_pct": "country_risk_premium_pct", "carry_pct": "state_free_carry"}
    out = {}
    for col, term in names.items():
        values = table.loc[table["term"] == term, "value_num"].dropna().to_numpy(dtype=float)
        out[col] = np.percentile(values, [10, 50, 90]) if len(values) else np.zeros(3)
    return out


def _tb_share() -> float:
    """Median Tb4O7 share of Dy2O3 + Tb4O7 (mass) over the global table's deposits with both
    element grades (oxide factors 1.1762 and 1.1477): prices the Dy+Tb share of TREO."""
    table = pd.read_csv(layer_path("ree_deposits_global.csv"))
    dy, tb = table["dy_pct"] * 1.1477, table["tb_pct"] * 1.1762
    share = (tb / (dy + tb))[(dy > 0) & tb.notna()]
    if share.empty:
        raise ModelError("ree_deposits_global.csv: no deposit with Dy and Tb grades")
    return float(share.median())


def _price_sigma() -> float:
    """Standard deviation of log annual NdPr oxide prices in the bundled deck (the market draws'
    spread): Nd2O3 annual averages (USGS MCS) where no NdPr series has three years."""
    deck = pd.read_csv(layer_path("prices.csv"), dtype=str)
    annual = deck[deck["period"].str.fullmatch(r"\d{4}")]
    for product in ("NdPr oxide", "Nd2O3"):
        rows = annual[annual["product"].str.startswith(product)]
        values = pd.to_numeric(rows["price_usd_per_kg"], errors="coerce").dropna()
        if len(values) >= 3:
            return float(np.log(values).std(ddof=1))
    raise ModelError("prices.csv: no NdPr or Nd2O3 annual series to size the price draws")


def _data_hash() -> str:
    digest = hashlib.sha256()
    for name in ("ree_deposits_global.csv", "studies.csv", "deposits.geojson", "country_terms.csv",
                 "prices.csv", "costs.csv", "price_scenarios.csv", "fx_rates.csv", "cost_index.csv",
                 "study_accuracy.csv"):
        digest.update(layer_path(name).read_bytes())
    return digest.hexdigest()


def save_valuation(params: dict, target: Path, *, overwrite: bool = False) -> Path:
    """Write ``params`` with skops (atomically)."""
    import skops.io as sio

    with atomic_path(Path(target), overwrite=overwrite) as tmp:
        sio.dump(params, tmp)
    return Path(target)


def load_valuation(path=None) -> dict:
    """Load a valuation model (the bundled one when ``path`` is None), refusing any type that is
    not scikit-learn, numpy or a plain container.

    Raises
    ------
    ModelError
        Missing, unreadable or untrusted file.
    """
    return _load(str(Path(path) if path is not None else models_dir() / FILE))


@cache
def _load(path: str) -> dict:
    import skops.io as sio

    p = Path(path)
    if not p.exists():
        raise ModelError(f"{p}: valuation model not found (run `geoprospect train`)")
    try:
        untrusted = sio.get_untrusted_types(file=p)
    except Exception as exc:  # any parse failure means: not a skops file
        raise ModelError(f"{p.name}: not a readable skops file ({type(exc).__name__})") from None
    bad = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if bad:
        raise ModelError(f"{p.name}: refused, it holds untrusted type(s) {', '.join(sorted(bad)[:3])}")
    params = sio.load(p, trusted=untrusted)
    parts = ("imputer", "production", "costs")
    if not isinstance(params, dict) or not all(isinstance(params.get(k), dict) for k in parts):
        raise ModelError(f"{p.name}: not a geoprospect valuation model")
    params["meta"] = dict(params.get("meta", {}), sha256=hashlib.sha256(p.read_bytes()).hexdigest())
    return params


def card_numbers(params: dict) -> str:
    """The evaluation numbers of every fitted model, as JSON (for the model card)."""
    cards = {k: params[k].get("card", {}) for k in ("imputer", "production", "costs")}
    return json.dumps(cards, indent=1, default=float)


def train(output=None, *, seed: int = 0, overwrite: bool = False) -> dict:
    """Fit the valuation (:func:`fit_valuation`) and, with ``output``, save it there.

    Examples
    --------
    >>> import geoprospect as gp
    >>> params = gp.train("my_valuation.skops", overwrite=True)             # doctest: +SKIP
    """
    params = fit_valuation(seed=seed)
    if output is not None:
        save_valuation(params, Path(output), overwrite=overwrite)
    return params
