"""Arrow tables as PostgreSQL's ``COPY ... (FORMAT csv)`` reads them, and their column types.

Arrow writes the CSV (in C++, batch by batch, straight into the COPY stream): its quoting, empty
field for null and ``""`` for an empty string, ``true``/``false``, ISO dates and shortest
round-trip numbers are what PostgreSQL's CSV reader expects. Geometry goes as hex extended WKB
with its SRID (:func:`geoprospect.io.ewkb.ewkb_hex`).
"""

from __future__ import annotations

import json

from geoprospect.io.ewkb import ewkb_hex


def frame_to_arrow(gdf, geometry: str = "geometry"):
    """An Arrow table of a (Geo)DataFrame: its columns, then ``geometry`` as WKB."""
    import pandas as pd
    import pyarrow as pa
    import shapely

    geom_name = getattr(gdf, "_geometry_column_name", None)
    has_geom = geom_name is not None and geom_name in gdf
    frame = pd.DataFrame(gdf.drop(columns=geom_name) if has_geom else gdf)
    arrays, names = [], []
    for col in frame.columns:
        series = frame[col]
        try:
            arrays.append(pa.array(series, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects: as text
            arrays.append(pa.array(series.map(str, na_action="ignore"), type=pa.string(), from_pandas=True))
        names.append(str(col))
    if has_geom:
        arrays.append(pa.array(shapely.to_wkb(gdf.geometry.to_numpy()), type=pa.binary()))
        names.append(geometry)
    return pa.Table.from_arrays(arrays, names=names)


def csv_ready(table, geometry: str = "geometry", srid: int = 4326):
    """``table`` with columns in the form Arrow's CSV writer and PostgreSQL's CSV reader agree
    on: ``geometry`` (WKB) as hex extended WKB with ``srid``, binary as ``\\x`` hex, nested values
    as JSON text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        if name == geometry:
            col = ewkb_hex(col, srid)
        elif pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
            col = pc.binary_join_element_wise("\\x", _hex(col), "")
        elif pa.types.is_float16(t):
            col = col.cast(pa.float32())
        elif not _plain(t):
            col = _as_json(col)
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


class CopyFile:
    """A writable file object over a psycopg ``Copy`` for Arrow's CSV writer."""

    def __init__(self, copy) -> None:
        self.copy = copy
        self.closed = False

    def write(self, data) -> int:
        self.copy.write(bytes(data) if not isinstance(data, bytes | bytearray | memoryview) else data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def pg_type(t) -> str:
    """The PostgreSQL column type of an Arrow type (``text`` for anything without a better one)."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        return pg_type(t.value_type)
    for test, name in ((pa.types.is_boolean, "boolean"), (pa.types.is_uint64, "numeric"),
                       (pa.types.is_integer, "bigint"), (pa.types.is_floating, "double precision"),
                       (pa.types.is_decimal, "numeric"), (pa.types.is_date, "date"),
                       (pa.types.is_time, "time"), (pa.types.is_binary, "bytea"),
                       (pa.types.is_large_binary, "bytea")):
        if test(t):
            return name
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    return "text"


def _plain(t) -> bool:
    import pyarrow as pa

    return any(test(t) for test in (pa.types.is_boolean, pa.types.is_integer, pa.types.is_floating,
                                    pa.types.is_decimal, pa.types.is_string, pa.types.is_large_string,
                                    pa.types.is_date, pa.types.is_timestamp, pa.types.is_time,
                                    pa.types.is_null))


def _hex(col):
    import pyarrow as pa

    return pa.array([None if v is None else v.hex() for v in col.to_pylist()], type=pa.string())


def _as_json(col):
    import pyarrow as pa

    return pa.array([None if v is None else json.dumps(v, default=str) for v in col.to_pylist()],
                    type=pa.string())
