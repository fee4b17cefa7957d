"""PostGIS layers: connection URIs, one-line errors, and reading tables or queries in chunks.

A database layer is a libpq connection URI (``postgresql://USER@HOST:PORT/DB``) plus a table
(``SCHEMA.TABLE``) or a query (``SELECT ...``). Both may ride in the URI as geoprospect's own
query parameters ``table=`` and ``sql=`` (percent-encoded; taken out before the driver sees the
URI) or be given apart (``--table``/``--sql``). Everything else in the URI is parsed by libpq
(:mod:`psycopg.conninfo`), never here. The password comes from the URI, ``PGPASSWORD`` or
``~/.pgpass``, as libpq decides; it is never shown: sources and targets print as
``postgresql://USER@HOST:PORT/DB``, and driver messages are redacted before they are used.

Reading is :mod:`geoprospect.io.postgis_read`, writing :mod:`geoprospect.io.postgis_write`.

psycopg 3 is imported only when a database is used (``pip install 'geoprospect[postgis]'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from geoprospect.errors import DatabaseError, LayerError

SCHEMES = ("postgresql://", "postgres://")
OWN_PARAMETERS = ("table", "sql")
"""Query parameters of a URI that are geoprospect's, not libpq's."""
KEY_COLUMN = "fid"
"""The identity primary key geoprospect adds to the tables it writes (not read as an attribute)."""
CONNECT_TIMEOUT_S = 10
_USERINFO = re.compile(r"(://[^:/@\s]*):[^@\s]*@")


def is_database(value) -> bool:
    """True for a :class:`PostgisSource`/``PostgisTarget`` or a ``postgresql://`` URI."""
    if isinstance(value, str):
        return value.strip().lower().startswith(SCHEMES)
    return isinstance(value, Located)


def source_name(path) -> str:
    """How messages name an input: a file's name, or a database source's table (or ``query``)."""
    if isinstance(path, Located):
        return path.name
    from pathlib import Path

    return Path(path).name


def redact(text: str, uri: str | None = None) -> str:
    """``text`` without the password of ``uri`` or any ``scheme://user:password@`` userinfo."""
    text = _USERINFO.sub(r"\1:***@", str(text))
    password = _password_of(uri) if uri else None
    return text.replace(password, "***") if password else text


@dataclass(frozen=True, repr=False)
class Located:
    """A database and where in it: ``uri`` (may hold a password, never shown) and ``shown``."""

    uri: str
    shown: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self})"


@dataclass(frozen=True, repr=False)
class PostgisSource(Located):
    """A table or a query to read; ``name`` (the table, or ``query``) names it in messages."""

    table: str | None = None
    sql: str | None = None

    @property
    def name(self) -> str:
        return self.table or "query"

    def __str__(self) -> str:
        return f"{self.shown} ({'table ' + self.table if self.table else 'query'})"


def split_uri(text: str) -> tuple[str, dict]:
    """The URI without geoprospect's own query parameters, and those parameters (decoded)."""
    text = text.strip()
    base, sep, query = text.partition("?")
    if not sep:
        return text, {}
    own, rest = {}, []
    for item in query.split("&"):
        key, _, value = item.partition("=")
        if unquote(key) in OWN_PARAMETERS:
            own[unquote(key)] = unquote(value)
        elif item:
            rest.append(item)
    return base + ("?" + "&".join(rest) if rest else ""), own


def describe(uri: str, error=LayerError, option: str | None = None) -> str:
    """``postgresql://USER@HOST:PORT/DB`` of a URI, parsed by libpq (never the password).

    Raises
    ------
    LayerError (or ``error``)
        Not a valid connection URI.
    """
    psycopg = driver()
    try:
        info = psycopg.conninfo.conninfo_to_dict(uri)
    except psycopg.Error as exc:
        raise error(f"not a valid PostgreSQL connection URI ({first_line(exc, uri)})",
                    option=option) from None
    host = info.get("host") or info.get("hostaddr") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname') or ''}"


def parse_source(text: str, *, table: str | None = None, sql: str | None = None) -> PostgisSource:
    """A :class:`PostgisSource` from a URI and ``table``/``sql`` (given apart or in the URI).

    Raises
    ------
    LayerError
        A bad URI, neither or both of a table and a query, or two different tables.
    """
    if isinstance(text, PostgisSource):
        return text
    uri, own = split_uri(text)
    shown = describe(uri)
    table = _one(shown, "table", own.get("table"), table)
    sql = _one(shown, "sql", own.get("sql"), sql)
    if table and sql:
        raise LayerError(f"{shown}: give a table or a query, not both", option="sql")
    if not table and not (sql or "").strip():
        raise LayerError(f"{shown}: name the table (SCHEMA.TABLE) or the query to read", option="table")
    if table:
        split_name(table, LayerError)
    return PostgisSource(uri, shown, table, sql.strip().rstrip(";") if sql else None)


def _one(shown: str, what: str, in_uri: str | None, given: str | None) -> str | None:
    if in_uri and given and in_uri != given:
        raise LayerError(f"{shown}: the URI says {what}={in_uri!r} and the option {given!r}", option=what)
    return in_uri or given


def split_name(name: str, error=LayerError) -> tuple[str | None, str]:
    """``(schema or None, table)`` of ``SCHEMA.TABLE`` or ``TABLE``, each taken literally."""
    parts = name.strip().split(".")
    if len(parts) > 2 or not all(parts):
        raise error(f"{name!r} is not a table name; use TABLE or SCHEMA.TABLE", option="table")
    return (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])


# ------------------------------------------------------------------ connections
def driver():
    """The psycopg module, or a one-line error naming the extra that installs it."""
    try:
        import psycopg
        import psycopg.conninfo
    except ImportError:
        raise DatabaseError("PostGIS needs the optional extra: pip install 'geoprospect[postgis]'") from None
    return psycopg


def connect(located: Located, *, option: str | None = None, read_only: bool = False):
    """An open psycopg connection (UTF-8, ``CONNECT_TIMEOUT_S`` unless the URI or
    ``PGCONNECT_TIMEOUT`` says otherwise).

    Raises
    ------
    DatabaseError
        The server cannot be reached, refuses the credentials, or has no such database; one
        line naming ``user@host:port/db`` and the reason, never the password.
    """
    import os

    psycopg = driver()
    info = psycopg.conninfo.conninfo_to_dict(located.uri)
    extra = {"application_name": "geoprospect", "client_encoding": "UTF8"}
    if "connect_timeout" not in info and not os.environ.get("PGCONNECT_TIMEOUT"):
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        conn = psycopg.connect(located.uri, **extra)
    except psycopg.Error as exc:
        reason = connection_reason(exc, located.uri)
        raise DatabaseError(f"{located.shown}: {reason}", option=option) from None
    conn.read_only = read_only
    return conn


_REASONS = (
    (r'password authentication failed for user "([^"]*)"',
     'the server refused the password of user "{0}" (from the URI, PGPASSWORD or ~/.pgpass)'),
    (r"no password supplied",
     "the server asks for a password and none was given (set PGPASSWORD or use ~/.pgpass)"),
    (r'role "([^"]*)" does not exist', 'the server has no user "{0}"'),
    (r'database "([^"]*)" does not exist', 'the server has no database "{0}"'),
    (r"no pg_hba\.conf entry", "the server does not accept this user from this host (pg_hba.conf)"),
    (r"[Cc]onnection refused", "cannot reach the server (connection refused: is PostgreSQL running "
                               "and listening there?)"),
    (r"timeout expired|timed out", "cannot reach the server (timed out)"),
    (r"could not translate host name", "cannot reach the server (unknown host name)"),
    (r"No such file or directory", "cannot reach the server (no socket there: is PostgreSQL running?)"),
)


def connection_reason(exc: BaseException, uri: str | None = None) -> str:
    """What a failed connection attempt means, in words (never the password)."""
    text = str(exc)
    for pattern, message in _REASONS:
        found = re.search(pattern, text)
        if found:
            return message.format(*found.groups())
    return f"cannot connect ({first_line(exc, uri)})"


def first_line(exc: BaseException, uri: str | None = None) -> str:
    """The first meaningful line of a driver message, redacted and without libpq's prefixes."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"^(connection failed: |ERROR:\s+|FATAL:\s+)", "", text)
    return redact(text, uri)[:300]


def geometry_oids(conn) -> tuple[int | None, int | None]:
    """Type OIDs of PostGIS ``geometry`` and ``geography`` (None without the extension)."""
    row = conn.execute("SELECT to_regtype('geometry')::oid, to_regtype('geography')::oid").fetchone()
    return (row[0], row[1]) if row else (None, None)


def require_postgis(conn, located: Located, *, option: str | None = None) -> None:
    """Raise :class:`DatabaseError` when the database has no PostGIS extension."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is None:
        raise DatabaseError(f"{located.shown}: the database has no PostGIS extension "
                            "(CREATE EXTENSION postgis, as a role allowed to)", option=option)


def _password_of(uri: str) -> str | None:
    try:
        from psycopg.conninfo import conninfo_to_dict

        return conninfo_to_dict(uri).get("password") or None
    except Exception:
        from urllib.parse import urlsplit

        try:
            return urlsplit(uri).password
        except ValueError:
            return None
