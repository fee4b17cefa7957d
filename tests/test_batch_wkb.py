"""The fast point WKB writer gives byte for byte what shapely (GEOS) writes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoprospect.batch.wkb import encode

coords = st.floats(allow_nan=False, allow_infinity=False, width=64)


def _geos(geoms: np.ndarray) -> list:
    return pa.array(shapely.to_wkb(geoms), type=pa.binary()).to_pylist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.tuples(coords, coords)), min_size=1, max_size=40))
def test_points_are_written_like_geos(points):
    geoms = np.array([None if p is None else shapely.Point(p) for p in points], dtype=object)
    ours = encode(geoms)
    assert ours.to_pylist() == _geos(geoms)
    back = shapely.from_wkb(np.array(ours.to_pylist(), dtype=object))
    assert all((a is None and b is None) or shapely.equals_exact(a, b, 0)
               for a, b in zip(back, geoms, strict=True))


@pytest.mark.parametrize("wkt", ["POINT EMPTY", "POINT Z (1 2 3)", "LINESTRING (0 0, 1 1)",
                                 "POLYGON ((0 0, 1 0, 1 1, 0 0))", "MULTIPOINT ((1 2), (3 4))"])
def test_other_geometries_take_the_geos_path(wkt):
    geoms = np.array([shapely.Point(1, 2), shapely.from_wkt(wkt), None], dtype=object)
    assert encode(geoms).to_pylist() == _geos(geoms)


def test_all_missing_and_empty_input():
    assert encode(np.array([None, None], dtype=object)).to_pylist() == [None, None]
    assert encode(np.array([], dtype=object)).to_pylist() == []
