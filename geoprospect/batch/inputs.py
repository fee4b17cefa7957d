"""Expand the INPUT arguments of ``geoprospect score`` into an ordered list of layer files.

Each argument may be

* a file (any format :func:`geoprospect.io.read.read_layer` reads);
* a glob (``data/*.gpkg``, ``surveys/**/*.csv``; ``**`` descends into sub-folders), expanded by
  the program itself so that quoting it on the command line works the same on every shell;
* a PostGIS table or query (a :class:`~geoprospect.io.postgis.PostgisSource`, or a
  ``postgresql://`` URI with ``table=`` or ``sql=``), taken as it is;
* a folder: every supported file directly inside it (not in sub-folders), except hidden files,
  temporary files and the sidecar files of a shapefile (``.dbf``, ``.shx``, ...). A folder whose
  files are all ``.parquet`` parts (a partitioned GeoParquet dataset) is read part by part.

Files are taken in sorted order within each argument; arguments keep their order; a file named
twice is read once. A glob that matches nothing, or a folder holding no supported file, is an
error (nothing is silently skipped).
"""

from __future__ import annotations

import glob as _glob
from collections.abc import Iterable
from pathlib import Path

from geoprospect.errors import LayerError
from geoprospect.io.postgis import is_database, parse_source
from geoprospect.io.read import SUPPORTED, layer_extension

GLOB_CHARS = set("*?[")


def supported_extension(path: Path) -> str | None:
    """The format-deciding extension of ``path`` if geoprospect can read it, else None."""

    ext = layer_extension(path)
    return ext if ext in SUPPORTED else None


def _folder_files(folder: Path) -> list[Path]:
    files = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith((".", "~$")) or ".tmp" in p.suffixes:
            continue
        if supported_extension(p) is None:
            continue
        files.append(p)
    return files


def expand_inputs(arguments: Iterable[str | Path]) -> list[Path]:
    """Return the layer files named by files, globs and folders, in a stable order.

    Parameters
    ----------
    arguments : iterable of str or Path
        As given on the command line.

    Returns
    -------
    list of Path

    Raises
    ------
    LayerError
        A path that does not exist, a glob that matches no supported file, a folder without
        any supported file, or a file in an unsupported format.
    """
    out: list[Path] = []
    seen: set = set()
    for arg in arguments:
        if is_database(arg):
            source = parse_source(arg)
            key = (source.uri, source.table, source.sql)
            if key not in seen:
                seen.add(key)
                out.append(source)
            continue
        text = str(arg)
        if GLOB_CHARS & set(text) and not Path(text).exists():
            matches = [Path(m) for m in sorted(_glob.glob(text, recursive=True))]
            found = [m for m in matches if m.is_file() and supported_extension(m) is not None]
            for m in matches:
                if m.is_dir():
                    found.extend(_folder_files(m))
            if not found:
                raise LayerError(f"{text}: the pattern matches no supported layer file")
        else:
            path = Path(text)
            if not path.exists():
                raise LayerError(f"{path}: file not found")
            if path.is_dir():
                found = _folder_files(path)
                if not found:
                    raise LayerError(f"{path}: the folder holds no supported layer file")
            else:
                if supported_extension(path) is None:
                    raise LayerError(f"{path.name}: unsupported format {path.suffix or '(none)'}")
                found = [path]
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(f)
    if not out:
        raise LayerError("no input files given")
    return out
