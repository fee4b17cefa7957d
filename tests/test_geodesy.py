"""Great-circle distances and k-nearest search on the unit sphere."""

from __future__ import annotations

import numpy as np
import pytest

from geoprospect.core.geodesy import (
    EARTH_RADIUS_KM,
    SphereIndex,
    haversine_km,
    nearest_k,
    path_length_km,
    to_xyz,
)


def test_one_degree_of_equator():
    assert haversine_km(0, 0, 1, 0) == pytest.approx(2 * np.pi * EARTH_RADIUS_KM / 360, rel=1e-9)


def test_antipodes_and_symmetry():
    assert haversine_km(0, 0, 180, 0) == pytest.approx(np.pi * EARTH_RADIUS_KM)
    a = haversine_km(115.75, -32.04, 135.18, 34.67)
    assert a == pytest.approx(haversine_km(135.18, 34.67, 115.75, -32.04))
    # across the antimeridian the short way round
    assert haversine_km(179.5, 0, -179.5, 0) == pytest.approx(haversine_km(0, 0, 1, 0))


def test_nan_in_nan_out():
    assert np.isnan(haversine_km(np.nan, 0, 1, 1))


def test_unit_vectors():
    xyz = to_xyz([0, 90, 0], [0, 0, 90])
    np.testing.assert_allclose(np.linalg.norm(xyz, axis=1), 1.0)
    np.testing.assert_allclose(xyz[2], [0, 0, 1], atol=1e-12)


def test_path_length_sums_segments():
    assert path_length_km([(0, 0), (1, 0), (2, 0)]) == pytest.approx(2 * haversine_km(0, 0, 1, 0))
    assert path_length_km([(0, 0)]) == 0.0


def test_knearest_matches_brute_force_haversine():
    rng = np.random.default_rng(42)
    plon, plat = rng.uniform(-180, 180, 300), np.degrees(np.arcsin(rng.uniform(-1, 1, 300)))
    qlon, qlat = rng.uniform(-180, 180, 500), np.degrees(np.arcsin(rng.uniform(-1, 1, 500)))
    km, idx = SphereIndex(plon, plat).query(qlon, qlat, k=3)
    brute = haversine_km(qlon[:, None], qlat[:, None], plon[None, :], plat[None, :])
    order = np.argsort(brute, axis=1)[:, :3]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_allclose(km, np.take_along_axis(brute, order, axis=1), rtol=1e-9, atol=1e-6)


def test_query_handles_nan_and_small_index():
    km, idx = nearest_k([0.0, 10.0], [0.0, 0.0], [9.0, np.nan], [0.0, 1.0], k=5)
    assert km.shape == (2, 2)  # k capped at the number of points
    assert idx[0, 0] == 1 and idx[1, 0] == -1 and np.isinf(km[1, 0])


def test_index_refuses_nan_points():
    with pytest.raises(ValueError):
        SphereIndex([0.0, np.nan], [0.0, 0.0])
