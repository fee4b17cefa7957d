"""The shared computations that several layers use, each defined once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geoprospect.core.geodesy import lonlat
from geoprospect.core.messages import first_and_more, short, undecodable
from geoprospect.features.grade import contained_oxides, grade_features
from geoprospect.io.reference import WGI_PCT, country_risk_table, latest_national
from geoprospect.maps.basemap import country_risk_index
from geoprospect.maps.style import contained_ndpr, ramp_rgb, score_colormap, surface_colormap


def test_lonlat_of_points_polygons_and_missing():
    poly = shapely.box(10, 20, 12, 22)
    lon, lat = lonlat([shapely.Point(1.5, -2.0), poly, None, shapely.Point()])
    assert (lon[0], lat[0]) == (1.5, -2.0)
    assert poly.contains(shapely.Point(lon[1], lat[1]))
    assert np.isnan(lon[2:]).all() and np.isnan(lat[2:]).all()
    lon, lat = lonlat(np.array([], dtype=object))
    assert lon.shape == lat.shape == (0,)


def test_messages():
    assert short(ValueError("first line\nsecond")) == "first line"
    assert short(ValueError("x" * 500)) == "x" * 200
    assert short(KeyError()) == "KeyError"
    assert first_and_more(["a"], noun="problems", hint="see b") == "a"
    assert first_and_more(["a", "b", "c"]) == "a (and 2 more)"
    assert first_and_more(["a", "b"], noun="problems") == "a (and 1 more problems)"
    assert first_and_more(["a", "b"], hint="run x") == "a (and 1 more; run x)"
    text = undecodable("f.csv", None, byte=0xE9)
    assert text.startswith("f.csv: text is not valid UTF-8 (byte 0xe9); re-save the file as UTF-8")
    assert undecodable("f.csv", "cp1252", line=3).startswith("f.csv: line 3: not valid cp1252; ")


def test_contained_oxides_serve_features_and_map():
    frame = pd.DataFrame({"resource_mt": [2.0, np.nan, 10.0], "treo_pct": [1.5, 2.0, 0.5],
                          "ndpr_pct": [20.0, 20.0, np.nan]})
    treo, ndpr = contained_oxides(frame["resource_mt"], frame["treo_pct"], frame["ndpr_pct"])
    np.testing.assert_array_equal(treo, [30000.0, np.nan, 50000.0])
    np.testing.assert_array_equal(ndpr, [6000.0, np.nan, np.nan])
    feats = grade_features(frame)
    np.testing.assert_array_equal(feats["contained_ndpr_t"], ndpr)
    np.testing.assert_array_equal(contained_ndpr(frame), ndpr)
    given = frame.assign(contained_ndpr_t=[1.0, None, None])
    np.testing.assert_array_equal(contained_ndpr(given), [1.0, np.nan, np.nan])


def test_one_colour_ramp():
    assert ramp_rgb([0.0, 1.0, 2.0, np.nan], surface_colormap()).tolist() == [
        [215, 48, 39], [26, 152, 80], [26, 152, 80], [215, 48, 39]]
    assert ramp_rgb(np.zeros((2, 3)), score_colormap()).shape == (2, 3, 3)


def test_latest_national_takes_each_indicator_latest():
    long = pd.DataFrame({"iso3": ["aus", "AUS", "AUS", "AUS"], "admin1": ["", "", "WA", ""],
                         "indicator": ["wgi_va_pct", "wgi_va_pct", "wgi_va_pct", "wgi_pv_pct"],
                         "value": ["10", "20", "99", "30"], "year": ["2020", "2023", "2024", "2021"]})
    wide = latest_national(long)
    assert wide.loc["AUS"].to_dict() == {"wgi_pv_pct": 30, "wgi_va_pct": 20}


def test_map_risk_index_is_the_model_risk_table():
    from geoprospect.io.bundled import layer_path

    index, _ = country_risk_index(layer_path("country_risk.csv"))
    table = country_risk_table()
    expected = (100 - table[list(WGI_PCT)].mean(axis=1)).dropna()
    assert set(index.index) == set(expected.index)
    assert index.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy(), abs=0.051)
