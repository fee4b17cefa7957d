"""The click group, `geoprospect validate` and `geoprospect layers`, via CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from _support import run
from click.testing import CliRunner

from geoprospect._version import __version__
from geoprospect.cli import COMMANDS
from geoprospect.cli.options import output_option, parse_countries, read_options
from geoprospect.errors import ModelError

HEAVY = ("geopandas", "sklearn", "folium", "pandas", "shapely", "pyogrio", "rasterio", "scipy")


def test_version_and_help():
    r = run("--version")
    assert r.exit_code == 0 and __version__ in r.output
    r = run("--help")
    assert r.exit_code == 0
    for opt in ("--verbose", "--quiet", "--debug", "--version"):
        assert opt in r.output
    assert "validate" in r.output and "layers" in r.output
    assert run("-h").exit_code == 0


def test_unknown_command_is_usage_error():
    r = run("frobnicate")
    assert r.exit_code == 2 and "No such command" in r.stderr


def test_commands_registry_points_at_modules():
    assert {"layers", "validate", "rank", "score", "map"} <= set(COMMANDS)
    assert COMMANDS["map"][:2] == ("geoprospect.cli.map", "map_command")


@pytest.mark.parametrize(
    "code",
    [
        "import geoprospect.cli",
        "from geoprospect.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    ],
)
def test_cli_start_up_imports_nothing_heavy(code):
    probe = code + f"\nimport sys\nprint('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_validate_clean_file(deposits_gdf, write_layer):
    path = write_layer(deposits_gdf, "clean.gpkg")
    r = run("validate", path)
    assert r.exit_code == 0, r.output
    assert "clean.gpkg: 5 rows, ok, 0 warning(s)" in r.output


def test_validate_errors_exit_2_and_name_row_field(write_csv):
    path = write_csv("bad.csv", "id,name,lat,lon,treo_pct\na,A,-13.9,33.7,1\nb,B,-13.9,33.7,150\n")
    r = run("validate", path)
    assert r.exit_code == 2
    assert "bad.csv: row 2 (id=b, name=B): treo_pct: 150 is above the maximum 100" in r.output
    assert "Traceback" not in r.output + r.stderr


def test_validate_warnings_do_not_fail(write_csv):
    path = write_csv("w.csv", "name,lat,lon,stage\nA,-13.9,33.7,dreaming\n")
    r = run("validate", path)
    assert r.exit_code == 0 and "WARNING" in r.output
    r = run("validate", "--no-warnings", path)
    assert r.exit_code == 0 and "WARNING" not in r.output


def test_validate_json(write_csv, tmp_path):
    bad = write_csv("bad.csv", "name,lat,lon,resource_mt\nA,-13.9,33.7,-2\n")
    r = run("validate", "--format", "json", bad, tmp_path / "missing.csv")
    assert r.exit_code == 2
    report = json.loads(r.output)
    assert report["ok"] is False
    first, second = report["files"]
    [p] = [p for p in first["problems"] if p["severity"] == "error"]
    assert (p["row"], p["field"], p["file"]) == (1, "resource_mt", "bad.csv")
    assert second["rows"] is None and "file not found" in second["problems"][0]["message"]


def test_validate_multiple_files_one_bad_file_does_not_stop_others(deposits_gdf, write_layer, tmp_path):
    good = write_layer(deposits_gdf, "good.geojson")
    r = run("validate", tmp_path / "nope.csv", good)
    assert r.exit_code == 2
    assert "good.geojson: 5 rows, ok" in r.output
    err_lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert err_lines == [f"ERROR {tmp_path / 'nope.csv'}: file not found"]


def test_validate_read_options(write_csv, deposits_gdf, write_layer):
    utm = write_csv("utm.csv", "name,x,y\nA,500000,8450000\n")
    r = run("validate", utm)
    assert r.exit_code == 2 and "--crs" in r.stderr
    assert run("validate", "--crs", "EPSG:32736", utm).exit_code == 0
    latin = write_csv("l.csv", "name,lat,lon\nCaf\xe9,-13.9,33.7\n".encode("latin-1"))
    assert run("validate", latin).exit_code == 2
    assert run("validate", "--encoding", "latin-1", latin).exit_code == 0
    gpkg = write_layer(deposits_gdf, "two.gpkg", layer="a")
    write_layer(deposits_gdf, "two.gpkg", layer="b")
    r = run("validate", gpkg)
    assert r.exit_code == 2 and "two.gpkg: holds 2 layers (a, b); choose one (--layer)" in r.stderr
    assert run("validate", "--layer", "b", gpkg).exit_code == 0


def test_validate_needs_an_argument():
    r = run("validate")
    assert r.exit_code == 2 and "Missing argument" in r.stderr


def test_verbosity_flags_accepted(deposits_gdf, write_layer):
    path = write_layer(deposits_gdf, "x.geojson")
    assert run("-v", "validate", path).exit_code == 0
    assert run("-qq", "validate", path).exit_code == 0


def _break_load_layer(monkeypatch, exc):
    import geoprospect.cli.validate

    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(geoprospect.cli.validate, "load_layer", boom)  # the name the command calls


def test_internal_error_exit_1_without_traceback(monkeypatch, write_csv):
    _break_load_layer(monkeypatch, ZeroDivisionError("oops"))
    r = run("validate", write_csv("a.csv", "name,lat,lon\nA,1,2\n"))
    assert r.exit_code == 1
    assert "Internal error: ZeroDivisionError: oops" in r.stderr and "--debug" in r.stderr
    assert "Traceback" not in r.stderr + r.output


def test_debug_shows_the_exception(monkeypatch, write_csv):
    _break_load_layer(monkeypatch, ZeroDivisionError("oops"))
    r = run("--debug", "validate", write_csv("a.csv", "name,lat,lon\nA,1,2\n"))
    assert r.exit_code == 1 and isinstance(r.exception, ZeroDivisionError)
    _break_load_layer(monkeypatch, ModelError("model.skops: not trusted"))
    r = run("--debug", "validate", write_csv("b.csv", "name,lat,lon\nA,1,2\n"))
    assert isinstance(r.exception, ModelError)


def test_expected_error_exit_2_one_line(monkeypatch, write_csv):
    _break_load_layer(monkeypatch, ModelError("model.skops: not trusted\nsecond line"))
    r = run("validate", write_csv("a.csv", "name,lat,lon\nA,1,2\n"))
    assert r.exit_code == 2
    assert r.stderr.strip() == "Error: model.skops: not trusted"


def test_interrupt_exit_130(monkeypatch, write_csv):
    _break_load_layer(monkeypatch, KeyboardInterrupt())
    r = run("validate", write_csv("a.csv", "name,lat,lon\nA,1,2\n"))
    assert r.exit_code == 130 and "Interrupted" in r.stderr


def test_python_warnings_become_one_line(deposits_gdf, write_layer, caplog):
    wrong = write_layer(deposits_gdf.set_crs("EPSG:3857", allow_override=True), "w.gpkg")
    with caplog.at_level("WARNING", logger="geoprospect"):
        r = run("validate", "--crs", "EPSG:4326", wrong)
    assert r.exit_code == 0
    assert "w.gpkg: file says EPSG:3857, using the given CRS EPSG:4326 instead" in caplog.messages
    assert "warnings.warn" not in r.stderr


def test_warning_line_in_a_real_process(deposits_gdf, write_layer):
    wrong = write_layer(deposits_gdf.set_crs("EPSG:3857", allow_override=True), "w.gpkg")
    code = f"from geoprospect.cli import main; main(['validate', '--crs', 'EPSG:4326', {str(wrong)!r}])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "WARNING: w.gpkg: file says EPSG:3857, using the given CRS EPSG:4326 instead"


def test_layers_text_and_json():
    from geoprospect.io.bundled import catalog, row_count

    r = run("layers", "--format", "json")
    assert r.exit_code == 0
    rows = json.loads(r.output)
    by_file = {row["file"]: row for row in rows}
    assert set(by_file) == set(catalog()["file"])
    assert by_file["deposits.geojson"]["rows"] == row_count("deposits.geojson") >= 20
    for row in rows:
        assert row["data_date"] and row["licence"] and row["sources"]
    r = run("layers")
    assert r.exit_code == 0 and "deposits.geojson" in r.output and "licence" in r.output


def test_parse_countries():
    assert parse_countries("IND,Australia,mw, ") == ["IND", "AUS", "MWI"]
    assert parse_countries(None) is None and parse_countries("") is None
    with pytest.raises(click.BadParameter, match="'Narnia' is not a country"):
        parse_countries("AUS,Narnia")


def test_shared_options_apply():
    @click.command()
    @read_options
    @output_option(required=True)
    def cmd(layer, crs, encoding, columns, output):
        click.echo(f"{layer}|{crs}|{encoding}|{output}|{columns.get('name') if columns else None}")

    args = ["--layer", "a", "--crs", "EPSG:4326", "--encoding", "latin-1", "-o", "x.csv"]
    r = CliRunner().invoke(cmd, args)
    assert r.exit_code == 0 and r.output.strip() == "a|EPSG:4326|latin-1|x.csv|None"
    assert CliRunner().invoke(cmd, []).exit_code == 2
    r = CliRunner().invoke(cmd, [*args, "--columns", "name=DEP_NAME"])
    assert r.exit_code == 0 and r.output.strip().endswith("|DEP_NAME")
    r = CliRunner().invoke(cmd, [*args, "--columns", "nmae=DEP_NAME"])
    assert r.exit_code == 2 and "did you mean name?" in r.output and "--columns" in r.output
