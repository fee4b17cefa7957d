"""``geoprospect routes``: processing routes of deposits (plants, ports, sea legs, magnet makers)."""

from __future__ import annotations

import click

from geoprospect.cli.database import database_options
from geoprospect.cli.options import output_option, overwrite_option, read_options
from geoprospect.cli.rows import finish, load_rows, network_rows, nothing_left, policy_options
from geoprospect.cli.scenario import build_network, scenario_options
from geoprospect.errors import LayerError
from geoprospect.io.bundled import data_date
from geoprospect.io.bundled import layer_path as bundled_path
from geoprospect.io.postgis import is_database
from geoprospect.io.report import RowReport
from geoprospect.io.write import write_table
from geoprospect.routes import build_routes

GEO_EXTENSIONS = (".geojson", ".geojsonl", ".gpkg", ".parquet", ".fgb")


@click.command()
@click.argument("layer_path", required=False, type=click.Path(dir_okay=False))
@read_options
@click.option("--deposit", "deposit", default=None, metavar="ID|NAME",
              help="Only this deposit (id, or a case-insensitive part of its name).")
@click.option("--k", "k", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Routes per deposit (best + alternatives).")
@scenario_options
@output_option()
@overwrite_option
@click.option("--raw-csv", is_flag=True,
              help="CSV output: write text exactly as it is (no ' before =, +, -, @; for programs).")
@database_options(inputs="layer_path")
@policy_options
@click.pass_context
def routes(ctx, layer_path, layer, crs, encoding, columns, deposit, k, investor, as_of, lift_policy,
           apply_policy, avoid, status, avoid_passage, to, network_path, output, overwrite, raw_csv,
           strict, as_json):
    """Best processing route and alternatives for the deposits in LAYER_PATH (default: bundled).

    Each route runs deposit -> export port -> sea -> plants (cracking, separation, metal/alloy)
    -> a magnet maker in the --to market, with km, days, USD and CO2 per tonne of concentrate.
    -o writes the route table (.csv .json .xlsx) or, for map formats (.geojson .gpkg .parquet
    .fgb .geojsonl) and PostGIS (-o postgresql://... --table ...), one LineString per leg with
    the route totals, styled by mode for QGIS. Rows with errors are skipped and reported (exit 3;
    --strict: exit 2).
    """

    report = RowReport()
    gdf = load_rows([layer_path or str(bundled_path("deposits.geojson"))], layer=layer, crs=crs,
                    encoding=encoding, columns=columns, strict=strict, report=report)
    nothing_left(report)
    if deposit:
        gdf = _select(gdf, deposit)
    network = build_network(avoid, status, avoid_passage, to, network_path, investor, as_of, lift_policy,
                            apply_policy)
    skipped_network = network_rows(network, strict=strict) if network_path else None
    plan = build_routes(gdf, network, k=k)
    if plan.table.empty:
        raise LayerError("no deposits to route")
    if not as_json:
        _print(plan, network)
        if deposit:
            _print_plants(gdf, network)
    if output:
        from pathlib import Path


        style = None
        if is_database(output) or Path(output).suffix.lower() in GEO_EXTENSIONS:
            totals = plan.table.drop(columns=["summary"])
            frame = plan.legs.merge(totals, on=["deposit_id", "alternative"], how="left")
            from geoprospect.maps.qgis import route_style

            style = route_style()
        else:
            frame = plan.table
        write_table(frame, output, overwrite=overwrite, style=style, guard_csv=not raw_csv,
                    metadata={"routes": network.describe(), "data_date": data_date()})
        click.echo(f"wrote {len(frame)} rows to {output}", err=True)
    finish(ctx, report, as_json=as_json, network=skipped_network)


def _select(gdf, wanted: str):

    ids = gdf["id"].astype(str) if "id" in gdf.columns else gdf.index.astype(str)
    hit = gdf[ids.str.lower() == wanted.lower()]
    if hit.empty and "name" in gdf.columns:
        hit = gdf[gdf["name"].astype(str).str.lower().str.contains(wanted.lower(), regex=False)]
    if hit.empty:
        raise LayerError(f"--deposit {wanted!r}: no deposit with that id or name")
    return hit


def _print(plan, network) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160, stderr=False)
    console.print(f"[bold]Routes[/bold]: {network.describe()}", markup=True, highlight=False)
    t = Table(show_lines=False)
    for col in ("deposit", "alt", "port", "plants", "magnet maker", "km", "days", "USD/t conc",
                "USD/t NdPr", "kg CO2/t", "blocked by"):
        t.add_column(col, overflow="fold")
    fmt = lambda v, spec: "" if v != v or v is None else format(v, spec)  # noqa: E731
    for rec in plan.table.to_dict("records"):
        t.add_row(*(str(x) if x is not None and x == x else "" for x in (
            rec["deposit_id"], rec["alternative"], rec["export_port"], rec["plants"], rec["magnet_maker"])),
            fmt(rec["total_km"], ",.0f"), fmt(rec["total_days"], ".1f"),
            fmt(rec["cost_usd_per_t_conc"], ",.0f"),
            fmt(rec["cost_usd_per_t_ndpr"], ",.0f"), fmt(rec["co2_kg_per_t"], ",.0f"),
            rec["blocked_by"] if isinstance(rec["blocked_by"], str) else "")
    console.print(t)
    for rec in plan.table[plan.table["alternative"] == 0].to_dict("records"):
        console.print(rec["summary"], markup=False, highlight=False)


def _print_plants(gdf, network) -> None:
    """The plants the selected deposit could go to, asked about alone: spare capacity after
    contracted feed and the cheapest logistics to each (the set-level allocation is rank's)."""
    from rich.console import Console
    from rich.table import Table

    from geoprospect.io.anchors import deposit_anchors
    from geoprospect.routes.allocation import plant_options

    console = Console(width=160, stderr=False)
    for i in range(len(gdf)):
        row = gdf.iloc[i:i + 1]
        given = row["product"].iloc[0] if "product" in row else None
        if not isinstance(given, str) and "id" in row:  # the deposit's own study's product
            given = deposit_anchors(row["id"].astype(str).tolist())["product"].iloc[0] or None
        product = given if given in ("concentrate", "mixed_chemical") else "concentrate"
        options, reason = plant_options(row, network, product)
        name = row["name"].iloc[0] if "name" in row else row["id"].iloc[0]
        if options.empty:
            console.print(f"{name}: no plant open to its {product.replace('_', ' ')}: {reason}",
                          markup=False, highlight=False)
            continue
        t = Table(title=f"Plants open to {name}'s {product.replace('_', ' ')} "
                        "(spare t/yr after contracted feed; blank: not published)")
        for col in ("plant", "country", "capacity t/yr", "contracted t/yr", "spare t/yr", "own", "USD/t"):
            t.add_column(col, overflow="fold")
        num = lambda v: "" if v != v else f"{v:,.0f}"  # noqa: E731
        for rec in options.to_dict("records"):
            t.add_row(f"{rec['plant_id']} ({rec['name']})", rec["country"], num(rec["capacity_tpa"]),
                      num(rec["contracted_tpa"]), num(rec["spare_tpa"]), "yes" if rec["own"] else "",
                      num(rec["cost_usd_t"]))
        console.print(t)
