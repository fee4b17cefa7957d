"""The user's column mapping (``--columns name=DEP_NAME,treo_pct="TREO (%)"`` or a TOML file),
and "did you mean ...?" suggestions from the headers a layer really has.

A mapping names, for canonical columns (:data:`geoprospect.io.schema.DEPOSIT_COLUMNS`) and the
coordinate sources ``lat``, ``lon`` and ``wkt``, the header of the user's layer that holds it.
It wins over the alias table. A header is matched exactly first, then after the normalisation
the alias table uses (``"TREO (%)"`` matches ``treo_pct=treo (%)``).

The columns file is TOML, either a ``[columns]`` table or bare keys::

    [columns]
    name = "DEP_NAME"
    treo_pct = "TREO (%)"
    lat = "LAT_DD"
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from pathlib import Path

from geoprospect.errors import LayerError
from geoprospect.io.schema import COLUMNS_BY_NAME, alias_table, normalise_header

GEOMETRY_SOURCES = ("lat", "lon", "wkt")
"""Mapping targets that are not table columns: where the coordinates (or WKT) are."""

SUGGEST_CUTOFF = 0.6
"""Lowest :class:`difflib.SequenceMatcher` ratio for a header to be suggested."""


@dataclass(frozen=True)
class ColumnMap:
    """Canonical column (or ``lat``/``lon``/``wkt``) -> header of the user's layer.

    Frozen and hashable, so it can travel inside batch settings to worker processes.
    """

    pairs: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.pairs)

    def get(self, target: str) -> str | None:
        """The header mapped to ``target``, or None."""
        return dict(self.pairs).get(target)

    def table_columns(self) -> dict[str, str]:
        """``{header: canonical column}`` for the table columns (coordinates left out)."""
        return {header: target for target, header in self.pairs if target not in GEOMETRY_SOURCES}

    def resolve(self, headers, file: str) -> dict[str, str]:
        """``{actual header: canonical column}`` for ``headers``.

        Raises
        ------
        LayerError
            A mapped header is not in the layer (with the closest header, if any).
        """
        out = {}
        for header, target in self.table_columns().items():
            actual = find_header(header, headers)
            if actual is None:
                raise LayerError(missing_header(file, target, header, headers), option="columns")
            out[actual] = target
        return out

    def merged(self, other: ColumnMap | None) -> ColumnMap:
        """This mapping with ``other``'s entries added (``other`` wins on the same target)."""
        if not other:
            return self
        merged = dict(self.pairs)
        merged.update(dict(other.pairs))
        return ColumnMap(tuple(merged.items()))


def parse_columns(text: str | None) -> ColumnMap:
    """Parse ``name=DEP_NAME,treo_pct="TREO (%)"`` (quotes for headers with commas or spaces).

    Raises
    ------
    LayerError
        An item without ``=``, an unknown canonical column (with the closest one), or a column
        given twice. ``option`` is ``columns``.
    """
    if not text or not text.strip():
        return ColumnMap()
    try:
        items = next(csv.reader([text], skipinitialspace=True))
    except csv.Error as exc:
        raise LayerError(f"cannot read {text!r} ({exc})", option="columns") from None
    pairs: dict[str, str] = {}
    for item in items:
        if not item.strip():
            continue
        target, sep, header = item.partition("=")
        target, header = target.strip(), header.strip().strip('"').strip("'")
        if not sep or not target or not header:
            raise LayerError(f"{item!r}: expected COLUMN=HEADER (e.g. name=DEP_NAME)", option="columns")
        _add(pairs, target, header)
    return ColumnMap(tuple(pairs.items()))


def read_columns_file(path) -> ColumnMap:
    """Read a TOML columns file (a ``[columns]`` table or bare ``column = "HEADER"`` keys).

    Raises
    ------
    LayerError
        Missing or unreadable file, a value that is not text, an unknown canonical column.
        ``option`` is ``columns_file``.
    """
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise LayerError(f"{path}: file not found", option="columns_file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LayerError(f"{path}: cannot read ({exc})", option="columns_file") from None
    except tomllib.TOMLDecodeError as exc:
        raise LayerError(f"{path}: not valid TOML ({exc})", option="columns_file") from None
    table = data.get("columns", data)
    if not isinstance(table, dict):
        raise LayerError(f"{path}: 'columns' must be a table of COLUMN = \"HEADER\"", option="columns_file")
    pairs: dict[str, str] = {}
    for target, header in table.items():
        if not isinstance(header, str) or not header.strip():
            raise LayerError(f"{path}: {target}: the header must be text", option="columns_file")
        try:
            _add(pairs, str(target).strip(), header.strip())
        except LayerError as exc:
            raise LayerError(f"{path}: {exc}", option="columns_file") from None
    return ColumnMap(tuple(pairs.items()))


def column_map(columns: str | None = None, columns_file=None) -> ColumnMap | None:
    """The mapping of ``--columns-file`` and ``--columns`` together (``--columns`` wins)."""
    base = read_columns_file(columns_file) if columns_file else ColumnMap()
    combined = base.merged(parse_columns(columns))
    return combined or None


def _add(pairs: dict, target: str, header: str) -> None:
    if target not in COLUMNS_BY_NAME and target not in GEOMETRY_SOURCES:
        hint = suggest(target, [*COLUMNS_BY_NAME, *GEOMETRY_SOURCES])
        raise LayerError(f"{target!r} is not a column of the deposit schema"
                         + (f" (did you mean {hint}?)" if hint else ""), option="columns")
    if target in pairs:
        raise LayerError(f"{target!r} is mapped twice", option="columns")
    pairs[target] = header


def find_header(wanted: str, headers) -> str | None:
    """The header in ``headers`` that is ``wanted``: exactly, else after normalisation."""
    headers = [str(h) for h in headers]
    if wanted in headers:
        return wanted
    key = normalise_header(wanted)
    hits = [h for h in headers if normalise_header(h) == key]
    return hits[0] if len(hits) == 1 else None


def suggest(word: str, candidates) -> str | None:
    """The candidate closest to ``word`` (compared normalised), or None when none is close."""
    candidates = [str(c) for c in candidates]
    keys = {normalise_header(c): c for c in candidates}
    hit = difflib.get_close_matches(normalise_header(word), list(keys), n=1, cutoff=SUGGEST_CUTOFF)
    return keys[hit[0]] if hit else None


def suggest_header(column: str, headers) -> str | None:
    """The unmapped header most like canonical ``column`` or one of its aliases, or None.

    Used when a layer has no ``column``: ``DEPNAME`` for ``name``, ``CNTRY`` for ``country``.
    """
    names = [column] + [alias for alias, (target, _) in alias_table().items() if target == column]
    best, score = None, SUGGEST_CUTOFF
    for header in headers:
        key = normalise_header(header)
        for name in names:
            ratio = difflib.SequenceMatcher(None, key, name).ratio()
            if ratio > score:
                best, score = str(header), ratio
    return best


def missing_header(file: str, target: str, header: str, headers) -> str:
    """The message for a mapped header that the layer does not have."""
    hint = suggest(header, headers)
    shown = ", ".join(map(str, list(headers)[:12]))
    tail = f"; did you mean {hint}?" if hint else f"; its columns are {shown}"
    return f"{file}: {target}={header}: the layer has no column {header!r}{tail}"
