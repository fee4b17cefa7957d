"""geoprospect.io.read.read_layer: every input format, CRS handling and read-time problems."""

from __future__ import annotations

import hashlib
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely

from geoprospect.errors import CRSError, LayerError
from geoprospect.io.read import read_layer

VECTOR_FORMATS = ["x.gpkg", "x.geojson", "x.geojsonl", "x.shp", "x.fgb", "x.parquet", "x.kml"]


def _xy(gdf):
    return shapely.get_coordinates(gdf.geometry.to_numpy())


@pytest.mark.parametrize("name", VECTOR_FORMATS)
def test_vector_formats_round_trip(deposits_gdf, write_layer, name):
    path = write_layer(deposits_gdf, name)
    gdf = read_layer(path)
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 5
    assert list(gdf.index) == [1, 2, 3, 4, 5]
    assert gdf.index.name == "row"
    assert gdf.attrs["source"] == path.name
    assert gdf.attrs["problems"] == []
    names = gdf["Name"] if name.endswith(".kml") else gdf["name"]
    # FlatGeobuf files written with a spatial index come back in Hilbert order
    order = np.argsort(names.to_numpy())
    expected = np.argsort(deposits_gdf["name"].to_numpy())
    np.testing.assert_allclose(_xy(gdf)[order], _xy(deposits_gdf)[expected], atol=1e-9)


def test_zipped_shapefile(deposits_gdf, write_layer, tmp_path):
    write_layer(deposits_gdf, "x.shp")
    zpath = tmp_path / "deposits.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(tmp_path / f"x{ext}", f"x{ext}")
    gdf = read_layer(zpath)
    assert len(gdf) == 5 and gdf.crs.to_epsg() == 4326
    assert set(gdf["name"]) == set(deposits_gdf["name"])


def test_zip_without_layer_names_the_problem(write_csv, tmp_path):
    zpath = tmp_path / "nothing.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("readme.txt", "no layer here")
    with pytest.raises(LayerError, match=r"nothing\.zip: the zip holds no shapefile.*readme\.txt"):
        read_layer(zpath)
    bad = write_csv("corrupt.zip", b"PK\x03\x04 this is not really a zip")
    with pytest.raises(LayerError, match=r"corrupt\.zip: not a valid zip"):
        read_layer(bad)


def test_geojson_sequence_other_extensions(deposits_gdf, write_layer):
    path = write_layer(deposits_gdf, "x.geojsonl")
    for ext in (".ndjson", ".geojsons"):
        other = path.with_suffix(ext)
        other.write_bytes(path.read_bytes())
        assert len(read_layer(other)) == 5


def test_geoparquet_and_plain_parquet(deposits_gdf, tmp_path):
    deposits_gdf.to_crs("EPSG:3857").to_parquet(tmp_path / "g.parquet")
    gdf = read_layer(tmp_path / "g.parquet")
    assert gdf.crs.to_epsg() == 4326
    np.testing.assert_allclose(_xy(gdf), _xy(deposits_gdf), atol=1e-7)
    plain = pd.DataFrame({"name": ["a", "b"], "Latitude": [-13.9, -14.0], "Longitude": [33.7, 33.8]})
    plain.to_parquet(tmp_path / "p.parquet")
    gdf = read_layer(tmp_path / "p.parquet")
    np.testing.assert_allclose(_xy(gdf), [[33.7, -13.9], [33.8, -14.0]])


def test_gpkg_with_two_layers_needs_layer(deposits_gdf, write_layer):
    path = write_layer(deposits_gdf, "two.gpkg", layer="deposits")
    write_layer(deposits_gdf.iloc[:2], "two.gpkg", layer="other", append=False)
    with pytest.raises(LayerError, match=r"two\.gpkg: holds 2 layers \(deposits, other\); choose one"):
        read_layer(path)
    assert len(read_layer(path, layer="other")) == 2
    assert len(read_layer(path, layer="deposits")) == 5
    with pytest.raises(LayerError, match=r"no layer 'nope'; layers are deposits, other"):
        read_layer(path, layer="nope")


def test_utm_geopackage_reprojected_like_pyproj(tmp_path):
    import geopandas as gpd
    from pyproj import Transformer

    east = np.array([500000.0, 612345.6, 388000.0])
    north = np.array([8450000.0, 8300000.5, 8555555.0])
    gdf = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=shapely.points(east, north),
                           crs="EPSG:32736")
    gdf.to_file(tmp_path / "utm.gpkg")
    got = read_layer(tmp_path / "utm.gpkg")
    lon, lat = Transformer.from_crs("EPSG:32736", "EPSG:4326", always_xy=True).transform(east, north)
    assert got.crs.to_epsg() == 4326
    np.testing.assert_allclose(_xy(got), np.c_[lon, lat], atol=1e-6, rtol=0)
    assert np.all((lat < 0) & (lat > -30)) and np.all((lon > 30) & (lon < 37))  # Malawi / Mozambique


def test_csv_with_crs_option(write_csv):
    from pyproj import Transformer

    path = write_csv("utm.csv", "name,x,y\nA,500000,8450000\nB,612345,8300000\n")
    with pytest.raises(CRSError, match=r"utm\.csv: no CRS.*not longitude/latitude.*say which CRS"):
        read_layer(path)
    got = read_layer(path, crs="EPSG:32736")
    lon, lat = Transformer.from_crs(32736, 4326, always_xy=True).transform([500000, 612345],
                                                                           [8450000, 8300000])
    np.testing.assert_allclose(_xy(got), np.c_[lon, lat], atol=1e-6, rtol=0)
    with pytest.raises(CRSError, match="not a known CRS"):
        read_layer(path, crs="EPSG:999999")


def test_crs_option_overrides_file_crs_with_warning(deposits_gdf, write_layer):
    wrong = deposits_gdf.set_crs("EPSG:3857", allow_override=True)
    path = write_layer(wrong, "wrong.gpkg")
    with pytest.warns(UserWarning, match="using the given CRS EPSG:4326"):
        gdf = read_layer(path, crs="EPSG:4326")
    np.testing.assert_allclose(_xy(gdf), _xy(deposits_gdf))


@pytest.mark.parametrize(
    ("header", "sep"),
    [("name,lat,lon", ","), ("name;LATITUDE;Longitude", ";"), ("name\tY\tX", "\t"),
     ("name|Lat|Lng", "|"), ("name,latitude,long", ",")],
)
def test_csv_coordinate_names_and_delimiters(write_csv, header, sep):
    rows = [sep.join(["A", "-13.96", "33.78"]), sep.join(["B", "20", "78"])]
    path = write_csv("pts.csv", "\n".join([header, *rows]) + "\n")
    gdf = read_layer(path)
    np.testing.assert_allclose(_xy(gdf), [[33.78, -13.96], [78, 20]])
    assert gdf.crs.to_epsg() == 4326
    assert "name" in gdf.columns and len(gdf.columns) == 2


def test_tsv_and_bom(write_csv):
    path = write_csv("pts.tsv", "\ufeffname\tlat\tlon\nA\t-13.96\t33.78\n")
    gdf = read_layer(path)
    assert list(gdf.columns) == ["name", "geometry"]


def test_csv_wkt_column(write_csv):
    text = 'name,WKT\nA,POINT (33.78 -13.96)\nB,"POLYGON ((78 20, 78.1 20, 78.1 20.1, 78 20))"\nC,\n'
    gdf = read_layer(write_csv("w.csv", text))
    assert gdf.geometry.iloc[1].geom_type == "Polygon"
    assert gdf.geometry.iloc[2] is None
    assert gdf.attrs["problems"] == []


def test_csv_bad_wkt_is_a_row_problem(write_csv):
    gdf = read_layer(write_csv("w.csv", "name,wkt\nA,POINT (1 2)\nB,POINT (1\n"))
    [p] = gdf.attrs["problems"]
    assert (p.row, p.field, p.severity) == (2, "wkt", "error")
    assert "not valid WKT" in p.message


def test_csv_numeric_and_empty_coordinates(write_csv):
    text = "name,lat,lon\nA,-13.9,33.7\nB,abc,33.7\nC,,\nD,-13.9,\n"
    gdf = read_layer(write_csv("c.csv", text))
    probs = {(p.row, p.field): p for p in gdf.attrs["problems"]}
    assert probs[(2, "lat")].severity == "error" and "'abc' is not a number" in probs[(2, "lat")].message
    assert probs[(3, "lat/lon")].severity == "warning"
    assert probs[(4, "lon")].severity == "error" and "empty" in probs[(4, "lon")].message
    assert gdf.geometry.iloc[1:].isna().all()


def test_xlsx_with_coordinates_and_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"Deposit Name": ["A"], "Lat": [-13.96], "Lon": [33.78]}).to_excel(
            xl, sheet_name="First", index=False)
        pd.DataFrame({"name": ["B", "C"], "y": [20.0, 21.0], "x": [78.0, 96.0]}).to_excel(
            xl, sheet_name="Second", index=False)
    first = read_layer(path)
    np.testing.assert_allclose(_xy(first), [[33.78, -13.96]])
    second = read_layer(path, layer="Second")
    assert list(second["name"]) == ["B", "C"]
    with pytest.raises(LayerError, match="no sheet 'x'; sheets are First, Second"):
        read_layer(path, layer="x")


def test_no_coordinate_columns(write_csv):
    with pytest.raises(LayerError, match=r"a\.csv: no coordinate columns.*found: name, grade"):
        read_layer(write_csv("a.csv", "name,grade\nA,1\n"))


def test_latin1_csv_and_encoding_option(write_csv):
    path = write_csv("l1.csv", "name,lat,lon\nCaf\xe9,-13.9,33.7\n".encode("latin-1"))
    with pytest.raises(LayerError, match=r"l1\.csv: line 2: not valid utf-8-sig.*give its encoding") as err:
        read_layer(path)
    assert err.value.option == "encoding"
    assert read_layer(path, encoding="latin-1")["name"].iloc[0] == "Café"
    with pytest.raises(LayerError, match="unknown encoding"):
        read_layer(path, encoding="klingon")


def test_latin1_geojson_and_encoding_option(write_csv):
    raw = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
           '{"name":"Caf\xe9"},"geometry":{"type":"Point","coordinates":[33.7,-13.9]}}]}')
    path = write_csv("l1.geojson", raw.encode("latin-1"))
    with pytest.raises(LayerError, match=r"l1\.geojson: text is not valid UTF-8.*give its encoding"):
        read_layer(path)
    assert read_layer(path, encoding="latin-1")["name"].iloc[0] == "Café"


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("empty.csv", "", r"empty\.csv: file is empty"),
        ("blank.csv", "\n  \n", r"blank\.csv: file is empty"),
        ("empty.geojson", "", r"empty\.geojson: file is empty"),
        ("empty.gpkg", "", r"empty\.gpkg: file is empty"),
        ("trunc.geojson", '{"type": "FeatureCollection", "features": [{"type": "Feat',
         r"trunc\.geojson: cannot (open|read)"),
        ("notes.docx", "hello", r"notes\.docx: unsupported format \.docx"),
        ("noext", "hello", r"noext: unsupported format \(no extension\)"),
        ("junk.gpkg", "this is not sqlite", r"junk\.gpkg: cannot open"),
        ("junk.parquet", "PAR1 not parquet", r"junk\.parquet: cannot read"),
        ("junk.xlsx", "not a zip", r"junk\.xlsx: cannot read spreadsheet"),
    ],
)
def test_whole_file_failures(write_csv, name, content, pattern):
    with pytest.raises(LayerError, match=pattern):
        read_layer(write_csv(name, content))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(LayerError, match="file not found"):
        read_layer(tmp_path / "nope.csv")
    with pytest.raises(LayerError, match="is a folder"):
        read_layer(tmp_path)


def test_layer_errors_are_value_errors():
    assert issubclass(LayerError, ValueError) and issubclass(CRSError, LayerError)


def test_input_file_is_never_modified(deposits_gdf, write_layer, write_csv):
    paths = [write_layer(deposits_gdf, "x.gpkg"), write_csv("c.csv", "name,lat,lon\nA,1,2\n")]
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    mtimes = [p.stat().st_mtime_ns for p in paths]
    for p in paths:
        read_layer(p)
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths] == before
    assert [p.stat().st_mtime_ns for p in paths] == mtimes


def test_mostly_lonlat_layer_keeps_outliers_for_validation(write_csv):
    text = "name,lat,lon\nA,-13.9,33.7\nB,-14,33.8\nC,-15,500\n"
    gdf = read_layer(write_csv("o.csv", text))
    assert gdf.crs.to_epsg() == 4326
    assert _xy(gdf)[2].tolist() == [500.0, -15.0]
