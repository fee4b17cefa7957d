"""WKB columns as PostGIS takes them, vectorised over an Arrow ``binary`` array.

* :func:`geometry_kinds` reads each geometry's type and dimensions from its WKB header (ISO
  codes such as 1001 for Point Z, or the extended flags shapely writes) without parsing it;
* :func:`ewkb_hex` inserts an SRID into every WKB (PostGIS extended WKB) and hex-encodes it,
  the text form PostGIS reads in ``COPY``: a column constrained to another SRID then refuses the
  rows instead of reading lon/lat as its own coordinates.
"""

from __future__ import annotations

import numpy as np

TYPE_NAMES = {1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
              6: "MultiPolygon", 7: "GeometryCollection"}
_Z, _M, _SRID = 0x80000000, 0x40000000, 0x20000000
_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype="<u2")


def _parts(array):
    """(validity buffer, int64 offsets, uint8 data) of a binary or large_binary array."""
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_large_binary(array.type):
        width = np.int64
    elif pa.types.is_binary(array.type):
        width = np.int32
    else:
        raise TypeError(f"expected a binary array of WKB, got {array.type}")
    bufs = array.buffers()
    offsets = np.frombuffer(bufs[1], dtype=width)[array.offset: array.offset + len(array) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    valid = np.asarray(array.is_valid()) if array.null_count else np.ones(len(array), dtype=bool)
    return array, valid, offsets.astype(np.int64), data


def _type_codes(offsets: np.ndarray, data: np.ndarray, rows: np.ndarray) -> np.ndarray:
    start = offsets[rows]
    head = data[start[:, None] + np.arange(5)]
    little = head[:, 0] == 1
    le = head[:, 1:5].astype(np.uint32) << np.array([0, 8, 16, 24], dtype=np.uint32)
    be = head[:, 1:5].astype(np.uint32) << np.array([24, 16, 8, 0], dtype=np.uint32)
    return np.where(little, le.sum(axis=1), be.sum(axis=1)).astype(np.uint32)


def geometry_kinds(array) -> set[str]:
    """PostGIS type names (``Point``, ``LineStringZ``, ...) of the non-null WKB in ``array``."""
    array, valid, offsets, data = _parts(array)
    rows = np.flatnonzero(valid & (offsets[1:] - offsets[:-1] >= 5))
    if not len(rows):
        return set()
    codes = _type_codes(offsets, data, rows)
    kinds = set()
    for code in np.unique(codes):
        code = int(code)
        z, m = bool(code & _Z), bool(code & _M)
        simple = code & 0x0FFFFFFF
        z, m = z or simple // 1000 in (1, 3), m or simple // 1000 in (2, 3)
        name = TYPE_NAMES.get(simple % 1000, "Geometry")
        kinds.add(name + ("Z" if z else "") + ("M" if m else ""))
    return kinds


def column_type(kinds: set[str]) -> str:
    """The geometry type of a column holding ``kinds``: one of them, ``Geometry`` for mixed
    types of equal dimensions, or ``None`` (no type modifier) for mixed dimensions."""
    if len(kinds) == 1:
        return next(iter(kinds))
    dims = {k[len(k.rstrip("ZM")):] for k in kinds}
    if len(dims) > 1:
        return ""
    return "Geometry" + (dims.pop() if dims else "")


def ewkb_hex(array, srid: int):
    """Hex extended WKB with ``srid`` of every WKB in ``array`` (an Arrow string array; nulls
    stay null; a WKB that already carries an SRID is kept as it is)."""
    import pyarrow as pa

    array, valid, offsets, data = _parts(array)
    n = len(array)
    lengths = np.where(valid, offsets[1:] - offsets[:-1], 0)
    has = valid & (lengths >= 5)
    rows = np.flatnonzero(has)
    codes = _type_codes(offsets, data, rows)
    has[rows[(codes & _SRID) != 0]] = False
    little = np.zeros(n, dtype=bool)
    little[has] = data[offsets[:-1][has]] == 1
    new_lengths = lengths + 4 * has
    new_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(new_lengths, out=new_offsets[1:])
    srid_bytes = {True: np.frombuffer(int(srid).to_bytes(4, "little"), np.uint8),
                  False: np.frombuffer(int(srid).to_bytes(4, "big"), np.uint8)}
    size = int(lengths[rows[0]]) if len(rows) else 0
    if has.all() and (lengths == size).all() and little.all() and n:  # e.g. 2D points: one reshape
        records = data[offsets[0]: offsets[0] + n * size].reshape(n, size)
        out = np.concatenate([records[:, :5], np.broadcast_to(srid_bytes[True], (n, 4)),
                              records[:, 5:]], axis=1).reshape(-1)
    else:
        out = _inserted(data, offsets, has, little, new_offsets, new_lengths, srid_bytes)
    flag_at = new_offsets[:-1][has] + np.where(little[has], 4, 1)  # the type's most significant byte
    out[flag_at] |= 0x20
    hexed = _HEX[out]
    return pa.Array.from_buffers(
        pa.large_string(), n,
        [pa.array(valid).buffers()[1] if not valid.all() else None,
         pa.py_buffer((new_offsets * 2).astype(np.int64)), pa.py_buffer(hexed.tobytes())],
        null_count=int((~valid).sum()))


def _inserted(data, offsets, has, little, new_offsets, new_lengths, srid_bytes) -> np.ndarray:
    """Every WKB with 4 SRID bytes after its 5-byte header (where ``has``), byte by byte."""
    total = int(new_offsets[-1])
    row = np.repeat(np.arange(len(has)), new_lengths)
    j = np.arange(total) - new_offsets[:-1][row]
    src = offsets[:-1][row] + j - np.where(has[row] & (j >= 9), 4, 0)
    in_srid = has[row] & (j >= 5) & (j < 9)
    out = data[np.where(in_srid, 0, src)] if len(data) else np.zeros(total, np.uint8)
    k = j[in_srid] - 5
    out[in_srid] = np.where(little[row[in_srid]], srid_bytes[True][k], srid_bytes[False][k])
    return out


_NIBBLE = np.full(256, 0, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _NIBBLE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _NIBBLE[_c] = 10 + _i


def unhex(array):
    """An Arrow ``binary`` array of the bytes each hex string of ``array`` spells (nulls kept)."""
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    if array.offset:
        array = pa.concat_arrays([array])  # own buffers: the validity bitmap starts at row 0
    bufs = array.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[array.offset: array.offset + len(array) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    text = data[offsets[0]: offsets[-1]]
    pairs = text.reshape(-1, 2) if len(text) % 2 == 0 else text[:-1].reshape(-1, 2)
    raw = (_NIBBLE[pairs[:, 0]] << 4) | _NIBBLE[pairs[:, 1]]
    new_offsets = ((offsets - offsets[0]) // 2).astype(np.int64)
    validity = array.buffers()[0] if array.null_count else None
    return pa.Array.from_buffers(pa.large_binary(), len(array),
                                 [validity, pa.py_buffer(new_offsets), pa.py_buffer(raw.tobytes())],
                                 null_count=array.null_count, offset=0)
