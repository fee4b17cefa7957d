"""Fast WKB writing for the common batch case: a column of 2D points.

GEOS writes WKB one geometry at a time; a 2D point in little-endian WKB is a fixed 21-byte
record (byte order 1, type 1, x, y as float64), so a whole column of them is written with one
numpy structured array. Anything else (other geometry types, Z, empty points, big-endian
machines) is written by :func:`shapely.to_wkb`, and the output is byte for byte the same.
(Reading is left to :func:`shapely.from_wkb`: building the shapely points costs as much as
parsing them, measured at 0.53 µs vs 0.56 µs per point.)
"""

from __future__ import annotations

import numpy as np

POINT_WKB_SIZE = 21
_RECORD = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
assert _RECORD.itemsize == POINT_WKB_SIZE


def encode(geometries: np.ndarray):
    """An Arrow ``binary`` array of WKB for shapely geometries (null for None).

    Parameters
    ----------
    geometries : numpy.ndarray of object
        Shapely geometries or None.

    Returns
    -------
    pyarrow.Array
        What ``pyarrow.array(shapely.to_wkb(geometries), type=pyarrow.binary())`` gives.
    """
    import pyarrow as pa
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    present = ~shapely.is_missing(geoms)
    g = geoms[present]
    fast = (np.little_endian and len(g) > 0
            and bool(np.all(shapely.get_type_id(g) == 0))
            and not bool(np.any(shapely.has_z(g) | shapely.is_empty(g))))
    if not fast:
        return pa.array(shapely.to_wkb(geoms), type=pa.binary())
    rec = np.empty(len(g), dtype=_RECORD)
    rec["order"], rec["type"] = 1, 1
    rec["x"], rec["y"] = shapely.get_x(g), shapely.get_y(g)
    sizes = np.where(present, POINT_WKB_SIZE, 0).astype(np.int32)
    offsets = np.zeros(len(geoms) + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    validity = None if present.all() else pa.array(present).buffers()[1]
    return pa.Array.from_buffers(pa.binary(), len(geoms),
                                 [validity, pa.py_buffer(offsets), pa.py_buffer(rec.tobytes())],
                                 null_count=int((~present).sum()))
