"""Country names/codes and point-in-country lookup."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _support import INSIDE

from geoprospect.io.countries import (
    BOUNDARY_NOTE,
    COASTAL_TOLERANCE_DEG,
    boundaries,
    country_name,
    locate,
    normalise_countries,
    to_iso3,
)

FIVE = {
    "AUS": ["Australia", "AU", "AUS", "aus", " australia "],
    "IND": ["India", "IN", "IND", "ind"],
    "ARG": ["Argentina", "AR", "ARG"],
    "MWI": ["Malawi", "MW", "MWI", "malawi"],
    "MMR": ["Myanmar", "MM", "MMR", "Burma", "Myanmar (Burma)"],
}


@pytest.mark.parametrize(("iso3", "value"), [(k, v) for k, vs in FIVE.items() for v in vs])
def test_five_countries_by_name_iso2_iso3(iso3, value):
    assert to_iso3(value) == iso3


@pytest.mark.parametrize(
    ("value", "iso3"),
    [("South Korea", "KOR"), ("Korea, Republic of", "KOR"), ("Russia", "RUS"), ("Viet Nam", "VNM"),
     ("United States", "USA"), ("USA", "USA"), ("Tanzania", "TZA"), ("Greenland", "GRL"), ("JP", "JPN")],
)
def test_other_common_names(value, iso3):
    assert to_iso3(value) == iso3


@pytest.mark.parametrize("value", ["Atlantis", "XX", "", "   ", None, float("nan"), pd.NA])
def test_unknown_or_empty_gives_none(value):
    assert to_iso3(value) is None


def test_normalise_countries_vectorised():
    values = pd.Series(["Australia", "AU", None, "", "Narnia", "mwi"], index=[1, 2, 3, 4, 5, 6])
    iso3, unknown = normalise_countries(values)
    assert iso3.tolist() == ["AUS", "AUS", None, None, None, "MWI"]
    assert unknown.tolist() == [False, False, False, False, True, False]
    assert list(iso3.index) == [1, 2, 3, 4, 5, 6]


def test_locate_inside_each_country():
    lon, lat = np.array(list(INSIDE.values())).T
    assert locate(lon, lat).tolist() == list(INSIDE)


def test_locate_coastal_tolerance_and_open_sea():
    # a beach-sand site on the Kerala shore; a point 0.1° off the Western Australian coast;
    # mid-Indian Ocean; NaN
    got = locate([76.40, 113.35, 80.0, np.nan], [8.95, -26.0, -20.0, 1.0])
    assert got.tolist() == ["IND", "AUS", None, None]
    assert 0.1 < COASTAL_TOLERANCE_DEG < 1


def test_locate_empty_input():
    assert locate(np.array([]), np.array([])).shape == (0,)


def test_boundaries_have_iso3_codes():
    world = boundaries()
    assert world.crs.to_epsg() == 4326
    assert world["iso3"].notna().all()
    assert {"AUS", "IND", "ARG", "MWI", "MMR", "FRA", "NOR", "JPN", "KOR", "CHN"} <= set(world["iso3"])


def test_country_name_and_note():
    assert country_name("MMR") == "Myanmar"
    assert country_name("KOR") in {"Korea, Republic of", "South Korea"}
    assert country_name("ZZZ") == "ZZZ"
    assert "indicative" in BOUNDARY_NOTE
