"""Columnar map payloads: one JSON object of arrays per dataset, with short keys.

A payload is::

    {"n": rows,
     "x": [lon, ...], "y": [lat, ...],      # point coordinates (null where not a point)
     "g": [null, {GeoJSON geometry}, ...],  # only when some rows are lines or polygons
     "c": {"nm": [...], "sc": [...], ...},  # one array per column; all-empty columns left out
     "d": {"dt": ["carbonatite", ...]},     # dictionary columns: rows hold an index
     "t": {"ro": ["road {} km → {} → ..."]}}# template columns: rows hold "index number number"

Text arrives here already escaped (:mod:`geoprospect.maps.safe`); each text column is written in
whichever of three lossless forms is smallest: plain strings, indices into a dictionary of the
distinct values, or indices into a dictionary of *templates* (the text with every digit run
replaced by ``{}``) followed by the digit runs, space-separated — the usual shape of generated
text such as ``"road 1,343 km → INGPR → sea 3,564 km → ...; USD 188/t conc., 8.8 d"``, whose
ports, plants and modes repeat while the numbers do not. Escaped text holds no ``{`` or ``}`` (they
are character references), so the placeholder is unambiguous. Numbers are rounded and written as
integers where they are whole. The page's runtime (``GP.Table`` in ``static/geoprospect_map.js``)
decodes a cell only when a popup, tooltip or search needs it.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
"""A digit run as it appears in generated text: ``1,343``, ``8.8``, ``2018``."""


class Columns:
    """Collect the columns of one payload.

    Parameters
    ----------
    n : int
        Number of rows; every column must have this length.
    """

    def __init__(self, n: int):
        self.n = n
        self.cols: dict[str, list] = {}
        self.dicts: dict[str, list] = {}
        self.templates: dict[str, list] = {}

    def text(self, key: str, escaped: pd.Series) -> None:
        """Add a column of escaped text (``None`` where missing) in its smallest form."""
        values = pd.Series(np.asarray(escaped, dtype=object))
        present = values.notna().to_numpy()
        if not present.any():
            return
        _check_length(key, len(values), self.n)
        text = values.astype("string")
        plain = _plain_size(text)
        best, form = plain, ("plain",)
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        uniques = [str(u) for u in uniques]
        size = _dict_size(codes, uniques)
        if size < best:
            best, form = size, ("dict", codes, uniques)
        template = _templates(codes, uniques) if len(uniques) > len(text) // 4 else None
        if template is not None:
            cells, shapes = template
            size = _plain_size(cells) + sum(len(u) + 3 for u in shapes)
            if size < best:
                best, form = size, ("template", cells, shapes)
        if form[0] == "plain":
            self.cols[key] = _objects(text)
        elif form[0] == "dict":
            self.cols[key] = [int(c) if c >= 0 else None for c in form[1]]
            self.dicts[key] = form[2]
        else:
            self.cols[key] = _objects(form[1])
            self.templates[key] = form[2]

    def number(self, key: str, values, digits: int) -> None:
        """Add a numeric column rounded to ``digits`` (whole numbers as integers)."""
        if values is None:
            return
        num = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
        num = num.astype(float).to_numpy()
        _check_length(key, len(num), self.n)
        with np.errstate(over="ignore", invalid="ignore"):
            rounded = np.round(num, digits)
        rounded = np.where(np.isfinite(rounded), rounded, num)  # 1e307 overflows when rounded
        ok = np.isfinite(rounded)
        if not ok.any():
            return
        whole = ok & (rounded == np.trunc(rounded)) & (np.abs(rounded) < 2.0**53)
        out = np.full(len(num), None, dtype=object)
        out[whole] = [int(v) for v in rounded[whole]]
        frac = ok & ~whole
        out[frac] = rounded[frac].tolist()
        self.cols[key] = out.tolist()

    def raw(self, key: str, values: list) -> None:
        """Add a column as given (numbers or fixed keys the caller built; no text from layers)."""
        _check_length(key, len(values), self.n)
        self.cols[key] = list(values)

    def payload(self, geometry: dict | None = None) -> dict:
        """The payload: ``n``, the geometry arrays (:func:`geometry_arrays`) and the columns."""
        out: dict = {"n": self.n}
        if geometry:
            out.update(geometry)
        out["c"] = self.cols
        if self.dicts:
            out["d"] = self.dicts
        if self.templates:
            out["t"] = self.templates
        return out


def geometry_arrays(gdf, digits: int = 5) -> dict:
    """``{"x": [...], "y": [...]}`` for points and, when there are others, ``"g"`` for them.

    Point coordinates are rounded to ``digits`` decimals (5: about a metre); lines and polygons
    are snapped to the same grid with :func:`shapely.set_precision` and written as GeoJSON
    geometries (``None`` in ``g`` where the row is a point, ``None`` in ``x``/``y`` where not).
    """
    import shapely

    geom = gdf.geometry.to_numpy()
    n = len(geom)
    is_point = np.asarray(shapely.get_type_id(geom) == 0, dtype=bool)
    x = np.full(n, None, dtype=object)
    y = np.full(n, None, dtype=object)
    if is_point.any():
        xy = np.round(shapely.get_coordinates(geom[is_point]), digits)
        x[is_point] = xy[:, 0].tolist()
        y[is_point] = xy[:, 1].tolist()
    out = {"x": x.tolist(), "y": y.tolist()}
    others = np.flatnonzero(~is_point)
    if others.size:
        g = np.full(n, None, dtype=object)
        rounded = shapely.set_precision(geom[others], 10.0 ** -digits)
        g[others] = [json.loads(s) for s in shapely.to_geojson(rounded)]
        out["g"] = g.tolist()
        if not is_point.any():
            del out["x"], out["y"]
    return out


def decode(payload: dict, key: str) -> list:
    """Decode one column back to its escaped text or numbers (the runtime's ``GP.Table.get``).

    Used by tests and tools; the page decodes in JavaScript the same way.
    """
    values = payload["c"].get(key)
    if values is None:
        return [None] * payload["n"]
    if key in payload.get("d", {}):
        table = payload["d"][key]
        return [None if v is None else table[v] for v in values]
    if key in payload.get("t", {}):
        shapes = [t.split("{}") for t in payload["t"][key]]
        out = []
        for cell in values:
            if cell is None:
                out.append(None)
                continue
            code, *runs = cell.split(" ")
            pieces = shapes[int(code)]
            out.append(pieces[0] + "".join(r + p for r, p in zip(runs, pieces[1:], strict=True)))
        return out
    return list(values)


def _templates(codes: np.ndarray, uniques: list[str], sample: int = 2000):
    """``(cells, templates)`` of the template form, or ``None`` when the text does not repeat
    once its digit runs are taken out (judged on a sample of the distinct values first).

    Works on the distinct values, then spreads them over the rows by ``codes`` (``-1`` = missing).
    """
    if not uniques or any("{" in u for u in uniques):
        return None
    probe = uniques if len(uniques) <= sample else [uniques[i] for i in
                                                    np.linspace(0, len(uniques) - 1, sample).astype(int)]
    if len({DIGITS.sub("{}", u) for u in probe}) > len(probe) // 2:
        return None
    shapes = [DIGITS.sub("{}", u) for u in uniques]
    t_codes, t_uniques = pd.factorize(pd.Series(shapes, dtype=object))
    per_unique = np.array([f"{c} {' '.join(DIGITS.findall(u))}" if DIGITS.search(u) else str(c)
                           for c, u in zip(t_codes, uniques, strict=True)], dtype=object)
    cells = np.where(codes < 0, None, per_unique[np.maximum(codes, 0)])
    return pd.Series(cells, dtype="string"), [str(t) for t in t_uniques]


def _objects(text: pd.Series) -> list:
    return text.astype(object).where(text.notna(), None).tolist()


def _plain_size(text: pd.Series) -> int:
    lengths = text.str.len()
    return int(lengths.fillna(0).sum() + 3 * lengths.notna().sum() + 5 * lengths.isna().sum())


def _dict_size(codes: np.ndarray, uniques: list) -> int:
    digits = np.where(codes < 0, 4, np.floor(np.log10(np.maximum(codes, 1))) + 2)
    return int(digits.sum() + sum(len(str(u)) + 3 for u in uniques))


def _check_length(key: str, length: int, n: int) -> None:
    if length != n:
        raise ValueError(f"column {key!r} has {length} values for {n} rows")
