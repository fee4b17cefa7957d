"""Learned imputation with intervals (geoprospect.model.imputation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoprospect.errors import ModelError
from geoprospect.model import imputation as im
from geoprospect.model.imputation import QUANTILES, TARGETS, fit_imputer, impute, training_table

FIELDS = (*TARGETS, "resource_mt")
LEVELS = ("p10", "p50", "p90")


@pytest.fixture(scope="module")
def table():
    return training_table()


@pytest.fixture(scope="module")
def params(table):
    return fit_imputer(table, seed=0)


def _force_learned(params: dict, table: pd.DataFrame) -> dict:
    """A copy of ``params`` that uses the learned model for every target (exercises that path)."""
    p = {**params, "chosen": dict(params["chosen"]), "learned": dict(params["learned"])}
    for t in TARGETS:
        X, known = im._design(table, t)
        y = table[t].to_numpy(dtype=float)
        ok = known & np.isfinite(y) & (y > 0)
        p["learned"][t] = im._learned_fit(X[ok], im._to_space(t, y[ok]))
        p["chosen"][t] = "learned"
    return p


def _grid() -> pd.DataFrame:
    """Every deposit type (and an unknown one) x every missing pattern of the four fields."""
    rows = []
    measured = {"treo_pct": 1.2, "ndpr_pct": 21.0, "dytb_pct": 1.1, "resource_mt": 40.0}
    for dtype in (*im.DEPOSIT_TYPES, None, "volcano"):
        for mask in range(16):
            row = {"deposit_type": dtype, "country": "AUS" if mask % 3 else "Malawi",
                   "main_ree_minerals": "monazite;xenotime" if mask % 2 else None}
            for k, f in enumerate(FIELDS):
                row[f] = measured[f] if mask & (1 << k) else np.nan
            rows.append(row)
    return pd.DataFrame(rows, index=pd.RangeIndex(100, 100 + len(rows)))


def _violations(out: pd.DataFrame) -> list[str]:
    """Ordering and physical-bound problems of an imputation output (empty when it is sound)."""
    bad = []
    for f in FIELDS:
        q = out[[f"{f}_{lv}" for lv in LEVELS]].to_numpy(dtype=float)
        ok = ~np.isnan(q).any(axis=1)
        if np.any(q[ok, 0] > q[ok, 1]) or np.any(q[ok, 1] > q[ok, 2]):
            bad.append(f"{f}: quantiles not ordered")
        if np.any(q[ok] <= 0) and f in ("treo_pct", "resource_mt"):
            bad.append(f"{f}: non-positive")
        if f in ("ndpr_pct", "dytb_pct") and (np.any(q[ok] < 0) or np.any(q[ok] > 100)):
            bad.append(f"{f}: share outside 0-100")
    return bad


def test_training_table_one_row_per_deposit(table):
    assert table["id"].is_unique
    assert (table["source"] == "ree_deposits_global").sum() == 55
    assert table[list(TARGETS)].notna().any(axis=1).all()
    assert {"deposit_type", "region", "tonnage_mt", *TARGETS} <= set(table.columns)


def test_measured_values_pass_through_with_zero_width(params):
    frame = pd.DataFrame({"deposit_type": ["carbonatite", "ionic_clay"], "treo_pct": [2.14, 0.05],
                          "ndpr_pct": [20.2, 30.0], "dytb_pct": [0.86, 5.0], "resource_mt": [261.0, 300.0]},
                         index=["a", "b"])
    out = impute(params, frame)
    assert list(out.index) == ["a", "b"]
    for f in FIELDS:
        for lv in LEVELS:
            np.testing.assert_array_equal(out[f"{f}_{lv}"].to_numpy(), frame[f].to_numpy())
    assert (out["imputed"] == "").all()
    assert (out["data_completeness"] == 1.0).all()


@pytest.mark.parametrize("learned", [False, True])
def test_imputed_rows_are_wider_ordered_and_in_bounds(params, table, learned):
    p = _force_learned(params, table) if learned else params
    grid = _grid()
    out = impute(p, grid)
    assert out.index.equals(grid.index)
    assert _violations(out) == []
    for f in TARGETS:
        miss = grid[f].isna().to_numpy()
        assert np.all(out[f"{f}_p10"].to_numpy()[miss] < out[f"{f}_p90"].to_numpy()[miss])
        assert np.all(out[f"{f}_p10"].to_numpy()[~miss] == out[f"{f}_p90"].to_numpy()[~miss])
        assert out.loc[miss, "imputed"].str.contains(f).all()


def test_occurrence_gets_tonnage_quantiles(params):
    frame = pd.DataFrame({"deposit_type": ["carbonatite", None, "heavy_mineral_sands"],
                          "treo_pct": [np.nan, np.nan, 0.1], "resource_mt": [np.nan, np.nan, np.nan]})
    out = impute(params, frame)  # ndpr/dytb columns absent: counted as missing
    for i in (0, 1):  # occurrences: no grade, no tonnage
        q = out[[f"resource_mt_{lv}" for lv in LEVELS]].to_numpy(dtype=float)[i]
        assert 0 < q[0] < q[1] < q[2]
        assert "resource_mt" in out["imputed"].iloc[i].split(";")
        assert out["data_completeness"].iloc[i] == 0.0
    # a grade without a tonnage: the tonnage comes from the type's grade-tonnage distribution
    # conditional on that grade (bivariate normal in log10), narrower than the occurrence's
    gt = params["grade_tonnage"]
    k = list(gt["deposit_types"]).index("heavy_mineral_sands")
    mu_t, sd_t, mu_g, sd_g, rho = (gt[c][k] for c in ("mean_log10_tonnage", "sd_log10_tonnage",
                                                      "mean_log10_treo", "sd_log10_treo", "corr"))
    cond_mu = mu_t + rho * sd_t / sd_g * (np.log10(0.1) - mu_g)   # written out independently
    cond_sd = sd_t * np.sqrt(1 - rho ** 2)
    q = out[[f"resource_mt_{lv}" for lv in LEVELS]].to_numpy(dtype=float)[2]
    assert q[1] == pytest.approx(10 ** cond_mu)
    assert np.log10(q[2] / q[1]) == pytest.approx(1.2815515655446004 * cond_sd)
    assert cond_sd < sd_t
    assert "resource_mt" in out["imputed"].iloc[2].split(";")
    assert out["data_completeness"].iloc[2] == 0.25
    k = list(gt["deposit_types"]).index("carbonatite")
    assert out["resource_mt_p50"].iloc[0] == pytest.approx(10 ** gt["mean_log10_tonnage"][k])


def test_missing_columns_and_bad_values(params):
    out = impute(params, pd.DataFrame({"deposit_type": ["ionic_clay"]}))
    assert out["imputed"].iloc[0] == "treo_pct;ndpr_pct;dytb_pct;resource_mt"
    assert impute(params, pd.DataFrame({"deposit_type": pd.Series([], dtype=object)})).empty
    for f, v in (("treo_pct", 0.0), ("ndpr_pct", 120.0), ("resource_mt", -1.0)):
        with pytest.raises(ModelError):
            impute(params, pd.DataFrame({"deposit_type": ["carbonatite"], f: [v]}))


def test_card_and_choice(params):
    for t in TARGETS:
        card = params["card"][t]
        for key in ("n", "loss_baseline", "loss_learned", "ci_low", "ci_high", "coverage_baseline",
                    "coverage_learned", "chosen"):
            assert key in card
        assert card["ci_low"] <= card["ci_high"]
        assert card["chosen"] == ("learned" if card["ci_high"] < 0 else "baseline")
        assert params["chosen"][t] == card["chosen"]
        assert (t in params["learned"]) == (card["chosen"] == "learned")


def test_deterministic(params, table):
    again = fit_imputer(table, seed=0)
    assert again["card"] == params["card"]
    grid = _grid()
    pd.testing.assert_frame_equal(impute(again, grid), impute(params, grid))


def test_baseline_quantiles_on_hand_built_table():
    """numpy.quantile method="linear": five values 10..50 give P10 14, P50 30, P90 46."""
    rows = []
    for i, v in enumerate((10.0, 20.0, 30.0, 40.0, 50.0)):
        rows.append(("carbonatite", "AUS", 10.0 * (i + 1), 1.0 + i, v, 1.0 + i))
    for i, v in enumerate((1.0, 2.0, 3.0, 4.0, 5.0)):
        rows.append(("ionic_clay", "MDG", 100.0 + i, 0.05 + 0.01 * i, v, 5.0 + i))
    rows += [("pegmatite", "CAN", 1.0, 0.5, 60.0, 10.0), ("pegmatite", "USA", 2.0, 0.6, 70.0, 12.0)]
    tiny = pd.DataFrame(rows, columns=["deposit_type", "country", "tonnage_mt", *TARGETS])
    p = fit_imputer(tiny, seed=0)
    qt = p["baseline"]["ndpr_pct"]["quantiles"]
    np.testing.assert_allclose(qt[im.DEPOSIT_TYPES.index("carbonatite")], [14.0, 30.0, 46.0])
    np.testing.assert_allclose(qt[im.DEPOSIT_TYPES.index("ionic_clay")], [1.4, 3.0, 4.6])
    pooled = np.quantile(tiny["ndpr_pct"], QUANTILES, method="linear")
    np.testing.assert_allclose(qt[im.DEPOSIT_TYPES.index("pegmatite")], pooled)  # < 5 rows: pooled
    p["chosen"]["ndpr_pct"] = "baseline"
    out = impute(p, pd.DataFrame({"deposit_type": ["carbonatite", "pegmatite", None]}))
    got = out[["ndpr_pct_p10", "ndpr_pct_p50", "ndpr_pct_p90"]].to_numpy(dtype=float)
    np.testing.assert_allclose(got, [[14.0, 30.0, 46.0], pooled, pooled])


def test_property_check_catches_a_broken_imputer(params):
    """Anti-vacuity: swapping P10 and P90 must fail the ordering property."""
    out = impute(params, _grid())
    broken = out.copy()
    for f in FIELDS:
        broken[f"{f}_p10"], broken[f"{f}_p90"] = out[f"{f}_p90"], out[f"{f}_p10"]
    assert _violations(out) == []
    assert any("not ordered" in v for v in _violations(broken))
    shifted = out.assign(ndpr_pct_p90=out["ndpr_pct_p90"] + 100.0)
    assert any("0-100" in v for v in _violations(shifted))


@pytest.mark.parametrize("learned", [False, True])
def test_skops_round_trip(params, table, tmp_path, learned):
    sio = pytest.importorskip("skops.io")
    p = _force_learned(params, table) if learned else params
    path = tmp_path / "imputer.skops"
    sio.dump(p, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert all(t.startswith(("sklearn.", "numpy.")) for t in untrusted), untrusted
    loaded = sio.load(path, trusted=untrusted)
    grid = _grid()
    pd.testing.assert_frame_equal(impute(loaded, grid), impute(p, grid))
    assert loaded["card"] == p["card"]
