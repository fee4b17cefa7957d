"""Read a PostGIS table or query like a layer file, whole or in chunks (psycopg 3).

Reading follows :func:`geoprospect.io.read.read_layer`: the first geometry (or geography) column
is the geometry, brought to EPSG:4326 from the rows' SRID (``crs`` for SRID 0); a table without
geometry may hold lon/lat or WKT columns, as a CSV does. Rows are numbered from 1 in the table's
primary-key order (a query's own order); a ``fid`` primary key (the one
:mod:`geoprospect.io.postgis_write` adds, as GDAL does), or an integer ``fid`` column of a
query, is the feature id and not an attribute. Numbers, text,
booleans, dates and times keep their types; other types are read as text. Reads run in a
read-only transaction through a server-side cursor, so memory is bounded by the chunk size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from geoprospect.errors import CRSError, LayerError
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

_SRID = "__geoprospect_srid"


@dataclass
class Piece:
    """Rows ``start ..`` of a source: attribute columns as read (Arrow), geometry in
    EPSG:4326 (None = no location) and read-time problems (rows already global)."""

    start: int
    raw: object
    geometry: np.ndarray
    problems: list = field(default_factory=list)
    coordinate_columns: tuple = ()
    """Columns the geometry was built from (lon/lat or WKT), when the source has no geometry."""


def read_postgis(source, *, crs: str | None = None):
    """Read a whole table or query into a GeoDataFrame in EPSG:4326, like ``read_layer``.

    Parameters
    ----------
    source : PostgisSource or str
        A source, or a URI carrying ``table=`` or ``sql=``.
    crs : str, optional
        CRS of geometries whose SRID is 0 (or of coordinate columns).

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
    pieces = list(iter_postgis(source, 100_000, crs=crs))
    if pieces:
        frame = pa.concat_tables([p.raw for p in pieces]).to_pandas()
        frame = frame.drop(columns=list(pieces[0].coordinate_columns))  # as read_layer does for a CSV
        geoms = np.concatenate([p.geometry for p in pieces])
    else:
        frame, geoms = pd.DataFrame(), np.zeros(0, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs="EPSG:4326")
    gdf.attrs["problems"] = [p for piece in pieces for p in piece.problems]
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


def iter_postgis(source: PostgisSource, chunk_size: int, *, crs: str | None = None) -> Iterator[Piece]:
    """Yield the rows of a table or query in pieces of at most ``chunk_size`` rows.

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
        query = q.SQL("SELECT {} FROM {}{}").format(
            q.SQL(", ").join(plan.select), plan.relation, plan.order)
        start = 1
        try:
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")  # a long scoring run
            with conn.cursor(name="geoprospect_read", binary=True) as cur:
                cur.itersize = chunk_size
                cur.execute(query)
                while rows := cur.fetchmany(chunk_size):
                    yield plan.piece(rows, start, source, crs)
                    start += len(rows)
        except driver().Error as exc:
            raise LayerError(f"{source.name}: cannot read ({first_line(exc, source.uri)})") from None


def _from_sql(conn, source: PostgisSource, template: str):
    from psycopg import sql as q

    return q.SQL(template).format(_plan(conn, source, columns=False).relation)


@dataclass
class _Plan:
    relation: object
    select: list
    order: object
    names: list
    types: list
    geometry: str | None
    srs: dict = field(default_factory=dict)
    conn: object = None

    def piece(self, rows: list, start: int, source: PostgisSource, crs: str | None) -> Piece:
        import pyarrow as pa

        columns = list(zip(*rows, strict=True))
        arrays = [pa.array(columns[i], type=t) for i, t in enumerate(self.types)]
        raw = pa.Table.from_arrays(arrays, names=self.names)
        if self.geometry is None:
            return _from_columns(raw, source, start, crs)
        wkb = np.asarray(columns[len(self.names)], dtype=object)
        srids = np.asarray(columns[len(self.names) + 1], dtype=object)
        return Piece(start, raw, self._projected(wkb, srids, source, crs))

    def _projected(self, wkb: np.ndarray, srids: np.ndarray, source, crs):
        import geopandas as gpd
        import shapely

        from geoprospect.io.read import to_wgs84

        present = np.array([w is not None for w in wkb], dtype=bool)
        geoms = np.full(len(wkb), None, dtype=object)
        geoms[present] = shapely.from_wkb(np.array([bytes(w) for w in wkb[present]], dtype=object),
                                          on_invalid="ignore")
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
        if srid == 0:
            return None
        if srid not in self.srs:
            from pyproj import CRS

            row = self.conn.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys "
                                    "WHERE srid = %s", [srid]).fetchone()
            if row is None:
                raise CRSError(f"{source.name}: SRID {srid} is not in spatial_ref_sys", option="crs")
            try:
                self.srs[srid] = CRS.from_user_input(f"{row[0]}:{row[1]}" if row[0] else row[2])
            except Exception:
                self.srs[srid] = CRS.from_user_input(row[2])
        return self.srs[srid]


def _from_columns(raw, source, start: int, crs: str | None) -> Piece:
    """A piece of a table without geometry: lon/lat or WKT columns, as in a CSV."""
    import geopandas as gpd

    from geoprospect.io.read import geometry_from_columns, to_wgs84

    problems: list = []
    frame = raw.to_pandas()
    gdf = geometry_from_columns(frame, source, problems)
    used = tuple(c for c in frame.columns if c not in gdf.columns)
    gdf = to_wgs84(gpd.GeoDataFrame(geometry=gdf.geometry), source, crs)
    shifted = [replace(p, row=p.row + start - 1) if p.row is not None else p for p in problems]
    return Piece(start, raw, gdf.geometry.to_numpy(), shifted, coordinate_columns=used)


_ARROW = {  # PostgreSQL type OID -> Arrow type name; anything else is read as text
    16: "bool", 20: "int64", 21: "int64", 23: "int64", 700: "float64", 701: "float64",
    1700: "float64", 25: "string", 1043: "string", 1042: "string", 19: "string", 1082: "date32",
    1114: "timestamp", 1184: "timestamptz", 17: "binary",
}


def _arrow_type(name: str):
    import pyarrow as pa

    return {"timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC")}.get(
        name) or getattr(pa, name)()


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
        return _Plan(relation, [], order, [], [], None)
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
    select, names, types = [], [], []
    for name, oid in described:
        col = q.Identifier(name)
        if name == geometry or (name == KEY_COLUMN and (keys == [KEY_COLUMN] or (
                source.sql and oid in (20, 21, 23)))):
            continue  # the feature id is not an attribute (as GDAL and GeoPackage files have it)
        if name in spatial:
            expr = q.SQL("ST_AsText({}::geometry)").format(col)
            kind = "string"
        elif oid in _ARROW:
            kind = _ARROW[oid]
            expr = q.SQL("{}::float8").format(col) if oid == 1700 else col
        else:
            kind, expr = "string", q.SQL("{}::text").format(col)
        select.append(q.SQL("{} AS {}").format(expr, col))
        names.append(name)
        types.append(_arrow_type(kind))
    if geometry is not None:
        g = q.Identifier(geometry)
        select.append(q.SQL("ST_AsBinary({}::geometry)").format(g))
        select.append(q.SQL("ST_SRID({}::geometry) AS {}").format(g, q.Identifier(_SRID)))
    if not select:
        select.append(q.SQL("NULL"))  # a table with no column left still has rows
    return _Plan(relation, select, order, names, types, geometry, conn=conn)
