"""Train a scoring model on a labelled layer, validate it, and write the model with its card.

``geoprospect train layers/projects.geojson -o models/default.skops`` rebuilds the bundled
default (label: :func:`geoprospect.model.labels.outcome_label`). With ``--label COLUMN`` a user's own
0/1 (or yes/no, true/false) column is the label; empty cells are censored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geoprospect.errors import LayerError
from geoprospect.features import FEATURE_NAMES, build_features
from geoprospect.io.write import atomic_path
from geoprospect.model.card import model_card
from geoprospect.model.estimator import training_hash
from geoprospect.model.evaluation import cross_validate
from geoprospect.model.labels import outcome_label
from geoprospect.model.mcda import pillar_scores, weight_sensitivity
from geoprospect.model.predict import fit_scoring_model

_TRUE = {"1", "1.0", "yes", "y", "true", "t"}
_FALSE = {"0", "0.0", "no", "n", "false", "f"}


def label_column(gdf, column: str) -> pd.Series:
    """Read a user label column as 1.0/0.0/NaN (empty = censored); bad values are an error."""
    if column not in gdf.columns:
        raise LayerError(f"{gdf.attrs.get('source', 'layer')}: no label column {column!r} "
                         f"(columns: {', '.join(map(str, gdf.columns[:15]))})")
    text = gdf[column].astype("string").str.strip().str.lower()
    out = pd.Series(np.nan, index=gdf.index, name="label")
    out[text.isin(_TRUE).fillna(False).to_numpy()] = 1.0
    out[text.isin(_FALSE).fillna(False).to_numpy()] = 0.0
    bad = text.notna() & (text != "") & out.isna()
    if bad.any():
        r = gdf.index[bad.to_numpy()][0]
        raise LayerError(f"{gdf.attrs.get('source', 'layer')}: row {r}: {column}: "
                         f"{gdf.at[r, column]!r} is not a 0/1 label")
    return out


def train(gdf, *, label: str = "outcome", seed: int = 0, n_boot: int = 2000, as_of: int = 2026,
          network=None, raster_features: pd.DataFrame | None = None):
    """Fit the default pipeline on a labelled layer and cross-validate it.

    Parameters
    ----------
    gdf : GeoDataFrame
        A normalised, validated layer.
    label : str
        ``"outcome"`` for the documented development-outcome label, else a column name.
    seed, n_boot, as_of
        Random seed, bootstrap resamples, the year projects are judged as of.
    network : RouteNetwork, optional
        Route scenario for the logistics features.
    raster_features : pandas.DataFrame, optional
        Sampled raster covariates (one column per NAME) that become extra model features.

    Returns
    -------
    (ScoringModel, dict)
        The model fitted on all labelled rows, and the validation report.
    """

    y = outcome_label(gdf, as_of=as_of) if label == "outcome" else label_column(gdf, label)
    features = build_features(gdf, network=network)
    names = list(FEATURE_NAMES)
    if raster_features is not None:
        features = pd.concat([features, raster_features], axis=1)
        names += list(raster_features.columns)
    keep = y.notna().to_numpy()
    feats, yk = features[keep], y[keep].astype(int)
    groups = gdf.loc[keep, "country"] if "country" in gdf else pd.Series("all", index=yk.index)
    report = cross_validate(feats, yk, groups, seed=seed, n_boot=n_boot)
    report["censored"] = int((~keep).sum())
    report["label"] = label
    metadata = {
        "label": label,
        "as_of": as_of,
        "training_rows": int(keep.sum()),
        "training_sha256": training_hash(pd.concat([feats[names], yk.rename("label")], axis=1)),
        "source": gdf.attrs.get("source", ""),
        "loco_auc": report.get("loco", {}).get("model", {}).get("roc_auc"),
    }
    model = fit_scoring_model(feats, yk, feature_names=names, random_state=seed,
                              metadata=metadata)
    return model, report


def write_report(model, report: dict, out: Path, *, stability=None) -> tuple[Path, Path]:
    """Write ``<name>.md`` (model card) and ``<name>.metrics.json`` beside the model file."""
    import json


    out = Path(out)
    metrics_path = out.with_suffix(".metrics.json")
    card_path = out.with_suffix(".md")
    slim = {k: v for k, v in report.items()}
    with atomic_path(metrics_path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(slim, indent=1, default=str))
    text = model_card(model, report, figures_stem=out.with_suffix(""), stability=stability)
    with atomic_path(card_path, overwrite=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return card_path, metrics_path


def deposit_stability(model, deposits, *, network=None):
    """Rank stability of a deposit set across pillar weightings, for the model card chart."""

    features = build_features(deposits, network=network)
    pillars = pillar_scores(features, model.mcda_lo, model.mcda_hi)
    return weight_sensitivity(pillars).assign(name=deposits["name"].to_numpy())


def summary_lines(report: dict) -> list[str]:
    """Readable lines of the validation report (for the CLI)."""
    lines = [f"training rows {report['n']} ({report['n_positive']} advanced), "
             f"{report.get('censored', 0)} censored, {report['n_countries']} countries"]
    for scheme in ("loco", "stratified_kfold"):
        if scheme not in report:
            lines.append(f"{scheme}: not possible (one country only)")
            continue
        r = report[scheme]
        lines.append(f"{scheme}: folds {r['folds']} (skipped {r['folds_skipped']})")
        for who in ("model", "grade_only", "mcda"):
            m = r[who]
            lines.append(f"  {who:11} AUC {_f(m.get('roc_auc'))}  AP {_f(m.get('average_precision'))}"
                         f"  Brier {_f(m.get('brier'))}")
        for base in ("grade_only", "mcda"):
            d = (r.get(f"model_minus_{base}") or {}).get("roc_auc")
            if d:
                lines.append(f"  model - {base}: dAUC {d['mean']:+.3f} "
                             f"[{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]")
    return lines


def _f(v) -> str:
    return "  n/a" if v is None else f"{v:.3f}"
