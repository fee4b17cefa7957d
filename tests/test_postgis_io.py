"""PostGIS in and out against a real server (tests/_postgis_server.py): the bundled ranking's
round trip, reading tables and queries like files, overwrite/append, and every error as one
line (exit 2) that never shows the password. The URI and WKB tests need no server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from _postgis_server import PASSWORD, ROLE
from _support import run

from geoprospect.errors import CRSError, DatabaseError, LayerError, OutputError
from geoprospect.io.ewkb import column_type, ewkb_hex, geometry_kinds
from geoprospect.io.postgis import parse_source, redact, split_uri
from geoprospect.io.postgis_read import read_postgis
from geoprospect.io.postgis_write import PostgisWriter, parse_target, write_postgis
from geoprospect.io.read import read_layer
from geoprospect.io.write import write_table

META = {"data_date": "2026-11-26", "model_sha256": "abc123"}


def one_line_error(r, *, code: int = 2) -> str:
    """The run failed with ``code`` and said so in one line, no traceback, no password."""
    text = r.output + (r.stderr if r.stderr_bytes is not None else "")
    assert r.exit_code == code, text
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(("Error: ", "ERROR ")), text  # ERROR: validate's report
    assert "Traceback" not in text and PASSWORD not in text
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


# ------------------------------------------------------------------ no server needed
def test_uri_parameters_of_geoprospect_are_taken_out_and_decoded():
    uri, own = split_uri("postgresql://u@h:5/db?sslmode=disable&table=gis.sites&application_name=x%20y")
    assert uri == "postgresql://u@h:5/db?sslmode=disable&application_name=x%20y"
    assert own == {"table": "gis.sites"}
    src = parse_source("postgresql://u@h/db?sql=SELECT%20*%20FROM%20t%20WHERE%20a%20%3E%201%3B")
    assert src.sql == "SELECT * FROM t WHERE a > 1" and src.table is None and src.name == "query"
    with pytest.raises(LayerError, match="table or a query, not both"):
        parse_source("postgresql://u@h/db?table=t", sql="SELECT 1")
    with pytest.raises(LayerError, match="name the table") as err:
        parse_source("postgresql://u@h/db")
    assert err.value.option == "table"
    with pytest.raises(LayerError, match="'a' and the option 'b'"):
        parse_source("postgresql://u@h/db?table=a", table="b")
    with pytest.raises(OutputError, match="not a table name"):
        parse_target("postgresql://u@h/db", table="a.b.c")


def test_a_password_in_the_uri_is_never_shown():
    for obj in (parse_source(f"postgresql://bob:{PASSWORD}@db.example:6432/gis?table=s"),
                parse_target(f"postgres://bob:{PASSWORD}@db.example:6432/gis", table="out")):
        for text in (str(obj), repr(obj), f"{obj!s} {obj!r}"):
            assert PASSWORD not in text and "bob@db.example:6432/gis" in text
    assert redact(f"x postgresql://bob:{PASSWORD}@h/db y") == "x postgresql://bob:***@h/db y"
    with pytest.raises(LayerError) as err:
        parse_source(f"postgresql://bob:{PASSWORD}@h/db?nonsense=1&table=t")
    assert PASSWORD not in str(err.value)


def test_ewkb_hex_is_what_postgis_and_shapely_call_extended_wkb():
    geoms = np.array([shapely.Point(1, 2), None, shapely.LineString([(0, 0), (1, 1)]),
                      shapely.Point(1, 2, 3), shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]),
                      shapely.Point()], dtype=object)
    for order in (0, 1):
        wkb = pa.array([None if g is None else shapely.to_wkb(g, byte_order=order) for g in geoms],
                       type=pa.binary())
        want = [None if g is None else shapely.to_wkb(shapely.set_srid(g, 4326), hex=True, include_srid=True,
                                                      byte_order=order).lower() for g in geoms]
        assert ewkb_hex(wkb, 4326).to_pylist() == want
        assert geometry_kinds(wkb) == {"Point", "LineString", "PointZ", "MultiPolygon"}
    points = pa.array(shapely.to_wkb(shapely.points(np.random.default_rng(0).uniform(size=(50, 2)))))
    assert geometry_kinds(points) == {"Point"} and ewkb_hex(points, 4326).null_count == 0
    assert column_type({"Point"}) == "Point" and column_type({"Point", "Polygon"}) == "Geometry"
    assert column_type({"Point", "PointZ"}) == ""  # mixed dimensions: no type modifier


def test_unreachable_server_is_one_line_without_the_password(tmp_path):
    port = closed_port()
    r = run("rank", "--draws", 0, "-o", f"postgresql://bob:{PASSWORD}@127.0.0.1:{port}/gis", "--table", "r")
    line = one_line_error(r)
    assert f"postgresql://bob@127.0.0.1:{port}/gis: cannot reach the server (connection refused" in line
    assert line.endswith("(--output)")
    r = run("validate", f"postgresql://bob:{PASSWORD}@127.0.0.1:{port}/gis?table=sites")
    assert "cannot reach the server" in one_line_error(r)


@pytest.mark.parametrize("args, message", [
    (["-o", "x.csv", "--append"], "--append adds rows to a PostGIS table"),
    (["-o", "postgresql://u@h/db", "--table", "t", "--append", "--overwrite"], "exclude each other"),
    (["--table", "t"], "--table and --sql name a PostGIS table"),
    (["-o", "postgresql://u@h/db", "--table", "t", "--sql", "SELECT 1"], "--sql reads a postgresql:// input"),
])
def test_database_options_that_do_not_fit_are_usage_errors(args, message):
    r = run("rank", "--draws", 0, *args)
    assert r.exit_code == 2 and message in r.output, r.output


def test_help_stays_free_of_the_database_driver():
    probe = ("from geoprospect.cli import main\n"
             "for c in (['--help'], ['rank', '--help'], ['score', '--help']):\n"
             "    try:\n        main(c)\n    except SystemExit:\n        pass\n"
             "import sys\nprint('PSYCOPG' if 'psycopg' in sys.modules else 'NONE')")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "NONE"
    assert "--table SCHEMA.TABLE" in out.stdout and "--append" in out.stdout


# ------------------------------------------------------------------ the real server
@pytest.mark.postgis
def test_bundled_ranking_round_trip(pg, tmp_path):
    """rank -o postgresql://... equals rank -o .parquet: rows, columns, values, geometry; SRID
    4326, a GiST index, the provenance as the table comment."""
    pg.query(f"CREATE SCHEMA gis AUTHORIZATION {ROLE}")
    ref = tmp_path / "ranked.parquet"
    assert run("rank", "--draws", 20, "-o", ref).exit_code == 0
    r = run("rank", "--draws", 20, "-o", pg.uri, "--table", "gis.ranked")
    assert r.exit_code == 0, r.output
    assert f"wrote 59 rows to {pg.uri} (table gis.ranked)" in r.stderr and PASSWORD not in r.output
    want = read_layer(ref)
    got = read_layer(f"{pg.uri}?table=gis.ranked")
    assert len(got) == len(want) == 59 and sorted(got.columns) == sorted(want.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(want.drop(columns="geometry"))[[c for c in got.columns
                                                                               if c != "geometry"]],
                                  check_dtype=False)
    assert got.geometry.to_wkb().tolist() == want.geometry.to_wkb().tolist()  # missing locations too
    assert pg.query("SELECT srid, type FROM geometry_columns WHERE f_table_name = 'ranked'") == [
        (4326, "POINT")]
    assert pg.query("SELECT DISTINCT ST_SRID(geometry) FROM gis.ranked WHERE geometry IS NOT NULL") == [
        (4326,)]
    assert "USING gist (geometry)" in pg.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'ranked'"
                                               " AND indexdef LIKE '%gist%'")[0][0]
    comment = json.loads(pg.query("SELECT obj_description('gis.ranked'::regclass)")[0][0])["geoprospect"]
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(ref).metadata[b"geoprospect"])
    assert comment["data_date"] == meta["data_date"] and comment["model_sha256"] == meta["model_sha256"]
    assert len(comment["model_sha256"]) == 64
    assert pg.query("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'geoprospect_staging%'") == [(0,)]


@pytest.mark.postgis
def test_tables_and_queries_read_like_files(pg, deposits_gdf, tmp_path):
    bad = deposits_gdf.copy()
    bad.loc[1, "treo_pct"] = 150.0
    write_table(bad, f"{pg.uri}?table=sites")
    write_table(bad, tmp_path / "sites.geojson")
    from_file = run("validate", tmp_path / "sites.geojson")
    from_table = run("validate", pg.uri, "--table", "sites")
    assert from_file.exit_code == from_table.exit_code == 2
    problem = "row 2 (id=d2, name=Deposit AUS): treo_pct: 150 is above the maximum 100"
    assert f"sites.geojson: {problem}" in from_file.output and f"sites: {problem}" in from_table.output
    r = run("validate", pg.uri, "--sql", "SELECT * FROM sites WHERE treo_pct < 100 ORDER BY id")
    assert r.exit_code == 0 and f"{pg.uri} (query): 4 rows, ok" in r.output, r.output
    got = read_layer(f"{pg.uri}?sql=SELECT%20id%2C%20geometry%20FROM%20sites%20ORDER%20BY%20fid%20DESC")
    assert got["id"].tolist() == ["d5", "d4", "d3", "d2", "d1"] and list(got.columns) == ["id", "geometry"]
    np.testing.assert_allclose(shapely.get_coordinates(got.geometry.to_numpy())[::-1],
                               shapely.get_coordinates(deposits_gdf.geometry.to_numpy()))


@pytest.mark.postgis
def test_srids_lon_lat_columns_and_no_srid(pg):
    with pg.admin() as conn:
        conn.execute(f"CREATE TABLE merc (id text, g geometry(Point, 3857)); "
                     f"ALTER TABLE merc OWNER TO {ROLE}; INSERT INTO merc VALUES "
                     "('a', ST_Transform(ST_SetSRID(ST_Point(33.78, -13.96), 4326), 3857))")
        conn.execute("CREATE TABLE plain (id text, lat text, lon numeric); "
                     "INSERT INTO plain VALUES ('a', '-13.96', 33.78), ('b', 'x', 1)")
        conn.execute("CREATE TABLE nosrid (id text, g geometry); "
                     "INSERT INTO nosrid VALUES ('a', ST_Point(500000, 8450000))")
        conn.execute("GRANT SELECT ON merc, plain, nosrid TO PUBLIC")
    merc = read_postgis(f"{pg.uri}?table=merc")
    np.testing.assert_allclose(shapely.get_coordinates(merc.geometry.to_numpy()), [[33.78, -13.96]])
    plain = read_postgis(f"{pg.uri}?table=plain")
    assert list(plain.columns) == ["id", "geometry"]
    assert plain.geometry.iloc[0].equals(shapely.Point(33.78, -13.96))
    assert [str(p) for p in plain.attrs["problems"]] == ["plain: row 2: lat: 'x' is not a number"]
    with pytest.raises(CRSError, match="no CRS") as err:
        read_postgis(f"{pg.uri}?table=nosrid")
    assert err.value.option == "crs"
    utm = read_postgis(f"{pg.uri}?table=nosrid", crs="EPSG:32736")
    assert -180 < utm.geometry.iloc[0].x < 180


@pytest.mark.postgis
def test_overwrite_replaces_and_append_adds(pg, deposits_gdf):
    target = f"{pg.uri}?table=sites"
    write_table(deposits_gdf, target, metadata=META)
    r = run("validate", pg.uri, "--table", "sites")
    assert r.exit_code == 0
    write_table(deposits_gdf.iloc[:2], target, overwrite=True)
    assert pg.query("SELECT count(*) FROM sites") == [(2,)]
    write_table(deposits_gdf, parse_target(target, mode="append"))
    assert pg.query("SELECT count(*), count(DISTINCT fid) FROM sites") == [(7, 7)]
    with pytest.raises(OutputError, match="cannot append: the table has no column extra") as err:
        write_table(deposits_gdf.assign(extra=1), parse_target(target, mode="append"))
    assert err.value.option == "append"
    # another tool's table: geometry in "geom", appended into; one in another SRID is refused
    with pg.admin() as conn:
        conn.execute(f"CREATE TABLE theirs (id text, name text, geom geometry(Point, 4326)); "
                     f"CREATE TABLE metres (id text, geometry geometry(Point, 3857)); "
                     f"ALTER TABLE theirs OWNER TO {ROLE}; ALTER TABLE metres OWNER TO {ROLE}")
    write_postgis(deposits_gdf[["id", "name", "geometry"]],
                  parse_target(f"{pg.uri}?table=theirs", mode="append"))
    assert pg.query("SELECT count(*), min(ST_SRID(geom)) FROM theirs") == [(5, 4326)]
    with pytest.raises(OutputError, match="SRID 3857"):
        write_postgis(deposits_gdf[["id", "geometry"]], parse_target(f"{pg.uri}?table=metres", mode="append"))


@pytest.mark.postgis
def test_a_failed_write_leaves_the_table_as_it_was(pg, deposits_gdf):
    target = parse_target(f"{pg.uri}?table=sites", mode="replace")
    write_table(deposits_gdf, target, metadata=META)
    writer = PostgisWriter(target, metadata={"data_date": "new"}).open()
    from geoprospect.io.postgis_copy import frame_to_arrow

    writer.write(frame_to_arrow(deposits_gdf.iloc[:2]))
    writer.abort()  # what an exception or Ctrl-C does
    assert pg.query("SELECT count(*) FROM sites") == [(5,)]
    assert json.loads(pg.query("SELECT obj_description('sites'::regclass)")[0][0])["geoprospect"] == META
    bad = deposits_gdf.assign(name=["ok", "a\x00b", "ok", "ok", "ok"])  # PostgreSQL text refuses NUL
    with pytest.raises(OutputError, match="sites"):
        write_table(bad, target)
    assert pg.query("SELECT count(*) FROM sites") == [(5,)]
    assert pg.query("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'geoprospect_staging%'") == [(0,)]


@pytest.mark.postgis
def test_routes_go_in_as_linestrings(pg):
    r = run("routes", "--deposit", "Nolans", "--k", 2, "-o", pg.uri, "--table", "legs")
    assert r.exit_code == 0, r.output
    assert pg.query("SELECT type, srid FROM geometry_columns WHERE f_table_name = 'legs'") == [
        ("LINESTRING", 4326)]
    modes = {m for (m,) in pg.query("SELECT DISTINCT mode FROM legs")}
    assert "sea" in modes and modes <= {"road", "rail", "sea", "river", "pipeline", "port", "other"}


# ------------------------------------------------------------------ errors (one line, exit 2)
@pytest.mark.postgis
def test_wrong_or_missing_password(pg, monkeypatch, tmp_path):
    wrong = f"postgresql://{ROLE}:Wrong-{PASSWORD}@127.0.0.1:{pg.server.port}/{pg.name}"
    line = one_line_error(run("rank", "--draws", 0, "-o", wrong, "--table", "r"))
    assert f'refused the password of user "{ROLE}"' in line and "Wrong-" not in line
    monkeypatch.setenv("PGPASSWORD", "not-it")
    line = one_line_error(run("validate", pg.uri, "--table", "sites"))
    assert "refused the password" in line
    monkeypatch.delenv("PGPASSWORD")
    line = one_line_error(run("validate", pg.uri, "--table", "sites"))
    assert "asks for a password and none was given" in line
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg.server.port}:*:{ROLE}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))  # libpq reads it, as it would ~/.pgpass
    write_table(pd.DataFrame({"id": ["a"], "lat": [-13.96], "lon": [33.78], "name": ["A"]}),
                f"{pg.uri}?table=sites")
    assert run("validate", pg.uri, "--table", "sites").exit_code == 0


@pytest.mark.postgis
def test_missing_table_no_postgis_existing_table_bad_query(pg, deposits_gdf):
    line = one_line_error(run("validate", pg.uri, "--table", "gis.nowhere"))
    assert "gis.nowhere: no such table or view in" in line and line.endswith("(--table)")
    line = one_line_error(run("rank", "--draws", 0, "-o", pg.plain_uri, "--table", "r"))
    assert "the database has no PostGIS extension" in line
    write_table(deposits_gdf, f"{pg.uri}?table=r")
    line = one_line_error(run("rank", "--draws", 0, "-o", pg.uri, "--table", "r"))
    assert "(table r): the table exists; overwrite or append to it (--overwrite)" in line
    line = one_line_error(run("validate", pg.uri, "--sql", "SELECT * FROM r WHERE grade > 1"))
    assert line == 'ERROR query: column "grade" does not exist (--sql)'
    line = one_line_error(run("validate", pg.uri, "--sql", "DELETE FROM r"))
    assert "syntax error" in line and pg.query("SELECT count(*) FROM r") == [(5,)]  # read-only
    line = one_line_error(run("validate", pg.uri, "--sql", "SELECT id, id FROM r"))
    assert "the column 'id' comes twice" in line
    line = one_line_error(run("validate", f"postgresql://{ROLE}@127.0.0.1:{pg.server.port}/nodb?table=r"))
    assert 'the server has no database "nodb"' in line
    with pytest.raises(DatabaseError):
        read_postgis(f"postgresql://nobody@127.0.0.1:{pg.server.port}/{pg.name}?table=r")


@pytest.mark.postgis
def test_debug_logs_never_show_the_password(pg, tmp_path):
    """-vv logs (the driver's included) and --json summaries name the database, not the password."""
    uri = f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{pg.server.port}/{pg.name}"
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    src = tmp_path / "sites.geojson"
    from _support import sites

    sites(30, seed=2).to_file(src)
    for args in (["-vv", "score", str(src), "-o", uri, "--table", "s", "--json", "--workers", "1"],
                 ["-vv", "score", uri, "--table", "s", "-o", str(tmp_path / "o.csv"), "--json",
                  "--workers", "1"],
                 ["-vv", "rank", "--draws", "0", "-o", uri, "--table", "s"]):
        out = subprocess.run([sys.executable, "-m", "geoprospect", *args], capture_output=True, text=True,
                             env=env, timeout=600)
        assert PASSWORD not in out.stdout + out.stderr
        assert f"{ROLE}@127.0.0.1:{pg.server.port}/{pg.name}" in out.stdout + out.stderr
    assert out.returncode == 2 and "the table exists" in out.stderr  # the last one: s exists
    wrong = uri.replace(PASSWORD, f"Wrong-{PASSWORD}")
    for flag in ("-vv", "--debug"):  # a refused password, with the driver's logs and a traceback
        out = subprocess.run([sys.executable, "-m", "geoprospect", flag, "validate", wrong, "--table", "s"],
                             capture_output=True, text=True, env=env, timeout=600)
        assert out.returncode != 0 and "refused the password" in out.stderr
        assert PASSWORD not in out.stdout + out.stderr


@pytest.mark.postgis
def test_replacing_keeps_grants_and_long_runs_outlast_server_timeouts(pg, deposits_gdf):
    """A GIS team's grants survive --overwrite; a COPY or a read that spans a long scoring run is
    not cut by the database's statement or idle-in-transaction timeouts."""
    import time

    from geoprospect.io.postgis_copy import frame_to_arrow
    from geoprospect.io.postgis_read import iter_postgis

    target = parse_target(f"{pg.uri}?table=sites", mode="replace")
    write_table(deposits_gdf, target)
    with pg.admin() as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE gis_readers; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute("GRANT SELECT ON sites TO gis_readers")
    write_table(deposits_gdf.iloc[:3], target)
    assert pg.query("SELECT has_table_privilege('gis_readers', 'sites', 'SELECT'), "
                    "has_table_privilege('gis_readers', 'sites', 'INSERT')") == [(True, False)]
    pg.query(f"ALTER DATABASE {pg.name} SET statement_timeout = '200ms'")
    pg.query(f"ALTER DATABASE {pg.name} SET idle_in_transaction_session_timeout = '200ms'")
    try:
        writer = PostgisWriter(target).open()
        for part in (deposits_gdf.iloc[:2], deposits_gdf.iloc[2:]):
            writer.write(frame_to_arrow(part))
            time.sleep(0.6)  # longer than both timeouts: a chunk being scored
        writer.commit()
        pieces = 0
        for _ in iter_postgis(parse_source(f"{pg.uri}?table=sites"), 2):
            pieces += 1
            time.sleep(0.6)
        assert pieces == 3
    finally:
        pg.query(f"ALTER DATABASE {pg.name} RESET statement_timeout")
        pg.query(f"ALTER DATABASE {pg.name} RESET idle_in_transaction_session_timeout")
    assert pg.query("SELECT count(*) FROM sites") == [(5,)]


@pytest.mark.postgis
def test_column_types_survive_a_read(pg):
    """Numbers, text (quotes, new lines, empty vs NULL), booleans, dates and times keep their
    types; other types come as text; a geography column is the geometry."""
    import datetime as dt

    with pg.admin() as conn:
        conn.execute(
            "CREATE TABLE typed (i int, b bigint, n numeric, r real, ok boolean, t text, d date, "
            "ts timestamp, tz timestamptz, raw bytea, j jsonb, u uuid, tags text[], g geography(Point)); "
            "INSERT INTO typed VALUES (1, 9007199254740993, 1.25, 0.5, true, 'say \"hi\",\nthen go', "
            "'2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15+02', '\\x00ff', "
            "'{\"a\": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{x,y}', 'POINT(33.78 -13.96)'), "
            "(NULL, NULL, 'NaN', '-Infinity', false, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL); "
            "GRANT SELECT ON typed TO PUBLIC")
    got = read_postgis(f"{pg.uri}?table=typed")
    first, second = got.iloc[0], got.iloc[1]
    assert first["i"] == 1 and first["b"] == 9007199254740993 and first["n"] == 1.25 and first["r"] == 0.5
    assert first["ok"] and not second["ok"] and first["t"] == 'say "hi",\nthen go' and second["t"] == ""
    assert pd.isna(second["i"]) and np.isnan(second["n"]) and second["r"] == -np.inf
    assert first["d"] == dt.date(2024, 2, 29) and pd.isna(second["d"])
    assert first["ts"] == pd.Timestamp("2024-02-29 13:14:15.123456")
    assert first["tz"] == pd.Timestamp("2024-02-29 11:14:15", tz="UTC")
    assert first["raw"] == b"\x00\xff" and json.loads(first["j"]) == {"a": [1, 2]}
    assert first["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" and first["tags"] == "{x,y}"
    assert got.geometry.iloc[0].equals(shapely.Point(33.78, -13.96)) and got.geometry.iloc[1] is None


@pytest.mark.postgis
def test_scenario_table_goes_into_postgis(pg):
    r = run("scenario", "--draws", 0, "--only", "malawi-ban-lifted", "-o", pg.uri, "--table", "whatif")
    assert r.exit_code == 0, r.output
    rows = pg.query("SELECT scenario, count(*) FROM whatif GROUP BY scenario ORDER BY 1")
    assert len(rows) == 2 and rows[0][1] == rows[1][1] > 0 and "malawi-ban-lifted" in {s for s, _ in rows}
    comment = json.loads(pg.query("SELECT obj_description('whatif'::regclass)")[0][0])["geoprospect"]
    assert comment["data_date"] and "malawi-ban-lifted" in comment["scenarios"]
