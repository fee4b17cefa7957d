"""``--table``, ``--sql`` and ``--append``: PostGIS layers as inputs and outputs of a command.

A layer argument or ``-o`` that is a ``postgresql://`` URI becomes a
:class:`~geoprospect.io.postgis.PostgisSource` or
:class:`~geoprospect.io.postgis_write.PostgisTarget` before the command runs, so the commands
themselves only pass them on. The table (or query) may be in the URI (``?table=`` / ``?sql=``)
or given by ``--table``/``--sql``; ``--table`` names the output's table when ``-o`` is a database
and the inputs' otherwise (when both are, put ``?table=`` in one of the URIs). A database output
is checked (server, credentials, PostGIS, existing table) before any work. Nothing here imports
psycopg unless a URI is given.
"""

from __future__ import annotations

import functools

import click

from geoprospect.io.postgis import is_database


def database_options(inputs: str | None = None, output: str | None = "output", sql: bool = True):
    """Add ``--table`` (and ``--sql``, ``--append``) to a command whose layer parameter is
    ``inputs`` (a name or a tuple of names) and whose output parameter is ``output``."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            table = kwargs.pop("table", None)
            query = kwargs.pop("sql", None) if sql else None
            append = kwargs.pop("append", False) if output else False
            resolve(kwargs, inputs, output, table, query, append)
            return func(*args, **kwargs)

        opts = [click.option("--table", default=None, metavar="SCHEMA.TABLE",
                             help="PostGIS table of a postgresql:// URI (the output's when -o is one, "
                                  "else the input's).")]
        if sql:
            opts.append(click.option("--sql", default=None, metavar="'SELECT ...'",
                                     help="Read a postgresql:// input through this query instead of a "
                                          "table (read-only)."))
        if output:
            opts.append(click.option("--append", is_flag=True,
                                     help="Add the rows to an existing PostGIS table (-o postgresql://...)."))
        for opt in reversed(opts):
            wrapper = opt(wrapper)
        return wrapper

    return decorate


def resolve(kwargs: dict, inputs: str | None, output: str | None, table, query, append: bool) -> None:
    """Turn database URIs in ``kwargs`` into sources and targets (in place); usage errors for
    options that do not fit."""
    from geoprospect.io.postgis import split_uri

    out = kwargs.get(output) if output else None
    single = inputs is not None and not isinstance(kwargs.get(inputs), tuple | list)
    given = [] if inputs is None else ([kwargs[inputs]] if single else list(kwargs[inputs] or ()))
    db_in = [i for i, v in enumerate(given) if is_database(v)]
    db_out = is_database(out)
    if append and kwargs.get("overwrite"):
        raise click.UsageError("--append and --overwrite exclude each other")
    if append and not db_out:
        raise click.UsageError("--append adds rows to a PostGIS table; give -o postgresql://...")
    if (table or query) and not (db_in or db_out):
        raise click.UsageError("--table and --sql name a PostGIS table or query; give a "
                               "postgresql://USER@HOST:PORT/DB input or output")
    if query and not db_in:
        raise click.UsageError("--sql reads a postgresql:// input")
    out_table = in_table = None
    if table and db_out and db_in:
        out_has = bool(split_uri(out)[1].get("table"))
        if out_has == all(split_uri(given[i])[1].get("table") or split_uri(given[i])[1].get("sql")
                          for i in db_in):
            raise click.UsageError("both the input and the output are PostGIS: say which table "
                                   "--table is by putting ?table=... in the other URI")
        out_table, in_table = (None, table) if out_has else (table, None)
    elif table:
        out_table, in_table = (table, None) if db_out else (None, table)
    if db_out:
        from geoprospect.io.postgis_write import check_target, parse_target

        mode = "append" if append else "replace" if kwargs.get("overwrite") else "fail"
        kwargs[output] = parse_target(out, table=out_table, mode=mode)
        check_target(kwargs[output])
    if db_in:
        from geoprospect.io.postgis import parse_source

        if len(db_in) > 1 and (in_table or query):
            raise click.UsageError("--table/--sql apply to one postgresql:// input; put ?table=... "
                                   "(or ?sql=...) in each URI instead")
        if kwargs.get("layer") and len(db_in) == len(given):
            raise click.UsageError("--layer names a layer inside a file; for PostGIS use --table")
        for i in db_in:
            given[i] = parse_source(given[i], table=in_table, sql=query)
        kwargs[inputs] = given[0] if single else tuple(given)
