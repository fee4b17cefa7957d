"""Learned imputation with intervals: TREO grade, NdPr and Dy+Tb shares (% of TREO) and, for an
occurrence with no estimate, tonnage, each as P10/P50/P90. Missing widens the band; it is never a
worst value or a point guess.

- **baseline**: empirical per-type quantiles (``numpy.quantile(..., method="linear")``), pooled
  over all rows when a type has fewer than :data:`MIN_TYPE_ROWS` rows or is unknown.
- **learned**: a ``QuantileRegressor`` per quantile (L1 :data:`ALPHA`, HiGHS) on one-hot type +
  continent + REE-mineral flags + log10 tonnage (``treo_pct``) or log10 TREO (shares), fitted in
  log10 (grade) or logit (shares: stays in 0-100 %) space; crossings sorted (rearrangement). Used
  for a row only when its features are all *measured* (an imputed value is never a feature).

The learned model serves a target only if its leave-one-out paired-bootstrap CI of the pinball
loss difference (learned - baseline, log10 units) lies below zero (:func:`evaluate_imputer`).
A missing tonnage comes from the type's grade-tonnage distribution, a bivariate normal of
(log10 Mt, log10 TREO %): the USGS three-part assessment idea (MapMark4), conditional on a deposit
being there (and on its grade, when one is published).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.linear_model import QuantileRegressor

from geoprospect.errors import ModelError
from geoprospect.io.bundled import layer_path
from geoprospect.io.countries import normalise_countries

QUANTILES = (0.1, 0.5, 0.9)
TARGETS = ("treo_pct", "ndpr_pct", "dytb_pct")
FIELDS = (*TARGETS, "resource_mt")
DEPOSIT_TYPES = ("carbonatite", "alkaline_complex", "ionic_clay", "heavy_mineral_sands", "hydrothermal",
                 "iron_oxide", "phosphorite", "pegmatite", "tailings", "other")
MINERAL_FLAGS = ("bastnaesite", "monazite", "xenotime", "eudialyte", "ionic")
MIN_TYPE_ROWS = 5
ALPHA = 0.01
"""L1 penalty of the quantile regressions (fixed a priori, not tuned on the evaluation)."""
_Z = {0.1: -1.2815515655446004, 0.5: 0.0, 0.9: 1.2815515655446004}
_EPS = 1e-4
_CONTINENTS = {  # as Natural Earth's CONTINENT: RUS in Europe, TUR in Asia, GRL in North America
    "africa": "DZA AGO BEN BWA BFA BDI CMR CPV CAF TCD COM COD COG CIV DJI EGY GNQ ERI SWZ ETH GAB GMB "
              "GHA GIN GNB KEN LSO LBR LBY MDG MWI MLI MRT MUS MAR MOZ NAM NER NGA RWA STP SEN SYC SLE "
              "SOM ZAF SSD SDN TZA TGO TUN UGA ZMB ZWE ESH",
    "asia": "AFG ARM AZE BHR BGD BTN BRN KHM CHN GEO IND IDN IRN IRQ ISR JPN JOR KAZ KWT KGZ LAO LBN MYS "
            "MDV MNG MMR NPL PRK OMN PAK PHL QAT SAU SGP KOR LKA SYR TWN TJK THA TLS TUR TKM ARE UZB VNM "
            "YEM PSE",
    "europe": "ALB AND AUT BLR BEL BIH BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN ISL IRL ITA LVA LIE "
              "LTU LUX MLT MDA MCO MNE NLD MKD NOR POL PRT ROU RUS SMR SRB SVK SVN ESP SWE CHE UKR GBR",
    "north_america": "CAN USA MEX GRL GTM BLZ HND SLV NIC CRI PAN CUB DOM HTI JAM BHS TTO PRI",
    "south_america": "ARG BOL BRA CHL COL ECU GUY PRY PER SUR URY VEN",
    "oceania": "AUS NZL PNG FJI SLB VUT NCL WSM TON KIR FSM",
}
REGIONS = tuple(_CONTINENTS)
_REGION_OF = {iso: name for name, codes in _CONTINENTS.items() for iso in codes.split()}


def region_of(country: pd.Series) -> pd.Series:
    """Map country names or ISO codes to a continent name (one of :data:`REGIONS`), None if unknown."""
    iso3, _ = normalise_countries(country.astype(object))
    return iso3.map(lambda c: _REGION_OF.get(c) if isinstance(c, str) else None).astype(object)


def training_table() -> pd.DataFrame:
    """Return the composition training rows, one per deposit.

    Rows of ``ree_deposits_global.csv`` with any of :data:`TARGETS`, then rows of the deposit and
    project layers with any target whose ``id`` is not a global ``gid`` already taken.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``source``, ``deposit_type``, ``country``, ``region`` (continent),
        ``main_ree_minerals`` (looked up by id in the deposit layers for global rows),
        ``tonnage_mt`` and the targets (shares in % of TREO).
    """
    glob = pd.read_csv(layer_path("ree_deposits_global.csv"))
    glob = glob.rename(columns={"gid": "id"}).assign(source="ree_deposits_global")
    layers = []
    for name in ("deposits.geojson", "projects.geojson"):
        features = json.loads(layer_path(name).read_text("utf-8"))["features"]
        rows = pd.DataFrame([f["properties"] for f in features])
        minerals = rows.get("main_ree_minerals", pd.Series(None, index=rows.index)).astype(object)
        rows["main_ree_minerals"] = minerals.fillna(rows.get("minerals"))
        layers.append(rows.rename(columns={"resource_mt": "tonnage_mt"}).assign(source=name))
    local = pd.concat(layers, ignore_index=True).drop_duplicates("id")
    glob["main_ree_minerals"] = glob["id"].map(local.set_index("id")["main_ree_minerals"])
    cols = ["id", "source", "deposit_type", "country", "main_ree_minerals", "tonnage_mt", *TARGETS]
    glob = glob.loc[glob[list(TARGETS)].notna().any(axis=1), cols]
    local = local.loc[local[list(TARGETS)].notna().any(axis=1) & ~local["id"].isin(glob["id"]), cols]
    table = pd.concat([glob, local], ignore_index=True)
    for c in ("tonnage_mt", *TARGETS):
        table[c] = pd.to_numeric(table[c], errors="coerce")
    table["region"] = region_of(table["country"])
    return table


def _prepare(table: pd.DataFrame | None) -> pd.DataFrame:
    table = training_table() if table is None else table.reset_index(drop=True)
    if "region" not in table:
        table = table.assign(region=region_of(table.get("country", pd.Series(None, index=table.index))))
    return table


def _type_codes(types: pd.Series) -> np.ndarray:
    clean = pd.Series(types, dtype="string").str.strip().str.lower()
    return clean.map({t: i for i, t in enumerate(DEPOSIT_TYPES)}).fillna(-1).to_numpy(dtype=int)


def _to_space(target: str, v: np.ndarray) -> np.ndarray:
    """log10 for the grade, logit of the fraction for shares."""
    p = np.clip(v / 100.0, _EPS, 1 - _EPS)
    return np.log10(v) if target == "treo_pct" else np.log(p / (1 - p))


def _from_space(target: str, z: np.ndarray) -> np.ndarray:
    return 10.0 ** z if target == "treo_pct" else 100.0 / (1.0 + np.exp(-z))


def _design(frame: pd.DataFrame, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix of the learned model and a mask of rows whose features are all known."""
    n = len(frame)
    codes = _type_codes(frame["deposit_type"])
    onehot_type = np.zeros((n, len(DEPOSIT_TYPES)))
    onehot_type[codes >= 0, codes[codes >= 0]] = 1.0
    region = frame["region"].to_numpy(dtype=object)
    onehot_region = np.column_stack([region == r for r in REGIONS]).astype(float)
    minerals = frame.get("main_ree_minerals", pd.Series(np.nan, index=frame.index))
    listed = [set(str(m).lower().replace(" ", "").split(";")) if isinstance(m, str) and m.strip() else None
              for m in minerals]
    flags = np.array([[float(s is not None)] + [float(s is not None and f in s) for f in MINERAL_FLAGS]
                      for s in listed]).reshape(n, len(MINERAL_FLAGS) + 1)
    source = "tonnage_mt" if target == "treo_pct" else "treo_pct"
    raw = frame[source].to_numpy(dtype=float)
    numeric = np.log10(np.where(raw > 0, raw, np.nan))
    known = (codes >= 0) & (onehot_region.sum(axis=1) > 0) & np.isfinite(numeric)
    X = np.column_stack([onehot_type, onehot_region, flags, np.nan_to_num(numeric)])
    return X, known


def _baseline_fit(types: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-type empirical quantiles (row ``i`` for type ``i``, last row pooled) and counts."""
    counts = np.array([(types == i).sum() for i in range(len(DEPOSIT_TYPES))] + [y.size])
    table = [np.quantile(y[types == i] if i < len(DEPOSIT_TYPES) and counts[i] >= MIN_TYPE_ROWS else y,
                         QUANTILES, method="linear") for i in range(len(counts))]
    return np.array(table), counts


def _baseline_predict(table: np.ndarray, types: np.ndarray) -> np.ndarray:
    return table[np.where(types >= 0, types, len(DEPOSIT_TYPES))]


def _learned_fit(X: np.ndarray, z: np.ndarray) -> list[QuantileRegressor]:
    return [QuantileRegressor(quantile=q, alpha=ALPHA, solver="highs").fit(X, z) for q in QUANTILES]


def _learned_predict(models: list, X: np.ndarray, target: str) -> np.ndarray:
    z = np.sort(np.column_stack([m.predict(X) for m in models]), axis=1)  # rearrangement
    return _from_space(target, z)


def _pinball_rows(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mean pinball loss over QUANTILES per row, in log10 units of the target."""
    diff = np.log10(y)[:, None] - np.log10(pred)
    q = np.array(QUANTILES)[None, :]
    return np.mean(np.maximum(q * diff, (q - 1) * diff), axis=1)


def _cross_predict(table: pd.DataFrame, target: str, groups: np.ndarray) -> tuple[np.ndarray, ...]:
    """Held-out baseline and learned quantiles for the rows the learned model can serve."""
    y = table[target].to_numpy(dtype=float)
    types = _type_codes(table["deposit_type"])
    X, known = _design(table, target)
    has_y = np.isfinite(y) & (y > 0)
    rows = np.flatnonzero(has_y & known)
    base = np.empty((rows.size, len(QUANTILES)))
    learn = np.empty_like(base)
    for g in np.unique(groups[rows]):
        test = rows[groups[rows] == g]
        train = has_y & (groups != g)
        qtab, _ = _baseline_fit(types[train], y[train])
        pos = np.searchsorted(rows, test)
        base[pos] = _baseline_predict(qtab, types[test])
        fit_rows = train & known
        models = _learned_fit(X[fit_rows], _to_space(target, y[fit_rows]))
        learn[pos] = _learned_predict(models, X[test], target)
    return y[rows], base, learn, table["country"].to_numpy(dtype=object)[rows]


def _scores(y: np.ndarray, base: np.ndarray, learn: np.ndarray, rng: np.random.Generator,
            n_boot: int, suffix: str = "") -> dict:
    lb, ll = _pinball_rows(y, base), _pinball_rows(y, learn)
    idx = rng.integers(0, y.size, size=(n_boot, y.size))
    boot = (ll - lb)[idx].mean(axis=1)
    out = {"loss_baseline": float(lb.mean()), "loss_learned": float(ll.mean()),
           "ci_low": float(np.percentile(boot, 2.5)), "ci_high": float(np.percentile(boot, 97.5))}
    for name, p in (("baseline", base), ("learned", learn)):
        out[f"coverage_{name}"] = float(np.mean((y >= p[:, 0]) & (y <= p[:, -1])))
        out[f"median_abs_log10_err_{name}"] = float(np.median(np.abs(np.log10(p[:, 1] / y))))
    return {f"{k}{suffix}": v for k, v in out.items()}


def evaluate_imputer(table: pd.DataFrame | None = None, *, seed: int = 0, n_boot: int = 1000) -> dict:
    """Compare the learned and baseline models out of sample, per target.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Training rows as from :func:`training_table` (the default).
    seed : int
        Seed of the paired bootstrap.
    n_boot : int
        Number of bootstrap resamples of the per-row loss differences.

    Returns
    -------
    dict
        ``{target: card}``: ``n`` (rows with the target and the learned features), leave-one-out
        ``loss_*`` (mean pinball over QUANTILES, log10 units), ``ci_low``/``ci_high`` (95 % paired
        bootstrap CI of learned - baseline), ``coverage_*`` (P10-P90), ``median_abs_log10_err_*``
        (P50); the same with ``_loco`` (leave-one-country-out); ``chosen``; ``note``.
    """
    table = _prepare(table)
    country = table.get("country", pd.Series(None, index=table.index)).fillna("?").to_numpy(dtype=object)
    cards = {}
    for k, target in enumerate(TARGETS):
        rng = np.random.default_rng([seed, k])
        y, base, learn, ctry = _cross_predict(table, target, np.arange(len(table)))
        if y.size < 2 * MIN_TYPE_ROWS:
            raise ModelError(f"too few rows with {target} to evaluate the imputer ({y.size})", option=target)
        card = {"n": int(y.size), **_scores(y, base, learn, rng, n_boot)}
        y2, base2, learn2, _ = _cross_predict(table, target, country)
        card.update(_scores(y2, base2, learn2, rng, n_boot, "_loco"), n_countries=len(set(ctry)))
        won = card["ci_high"] < 0
        card["chosen"] = "learned" if won else "baseline"
        card["note"] = ("learned beats baseline leave-one-out (bootstrap CI below 0)" if won else
                        "learned does not beat baseline leave-one-out (CI includes or is above 0): "
                        "baseline used")
        cards[target] = card
    return cards


def _grade_tonnage(table: pd.DataFrame) -> dict:
    t, g = table["tonnage_mt"].to_numpy(dtype=float), table["treo_pct"].to_numpy(dtype=float)
    ok = (t > 0) & (g > 0)
    lt, lg, types = np.log10(t[ok]), np.log10(g[ok]), _type_codes(table["deposit_type"])[ok]
    n_type = np.array([(types == i).sum() for i in range(len(DEPOSIT_TYPES))] + [lt.size])
    sel = [types == i if i < len(DEPOSIT_TYPES) and n_type[i] >= MIN_TYPE_ROWS else np.ones(lt.size, bool)
           for i in range(len(n_type))]
    arr = np.array([[lt[m].mean(), lt[m].std(ddof=1), lg[m].mean(), lg[m].std(ddof=1),
                     np.corrcoef(lt[m], lg[m])[0, 1], m.sum()] for m in sel])
    return {"deposit_types": [*DEPOSIT_TYPES, "pooled"], "mean_log10_tonnage": arr[:, 0],
            "sd_log10_tonnage": arr[:, 1], "mean_log10_treo": arr[:, 2], "sd_log10_treo": arr[:, 3],
            "corr": arr[:, 4], "n": arr[:, 5].astype(int), "n_type": n_type,
            "pooled": np.array([k < MIN_TYPE_ROWS for k in n_type[:-1]] + [True])}


def fit_imputer(table: pd.DataFrame | None = None, *, seed: int = 0) -> dict:
    """Fit the imputer: evaluate, choose per target, refit the chosen models on all rows.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Training rows as from :func:`training_table` (the default).
    seed : int
        Seed of the bootstrap in the evaluation; everything else is deterministic.

    Returns
    -------
    dict
        skops-safe: ``chosen`` (``{target: "learned" | "baseline"}``), ``baseline`` (per target
        ``quantiles``: (n_types + 1, 3), last row pooled, and ``n``), ``learned`` (3 regressors per
        chosen-learned target), ``grade_tonnage`` (per type + pooled), ``card``, metadata.
    """
    table = _prepare(table)
    card = evaluate_imputer(table, seed=seed)
    types = _type_codes(table["deposit_type"])
    params: dict = {"quantiles": np.array(QUANTILES), "targets": list(TARGETS),
                    "deposit_types": list(DEPOSIT_TYPES), "regions": list(REGIONS),
                    "mineral_flags": list(MINERAL_FLAGS), "min_type_rows": MIN_TYPE_ROWS,
                    "quantile_method": "linear", "seed": seed, "chosen": {}, "baseline": {},
                    "learned": {}, "grade_tonnage": _grade_tonnage(table), "card": card}
    for target in TARGETS:
        y = table[target].to_numpy(dtype=float)
        has_y = np.isfinite(y) & (y > 0)
        qtab, counts = _baseline_fit(types[has_y], y[has_y])
        params["baseline"][target] = {"quantiles": qtab, "n": counts}
        params["chosen"][target] = card[target]["chosen"]
        if card[target]["chosen"] == "learned":
            X, known = _design(table, target)
            params["learned"][target] = _learned_fit(X[has_y & known], _to_space(target, y[has_y & known]))
    return params


def _measured(frame: pd.DataFrame, field: str) -> np.ndarray:
    if field not in frame:
        return np.full(len(frame), np.nan)
    try:
        values = pd.to_numeric(frame[field]).to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{field}: non-numeric value ({exc})", option=field) from None
    bad = (values <= 0) if field in ("treo_pct", "resource_mt") else (values < 0) | (values > 100)
    if np.any(bad):
        raise ModelError(f"{field}: outside physical bounds in {int(bad.sum())} row(s)", option=field)
    return values


def impute(params: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """Fill missing grade, composition and (for occurrences) tonnage with P10/P50/P90.

    Parameters
    ----------
    params : dict
        From :func:`fit_imputer`.
    frame : pandas.DataFrame
        Columns ``deposit_type``, ``treo_pct``, ``ndpr_pct``, ``dytb_pct``, ``resource_mt`` and
        optionally ``country`` and ``main_ree_minerals``; missing columns count as all missing.

    Returns
    -------
    pandas.DataFrame
        Same index; ``{f}_p10/_p50/_p90`` for the targets and ``resource_mt``: a measured value
        three times, a missing one the chosen model's quantiles (learned only where its features
        are measured). A missing ``resource_mt`` comes from the deposit type's grade-tonnage
        distribution (bivariate normal in log10): its marginal for an occurrence, its conditional
        given the published grade where there is one.
        ``imputed``: ``;``-joined imputed fields (``""`` if none); ``data_completeness``: share
        of the four fields measured, equal weights (0-1).
    """
    n, none = len(frame), pd.Series(None, index=frame.index, dtype=object)
    values = {f: _measured(frame, f) for f in FIELDS}
    work = pd.DataFrame({"deposit_type": frame.get("deposit_type", none),
                         "region": region_of(frame.get("country", none)),
                         "main_ree_minerals": frame.get("main_ree_minerals", none),
                         "tonnage_mt": values["resource_mt"], **{f: values[f] for f in TARGETS}},
                        index=frame.index)
    types = _type_codes(work["deposit_type"])
    out: dict[str, np.ndarray] = {}
    imputed = np.zeros((n, len(FIELDS)), dtype=bool)
    for j, target in enumerate(TARGETS):
        y = values[target]
        missing = ~np.isfinite(y)
        q = np.repeat(y[:, None], len(QUANTILES), axis=1)
        q[missing] = _baseline_predict(params["baseline"][target]["quantiles"], types[missing])
        if params["chosen"][target] == "learned" and missing.any():
            X, known = _design(work, target)
            use = missing & known
            if use.any():
                q[use] = _learned_predict(params["learned"][target], X[use], target)
        imputed[:, j] = missing
        for i, level in enumerate(("p10", "p50", "p90")):
            out[f"{target}_{level}"] = q[:, i]
    gt = params["grade_tonnage"]
    missing_t = ~np.isfinite(values["resource_mt"])
    occurrence = missing_t & ~np.isfinite(values["treo_pct"])
    rows = np.where(types >= 0, types, len(DEPOSIT_TYPES))
    mu, sd = gt["mean_log10_tonnage"][rows], gt["sd_log10_tonnage"][rows]
    # a published grade narrows the tonnage: the conditional normal of log tonnage given log grade
    mg, sg, rho = gt["mean_log10_treo"][rows], gt["sd_log10_treo"][rows], gt["corr"][rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log10(values["treo_pct"])
    given = missing_t & ~occurrence
    mu = np.where(given, mu + rho * sd / sg * (lg - mg), mu)
    sd = np.where(given, sd * np.sqrt(1 - rho ** 2), sd)
    for level, qq in zip(("p10", "p50", "p90"), QUANTILES, strict=True):
        out[f"resource_mt_{level}"] = np.where(missing_t, 10.0 ** (mu + _Z[qq] * sd), values["resource_mt"])
    imputed[:, 3] = missing_t
    result = pd.DataFrame(out, index=frame.index)
    result["imputed"] = [";".join(f for f, m in zip(FIELDS, row, strict=True) if m) for row in imputed]
    measured = np.column_stack([np.isfinite(values[f]) for f in FIELDS])
    result["data_completeness"] = measured.mean(axis=1)
    return result
