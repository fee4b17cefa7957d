"""Locate the data geoprospect ships with: ``layers/`` and ``models/``.

In a source checkout (editable install) they sit at the repository root beside the package;
in an installed wheel they are copied into ``geoprospect/_bundled/``. Both layouts work.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _find(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE_DIR}")


def layers_dir() -> Path:
    """Return the folder of bundled GIS layers and reference tables."""
    return _find("layers")


def models_dir() -> Path:
    """Return the folder of bundled trained models."""
    return _find("models")


def layer_path(filename: str) -> Path:
    """Return the path of one bundled layer file, e.g. ``"deposits.geojson"``."""
    path = layers_dir() / filename
    if not path.exists():
        raise FileNotFoundError(f"bundled layer {filename!r} is missing from {path.parent}")
    return path


def catalog():
    """Return the catalogue of bundled layers (``layers/catalog.csv``) as a DataFrame.

    Columns: ``file``, ``title``, ``kind``, ``data_date``, ``licence``, ``sources``.
    """
    import pandas as pd

    return pd.read_csv(layers_dir() / "catalog.csv", dtype=str, keep_default_na=False)


def data_date() -> str:
    """Return the newest ``data_date`` of the bundled layers (ISO date), for output metadata."""
    dates = [d for d in catalog()["data_date"] if d]
    return max(dates) if dates else ""


def row_count(filename: str) -> int:
    """Count the features/rows of one bundled layer without loading it fully."""
    path = layer_path(filename)
    if path.suffix == ".csv":
        import pandas as pd

        return len(pd.read_csv(path, dtype=str))
    import pyogrio

    return int(pyogrio.read_info(path)["features"])
