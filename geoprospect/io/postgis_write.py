"""Write layers into PostGIS in one transaction: COPY into a staging table, swapped in at commit.

:class:`PostgisWriter` is what every command calls (``rank``, ``routes``, ``score`` chunk by
chunk; :func:`write_postgis` for a whole frame). Everything happens in one transaction:

1. :meth:`~PostgisWriter.open` connects, checks PostGIS and the target (an existing table without
   ``replace`` or ``append`` is refused before any work);
2. :meth:`~PostgisWriter.write` streams Arrow tables into one ``COPY ... FROM STDIN (FORMAT
   csv)`` (the CSV made by Arrow, geometry as hex extended WKB with SRID 4326) into a staging
   table created in the target's schema, or straight into the target with ``append``;
3. :meth:`~PostgisWriter.commit` drops the old table (``replace``), renames the staging table to
   the target (granting what the old table granted), adds the GiST index on ``geometry`` and the
   comment (data date, model hash, as JSON; with ``append``, those of the last write), analyses
   it and commits.

Nothing is visible to other sessions before the commit, and the old table stays readable until
then; an error, Ctrl-C or a lost connection rolls everything back, staging table included. Tables
get a ``fid`` identity primary key (as QGIS wants) and a ``geometry`` column typed by what was
written (``geometry(Point, 4326)``; ``Geometry`` for mixed types).
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass, replace

from geoprospect.errors import OutputError
from geoprospect.io.ewkb import column_type, geometry_kinds
from geoprospect.io.postgis import (
    KEY_COLUMN,
    Located,
    connect,
    describe,
    driver,
    first_line,
    require_postgis,
    split_name,
    split_uri,
)
from geoprospect.io.postgis_copy import CopyFile, csv_ready, frame_to_arrow, pg_type

GEOMETRY = "geometry"
SRID = 4326
MODES = ("fail", "replace", "append")
MAX_IDENTIFIER = 63
"""PostgreSQL truncates longer names (bytes)."""
LONG_RUN = ("statement_timeout", "idle_in_transaction_session_timeout")
"""Timeouts a server may set that a COPY lasting a whole scoring run must not hit (this
transaction only)."""


@dataclass(frozen=True, repr=False)
class PostgisTarget(Located):
    """A table to write and what to do when it exists: ``fail``, ``replace`` or ``append``."""

    table: str = ""
    mode: str = "fail"

    @property
    def name(self) -> str:
        return self.table

    def __str__(self) -> str:
        return f"{self.shown} (table {self.table})"


def parse_target(text, *, table: str | None = None, mode: str = "fail") -> PostgisTarget:
    """A :class:`PostgisTarget` from a URI (``table=`` in it, or ``table`` given apart).

    Raises
    ------
    OutputError
        A bad URI, no table, a query (``sql=``), a bad mode.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if isinstance(text, PostgisTarget):
        return text if mode == "fail" else replace(text, mode=mode)
    uri, own = split_uri(text)
    shown = describe(uri, OutputError, "output")
    if own.get("sql"):
        raise OutputError(f"{shown}: a query cannot be written to; name a table", option="table")
    if own.get("table") and table and own["table"] != table:
        raise OutputError(f"{shown}: the URI says table={own['table']!r} and the option {table!r}",
                          option="table")
    table = own.get("table") or table
    if not table:
        raise OutputError(f"{shown}: name the table to write (SCHEMA.TABLE)", option="table")
    split_name(table, OutputError)
    return PostgisTarget(uri, shown, table, mode)


def check_target(target: PostgisTarget, option: str = "output") -> None:
    """Fail early: the server, PostGIS and the target table as :meth:`PostgisWriter.open` checks."""
    PostgisWriter(target, option=option).open().abort()


def write_postgis(gdf, target, *, overwrite: bool = False, metadata: dict | None = None) -> PostgisTarget:
    """Write a (Geo)DataFrame into a PostGIS table in one transaction.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or pandas.DataFrame
        Geometry (if any) in EPSG:4326.
    target : PostgisTarget or str
        The table (a URI with ``table=`` works too).
    overwrite : bool
        Replace an existing table (``target.mode`` may say ``append`` instead).
    metadata : dict, optional
        Provenance, stored as the table comment (JSON).

    Returns
    -------
    PostgisTarget

    Raises
    ------
    DatabaseError, OutputError
        See :class:`PostgisWriter`.
    """
    target = parse_target(target)
    if overwrite and target.mode == "fail":
        target = replace(target, mode="replace")
    writer = PostgisWriter(target, metadata=metadata).open()
    try:
        writer.write(frame_to_arrow(gdf, GEOMETRY))
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


class PostgisWriter:
    """Stream Arrow tables into one PostGIS table in one transaction (module docstring).

    Parameters
    ----------
    target : PostgisTarget
    metadata : dict, optional
        Provenance, stored as the table comment (JSON, sorted keys).
    option : str
        The option errors concern (the CLI names it: ``--output``).

    Raises
    ------
    DatabaseError
        Server unreachable, credentials refused, no PostGIS.
    OutputError
        The table exists (mode ``fail``), no such schema, columns that do not fit an appended
        table, a row PostgreSQL refuses.
    """

    def __init__(self, target: PostgisTarget, *, metadata: dict | None = None,
                 option: str = "output") -> None:
        self.target = target
        self.metadata = metadata or {}
        self.option = option
        self.rows = 0
        self.conn = None
        self._copy = None
        self._stack = contextlib.ExitStack()
        self._columns: list[str] | None = None
        self._geometry: str | None = None
        self._kinds: set[str] = set()
        self._staging: str | None = None
        self._keyed: list[str] = []
        self.exists = False

    # ------------------------------------------------------------------ life cycle
    def open(self) -> PostgisWriter:
        """Connect and check the server, PostGIS, the schema and the target table."""
        self.conn = connect(self.target, option=self.option)
        try:
            require_postgis(self.conn, self.target, option=self.option)
            for setting in LONG_RUN:  # the COPY lasts as long as the scoring
                self.conn.execute(f"SET LOCAL {setting} = 0")
            schema, self.table = split_name(self.target.table, OutputError)
            self.schema = schema or self._one("SELECT current_schema()")
            if self.schema is None or self._one("SELECT to_regnamespace(%s)", [_quoted(self.schema)]) is None:
                raise OutputError(f"{self.target}: no schema {schema or '(current)'!r} in the database",
                                  option="table")
            for name in (self.table, self.schema):
                _check_identifier(name, self.target)
            self.exists = self._one("SELECT to_regclass(%s)", [_quoted(self.schema, self.table)]) is not None
            if self.exists and self.target.mode == "fail":
                raise OutputError(f"{self.target}: the table exists; overwrite or append to it",
                                  option="overwrite")
        except BaseException:
            self.abort()
            raise
        return self

    def write(self, table) -> None:
        """Append one Arrow table (the first one fixes the columns; ``geometry`` is WKB)."""
        if self._columns is None:
            self._start(table)
        if table.num_rows == 0:
            return
        if GEOMETRY in table.column_names:
            kinds = geometry_kinds(table.column(GEOMETRY))
            if self._staging and column_type(self._kinds | kinds) != column_type(self._kinds or kinds):
                self._widen(self._kinds | kinds)
            self._kinds |= kinds
        import pyarrow.csv as pacsv

        data = csv_ready(table, GEOMETRY, SRID)
        try:
            pacsv.write_csv(data, CopyFile(self._copy_open()),
                            write_options=pacsv.WriteOptions(include_header=False, batch_size=4096))
        except driver().Error as exc:
            raise self._refused(exc) from None
        self.rows += table.num_rows

    def commit(self) -> PostgisTarget:
        """Swap the staging table in (or finish the append), index, comment, analyse, commit."""
        from psycopg import sql as q

        try:
            if self._columns is None:
                raise OutputError(f"{self.target}: nothing to write")
            self._copy_close()
            target = q.Identifier(self.schema, self.table)
            with self.conn.cursor() as cur:
                if self._staging:
                    self._swap(cur, target)
                cur.execute(q.SQL("COMMENT ON TABLE {} IS {}").format(target, q.Literal(self.comment())))
                cur.execute(q.SQL("ANALYZE {}").format(target))
            self.conn.commit()
        except driver().Error as exc:
            self.abort()
            raise self._refused(exc) from None
        except BaseException:
            self.abort()
            raise
        self.conn.close()
        return self.target

    def _swap(self, cur, target) -> None:
        """Drop the old table (keeping what it granted), rename the staging table, index it."""
        from psycopg import sql as q

        grants = self._grants() if self.exists else []
        if self.exists:
            cur.execute(q.SQL("DROP TABLE {}").format(target))
        cur.execute(q.SQL("ALTER TABLE {} RENAME TO {}").format(
            q.Identifier(self.schema, self._staging), q.Identifier(self.table)))
        if KEY_COLUMN in self._keyed and len(self.table) + 5 <= MAX_IDENTIFIER:
            cur.execute(q.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
                target, q.Identifier(f"{self._staging}_pkey"), q.Identifier(f"{self.table}_pkey")))
        if self._geometry:
            cur.execute(q.SQL("CREATE INDEX ON {} USING gist ({})").format(
                target, q.Identifier(self._geometry)))
        for privilege, grantee, grantable in grants:
            who = q.SQL("PUBLIC") if grantee is None else q.Identifier(grantee)
            cur.execute(q.SQL("GRANT {} ON {} TO {}{}").format(
                q.SQL(privilege), target, who, q.SQL(" WITH GRANT OPTION" if grantable else "")))

    def abort(self) -> None:
        """Roll back and disconnect: the target is left as it was, no staging table remains."""
        with contextlib.suppress(Exception):
            self._stack.__exit__(_Aborted, _Aborted(), None)
        self._copy = None
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.rollback()
            with contextlib.suppress(Exception):
                self.conn.close()

    def comment(self) -> str:
        """The table comment: the provenance as JSON (data date, model hash, version, ...)."""
        meta = {k: v for k, v in self.metadata.items() if v not in (None, "")}
        return json.dumps({"geoprospect": meta}, sort_keys=True, default=str)

    # ------------------------------------------------------------------ helpers
    def _grants(self) -> list[tuple]:
        """Privileges the existing table grants to others than its owner (kept on replace)."""
        return self.conn.execute(
            "SELECT a.privilege_type, (SELECT rolname FROM pg_roles r WHERE r.oid = a.grantee), "
            "a.is_grantable FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = to_regclass(%s) "
            "AND a.grantee <> c.relowner", [_quoted(self.schema, self.table)]).fetchall()

    def _one(self, query: str, params=None):
        row = self.conn.execute(query, params).fetchone()
        return row[0] if row else None

    def _start(self, table) -> None:
        from psycopg import sql as q

        names = [str(n) for n in table.column_names]
        for name in names:
            _check_identifier(name, self.target)
        self._geometry = GEOMETRY if GEOMETRY in names else None
        if self.exists and self.target.mode == "append":
            self._columns = self._appendable(names)
            return
        self._staging = f"geoprospect_staging_{secrets.token_hex(6)}"
        self._keyed = [] if KEY_COLUMN in names else [KEY_COLUMN]
        kinds = geometry_kinds(table.column(GEOMETRY)) if self._geometry else set()
        self._kinds = kinds
        defs = [q.SQL("{} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY").format(q.Identifier(k))
                for k in self._keyed]
        for field in table.schema:
            typ = _geometry_sql(kinds) if field.name == GEOMETRY else pg_type(field.type)
            defs.append(q.SQL("{} {}").format(q.Identifier(field.name), q.SQL(typ)))
        self._execute(q.SQL("CREATE TABLE {} ({})").format(
            q.Identifier(self.schema, self._staging), q.SQL(", ").join(defs)))
        self._columns = names

    def _appendable(self, names: list[str]) -> list[str]:
        """The target's column for each written column (the geometry may have another name)."""
        rows = self.conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
            "a.atttypid = to_regtype('geometry')::oid, postgis_typmod_srid(a.atttypmod) "
            "FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 "
            "AND NOT a.attisdropped", [_quoted(self.schema, self.table)]).fetchall()
        have = {r[0] for r in rows}
        geoms = [r for r in rows if r[2]]
        self._keyed = []
        out = []
        for name in names:
            if name == GEOMETRY and name not in have and len(geoms) == 1:
                name = geoms[0][0]
            out.append(name)
        missing = [n for n in out if n not in have]
        if missing:
            raise OutputError(f"{self.target}: cannot append: the table has no column "
                              f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}",
                              option="append")
        if self._geometry:
            self._geometry = out[names.index(GEOMETRY)]
            srid = next((r[3] for r in geoms if r[0] == self._geometry), None)
            if srid not in (0, SRID, None):
                raise OutputError(f"{self.target}: cannot append: its geometries are in SRID {srid}, "
                                  f"geoprospect writes EPSG:{SRID}", option="append")
        return out

    def _widen(self, kinds: set[str]) -> None:
        """A later chunk holds other geometry types: loosen the staging column's type."""
        from psycopg import sql as q

        self._copy_close()
        self._execute(q.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE {}").format(
            q.Identifier(self.schema, self._staging), q.Identifier(GEOMETRY), q.SQL(_geometry_sql(kinds))))

    def _execute(self, statement) -> None:
        try:
            self.conn.execute(statement)
        except driver().Error as exc:
            raise self._refused(exc) from None

    def _copy_open(self):
        from psycopg import sql as q

        if self._copy is None:
            target = self._staging or self.table
            statement = q.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
                q.Identifier(self.schema, target), q.SQL(", ").join(map(q.Identifier, self._columns)))
            try:
                self._copy = self._stack.enter_context(self.conn.cursor().copy(statement))
            except driver().Error as exc:
                raise self._refused(exc) from None
        return self._copy

    def _copy_close(self) -> None:
        if self._copy is not None:
            self._copy = None
            try:
                self._stack.close()
            except driver().Error as exc:
                raise self._refused(exc) from None

    def _refused(self, exc) -> OutputError:
        return OutputError(f"{self.target}: {first_line(exc, self.target.uri)}", option=self.option)


class _Aborted(Exception):
    """Raised into the COPY's context so that psycopg ends it with a failure (no rows kept)."""


def _quoted(*parts: str) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def _check_identifier(name: str, target) -> None:
    if len(name.encode("utf-8")) > MAX_IDENTIFIER:
        raise OutputError(f"{target}: the name {name[:40]!r}... is longer than PostgreSQL's "
                          f"{MAX_IDENTIFIER} bytes")
    if "\x00" in name:
        raise OutputError(f"{target}: a column name holds a NUL character")


def _geometry_sql(kinds: set[str]) -> str:
    kind = column_type(kinds) if kinds else "Geometry"
    return f"geometry({kind}, {SRID})" if kind else "geometry"
