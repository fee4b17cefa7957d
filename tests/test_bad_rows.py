"""One bad-row policy for every command, on one file with a few bad rows: rank, map, routes,
score (and surface, whose layer is --network) skip and report them (exit 3), --strict stops
(exit 2, nothing written), --json lists every one; validate only reports; -q/-v/--debug work
before and after the subcommand."""

from __future__ import annotations

import json

import pytest
from _support import INSIDE, run

HEAD = "id,name,country,lat,lon,treo_pct,ndpr_pct,resource_mt,minerals\n"
GOOD = [f"g{i},Good {i},{c},{INSIDE[c][1]},{INSIDE[c][0]},2.0,20,10,bastnaesite\n"
        for i, c in enumerate(("MWI", "AUS", "IND"))]
BAD = [f"b1,Too rich,MWI,{INSIDE['MWI'][1]},{INSIDE['MWI'][0]},150,20,10,bastnaesite\n",
       f"b2,Elsewhere,IND,{INSIDE['AUS'][1]},{INSIDE['AUS'][0]},2.0,20,10,bastnaesite\n"]
SHOWN = ("few.csv: row 2 (id=b1, name=Too rich): treo_pct: 150 is above the maximum 100",
         "few.csv: row 4 (id=b2, name=Elsewhere): country: country is IND but the point")


@pytest.fixture
def few(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text(HEAD + GOOD[0] + BAD[0] + GOOD[1] + BAD[1] + GOOD[2], encoding="utf-8")
    return path


def _args(command, src, tmp_path):
    return {
        "rank": ("rank", src, "--draws", 0, "-o", tmp_path / "out.csv"),
        "map": ("map", src, "-o", tmp_path / "out.html", "--offline", "--routes", 0),
        "routes": ("routes", src, "--k", 1, "-o", tmp_path / "out.csv"),
        "score": ("score", src, "-o", tmp_path / "out.csv"),
    }[command]


@pytest.mark.parametrize("command", ["rank", "map", "routes", "score"])
def test_bad_rows_skipped_reported_exit_3(few, tmp_path, command):
    r = run(*_args(command, few, tmp_path))
    assert r.exit_code == 3, r.output
    for line in SHOWN:
        assert line in r.stderr, r.stderr
    assert "treo_pct: above the maximum" in r.stderr and "Traceback" not in r.output
    out = next(tmp_path.glob("out.*"))
    text = out.read_text(encoding="utf-8")
    for name in ("Good 0", "Good 1", "Good 2") if command != "routes" else ("g0", "g1", "g2"):
        assert name in text
    assert "Too rich" not in text and "Elsewhere" not in text


@pytest.mark.parametrize("command", ["rank", "map", "routes", "score"])
def test_strict_stops_and_writes_nothing(few, tmp_path, command):
    r = run(*_args(command, few, tmp_path), "--strict")
    assert r.exit_code == 2, r.output
    assert SHOWN[0] in r.stderr and "(and 1 more errors)" in r.stderr and "--strict" in r.stderr
    assert list(tmp_path.glob("out.*")) == [] and list(tmp_path.glob(".out*")) == []


@pytest.mark.parametrize("command", ["rank", "map", "routes", "score"])
def test_json_lists_every_skipped_row(few, tmp_path, command):
    r = run(*_args(command, few, tmp_path), "--json")
    assert r.exit_code == 3
    doc = json.loads(r.stdout)
    skipped = doc.get("rows_skipped", doc.get("rows_rejected"))
    assert skipped == 2
    rows = sorted(p["row"] for p in doc["problems"] if p["severity"] == "error")
    assert rows == [2, 4]


def test_a_clean_file_exits_0(tmp_path):
    src = tmp_path / "clean.csv"
    src.write_text(HEAD + "".join(GOOD), encoding="utf-8")
    for command in ("rank", "map", "routes", "score"):
        r = run(*_args(command, src, tmp_path), "--overwrite")
        assert r.exit_code == 0, (command, r.output)


def test_nothing_left_is_exit_2(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text(HEAD + "".join(BAD), encoding="utf-8")
    for command in ("rank", "map", "routes", "score"):
        r = run(*_args(command, src, tmp_path))
        assert r.exit_code == 2, (command, r.output)
        assert "all 2 rows" in r.stderr and "Traceback" not in r.output
    assert list(tmp_path.glob("out.*")) == []


def test_many_bad_rows_first_shown_then_counted(tmp_path):
    src = tmp_path / "many.csv"
    bad = [BAD[0].replace("b1,", f"x{i},") for i in range(30)]
    src.write_text(HEAD + GOOD[0] + "".join(bad), encoding="utf-8")
    r = run("routes", src, "--k", 1)
    assert r.exit_code == 3
    shown = [line for line in r.stderr.splitlines() if line.startswith("skipped: ")]
    assert len(shown) == 20 and "... and 10 more (all of them with --json)" in r.stderr
    assert "30 of 31 rows skipped for errors" in r.stderr


def test_validate_only_reports(few):
    r = run("validate", few)
    assert r.exit_code == 2 and SHOWN[0] in r.output


def _network(tmp_path):
    """A line network with one point feature and one line of an unknown mode among good lines."""
    import geopandas as gpd
    import shapely

    lon, lat = INSIDE["MWI"]
    lines = gpd.GeoDataFrame(
        {"mode": ["road", "road", "ferry", "rail"]},
        geometry=[shapely.LineString([(lon, lat), (lon + 1, lat)]), shapely.Point(lon, lat),
                  shapely.LineString([(lon, lat), (lon, lat + 1)]),
                  shapely.LineString([(lon + 1, lat), (lon + 1, lat + 1)])], crs="EPSG:4326")
    path = tmp_path / "roads.gpkg"
    lines.to_file(path)
    return path


def test_surface_network_features_follow_the_same_policy(tmp_path):
    roads = _network(tmp_path)
    base = ("surface", "--country", "MWI", "--resolution", "0.5", "--network", roads)
    r = run(*base, "-o", tmp_path / "s.tif")
    assert r.exit_code == 3, r.output
    assert "roads.gpkg: row 2: geometry: a Point geometry; the network takes lines only" in r.stderr
    assert "roads.gpkg: row 3: mode: 'ferry' is not a mode" in r.stderr
    assert "2 of 4 network features skipped" in r.stderr and (tmp_path / "s.tif").exists()
    r = run(*base, "-o", tmp_path / "t.tif", "--strict")
    assert r.exit_code == 2 and not (tmp_path / "t.tif").exists()
    r = run(*base, "-o", tmp_path / "u.tif", "--json")
    assert r.exit_code == 3 and json.loads(r.stdout)["network"]["rows_skipped"] == 2


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("command", ["rank", "map", "routes", "score", "validate", "layers"])
def test_quiet_and_verbose_before_and_after_the_subcommand(few, tmp_path, command, where):
    args = ("layers",) if command == "layers" else (("validate", few) if command == "validate"
                                                    else _args(command, few, tmp_path))
    quiet = ("-q", *args) if where == "before" else (*args, "-q")
    r = run(*quiet, *(("--overwrite",) if command in ("rank", "map", "routes", "score") else ()))
    assert "No such option" not in r.output and r.exit_code in (0, 2, 3), r.output
    assert "skipped:" not in r.stderr and "rejected:" not in r.stderr
    if command in ("rank", "map", "routes", "score"):
        assert r.exit_code == 3
    verbose = ("-v", "--debug", *args) if where == "before" else (*args, "-v", "--debug")
    r = run(*verbose, *(("--overwrite",) if command in ("rank", "map", "routes", "score") else ()))
    assert "No such option" not in r.output and r.exit_code in (0, 2, 3), r.output
