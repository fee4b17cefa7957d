"""Deal sheets: numbers equal the deposit's row of ``rank``, the waterfall adds up, the tornado
moves the right way, text is escaped, nothing reaches the network, and the CLI (``sheet`` and
``rank --sheets``) writes them or fails with one line."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _support import run
from sheetdata import HOSTILE_ID, HOSTILE_NAME, ranked_with_valuation, sheet_numbers

from geoprospect.errors import LayerError, ModelError
from geoprospect.maps.assets import external_references
from geoprospect.sheets import build_sheet, slug, write_sheets
from geoprospect.sheets.route import sheet_route
from geoprospect.sheets.sensitivity import SHOCKS, tornado

TOP = 3
"""Sheets written by ``rank --sheets`` in the CLI test (the rest are covered in process)."""


@pytest.fixture(scope="module")
def ranked():
    return ranked_with_valuation()


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """``rank --sheets`` beside an offline map, with the ranked rows as JSON records."""
    folder = tmp_path_factory.mktemp("rank-sheets")
    (folder / "maps").mkdir()
    out = folder / "ranked.json"
    res = run("rank", "--draws", "30", "-o", out, "--map", folder / "maps" / "m.html", "--offline",
              "--routes", "0", "--sheets", folder / "sheets", "--sheets-top", TOP)
    assert res.exit_code == 0, res.output
    return folder, json.loads(out.read_text(encoding="utf-8"))["records"], res.output


def _same(a, b) -> bool:
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None and (b is None or math.isnan(b))
    return float(a) == float(b)


def _assert_numbers_are_the_row(html: str, record: dict) -> int:
    shown = sheet_numbers(html)
    compared = 0
    for name, value in shown.items():
        if name in record:
            assert _same(value, record[name]), (name, value, record[name])
            compared += 1
    return compared


def test_rank_sheets_show_the_ranked_rows(cli_run):
    folder, records, output = cli_run
    assert f"wrote {TOP} deal sheets" in output
    top = records[:TOP]
    for rec in top:
        path = folder / "maps" / rec["sheet_href"]  # relative to the map's folder
        html = path.read_text(encoding="utf-8")
        # every headline figure, the band, the pillars, the facts: exactly the JSON record's value
        assert _assert_numbers_are_the_row(html, rec) >= 20
        for name in ("rank", "npv_musd", "npv_musd_p10", "npv_musd_p50", "npv_musd_p90",
                     "p_npv_positive", "value_grade_musd", "value_logistics_musd", "value_risk_musd"):
            assert name in sheet_numbers(html), name
    assert all(r.get("sheet_href") in (None, "") for r in records[TOP:])
    index = (folder / "sheets" / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr data-id=") == TOP
    assert (folder / "maps" / "m.html").exists()


def test_sheet_command_matches_rank(cli_run, tmp_path):
    _, records, _ = cli_run
    rec = records[1]
    res = run("sheet", rec["name"].upper(), "-o", tmp_path / "s", "--draws", "30")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "s" / f"{slug(rec['id'])}.html").read_text(encoding="utf-8")
    assert _assert_numbers_are_the_row(html, rec) >= 20
    again = run("sheet", rec["id"], "-o", tmp_path / "s", "--draws", "30")
    assert again.exit_code == 2 and "exists" in again.output  # no silent overwrite


@pytest.mark.parametrize("word, expect", [
    ("Mount Wield", "did you mean 'aus-mount-weld'?"),
    ("nothing-like-it-xyz", "no deposit 'nothing-like-it-xyz'"),
    ("ra", "matches"),  # a part of several names
])
def test_sheet_unknown_deposit_is_one_line_exit_2(tmp_path, word, expect):
    res = run("sheet", "aus-nolans", word, "-o", tmp_path / "s")
    assert res.exit_code == 2
    assert expect in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()  # checked before any work


def test_sheet_bad_scenario_table_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "scen.csv"
    bad.write_text("deposit,scenario\nx,y\n")
    res = run("sheet", "aus-nolans", "-o", tmp_path / "s", "--draws", "0", "--scenarios", bad)
    assert res.exit_code == 2 and "missing column(s) id" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_waterfall_adds_up_and_the_page_is_offline(ranked):
    rows, valuation = ranked
    for deposit_id in rows["id"].head(2):
        html = build_sheet(rows, deposit_id, valuation=valuation)
        n = sheet_numbers(html)
        pillars = n["value_grade_musd"] + n["value_logistics_musd"] + n["value_risk_musd"]
        assert math.isclose(n["reference_npv_musd"] + pillars, n["npv_musd"], rel_tol=1e-12, abs_tol=1e-9)
        assert external_references(html) == []
        assert len(re.findall(r'<figure class="chart" id="[a-z-]+"><svg', html)) == 3  # three charts
        assert "@font-face" not in html and "googleapis" not in html


def test_tornado_moves_the_expected_way(ranked):
    rows, valuation = ranked
    seen = 0
    for i in range(5):
        row = rows.iloc[[i]].copy()
        row.attrs = {}
        t = tornado(row, valuation.params, valuation.settings).set_index("key")
        assert set(t.index) == {s.key for s in SHOCKS}
        base = float(row["npv_musd"].iloc[0])
        assert (t["base"] == base).all()
        assert t.loc["capex", "npv_high"] < base < t.loc["capex", "npv_low"]
        assert t.loc["ndpr_price", "npv_low"] < base < t.loc["ndpr_price", "npv_high"]
        assert t.loc["opex", "npv_high"] < base < t.loc["opex", "npv_low"]
        assert t.loc["premium", "npv_high"] < base < t.loc["premium", "npv_low"]
        assert t.loc["recovery", "npv_low"] < base < t.loc["recovery", "npv_high"]
        seen += 1
    assert seen == 5
    html = build_sheet(rows, rows["id"].iloc[0], valuation=valuation)
    n = sheet_numbers(html)
    assert n["tornado_capex_high"] < n["npv_musd"] < n["tornado_capex_low"]
    assert n["tornado_ndpr_price_low"] < n["npv_musd"] < n["tornado_ndpr_price_high"]


def test_a_valuation_other_than_the_ranking_is_refused(ranked):
    rows, valuation = ranked
    first = rows["id"].iloc[0]
    other_rate = replace(valuation, settings=replace(valuation.settings, base_rate_pct=12.0))
    with pytest.raises(ModelError, match="does not reproduce"):
        build_sheet(rows, first, valuation=other_rate)
    from geoprospect.io.terms import price_scenario

    prices = price_scenario("market-2024")
    other_prices = replace(valuation, settings=replace(valuation.settings, prices=prices))
    with pytest.raises(ModelError, match="price scenario"):
        build_sheet(rows, first, valuation=other_prices)
    with pytest.raises(LayerError, match="no ranked deposit"):
        build_sheet(rows, "no-such-id", valuation=valuation)


def test_hostile_text_is_escaped_everywhere(ranked, tmp_path):
    rows, valuation = ranked
    before = rows.copy()
    written = write_sheets(rows, tmp_path / "out", valuation=valuation, ids=[HOSTILE_ID])
    path = written[0].path
    assert path.parent == tmp_path / "out" and path.name == f"{slug(HOSTILE_ID)}.html"
    assert all(c not in path.name for c in "<>/\\ ")
    html = path.read_text(encoding="utf-8")
    assert "<img" not in html  # the tag never appears unescaped (inert text only)
    assert "${x}" not in html and "{{7*7}}" not in html and "javascript:" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&#36;&#123;x&#125;&#123;&#123;7*7&#125;&#125;" in html
    assert "<script>window.__pwned" not in html and "<b>bold</b>" not in html
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<img" not in index and "&lt;img" in index
    pd.testing.assert_frame_equal(rows, before)  # inputs never modified
    assert HOSTILE_NAME in set(rows["name"])


def test_scenario_block(ranked):
    rows, valuation = ranked
    first = rows["id"].iloc[0]
    html = build_sheet(rows, first, valuation=valuation)
    assert "run <code>geoprospect scenario</code>" in html
    table = pd.DataFrame({"id": [first, first, "other"], "scenario": ["low-price <i>", "no-china", "x"],
                          "npv_musd_p50": [100.5, 200.0, 1.0], "rank": [3, 1, 2],
                          "assigned_plant_id": ["p1", None, "p3"], "delta_npv_musd": [-50.0, 49.5, 0.0]})
    html = build_sheet(rows, first, valuation=valuation, scenarios=table)
    assert html.count("<tr data-scenario=") == 2 and "low-price &lt;i&gt;" in html
    assert sheet_numbers(html)["scenario_delta_npv_musd"] in (-50.0, 49.5)
    # the base first, then the scenarios that move the deposit most (a sheet shows a few)
    table = pd.DataFrame({"id": [first] * 4, "scenario": ["small", "base", "large", "middle"],
                          "npv_musd": [1.0, 2.0, 3.0, 4.0], "npv_musd_p50": [1.0, 2.0, 3.0, 4.0],
                          "rank": [1, 2, 3, 4], "assigned_plant_id": [None] * 4,
                          "delta_npv_musd": [1.0, 0.0, -30.0, 20.0]})
    html = build_sheet(rows, first, valuation=valuation, scenarios=table)
    assert re.findall(r'<tr data-scenario="([^"]+)"', html) == ["base", "large", "middle", "small"]
    with pytest.raises(LayerError, match="missing column"):
        build_sheet(rows, first, valuation=valuation, scenarios=table.drop(columns="scenario"))


def test_route_goes_through_the_assigned_plant(ranked):
    rows, valuation = ranked
    from geoprospect.routes.scenario import Scenario

    net = Scenario().network()
    row = rows[rows["id"] == "mwi-kangankunde"].copy()
    row.attrs = {}
    row["assigned_plant_id"] = None  # the deposit's own best plant, not the allocation's
    own = sheet_route(row, net)
    assert own.plant_id == row["plant_id"].iloc[0] and not own.assigned
    assert own.table["plants"].split(" > ")[0] == own.plant_id and own.note == ""
    assert len(own.legs) and set(own.legs["alternative"]) == {own.table["alternative"]}
    row["assigned_plant_id"] = "aus-iluka-eneabba"  # its offtaker's refinery
    row["assigned_share"] = 0.6
    assigned = sheet_route(row, net)
    assert assigned.assigned and assigned.plant_id == "aus-iluka-eneabba" and assigned.note == ""
    assert assigned.table["plants"].split(" > ")[0] == "aus-iluka-eneabba"
    assert set(assigned.legs["to_id"]) >= {"aus-iluka-eneabba"}
    row["assigned_plant_id"] = "mys-lynas-lamp-gebeng"  # Lynas's own: takes no third-party feed
    closed = sheet_route(row, net)
    assert "no open chain starts at mys-lynas-lamp-gebeng" in closed.note
    assert closed.table["plants"].split(" > ")[0] == own.plant_id  # the best chain instead
    with_col = rows.copy()
    here = with_col["id"] == "mwi-kangankunde"
    with_col["assigned_plant_id"] = np.where(here, "mys-lynas-lamp-gebeng", None)
    with_col["assigned_share"] = 0.6
    html = build_sheet(with_col, "mwi-kangankunde", valuation=valuation)
    assert "assigned by the capacity allocation, share 60 %" in html


def test_a_deposit_without_location_has_no_map(ranked):
    rows, valuation = ranked
    moved = rows.copy()
    moved.loc[moved["id"] == "aus-nolans", "geometry"] = None
    html = build_sheet(moved, "aus-nolans", valuation=valuation)
    assert "No location: no map." in html and "no route (no location)" in html
    assert "L.map(" not in html


@pytest.mark.parametrize("deposit_id, expected", [
    ("aus-mount-weld", "aus-mount-weld"), ("index", None), ("AUS Weld", None), ("../../etc/passwd", None),
    ("稀土", None), ("", None),
])
def test_slug_is_a_safe_unique_file_name(deposit_id, expected):
    s = slug(deposit_id)
    if expected:
        assert s == expected
    assert s and all(c.isascii() and (c.isalnum() or c in "._-") for c in s)
    assert s != "index" and not s.startswith(".")
    assert Path(f"{s}.html").name == f"{s}.html"
    assert slug(deposit_id.upper()) != s or deposit_id.upper() == deposit_id


def test_rank_sheets_show_a_scenario_table(tmp_path):
    table = tmp_path / "sc.csv"
    pd.DataFrame({"id": ["aus-mount-weld"] * 2, "scenario": ["base", "price-low"], "npv_musd": [1.0, 0.5],
                  "npv_musd_p50": [1.0, 0.5], "rank": [1, 1], "assigned_plant_id": [None, None],
                  "delta_npv_musd": [0.0, -0.5]}).to_csv(table, index=False)
    res = run("rank", "--draws", "0", "--routes", "0", "--sheets", tmp_path / "s", "--sheets-top", 1,
              "--scenarios", table)
    assert res.exit_code == 0, res.output
    html = (tmp_path / "s" / f"{slug('aus-mount-weld')}.html").read_text(encoding="utf-8")
    assert re.findall(r'<tr data-scenario="([^"]+)"', html) == ["base", "price-low"]
    bad = run("rank", "--draws", "0", "--sheets", tmp_path / "t", "--scenarios", tmp_path / "none.csv")
    assert bad.exit_code == 2 and "--scenarios" in bad.output
