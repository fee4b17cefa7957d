"""The model card: data, label, censoring, features, validation, limitations, and pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geoprospect.features import FEATURES
from geoprospect.model.evaluation import beats
from geoprospect.model.labels import OPPORTUNITY_YEARS


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _verdict(report: dict) -> str:

    if "loco" not in report:
        return "- Leave-one-country-out is not possible: the training layer has one country."
    lines = []
    for base, label in (("mcda", "the transparent equal-weight score"),
                        ("grade_only", "ranking by grade alone")):
        d = (report["loco"].get(f"model_minus_{base}") or {}).get("roc_auc")
        if not d:
            lines.append(f"- Against {label}: not computable on these folds.")
            continue
        win = beats(report, "loco", base)
        word = ("beats" if win else
                "does **not** beat" if d["ci95"][1] < 0 or d["mean"] <= 0 else
                "is **not distinguishable** from")
        lines.append(f"- Leave-one-country-out, the model {word} {label}: ROC AUC difference "
                     f"{d['mean']:+.3f} (95 % bootstrap interval {d['ci95'][0]:+.3f} to "
                     f"{d['ci95'][1]:+.3f}; model better in {100 * d['p_model_better']:.0f} % of "
                     "resamples).")
    return "\n".join(lines)


def model_card(model, report: dict, *, figures_stem: Path | None = None,
               stability=None) -> str:
    """Return the markdown model card; writes PNG figures beside it when matplotlib exists.

    ``stability`` (optional) is a frame with ``name``, ``rank_best``, ``rank_median``,
    ``rank_worst`` (:func:`geoprospect.model.mcda.weight_sensitivity` of the bundled deposits) for the
    rank-stability chart.
    """

    meta = model.metadata
    figs = _figures(model, report, figures_stem, stability) if figures_stem else []
    rows = []
    for scheme in ("loco", "stratified_kfold"):
        if scheme not in report:
            continue
        r = report[scheme]
        for who in ("model", "grade_only", "mcda"):
            m = r[who]
            rows.append(f"| {scheme} | {who} | {m.get('n')} | {_fmt(m.get('roc_auc'))} | "
                        f"{_fmt(m.get('average_precision'))} | {_fmt(m.get('brier'))} |")
    dropped = meta.get("dropped_features") or []
    feats = "\n".join(
        f"| `{f.name}` | {f.pillar} | {'+' if f.monotone > 0 else '-' if f.monotone < 0 else 'free'}"
        f" | {f.description}{' (no data: unused)' if f.name in dropped else ''} |"
        for f in FEATURES
    )
    pics = "\n".join(f"![{p.stem}]({p.name})" for p in figs)
    return f"""# Model card: {Path(str(figures_stem or 'model')).name}

*geoprospect {meta.get('geoprospect_version')} · scikit-learn {meta.get('sklearn_version')} ·
training data sha256 `{meta.get('training_sha256', '')[:16]}` · source `{meta.get('source')}`*

## What it predicts

The probability that a rare-earth project **reaches construction or production** (the label),
given only what is known before a project advances: grade, logistics and political risk.
`score` = 100 × that calibrated probability.

## Data and label

- Rows: {report['n']} labelled projects ({report['n_positive']} advanced), {report.get('censored', 0)}
  censored, from {report['n_countries']} countries.
- Label `{report.get('label')}`: 1 = a construction or production year is recorded, or the
  stage is construction, production or historic (past producer); 0 = cancelled or suspended
  before producing, or a first resource at least {OPPORTUNITY_YEARS} years before
  {meta.get('as_of')} without advancing; otherwise **censored** (too young or undated) and left
  out rather than counted as a failure.
- **No leakage**: `stage`, `resource_category`, `standard`, `resource_year` and the outcome
  years decide the label and are never features.

## Features and constraints

`HistGradientBoostingClassifier` (depth 2, 40 rounds, at least 8 projects per leaf) with
monotone constraints (+ never lowers the score, - never raises it) and interaction constraints
by pillar, so the logit is an
exact sum of grade, logistics and risk terms; one sigmoid calibration (monotone). Unknown values
of monotone features get **no credit** (encoded as their worst value); they widen the
uncertainty band instead.

| feature | pillar | monotone | meaning |
|---|---|---|---|
{feats}

## Validation (pooled out-of-fold predictions, baselines in the same run)

| scheme | scorer | n | ROC AUC | average precision | Brier |
|---|---|---|---|---|---|
{chr(10).join(rows)}

{_verdict(report)}

Grade-only and the equal-weight multi-criteria score are rankings, not probabilities: no Brier.

{pics}

## Limitations

- The training set is small ({report['n']} labelled projects) and compiled from public sources;
  intervals are wide and a few rows can move the metrics.
- Historically many rare-earth projects advanced in low-governance jurisdictions (China,
  Russia, Kyrgyzstan, Laos, Vietnam, Myanmar); with a monotone constraint the model cannot learn
  that poor governance *helps*, so its risk term stays small. The transparent `risk_score`
  and `--weights` view show political risk directly.
- Prices, costs and risk indicators are read at run time from `layers/`; changing them changes
  scores without retraining.
- Monte Carlo spreads are assumptions (see `geoprospect/uncertainty.py`).
"""


def _figures(model, report: dict, stem: Path, stability=None) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import roc_curve

    out = []
    scheme = "loco" if "loco" in report else "stratified_kfold"
    oof = report[scheme]["oof"]
    y = np.asarray(oof["y"])
    fig, ax = plt.subplots(figsize=(5, 5))
    for key, label in (("model", "model"), ("mcda", "equal-weight MCDA"),
                       ("grade_only", "grade only")):
        s = np.array([np.nan if v is None else v for v in oof[key]], dtype=float)
        ok = np.isfinite(s)
        if ok.sum() > 2 and len(np.unique(y[ok])) == 2:
            fpr, tpr, _ = roc_curve(y[ok], s[ok])
            auc = report[scheme][key].get("roc_auc")
            ax.plot(fpr, tpr, label=f"{label} (AUC {_fmt(auc)})")
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate",
           title=f"Out-of-fold ROC ({scheme})")
    ax.legend(loc="lower right")
    out.append(_save(fig, stem, "roc", plt))
    s = np.array([np.nan if v is None else v for v in oof["model"]], dtype=float)
    ok = np.isfinite(s)
    if ok.sum() > 4:
        fig, ax = plt.subplots(figsize=(5, 5))
        frac, mean = calibration_curve(y[ok], s[ok], n_bins=5, strategy="quantile")
        ax.plot(mean, frac, "o-", label="model (LOCO out-of-fold)")
        ax.plot([0, 1], [0, 1], ":", color="grey")
        ax.set(xlabel="predicted probability", ylabel="observed share advanced",
               title="Calibration")
        ax.legend()
        out.append(_save(fig, stem, "calibration", plt))
    spans = np.asarray(model.pillar_hi) - np.asarray(model.pillar_lo)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.barh(["grade", "logistics", "risk"], spans)
    ax.set(xlabel="range of the pillar's logit contribution (training set)",
           title="Pillar importance")
    out.append(_save(fig, stem, "pillars", plt))
    if stability is not None and len(stability):
        st = stability.sort_values("rank_median").head(25)
        fig, ax = plt.subplots(figsize=(7, 0.28 * len(st) + 1.2))
        y = np.arange(len(st))[::-1]
        ax.hlines(y, st["rank_best"], st["rank_worst"], color="#2b8cbe", lw=4)
        ax.plot(st["rank_median"], y, "k|", ms=12)
        ax.set_yticks(y, [str(n)[:38] for n in st["name"]], fontsize=7)
        ax.set(xlabel="rank across 500 pillar weightings (5th-95th percentile, median)",
               title="Rank stability of the bundled deposits (transparent view)")
        out.append(_save(fig, stem, "rank_stability", plt))
    return out


def _save(fig, stem: Path, name: str, plt) -> Path:
    path = Path(f"{stem}_{name}.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
