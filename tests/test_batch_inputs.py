"""geoprospect.batch.inputs: files, globs and folders expand as documented."""

from __future__ import annotations

import pytest

from geoprospect.batch.inputs import expand_inputs
from geoprospect.errors import LayerError


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "sub").mkdir()
    for name in ("a/one.csv", "a/two.gpkg", "a/sub/three.csv", "a/notes.md", "a/.hidden.csv",
                 "a/roads.dbf", "a/roads.shp", "a/.x.tmp.parquet", "b.parquet"):
        (tmp_path / name).write_text("x")
    return tmp_path


def names(paths):
    return [p.name for p in paths]


def test_folder_takes_supported_files_directly_inside_sorted(tree):
    assert names(expand_inputs([tree / "a"])) == ["one.csv", "roads.shp", "two.gpkg"]


def test_glob_and_recursive_glob(tree):
    assert names(expand_inputs([str(tree / "a" / "*.csv")])) == ["one.csv"]
    assert names(expand_inputs([str(tree / "**" / "*.csv")])) == ["one.csv", "three.csv"]


def test_order_kept_across_arguments_and_duplicates_read_once(tree):
    got = expand_inputs([tree / "b.parquet", str(tree / "a" / "*.csv"), tree / "a" / "one.csv"])
    assert names(got) == ["b.parquet", "one.csv"]


def test_glob_matching_a_folder_expands_it(tree):
    assert names(expand_inputs([str(tree / "a*")])) == ["one.csv", "roads.shp", "two.gpkg"]


@pytest.mark.parametrize("arg, message", [
    ("missing.csv", "file not found"),
    ("*.nothing", "matches no supported layer file"),
    ("a/notes.md", "unsupported format"),
])
def test_errors_name_the_argument(tree, arg, message):
    with pytest.raises(LayerError, match=message):
        expand_inputs([str(tree / arg)])


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayerError, match="holds no supported layer file"):
        expand_inputs([tmp_path / "empty"])
