"""Read a PostGIS table or query like a layer file, whole or in chunks (psycopg 3).

Reading follows :func:`geoprospect.io.read.read_layer`: the first geometry (or geography) column
is the geometry, brought to EPSG:4326 from the rows' SRID (``crs`` for SRID 0); a table without
geometry may hold lon/lat or WKT columns, as a CSV does. Rows are numbered from 1 in the table's
primary-key order (a query's own order); a ``fid`` primary key (the one
:mod:`geoprospect.io.postgis_write` adds, as GDAL does), or an integer ``fid`` column of a
query, is the feature id and not an attribute. Numbers, text,
booleans, dates and times keep their types; other types are read as text. Reads run in a
read-only transaction as one ``COPY (SELECT ...) TO STDOUT`` that Arrow's CSV reader parses as it
streams in, so memory is bounded by the chunk size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from geoprospect.errors import CRSError, LayerError
from geoprospect.io.ewkb import unhex
from geoprospect.io.findings import Findings
from geoprospect.io.postgis import (
    KEY_COLUMN,
    PostgisSource,
    connect,
    driver,
    first_line,
    geometry_oids,
    parse_source,
    split_name,
)


@dataclass
class Piece:
    """Rows ``start ..`` of a source: attribute columns as read (Arrow), geometry in
    EPSG:4326 (None = no location) and read-time problems (rows already global)."""

    start: int
    raw: object
    geometry: np.ndarray
    problems: Findings = field(default_factory=Findings)
    coordinate_columns: tuple = ()
    """Columns the geometry was built from (lon/lat or WKT), when the source has no geometry."""


def read_postgis(source, *, crs: str | None = None, columns=None):
    """Read a whole table or query into a GeoDataFrame in EPSG:4326, like ``read_layer``.

    Parameters
    ----------
    source : PostgisSource or str
        A source, or a URI carrying ``table=`` or ``sql=``.
    crs : str, optional
        CRS of geometries whose SRID is 0 (or of coordinate columns).
    columns : ColumnMap, optional
        The user's column mapping (its ``lat``/``lon``/``wkt`` entries, for a table without a
        geometry column).

    Returns
    -------
    geopandas.GeoDataFrame
        Index = 1-based row number; ``attrs["problems"]`` and ``attrs["source"]`` as
        :func:`geoprospect.io.read.read_layer` sets them.
    """
    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa

    source = parse_source(source) if isinstance(source, str) else source
    pieces = list(iter_postgis(source, 100_000, crs=crs, columns=columns))
    if pieces:
        frame = pa.concat_tables([p.raw for p in pieces]).to_pandas()
        frame = frame.drop(columns=list(pieces[0].coordinate_columns))  # as read_layer does for a CSV
        geoms = np.concatenate([p.geometry for p in pieces])
    else:
        frame, geoms = pd.DataFrame(), np.zeros(0, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs="EPSG:4326")
    problems = Findings(source.name)
    for piece in pieces:
        problems.extend(piece.problems)
    gdf.attrs["problems"] = problems
    gdf.attrs["source"] = source.name
    return gdf


def count_postgis(source: PostgisSource) -> int | None:
    """Rows of a table (None for a query, or when it cannot be counted cheaply)."""
    if not source.table:
        return None
    try:
        with connect(source, read_only=True) as conn:
            return int(conn.execute(_from_sql(conn, source, "SELECT count(*) FROM {}")).fetchone()[0])
    except Exception:
        return None


def iter_postgis(source: PostgisSource, chunk_size: int, *, crs: str | None = None,
                 columns=None) -> Iterator[Piece]:
    """Yield the rows of a table or query in pieces of at most ``chunk_size`` rows.

    The rows come as one ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` parsed by Arrow's streaming
    CSV reader with the columns' types (no Python object per value), in a read-only transaction.

    Raises
    ------
    DatabaseError
        The server cannot be used (see :func:`connect`).
    LayerError
        No such table, a failing query, a column named twice, mixed SRIDs.
    CRSError
        SRID 0 and coordinates that are not lon/lat (without ``crs``).
    """
    from psycopg import sql as q

    with connect(source, read_only=True) as conn:
        plan = _plan(conn, source)
        query = q.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT WITH (FORMAT csv)").format(
            q.SQL(", ").join(plan.select), plan.relation, plan.order)
        start = 1
        try:
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")  # a long scoring run
            conn.execute("SET LOCAL statement_timeout = 0")
            with conn.cursor().copy(query) as copy:
                for table in _rows(copy, plan, chunk_size):
                    yield plan.piece(table, start, source, crs, columns)
                    start += table.num_rows
        except driver().Error as exc:
            raise LayerError(f"{source.name}: cannot read ({first_line(exc, source.uri)})") from None
        finally:
            plan.close()


def _rows(copy, plan, chunk_size: int) -> Iterator:
    """Arrow tables of exactly ``chunk_size`` rows (the last one shorter) from the COPY stream."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(plan.csv_types))]
    reader = pacsv.open_csv(
        _CopyStream(copy),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 22),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict(zip(names, plan.csv_types, strict=True)), true_values=["t"],
            false_values=["f"], null_values=[""], strings_can_be_null=True,
            quoted_strings_can_be_null=False))
    pending, held = [], 0
    for batch in reader:
        pending.append(batch)
        held += batch.num_rows
        while held >= chunk_size:
            table = pa.Table.from_batches(pending).combine_chunks()
            yield table.slice(0, chunk_size)
            rest = table.slice(chunk_size)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending).combine_chunks()


class _CopyStream:
    """A readable file object over a psycopg ``Copy`` (what Arrow's CSV reader pulls from)."""

    def __init__(self, copy) -> None:
        self.copy = copy
        self.buffer = bytearray()
        self.done = False
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self.buffer) < size):
            block = self.copy.read()
            if not block:
                self.done = True
            self.buffer += block
        size = len(self.buffer) if size < 0 else min(size, len(self.buffer))
        out = bytes(self.buffer[:size])
        del self.buffer[:size]
        return out

    def close(self) -> None:
        self.closed = True


def _from_sql(conn, source: PostgisSource, template: str):
    from psycopg import sql as q

    return q.SQL(template).format(_plan(conn, source, columns=False).relation)


@dataclass
class _Plan:
    source: PostgisSource
    relation: object
    select: list
    order: object
    names: list
    csv_types: list
    kinds: list
    geometry: str | None
    srs: dict = field(default_factory=dict)
    lookup: object = None

    def piece(self, table, start: int, source: PostgisSource, crs: str | None, columns=None) -> Piece:
        """One chunk: the attribute columns in their types, the geometry in EPSG:4326."""
        import pyarrow as pa

        n = len(self.names)
        arrays = [_typed(table.column(i), kind) for i, kind in enumerate(self.kinds)]
        raw = pa.Table.from_arrays(arrays, names=self.names) if n else pa.table({})
        if self.geometry is None:
            if not n:
                raw = pa.table({"_": pa.nulls(table.num_rows)}).drop_columns(["_"])
            return _from_columns(raw, source, start, crs, table.num_rows, columns)
        wkb = unhex(table.column(n)).to_numpy(zero_copy_only=False)
        srids = table.column(n + 1).to_numpy(zero_copy_only=False)
        return Piece(start, raw, self._projected(wkb, srids, source, crs), Findings(source.name))

    def _projected(self, wkb: np.ndarray, srids: np.ndarray, source, crs):
        import geopandas as gpd
        import pandas as pd
        import shapely

        from geoprospect.io.read import to_wgs84

        present = pd.notna(wkb)
        geoms = np.full(len(wkb), None, dtype=object)
        geoms[present] = shapely.from_wkb(wkb[present], on_invalid="ignore")
        found = sorted({int(s) for s in srids[present]})
        if len(found) > 1:
            raise LayerError(f"{source.name}: geometries in several SRIDs ({', '.join(map(str, found))}); "
                             "bring them to one in the query (ST_Transform)")
        srid = found[0] if found else 4326
        if srid == 4326 and crs is None:
            return geoms
        gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms), crs=self._crs(srid, source))
        return to_wgs84(gdf, source, crs).geometry.to_numpy()

    def _crs(self, srid: int, source):
        """The CRS of an SRID from ``spatial_ref_sys`` (on a second connection: the first one is
        busy with the COPY)."""
        if srid == 0:
            return None
        if srid not in self.srs:
            from pyproj import CRS

            if self.lookup is None:
                self.lookup = connect(self.source, read_only=True)
            row = self.lookup.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys "
                                      "WHERE srid = %s", [srid]).fetchone()
            self.lookup.rollback()
            if row is None:
                raise CRSError(f"{source.name}: SRID {srid} is not in spatial_ref_sys", option="crs")
            try:
                self.srs[srid] = CRS.from_user_input(f"{row[0]}:{row[1]}" if row[0] else row[2])
            except Exception:
                self.srs[srid] = CRS.from_user_input(row[2])
        return self.srs[srid]

    def close(self) -> None:
        if self.lookup is not None:
            self.lookup.close()


def _from_columns(raw, source, start: int, crs: str | None, rows: int, columns=None) -> Piece:
    """A piece of a table without geometry: lon/lat or WKT columns, as in a CSV."""
    import geopandas as gpd
    import pandas as pd

    from geoprospect.io.coordinates import geometry_from_columns
    from geoprospect.io.read import to_wgs84

    problems = Findings(source.name)
    frame = raw.to_pandas() if raw.num_columns else pd.DataFrame(index=range(rows))
    gdf = geometry_from_columns(frame, source, problems, columns)
    used = tuple(c for c in frame.columns if c not in gdf.columns)
    gdf = to_wgs84(gpd.GeoDataFrame(geometry=gdf.geometry), source, crs)
    return Piece(start, raw, gdf.geometry.to_numpy(), problems.shifted(start - 1),
                 coordinate_columns=used)


_TYPES = {  # PostgreSQL type OID -> how it is selected and read; anything else is read as text
    16: "bool", 20: "int64", 21: "int64", 23: "int64", 700: "float64", 701: "float64",
    1700: "numeric", 25: "string", 1043: "string", 1042: "string", 19: "string", 1082: "date32",
    1114: "timestamp", 1184: "timestamptz", 17: "bytea",
}


def _select_expr(col, kind: str):
    from psycopg import sql as q

    template = {"numeric": "{}::float8", "timestamptz": "({} AT TIME ZONE 'UTC')",
                "bytea": "encode({}, 'hex')", "string": "{}::text"}.get(kind, "{}")
    return q.SQL(template).format(col)


def _csv_type(kind: str):
    """The Arrow type the CSV reader parses a column of ``kind`` as."""
    import pyarrow as pa

    return {"numeric": pa.float64(), "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us"),
            "bytea": pa.string(), "string": pa.string(), "bool": pa.bool_(), "int64": pa.int64(),
            "float64": pa.float64(), "date32": pa.date32()}[kind]


def _typed(column, kind: str):
    """A parsed column in the type it has in the database (UTC timestamps, bytes)."""
    import pyarrow as pa

    if kind == "timestamptz":
        return column.cast(pa.timestamp("us", tz="UTC"))
    if kind == "bytea":
        return unhex(column)
    return column


def _plan(conn, source: PostgisSource, columns: bool = True) -> _Plan:
    from psycopg import sql as q

    order = q.SQL("")
    if source.table:
        schema, table = split_name(source.table)
        ident = q.Identifier(table) if schema is None else q.Identifier(schema, table)
        row = conn.execute("SELECT n.nspname, c.relname, c.oid FROM pg_class c JOIN pg_namespace n "
                           "ON n.oid = c.relnamespace WHERE c.oid = to_regclass(%s)",
                           [ident.as_string(conn)]).fetchone()
        if row is None:
            raise LayerError(f"{source.name}: no such table or view in {source.shown}", option="table")
        relation = q.Identifier(row[0], row[1])
        keys = [r[0] for r in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)", [row[2]]).fetchall()]
        if keys:
            order = q.SQL(" ORDER BY {}").format(q.SQL(", ").join(map(q.Identifier, keys)))
    else:
        relation = q.SQL("({}) AS geoprospect_query").format(q.SQL(source.sql))
        keys = []
    if not columns:
        return _Plan(source, relation, [], order, [], [], [], None)
    try:
        with conn.cursor() as cur:
            cur.execute(q.SQL("SELECT * FROM {} LIMIT 0").format(relation))
            described = [(c.name, c.type_code) for c in cur.description or []]
    except driver().Error as exc:
        raise LayerError(f"{source.name}: {first_line(exc, source.uri)}",
                         option="sql" if source.sql else "table") from None
    finally:
        conn.rollback()
    return _select(conn, source, relation, order, described, keys)


def _select(conn, source, relation, order, described, keys) -> _Plan:
    from psycopg import sql as q

    seen: set = set()
    for name, _ in described:
        if name in seen:
            raise LayerError(f"{source.name}: the column {name!r} comes twice; rename one (AS ...)")
        seen.add(name)
    geometry_oid, geography_oid = geometry_oids(conn)
    spatial = [n for n, t in described if t in (geometry_oid, geography_oid) and t is not None]
    geometry = spatial[0] if spatial else None
    select, names, kinds = [], [], []
    for name, oid in described:
        col = q.Identifier(name)
        if name == geometry or (name == KEY_COLUMN and (keys == [KEY_COLUMN] or (
                source.sql and oid in (20, 21, 23)))):
            continue  # the feature id is not an attribute (as GDAL and GeoPackage files have it)
        kind = _TYPES.get(oid, "string")
        expr = q.SQL("ST_AsText({}::geometry)").format(col) if name in spatial else _select_expr(col, kind)
        select.append(expr)
        names.append(name)
        kinds.append(kind)
    csv_types = [_csv_type(k) for k in kinds]
    if geometry is not None:
        g = q.Identifier(geometry)
        select.append(q.SQL("encode(ST_AsBinary({}::geometry), 'hex')").format(g))
        select.append(q.SQL("ST_SRID({}::geometry)").format(g))
        import pyarrow as pa

        csv_types += [pa.string(), pa.int64()]
    if not select:
        import pyarrow as pa

        select.append(q.SQL("NULL::text"))  # a table with no column left still has rows
        csv_types.append(pa.string())
    return _Plan(source, relation, select, order, names, csv_types, kinds, geometry)
