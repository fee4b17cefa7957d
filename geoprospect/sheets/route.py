"""The route a deal sheet shows: from the deposit to its plant and on to a magnet maker.

The plant is the capacity allocation's ``assigned_plant_id`` when the ranked rows carry it (a
set-level output), else the row's ``plant_id`` (its best compatible plant, which its logistics
cost is priced to). The chain comes from :func:`geoprospect.routes.plan.chains_through`: the
cheapest unblocked chain whose first plant is that plant, else the deposit's cheapest chain with a
note saying why (the map draws the same chains).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geoprospect.routes.plan import chains_through
from geoprospect.sheets.facts import text_value


@dataclass
class SheetRoute:
    """The chain shown on a sheet.

    Attributes
    ----------
    plant_id : str or None
        The plant the sheet is about (assigned, else the row's best plant).
    assigned : bool
        ``plant_id`` comes from the capacity allocation (``assigned_plant_id``).
    table : dict
        The chosen row of the route table (``export_port``, ``plants``, ``magnet_maker``,
        ``total_km``, ``total_days``, ``cost_usd_per_t_conc``, ``co2_kg_per_t``,
        ``blocked_by``, ``summary``); empty when there is no route.
    legs : geopandas.GeoDataFrame
        Its legs (LineStrings, EPSG:4326), empty when there is no route.
    note : str
        How the chain relates to ``plant_id`` (empty when it starts there).
    """

    plant_id: str | None
    assigned: bool
    table: dict
    legs: object
    note: str = ""
    plant_name: str | None = None


def sheet_plant(row: pd.Series) -> tuple[str | None, bool]:
    """The plant a sheet is about.

    Parameters
    ----------
    row : pandas.Series
        One ranked row.

    Returns
    -------
    (str or None, bool)
        ``assigned_plant_id`` and True when the row has one, else ``plant_id`` and False.
    """
    assigned = text_value(row.get("assigned_plant_id"))
    return (assigned, True) if assigned else (text_value(row.get("plant_id")), False)


def sheet_route(row, network) -> SheetRoute:
    """The chain of one deposit from its plant (see the module docstring).

    Parameters
    ----------
    row : geopandas.GeoDataFrame
        One ranked row (EPSG:4326).
    network : RouteNetwork
        The route network the rows were ranked on.

    Returns
    -------
    SheetRoute
    """
    plant, assigned = sheet_plant(row.iloc[0])
    fac = network.facilities
    names = fac.loc[fac["id"].astype(str) == plant, "name"] if plant else fac["name"].iloc[0:0]
    name = text_value(names.iloc[0]) if len(names) else None
    did = str(row["id"].iloc[0]) if "id" in row else str(row.index[0])
    plan, notes = chains_through(row, network, {did: plant})
    table = plan.table
    if table.empty or table["plants"].isna().all():
        summary = table["summary"].iloc[0] if len(table) else "no route"
        return SheetRoute(plant, assigned, {"summary": summary}, plan.legs.iloc[0:0], plant_name=name)
    note = notes.get(did, "" if plant else "no plant takes this concentrate; the cheapest chain is shown")
    return SheetRoute(plant, assigned, table.iloc[0].to_dict(), plan.legs, note, name)
