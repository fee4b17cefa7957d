"""The on-disk cache trusts an entry only when it carries the key of the code version and of the
inputs it was built from: a stale entry that still loads (right shape, wrong content) is rebuilt."""

from __future__ import annotations

import numpy as np
import pytest

import geoprospect
from geoprospect.core import cache
from geoprospect.io import countries
from geoprospect.routes.sea import SeaMatrix

OLD = "0.0.0-stale"
PORTS = (["FRE", "BOM", "SIN"], [115.74, 72.85, 103.85], [-32.05, 18.95, 1.26])


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    """A cache folder of this test alone: the stale entries it writes reach no other test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GEOPROSPECT_CACHE_DIR", str(folder))
    return folder


def test_entry_key_covers_version_format_kind_and_inputs(monkeypatch):
    key = cache.entry_key("grid", source_sha256="ab12", resolution=0.1)
    assert key == cache.entry_key("grid", resolution=0.1, source_sha256="ab12")
    others = {cache.entry_key("sea", source_sha256="ab12", resolution=0.1),
              cache.entry_key("grid", source_sha256="ab13", resolution=0.1),
              cache.entry_key("grid", source_sha256="ab12", resolution=0.2)}
    with monkeypatch.context() as m:
        m.setattr(geoprospect, "__version__", OLD)
        others.add(cache.entry_key("grid", source_sha256="ab12", resolution=0.1))
    with monkeypatch.context() as m:
        m.setattr(cache, "FORMAT", cache.FORMAT + 1)
        others.add(cache.entry_key("grid", source_sha256="ab12", resolution=0.1))
    assert len(others) == 5 and key not in others


def test_read_npz_returns_only_an_entry_with_the_expected_key(cache_folder):
    target = cache_folder / "x.npz"
    assert cache.read_npz(target, "k") is None  # missing
    assert cache.write_npz(target, "k", a=np.arange(3))
    assert list(cache.read_npz(target, "k")) == ["a"]
    np.testing.assert_array_equal(cache.read_npz(target, "k")["a"], np.arange(3))
    assert cache.read_npz(target, "another key") is None  # stale
    np.savez(target, a=np.arange(3))  # the layout before keys: loads, but has no key
    assert cache.read_npz(target, "k") is None
    target.write_bytes(b"PK\x03\x04 truncated")  # unreadable
    assert cache.read_npz(target, "k") is None


@pytest.fixture
def fresh_grid():
    countries._grid.cache_clear()
    yield
    countries._grid.cache_clear()


def test_country_grid_of_an_older_version_is_rebuilt(cache_folder, fresh_grid, monkeypatch):
    good = countries._build_grid()
    wrong = np.where(good > 0, 1, 0).astype(good.dtype)  # same shape and codes, every inland cell country 1
    assert (wrong != good).any()
    with monkeypatch.context() as m:  # the older version writes a wrong grid ...
        m.setattr(geoprospect, "__version__", OLD)
        m.setattr(countries, "_build_grid", lambda: wrong)
        countries._grid()
        countries._grid.cache_clear()
        m.setattr(countries, "_build_grid", lambda: pytest.fail("the entry should load"))
        np.testing.assert_array_equal(countries._grid()[0], wrong)  # ... which loads, and it used it
        countries._grid.cache_clear()
    [entry] = cache_folder.glob("country-grid-*.npz")  # this version reads the same file ...
    grid, _ = countries._grid()
    np.testing.assert_array_equal(grid, good)  # ... and rebuilds it
    assert list(cache_folder.glob("country-grid-*.npz")) == [entry]
    countries._grid.cache_clear()
    monkeypatch.setattr(countries, "_build_grid", lambda: pytest.fail("the rebuilt entry should load"))
    np.testing.assert_array_equal(countries._grid()[0], good)


def _wrong_sea_build(real):
    def build(self):
        real(self)
        self.km = np.ones_like(self.km)  # right shape, wrong distances
        return self

    return build


@pytest.mark.parametrize("stale", ["older version", "other port coordinates"])
def test_stale_sea_matrix_is_rebuilt(stale, cache_folder, monkeypatch):
    real = SeaMatrix.build
    good = SeaMatrix(*PORTS).build().km
    codes, lon, lat = PORTS
    built_from = (codes, [lon[0] + 0.5, *lon[1:]], lat) if stale == "other port coordinates" else PORTS
    with monkeypatch.context() as m:
        if stale == "older version":
            m.setattr(geoprospect, "__version__", OLD)
        m.setattr(SeaMatrix, "build", _wrong_sea_build(real))
        old = SeaMatrix(*built_from).load_or_build()
        m.setattr(SeaMatrix, "build", lambda self: pytest.fail("the entry should load"))
        again = SeaMatrix(*built_from).load_or_build()
        assert again.from_cache and (again.km == 1).all()  # it loads, and the old inputs use it
        stale_file = old.path()
    # the stale entry, with the same port codes, at the very file this version reads
    stale_file.replace(SeaMatrix(*PORTS).path())
    fresh = SeaMatrix(*PORTS).load_or_build()
    assert not fresh.from_cache
    np.testing.assert_array_equal(fresh.km, good)
    assert SeaMatrix(*PORTS).load_or_build().from_cache  # the rebuilt entry is used next time
