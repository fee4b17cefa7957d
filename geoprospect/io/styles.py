"""Store a QGIS layer style with an output, so that the file opens styled in QGIS.

* GeoPackage: a row in the ``layer_styles`` table (QML and SLD, ``useAsDefault``), the table QGIS
  itself creates and reads: QGIS applies it when the layer is opened.
* GeoParquet, FlatGeobuf: a sidecar ``<name>.qml`` beside the file, which QGIS loads as the
  layer's default style.

The styles themselves (colours of the map's ramp) are built by :mod:`geoprospect.maps.qgis`;
this module only stores what it is given. A ``layer_styles`` table is not data:
:func:`data_layers` leaves it out when a GeoPackage's layers are counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

STYLE_TABLE = "layer_styles"
SIDECAR_FORMATS = (".parquet", ".fgb")


@dataclass(frozen=True)
class LayerStyle:
    """A named QGIS style: QML (what QGIS applies) and SLD (for other clients)."""

    name: str
    qml: str
    sld: str
    description: str = ""


def data_layers(names) -> list[str]:
    """The layer names of a container without the QGIS style table."""
    return [str(n) for n in names if str(n) != STYLE_TABLE]


def store_gpkg_style(path: str | Path, layer: str, style: LayerStyle, geometry_column: str = "geom") -> None:
    """Add ``style`` as the default style of ``layer`` to the GeoPackage ``path`` (a file being
    written; GDAL creates and registers the ``layer_styles`` table as QGIS does)."""
    import pandas as pd
    import pyogrio

    row = pd.DataFrame({
        "f_table_catalog": [""], "f_table_schema": [""], "f_table_name": [layer],
        "f_geometry_column": [geometry_column], "styleName": [style.name], "styleQML": [style.qml],
        "styleSLD": [style.sld], "useAsDefault": [True], "description": [style.description],
        "owner": [""], "ui": [None], "update_time": [_now_ms()],
    })
    pyogrio.write_dataframe(row, str(path), layer=STYLE_TABLE, driver="GPKG", append=True)


def _now_ms():
    """Now in UTC with a non-zero millisecond part: GDAL then writes the GeoPackage's
    ``YYYY-MM-DDTHH:MM:SS.SSSZ`` (it leaves out a zero fraction, which readers flag)."""
    import pandas as pd

    now = pd.Timestamp.now(tz="UTC").floor("ms")
    return now if now.microsecond else now + pd.Timedelta(milliseconds=1)


def sidecar_path(path: str | Path) -> Path:
    """``x.parquet`` -> ``x.qml`` (the file QGIS looks for beside a layer)."""
    path = Path(path)
    return path.with_suffix(".qml")


def write_sidecar(path: str | Path, style: LayerStyle, *, overwrite: bool = False) -> Path | None:
    """Write ``style`` as the sidecar ``.qml`` of ``path`` (atomically).

    An existing ``.qml`` is replaced only with ``overwrite`` (it may be the user's own style);
    otherwise it is left alone, with a log line. Returns the written path, or None.
    """
    from geoprospect.io.write import written

    qml = sidecar_path(path)
    if qml.exists() and not overwrite:
        log.warning("%s exists; left as it is (overwrite to replace it with geoprospect's style)", qml)
        return None
    with written(qml, overwrite=True) as tmp:
        tmp.write_text(style.qml, encoding="utf-8")
    return qml
