"""`geoprospect validate` on malformed files: never a traceback, always the file, row and field.

Each case builds a small broken file in code and states the exit code and the line the user
must see (file: row N (id/name): field: message), or the file name for a whole-file problem.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from _support import run

HEAD = "id,name,country,lat,lon,treo_pct,resource_mt,ndpr_pct\n"
OK1 = "a,Alpha,MWI,-13.96,33.78,1.2,10,20\n"


def _text(name, body):
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        return path

    return build


def _gpkg_two_layers(tmp: Path) -> Path:
    import geopandas as gpd
    import shapely

    gdf = gpd.GeoDataFrame({"name": ["A"]}, geometry=shapely.points([(33.78, -13.96)]), crs="EPSG:4326")
    path = tmp / "two.gpkg"
    gdf.to_file(path, layer="first")
    gdf.to_file(path, layer="second")
    return path


def _zip_without_shapefile(tmp: Path) -> Path:
    path = tmp / "bundle.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("deposits.txt", "not a layer")
        zf.writestr("deposits.dbf", b"\x03")
    return path


def _geojson(name, feature_props, geometry):
    feature = {"type": "Feature", "properties": feature_props, "geometry": geometry}
    return _text(name, json.dumps({"type": "FeatureCollection", "features": [feature]}))


# (case id, builder, exit code, text the user must see, row-level?)
CASES = [
    ("bad-encoding", _text("latin.csv", (HEAD + "a,Caf\xe9,MWI,-13.9,33.7,1,1,1\n").encode("latin-1")),
     2, "latin.csv: line 2: not valid utf-8", False),
    ("missing-name-column", _text("noname.csv", "id,lat,lon\na,-13.9,33.7\n"),
     0, "noname.csv: name: no name column; names made from ids", False),
    ("non-numeric-grade", _text("grade.csv", HEAD + OK1 + "b,Beta,MWI,-13.9,33.7,high,1,1\n"),
     2, "grade.csv: row 2 (id=b, name=Beta): treo_pct: 'high' is not a number", True),
    ("negative-tonnage", _text("tonnage.csv", HEAD + "a,Alpha,MWI,-13.96,33.78,1.2,-5,20\n"),
     2, "tonnage.csv: row 1 (id=a, name=Alpha): resource_mt: -5 is below the minimum 0", True),
    ("grade-over-100", _text("g100.csv", HEAD + OK1 + "b,Beta,MWI,-13.9,33.7,120,1,1\n"),
     2, "g100.csv: row 2 (id=b, name=Beta): treo_pct: 120 is above the maximum 100", True),
    ("ndpr-over-100", _text("ndpr.csv", HEAD + OK1 + "b,Beta,MWI,-13.9,33.7,1,1,101\n"),
     2, "ndpr.csv: row 2 (id=b, name=Beta): ndpr_pct: 101 is above the maximum 100", True),
    ("lat-out-of-range", _text("lat.csv", HEAD + OK1 + OK1.replace("a,", "c,") + "b,Beta,,-95,120,1,1,1\n"),
     2, "lat.csv: row 3 (id=b, name=Beta): geometry: coordinates out of range", True),
    ("swapped-lat-lon", _text("swap.csv", HEAD + OK1 + "b,Weld,AUS,122.55,-28.86,1,1,1\n"),
     2, "swap.csv: row 2 (id=b, name=Weld): geometry: latitude 122.55 is out of range; lat/lon look swapped",
     True),
    ("empty-coordinates", _text("nocoord.csv", HEAD + OK1 + "b,Beta,MWI,,,1,1,1\n"),
     0, "nocoord.csv: row 2 (id=b, name=Beta): lat/lon: coordinates are empty", True),
    ("one-coordinate-empty", _text("half.csv", HEAD + OK1 + "b,Beta,MWI,-13.9,,1,1,1\n"),
     2, "half.csv: row 2 (id=b, name=Beta): lon: is empty while the other coordinate is given", True),
    ("non-numeric-latitude", _text("north.csv", HEAD + OK1 + "b,Beta,MWI,13 N,33.7,1,1,1\n"),
     2, "north.csv: row 2 (id=b, name=Beta): lat: '13 N' is not a number", True),
    ("bad-wkt", _text("wkt.csv", 'id,name,wkt\na,Alpha,POINT (33.78 -13.96)\nb,Beta,"POINT (33.7"\n'),
     2, "wkt.csv: row 2 (id=b, name=Beta): wkt: not valid WKT", True),
    ("bow-tie-polygon", _text("bowtie.csv", 'id,name,wkt\na,Alpha,"POLYGON ((33 -14, 33.2 -13.8, 33.2 -14, '
                                             '33 -13.8, 33 -14))"\n'),
     0, "bowtie.csv: row 1 (id=a, name=Alpha): geometry: invalid (Self-intersection", True),
    ("collapsed-polygon", _text("flat.csv", 'id,name,wkt\na,Alpha,"POLYGON ((33 -14, 33.1 -14.1, 33.2 -14.2, '
                                           '33 -14))"\n'),
     2, "flat.csv: row 1 (id=a, name=Alpha): geometry: invalid", True),
    ("duplicate-ids", _text("dup.csv", HEAD + OK1 + OK1.replace("Alpha", "Again")),
     2, "dup.csv: row 2 (id=a, name=Again): id: duplicate id 'a' (first used on row 1)", True),
    ("wrong-country", _text("wrong.csv", HEAD + "a,Alpha,India,-13.96,33.78,1,1,1\n"),
     2, "wrong.csv: row 1 (id=a, name=Alpha): country: country is IND but the point", True),
    ("unknown-country", _text("narnia.csv", HEAD + "a,Alpha,Narnia,-13.96,33.78,1,1,1\n"),
     2, "narnia.csv: row 1 (id=a, name=Alpha): country: 'Narnia' is not a known country", True),
    ("fractional-year", _text("year.csv", "id,name,lat,lon,resource_year\na,Alpha,-13.96,33.78,2019.5\n"),
     2, "year.csv: row 1 (id=a, name=Alpha): resource_year: 2019.5 is not a whole year", True),
    ("projected-without-crs", _text("utm.csv", "id,name,x,y\na,Alpha,500000,8450000\n"),
     2, "utm.csv: no CRS", False),
    ("gpkg-two-layers", _gpkg_two_layers, 2, "two.gpkg: holds 2 layers (first, second); choose one", False),
    ("truncated-geojson", _text("trunc.geojson", '{"type": "FeatureCollection", "features": [{"type": "Fea'),
     2, "trunc.geojson: cannot", False),
    ("not-geojson", _text("list.geojson", "[1, 2, 3]"), 2, "list.geojson: cannot", False),
    ("empty-file", _text("empty.csv", ""), 2, "empty.csv: file is empty", False),
    ("empty-geojson", _text("empty.geojson", ""), 2, "empty.geojson: file is empty", False),
    ("unsupported-extension", _text("deposits.docx", "hello"), 2, "deposits.docx: unsupported format .docx",
     False),
    ("zip-without-shapefile", _zip_without_shapefile, 2, "bundle.zip: the zip holds no shapefile", False),
    ("missing-file", lambda tmp: tmp / "ghost.csv", 2, "ghost.csv: file not found", False),
    ("no-coordinate-columns", _text("nocols.csv", "id,name\na,Alpha\n"),
     2, "nocols.csv: no coordinate columns", False),
    ("ragged-csv", _text("ragged.csv", "id,name,lat,lon\na,Alpha,-13.9,33.7\nb,Beta,-13.9,33.7,9,9,9\n"),
     2, "ragged.csv: malformed table", False),
    ("corrupt-xlsx", _text("book.xlsx", b"PK\x03\x04garbage"),
     2, "book.xlsx: cannot read spreadsheet", False),
    ("geojson-null-geometry", _geojson("nullgeom.geojson", {"id": "a", "name": "Alpha"}, None),
     0, "nullgeom.geojson: row 1 (id=a, name=Alpha): geometry: no location", True),
    ("geojson-string-grade", _geojson("strgrade.geojson", {"id": "a", "name": "Alpha", "TREO (%)": "~2"},
                                      {"type": "Point", "coordinates": [33.78, -13.96]}),
     2, "strgrade.geojson: row 1 (id=a, name=Alpha): treo_pct: '~2' is not a number", True),
]


# whole-file problems that are reported in the validation report (stdout) rather than as one
# "ERROR <file>: ..." line on stderr: the file could be read, it lacks a column
REPORTED_NOT_FATAL = {"missing-name-column"}


@pytest.mark.parametrize(("case", "build", "code", "expected", "row_level"), CASES, ids=[c[0] for c in CASES])
def test_validate_malformed(tmp_path, case, build, code, expected, row_level):
    path = build(tmp_path)
    r = run("validate", path)
    shown = r.output + r.stderr
    assert r.exit_code == code, shown
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in shown
    assert expected in shown, shown
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    if row_level or case in REPORTED_NOT_FATAL:
        assert lines == [], lines
    else:
        # one clear line on stderr, naming the file (a file that is not there: as it was given)
        named = str(path) if case == "missing-file" else path.name
        assert len(lines) == 1 and lines[0].startswith(f"ERROR {named}: "), lines

    js = run("validate", "--format", "json", path)
    assert js.exit_code == code
    report = json.loads(js.output)
    assert report["ok"] is (code == 0)
    [entry] = report["files"]
    assert entry["problems"], "a malformed file must report at least one problem"
    for p in entry["problems"]:
        assert path.name in p["file"]
        if p["row"] is not None:
            assert p["field"], p
    if row_level:
        # expected is "<file>: row N (id=..., name=...): <field>: <start of the message>"
        where, _, what = expected.partition("): ")
        assert any(p["row"] is not None and where.startswith(f"{path.name}: row {p['row']} (")
                   and f"{p['field']}: {p['message']}".startswith(what) for p in entry["problems"]), (
            entry["problems"])


def test_many_malformed_files_in_one_run(tmp_path):
    paths = []
    for i, (_, build, _, _, _) in enumerate(CASES):
        sub = tmp_path / str(i)
        sub.mkdir()
        paths.append(str(build(sub)))
    r = run("validate", *paths)
    assert r.exit_code == 2
    assert "Traceback" not in r.output + r.stderr
    for _, _, _, expected, _ in CASES:
        assert expected in r.output + r.stderr
    # every one of the (at least twenty) files gets its own entry with its own problems
    report = json.loads(run("validate", "--format", "json", *paths).output)
    assert len(CASES) >= 20 and len(report["files"]) == len(CASES)
    for path, entry in zip(paths, report["files"], strict=True):
        assert entry["problems"] and all(Path(path).name in p["file"] for p in entry["problems"]), path
