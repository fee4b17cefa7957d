"""Schema aliases, normalise() and every validation rule, each with an input that breaks it."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _support import INSIDE

from geoprospect.errors import ValidationFailed
from geoprospect.io.problems import Problem
from geoprospect.io.schema import alias_table, canonical_name, normalise_header
from geoprospect.io.validate import (
    MAX_MESSAGES_PER_RULE,
    errors_in,
    load_layer,
    normalise,
    validate,
)


def _check(gdf, file="t.csv"):
    """normalise + validate a frame built in code, with 1-based row labels like read_layer's."""
    gdf = gdf.copy()
    gdf.index = pd.RangeIndex(1, len(gdf) + 1, name="row")
    gdf.attrs["source"] = file
    return validate(normalise(gdf))


def _only(problems, field, severity="error"):
    return [p for p in problems if p.field == field and p.severity == severity]


def _frame(**columns):
    n = len(next(iter(columns.values())))
    geometry = columns.pop("geometry", shapely.points([INSIDE["MWI"]] * n))
    return gpd.GeoDataFrame(columns, geometry=geometry, crs="EPSG:4326")


# --- alias table -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("header", "column", "factor"),
    [
        ("TREO (%)", "treo_pct", 1), ("treo_pct", "treo_pct", 1), ("Grade_TREO", "treo_pct", 1),
        ("TREO ppm", "treo_pct", 1e-4), ("TREO (ppm)", "treo_pct", 1e-4), ("Tonnage_Mt", "resource_mt", 1),
        ("Tonnage (t)", "resource_mt", 1e-6), ("Tonnage kt", "resource_mt", 1e-3),
        ("Deposit Name", "name", 1), ("Project ID", "id", 1), ("Nd+Pr (%)", "ndpr_pct", 1),
        ("Dy+Tb %", "dytb_pct", 1), ("ThO2 (%)", "th_ppm", 1e4), ("Country_Code", "country", 1),
        ("ISO3", "country", 1), ("Status", "stage", 1), ("NAME", "name", 1), ("resource_m", "resource_mt", 1),
    ],
)
def test_canonical_name(header, column, factor):
    assert canonical_name(header) == (column, pytest.approx(factor))


def test_unknown_headers_are_not_mapped():
    assert canonical_name("colour") is None
    assert canonical_name("") is None


def test_normalise_header():
    assert normalise_header("TREO (%)") == "treo_pct"
    assert normalise_header("  Deposit   Name ") == "deposit_name"
    assert normalise_header("Nd-Pr share %") == "ndpr_share_pct"


def test_alias_table_targets_are_canonical_and_copy_is_independent():
    from geoprospect.io.schema import COLUMNS_BY_NAME

    table = alias_table()
    assert all(col in COLUMNS_BY_NAME for col, _ in table.values())
    table["treo"] = ("name", 1)
    assert canonical_name("treo") == ("treo_pct", 1.0)


def test_normalise_renames_and_converts_units():
    raw = _frame(**{"Deposit Name": ["A", "B"], "TREO ppm": ["12000", "500"], "Tonnage (t)": ["2500000", ""],
                    "Nd+Pr (%)": ["21.5%", "n/a"], "Country": ["Malawi", "mw"], "colour": ["red", "blue"]})
    out = normalise(raw)
    assert {"name", "treo_pct", "resource_mt", "ndpr_pct", "country", "colour"} <= set(out.columns)
    assert out["treo_pct"].tolist() == pytest.approx([1.2, 0.05])
    assert out["resource_mt"].iloc[0] == pytest.approx(2.5)
    assert math.isnan(out["resource_mt"].iloc[1])  # missing stays missing
    assert out["ndpr_pct"].iloc[0] == pytest.approx(21.5) and math.isnan(out["ndpr_pct"].iloc[1])
    assert out["country"].tolist() == ["MWI", "MWI"]
    assert "Deposit Name" in raw.columns  # input untouched


def test_exact_canonical_column_wins_over_converted_alias():
    """Regression: a ppm alias listed first used to scale the real treo_pct column by 1e-4."""
    raw = _frame(**{"TREO ppm": ["12000"], "treo_pct": ["1.5"], "name": ["A"]})
    out = normalise(raw)
    assert out["treo_pct"].iloc[0] == pytest.approx(1.5)
    assert "TREO ppm" in out.columns
    [warn] = [p for p in out.attrs["problems"] if p.field == "TREO ppm"]
    assert warn.severity == "warning" and "already from 'treo_pct'" in warn.message


def test_missing_optional_values_stay_nan():
    raw = _frame(name=["A", "B"], treo_pct=["", None], resource_mt=[np.nan, "-"])
    out, problems = _check(raw)
    assert out["treo_pct"].isna().all() and out["resource_mt"].isna().all()
    assert errors_in(problems) == []


def test_a_zero_tonnage_or_grade_is_read_as_unknown_with_a_warning():
    raw = _frame(name=["A", "B", "C"], treo_pct=[0.0, 2.0, 1.0], resource_mt=[10.0, 0, 5.0])
    out, problems = _check(raw)
    assert out["treo_pct"].isna().tolist() == [True, False, False]
    assert out["resource_mt"].isna().tolist() == [False, True, False]
    assert errors_in(problems) == []
    zero = [p for p in problems if p.severity == "warning" and "0 is not an estimate" in p.message]
    assert sorted((p.row, p.field) for p in zero) == [(1, "treo_pct"), (2, "resource_mt")]


def test_number_formats():
    raw = _frame(name=list("ABCDE"), resource_mt=["1,234.5", "2,5", "1,2,3", "inf", "12 "])
    out, problems = _check(raw)
    assert out["resource_mt"].iloc[:2].tolist() == [1234.5, 2.5]
    assert out["resource_mt"].iloc[4] == 12
    bad = {p.row for p in _only(problems, "resource_mt")}
    assert bad == {3, 4}


def test_stage_and_minerals_tidied():
    raw = _frame(name=["A", "B"], stage=["PFS", "Care and maintenance"],
                 minerals=["Monazite, Xenotime", None])
    out, _ = _check(raw)
    assert out["stage"].tolist() == ["feasibility", "suspended"]
    assert out["minerals"].iloc[0] == "monazite;xenotime"


def test_unknown_category_is_a_warning():
    _, problems = _check(_frame(name=["A"], stage=["dreaming"]))
    [p] = _only(problems, "stage", "warning")
    assert p.row == 1 and "'dreaming' is not one of" in p.message
    assert errors_in(problems) == []


# --- rules, each with a failing input ------------------------------------------------------

def test_clean_layer_has_no_errors(deposits_gdf):
    out, problems = _check(deposits_gdf)
    assert errors_in(problems) == [] and problems == []
    assert out["country"].tolist() == list(INSIDE)


def test_missing_name_column_is_a_warning_and_names_come_from_ids():
    out, problems = _check(_frame(id=["a", ""], treo_pct=[1.0, 2.0]))
    [p] = _only(problems, "name", "warning")
    assert p.row is None and p.message == "no name column; names made from ids"
    assert out["name"].tolist() == ["a", "row-2"] and errors_in(problems) == []


def test_missing_name_column_suggests_a_close_header():
    out, problems = _check(_frame(DEPNAM=["Kangankunde"], treo_pct=[1.0]))
    [p] = _only(problems, "name", "warning")
    assert p.message.endswith("(did you mean DEPNAM?)")
    assert out["name"].tolist() == ["row-1"]


def test_missing_id_column_makes_ids():
    out, problems = _check(_frame(name=["A", "B"]))
    assert out["id"].tolist() == ["row-1", "row-2"]
    assert _only(problems, "id", "warning")


def test_non_numeric_value_names_row_and_field():
    _, problems = _check(_frame(id=["a", "b"], name=["A", "B"], treo_pct=["1.2", "high"]))
    [p] = errors_in(problems)
    assert (p.file, p.row, p.field, p.ident) == ("t.csv", 2, "treo_pct", "id=b, name=B")
    assert str(p) == "t.csv: row 2 (id=b, name=B): treo_pct: 'high' is not a number"


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [("resource_mt", -3, "below the minimum 0"), ("treo_pct", 101, "above the maximum 100"),
     ("ndpr_pct", 120, "above the maximum 100"), ("dytb_pct", -1, "below the minimum"),
     ("th_ppm", -5, "below the minimum"), ("resource_year", 2019.5, "not a whole year"),
     ("resource_year", 1700, "below the minimum 1900")],
)
def test_range_rules(column, value, words):
    fine = 2020 if column == "resource_year" else 1
    _, problems = _check(_frame(name=["ok", "bad"], **{column: [fine, value]}))
    [p] = errors_in(problems)
    assert (p.row, p.field) == (2, column) and words in p.message


def test_grade_in_ppm_above_100_percent_after_conversion():
    _, problems = _check(_frame(name=["A"], **{"TREO ppm": [1_500_000]}))
    [p] = errors_in(problems)
    assert p.field == "treo_pct" and "150 is above the maximum 100" in p.message


def test_duplicate_ids():
    _, problems = _check(_frame(id=["x", "y", "x"], name=list("ABC")))
    [p] = errors_in(problems)
    assert p.row == 3 and p.field == "id" and "duplicate id 'x' (first used on row 1)" in p.message


def test_blank_ids_are_filled_not_duplicates():
    out, problems = _check(_frame(id=["", None, "z"], name=list("ABC")))
    assert out["id"].tolist() == ["row-1", "row-2", "z"]
    assert errors_in(problems) == []


def test_coordinates_out_of_range():
    geoms = shapely.points([INSIDE["MWI"], (200.0, 10.0), (120.0, -95.0)])
    _, problems = _check(_frame(name=list("ABC"), geometry=geoms))
    errs = _only(problems, "geometry")
    assert [p.row for p in errs] == [2, 3]
    assert all("out of range" in p.message for p in errs)


def test_swapped_lat_lon_out_of_range():
    geoms = shapely.points([INSIDE["MWI"], (-28.86, 122.55)])  # Mount Weld with lat/lon swapped
    _, problems = _check(_frame(name=["A", "Weld"], country=["MWI", "AUS"], geometry=geoms))
    [p] = errors_in(problems)
    assert p.row == 2 and p.field == "geometry" and "swapped" in p.message


def test_swapped_lat_lon_in_range_detected_by_country():
    lon, lat = INSIDE["IND"]
    geoms = shapely.points([(lat, lon)])  # (20, 78): in range but in the Arctic
    _, problems = _check(_frame(name=["A"], country=["India"], geometry=geoms))
    [p] = errors_in(problems)
    assert p.field == "country" and "lat/lon look swapped" in p.message


def test_empty_geometry_is_a_warning():
    geoms = np.array([shapely.Point(INSIDE["MWI"]), None, shapely.from_wkt("POINT EMPTY")], dtype=object)
    _, problems = _check(_frame(name=list("ABC"), geometry=geoms))
    warns = _only(problems, "geometry", "warning")
    assert [p.row for p in warns] == [2, 3] and "empty geometry" in warns[0].message
    assert errors_in(problems) == []


def test_bow_tie_polygon_repaired_with_warning():
    lon, lat = INSIDE["AUS"]
    bow = shapely.from_wkt(f"POLYGON(({lon} {lat}, {lon + .1} {lat + .1}, {lon + .1} {lat}, "
                           f"{lon} {lat + .1}, {lon} {lat}))")
    assert not bow.is_valid
    out, problems = _check(_frame(name=["A"], country=["AUS"], geometry=[bow]))
    [p] = _only(problems, "geometry", "warning")
    assert "invalid (Self-intersection" in p.message and "repaired" in p.message
    assert out.geometry.iloc[0].is_valid and out.geometry.iloc[0].geom_type == "MultiPolygon"
    _, problems = validate(normalise(_frame(name=["A"], country=["AUS"], geometry=[bow])), repair=False)
    assert _only(problems, "geometry")


def test_collapsed_polygon_is_not_repaired():
    flat = shapely.from_wkt("POLYGON((33 -14, 33.1 -14.1, 33.2 -14.2, 33 -14))")
    _, problems = _check(_frame(name=["A"], geometry=[flat]))
    [p] = errors_in(problems)
    assert p.field == "geometry" and "cannot be repaired safely" in p.message


def test_country_disagrees_with_location():
    geoms = shapely.points([INSIDE["AUS"]])
    _, problems = _check(_frame(id=["q"], name=["A"], country=["IND"], geometry=geoms))
    [p] = errors_in(problems)
    assert p.field == "country" and "country is IND but the point" in p.message and "lies in AUS" in p.message


def test_unknown_country_is_an_error_and_not_guessed():
    out, problems = _check(_frame(name=["A"], country=["Atlantis"]))
    [p] = errors_in(problems)
    assert p.field == "country" and "'Atlantis' is not a known country" in p.message
    assert out["country"].iloc[0] is None


def test_empty_country_filled_from_location():
    out, _ = _check(_frame(name=["A", "B"], country=["", None]))
    assert out["country"].tolist() == ["MWI", "MWI"]


def test_country_codes_names_all_understood():
    geoms = shapely.points([INSIDE["AUS"]] * 3)
    out, problems = _check(_frame(name=list("ABC"), country=["Australia", "AU", "aus"], geometry=geoms))
    assert out["country"].tolist() == ["AUS"] * 3 and _only(problems, "country", "warning") == []
    assert errors_in(problems) == []


def test_coastal_point_just_outside_outline_tolerated():
    # Chavara beach sands, Kerala: on the shore, outside the 1:50m outline by a little
    geoms = shapely.points([(76.53, 8.99), (76.40, 8.95)])
    out, problems = _check(_frame(name=["Chavara", "offshore"], country=["IND", "IND"], geometry=geoms))
    assert errors_in(problems) == []
    assert out["country"].tolist() == ["IND", "IND"]


def test_point_near_border_in_neighbour_is_warning_not_error():
    # Songwe Hill, Malawi: 0.01° over the 1:50m border into Mozambique
    geoms = shapely.points([(35.8215, -15.7015)])
    _, problems = _check(_frame(id=["s"], name=["Songwe"], country=["MWI"], geometry=geoms))
    [p] = problems
    assert p.severity == "warning" and "outside its outline" in p.message


def test_all_problems_reported_at_once_errors_first():
    geoms = shapely.points([INSIDE["MWI"], INSIDE["MWI"], (500, 10)])
    raw = _frame(id=["a", "a", "c"], name=["A", "B", "C"], treo_pct=["x", "150", "1"],
                 resource_mt=["-1", "2", "3"], stage=["??", "production", "production"], geometry=geoms)
    _, problems = _check(raw)
    fields = {(p.row, p.field) for p in errors_in(problems)}
    assert fields == {(1, "treo_pct"), (1, "resource_mt"), (2, "treo_pct"), (2, "id"), (3, "geometry")}
    sev = [p.severity for p in problems]
    assert sev == sorted(sev)  # "error" < "warning"


def test_many_failures_are_capped_with_a_count():
    n = MAX_MESSAGES_PER_RULE + 5
    _, problems = _check(_frame(name=[f"n{i}" for i in range(n)], resource_mt=[-1.0] * n))
    rows = [p for p in problems if p.field == "resource_mt"]
    assert len(rows) == MAX_MESSAGES_PER_RULE + 1
    assert rows[-1].row is None and "and 5 more rows" in rows[-1].message


def test_read_problems_get_row_identity(write_csv):
    path = write_csv("c.csv", "id,name,lat,lon\nk1,Kang,abc,33.7\n")
    _, problems = load_layer(path)
    [p] = [p for p in problems if p.field == "lat"]
    assert p.ident == "id=k1, name=Kang"


def test_load_layer_strict_raises_with_all_problems(write_csv):
    path = write_csv("c.csv", "name,lat,lon,treo_pct\nA,-13.9,33.7,-1\nB,-13.9,33.7,300\n")
    with pytest.raises(ValidationFailed, match=r"c\.csv: row 1 .*treo_pct.*\(and 1 more problems\)") as info:
        load_layer(path, strict=True)
    assert len(errors_in(info.value.problems)) == 2
    gdf, problems = load_layer(path)
    assert len(gdf) == 2 and len(errors_in(problems)) == 2


def test_empty_layer_validates(write_csv):
    gdf, problems = load_layer(write_csv("h.csv", "name,lat,lon\n"))
    assert len(gdf) == 0 and errors_in(problems) == []
    assert "_xy" not in gdf.attrs


def test_normalise_and_validate_do_not_modify_input(deposits_gdf):
    before = deposits_gdf.copy()
    _check(deposits_gdf)
    pd.testing.assert_frame_equal(pd.DataFrame(deposits_gdf), pd.DataFrame(before))


def test_problem_text_and_dict():
    p = Problem("f.csv", 3, "treo_pct", "bad", "error", "id=x")
    assert str(p) == "f.csv: row 3 (id=x): treo_pct: bad"
    assert str(Problem("f.csv", None, "name", "missing")) == "f.csv: name: missing"
    assert p.to_dict()["row"] == 3
