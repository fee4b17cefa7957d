"""Transport cost, speed, circuity and CO2 parameters read from the bundled ``costs.csv``.

Where the table holds several sourced rows for one parameter (a low and a high quote), the
central value is their mean. ``road+rail`` corridors use the mean of the road and rail values.
Missing parameters raise :class:`~geoprospect.errors.RouteError` naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geoprospect.errors import RouteError
from geoprospect.io.bundled import layer_path

KNOT_KMH = 1.852
LAND_MODES = ("road", "rail", "road+rail")
REQUIRED = (
    "road_freight", "rail_freight", "sea_freight_bulk", "port_handling", "road_speed", "rail_speed",
    "sea_speed", "road_circuity", "rail_circuity", "co2_road", "co2_rail", "co2_sea",
)


@dataclass(frozen=True)
class CostTable:
    """Central values of the cost parameters (``values[parameter]``) and their units."""

    values: dict[str, float]
    units: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> float:
        """Central value of one parameter; RouteError when the table has no number for it."""
        if name not in self.values:
            raise RouteError(f"costs.csv: no value for parameter {name!r}")
        return self.values[name]

    def _mode(self, prefix: str, mode: str, suffix: str = "") -> float:
        if mode == "road+rail":
            return (self._mode(prefix, "road", suffix) + self._mode(prefix, "rail", suffix)) / 2
        if mode not in ("road", "rail", "sea"):
            raise RouteError(f"unknown transport mode {mode!r} (road, rail, road+rail, sea)")
        return self.get(f"{prefix}{mode}{suffix}")

    def rate(self, mode: str) -> float:
        """Freight rate, USD per tonne-km."""
        return self.get("sea_freight_bulk") if mode == "sea" else self._mode("", mode, "_freight")

    def circuity(self, mode: str) -> float:
        """Network km per great-circle km for a land mode."""
        return self._mode("", mode, "_circuity")

    def speed_kmh(self, mode: str) -> float:
        """Average speed in km/h (sea speed is stored in knots)."""
        if mode == "sea":
            return self.get("sea_speed") * KNOT_KMH
        return self._mode("", mode, "_speed")

    def co2(self, mode: str) -> float:
        """kg CO2 (or CO2e where the source says so) per tonne-km."""
        return self._mode("co2_", mode)

    @property
    def port_handling(self) -> float:
        """USD per tonne handled at one port call (export or import)."""
        return self.get("port_handling")

    def fingerprint(self) -> tuple:
        """Hashable summary, for cache keys."""
        return tuple(sorted(self.values.items()))


def load_costs(path: str | Path | None = None) -> CostTable:
    """Read ``costs.csv`` (bundled by default) into a :class:`CostTable`.

    Parameters
    ----------
    path : str or Path, optional
        A costs table with columns ``parameter, mode, value, unit``.

    Returns
    -------
    CostTable
    """
    if path is None:

        path = layer_path("costs.csv")
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise RouteError(f"{path}: cannot read cost table ({exc})") from None
    missing = {"parameter", "value", "unit"} - set(table.columns)
    if missing:
        raise RouteError(f"{path}: cost table lacks column(s) {', '.join(sorted(missing))}")
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    table = table.dropna(subset=["value"])
    values = table.groupby("parameter")["value"].mean().astype(float).to_dict()
    units = table.groupby("parameter")["unit"].first().astype(str).to_dict()
    absent = [p for p in REQUIRED if p not in values]
    if absent:
        raise RouteError(f"{path}: no numeric value for {', '.join(absent)}")
    return CostTable(values=values, units=units)
