"""geoprospect.io.write: every output format, atomic writes, overwrite refusal, XLSX safety."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geoprospect.errors import OutputError
from geoprospect.io import write as output
from geoprospect.io.read import read_layer
from geoprospect.io.write import FORMATS, atomic_path, output_format, write_table

META = {"data_date": "2026-11-26", "model_sha256": "abc123", "tool": "geoprospect test"}


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


@pytest.mark.parametrize("ext", [".geojson", ".geojsonl", ".gpkg", ".parquet", ".fgb"])
def test_vector_outputs_read_back(deposits_gdf, tmp_path, ext):
    path = write_table(deposits_gdf, tmp_path / f"out{ext}", metadata=META)
    back = read_layer(path)
    assert back["id"].tolist() == deposits_gdf["id"].tolist()  # order kept (FlatGeobuf too)
    np.testing.assert_allclose(back["treo_pct"], deposits_gdf["treo_pct"])
    np.testing.assert_allclose(shapely.get_coordinates(back.geometry.to_numpy()),
                               shapely.get_coordinates(deposits_gdf.geometry.to_numpy()))
    assert (back["data_date"] == "2026-11-26").all() and (back["model_sha256"] == "abc123").all()
    assert _leftovers(tmp_path) == []


def test_csv_output_points_as_lon_lat(deposits_gdf, tmp_path):
    path = write_table(deposits_gdf, tmp_path / "out.csv")
    frame = pd.read_csv(path)
    assert list(frame.columns[-2:]) == ["lon", "lat"]
    xy = shapely.get_coordinates(deposits_gdf.geometry.to_numpy())
    np.testing.assert_allclose(frame[["lon", "lat"]], xy)
    assert read_layer(path)["name"].tolist() == deposits_gdf["name"].tolist()


def test_csv_output_polygons_as_wkt(deposits_gdf, tmp_path):
    gdf = deposits_gdf.copy()
    gdf["geometry"] = shapely.buffer(gdf.geometry.to_numpy(), 0.1)
    path = write_table(gdf, tmp_path / "poly.csv")
    frame = pd.read_csv(path)
    assert "wkt" in frame.columns and frame["wkt"].str.startswith("POLYGON").all()
    assert read_layer(path).geometry.iloc[0].geom_type == "Polygon"


def test_json_records(deposits_gdf, tmp_path):
    gdf = deposits_gdf.copy()
    gdf.loc[gdf.index[0], "treo_pct"] = np.nan
    gdf["tags"] = [["a", "b"], None, None, None, None]
    path = write_table(gdf, tmp_path / "out.json", metadata=META)
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["metadata"] == META
    rec = payload["records"][0]
    assert rec["treo_pct"] is None and rec["tags"] == "a;b" and rec["lon"] == pytest.approx(33.78)
    assert len(payload["records"]) == 5


def test_plain_dataframe_outputs(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b"], "name": ["Alpha", "Béta ; 稀土"], "score": [0.5, 12.25]})
    readers = {
        ".csv": lambda p: pd.read_csv(p),
        ".json": lambda p: pd.DataFrame(json.loads(p.read_text(encoding="utf-8"))["records"]),
        ".xlsx": lambda p: pd.read_excel(p, sheet_name="Results"),
        ".parquet": lambda p: pd.read_parquet(p),
    }
    for ext, read in readers.items():
        back = read(write_table(frame, tmp_path / f"t{ext}"))
        pd.testing.assert_frame_equal(back, frame, obj=ext)
    with pytest.raises(OutputError, match=r"t\.gpkg: .*needs geometries"):
        write_table(frame, tmp_path / "t.gpkg")
    assert _leftovers(tmp_path) == []


def test_xlsx_sheets_and_no_formulas(deposits_gdf, tmp_path):
    import openpyxl

    gdf = deposits_gdf.copy()
    gdf.loc[gdf.index[0], "name"] = '=HYPERLINK("http://evil.example","click")'
    gdf.loc[gdf.index[1], "source"] = "=1+1"
    sources = pd.DataFrame({"source": ["=cmd|' /C calc'!A0"], "url": ["https://example.org"]})
    path = write_table(gdf, tmp_path / "out.xlsx", metadata=META, sources=sources)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Results", "Columns", "Sources", "Metadata"]
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells}
    assert '=HYPERLINK("http://evil.example","click")' in texts and "=1+1" in texts
    assert "=cmd|' /C calc'!A0" in texts
    meta = pd.read_excel(path, sheet_name="Metadata")
    assert dict(zip(meta["key"], meta["value"], strict=True))["model_sha256"] == "abc123"


def test_xlsx_sources_sheet_from_source_column(deposits_gdf, tmp_path):
    path = write_table(deposits_gdf, tmp_path / "out.xlsx")
    src = pd.read_excel(path, sheet_name="Sources")
    assert list(src.columns) == ["id", "name", "source"] and len(src) == 5


def test_metadata_inside_gpkg_and_parquet(deposits_gdf, tmp_path):
    import pyarrow.parquet as pq
    import pyogrio

    gpkg = write_table(deposits_gdf, tmp_path / "m.gpkg", metadata=META, layer_name="ranked")
    info = pyogrio.read_info(gpkg, layer="ranked")
    assert info["layer_metadata"]["model_sha256"] == "abc123"
    pqt = write_table(deposits_gdf, tmp_path / "m.parquet", metadata=META)
    meta = pq.read_schema(pqt).metadata
    assert json.loads(meta[b"geoprospect"])["data_date"] == "2026-11-26"
    assert b"geo" in meta  # still GeoParquet


def test_refuses_to_overwrite(deposits_gdf, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    with pytest.raises(OutputError, match="exists; allow overwriting"):
        write_table(deposits_gdf, target)
    assert target.read_text() == "keep me"
    write_table(deposits_gdf, target, overwrite=True)
    assert "Deposit MWI" in target.read_text()


def test_unknown_format_and_missing_folder(deposits_gdf, tmp_path):
    with pytest.raises(OutputError, match=r"unknown output format \.shp"):
        write_table(deposits_gdf, tmp_path / "out.shp")
    with pytest.raises(OutputError, match="does not exist"):
        write_table(deposits_gdf, tmp_path / "nowhere" / "out.csv")
    assert output_format("X.GPKG") == "GPKG"
    assert set(FORMATS) == {".csv", ".geojson", ".geojsonl", ".gpkg", ".parquet", ".fgb", ".json", ".xlsx"}
    assert issubclass(OutputError, OSError)


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
@pytest.mark.parametrize("fmt", ["CSV", "GPKG"])
def test_failure_mid_write_leaves_target_intact(deposits_gdf, tmp_path, monkeypatch, exc, fmt):
    ext = {"CSV": ".csv", "GPKG": ".gpkg"}[fmt]
    target = tmp_path / f"out{ext}"
    write_table(deposits_gdf, target)
    before = target.read_bytes()
    real = output._WRITERS[fmt]

    def half_write(frame, tmp, *args):
        real(frame.iloc[:2], tmp, *args)  # something lands in the temp file ...
        assert tmp.exists() and tmp.parent == target.parent
        raise exc  # ... and then the write dies

    monkeypatch.setitem(output._WRITERS, fmt, half_write)
    with pytest.raises(type(exc)):
        write_table(deposits_gdf.iloc[:1], target, overwrite=True)
    assert target.read_bytes() == before
    assert _leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_atomic_path_directly(tmp_path):
    target = tmp_path / "a.txt"
    with atomic_path(target) as tmp:
        assert tmp.suffix == ".txt" and not tmp.exists() and tmp.parent == tmp_path
        assert not target.exists()  # nothing visible until the end
        tmp.write_text("done")
    assert target.read_text() == "done"
    with pytest.raises(OutputError, match="nothing was written"), atomic_path(target, overwrite=True):
        pass
    assert target.read_text() == "done"
    with pytest.raises(KeyboardInterrupt), atomic_path(target, overwrite=True) as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert target.read_text() == "done" and _leftovers(tmp_path) == []


def test_write_does_not_touch_input_frame_or_file(deposits_gdf, write_layer, tmp_path):
    src = write_layer(deposits_gdf, "in.geojson")
    raw = src.read_bytes()
    gdf = read_layer(src)
    before = gdf.copy()
    write_table(gdf, tmp_path / "out.geojson", metadata=META)
    assert src.read_bytes() == raw
    assert list(gdf.columns) == list(before.columns)  # no provenance columns added to the input


def test_writer_error_becomes_output_error(deposits_gdf, tmp_path):
    target = tmp_path / "x.csv"
    target.mkdir()  # a folder where the file should go
    with pytest.raises(OutputError, match=r"x\.csv"):
        write_table(deposits_gdf, target, overwrite=True)
    assert _leftovers(tmp_path) == []
