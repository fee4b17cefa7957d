"""Fit the screening valuation, validate it against published studies and write its model card.

Usage::

    python scripts/build_valuation.py

Writes ``models/valuation.skops`` (overwritten), ``models/valuation.md`` (the model card) and
``models/valuation.metrics.json`` (validation summary, the fitted models' cards and the
validation rows), and prints the validation summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geoprospect.io.bundled import models_dir  # noqa: E402
from geoprospect.model import value_fit  # noqa: E402
from geoprospect.model.value_card import summary, validate_against_studies, write_card  # noqa: E402
from geoprospect.pipeline import RANK_DRAWS, Valuation, rank_layer  # noqa: E402

TOP_COLUMNS = ["rank", "name", "country", "ndpr_oxide_tpa", "capex_musd", "npv_musd", "npv_musd_p10",
               "npv_musd_p50", "npv_musd_p90", "flags", "drivers", "valuation_tier", "imputed",
               "study_basis", "product", "coproduct_musd_yr"]


def main(seed: int = 0) -> dict:
    """Fit, save, validate, rank the bundled deposits and write the card; return the summary."""
    out = models_dir()
    params = value_fit.fit_valuation(seed=seed)
    model = value_fit.save_valuation(params, out / value_fit.FILE, overwrite=True)
    value_fit._load.cache_clear()  # rank_layer loads the bundled file: the one just written
    params = value_fit.load_valuation(model)  # with the file's sha256 in meta
    validation = validate_against_studies(seed, params=params)
    ranked = rank_layer(seed=seed, valuation=Valuation.load(model, draws=RANK_DRAWS, seed=seed))
    top15 = pd.DataFrame(ranked[[c for c in TOP_COLUMNS if c in ranked.columns]].head(15))
    top15.attrs["price_scenario"] = ranked.attrs.get("price_scenario")
    card = write_card(out / "valuation.md", params, validation, top15)
    result = summary(validation)
    cards = {k: params[k].get("card", {}) for k in ("imputer", "production", "costs")}
    metrics = {"summary": result, "cards": cards, "meta": params.get("meta", {}),
               "validation": json.loads(validation.to_json(orient="records"))}
    (out / "valuation.metrics.json").write_text(json.dumps(metrics, indent=1, default=float) + "\n",
                                                encoding="utf-8")
    print(f"wrote {model}, {card}, {out / 'valuation.metrics.json'}")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
