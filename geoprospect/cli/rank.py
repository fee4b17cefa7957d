"""``geoprospect rank``: score and rank deposits, print the top, write a table and a map."""

from __future__ import annotations

import click

from geoprospect.cli import quiet
from geoprospect.cli.database import database_options
from geoprospect.cli.options import (
    boundaries_option,
    country_option,
    map_boundaries,
    output_option,
    overwrite_option,
    parse_countries,
    plant_use,
    raster_option,
    read_options,
    valuation_options,
    weights_option,
)
from geoprospect.cli.progress import Bar
from geoprospect.cli.rows import finish, load_rows, network_rows, nothing_left, policy_options
from geoprospect.cli.scenario import parse_scenario, scenario_options
from geoprospect.errors import LayerError
from geoprospect.features.covariates import sample_rasters
from geoprospect.io.bundled import data_date, layer_path
from geoprospect.io.reference import price_deck
from geoprospect.io.report import RowReport
from geoprospect.io.write import write_table
from geoprospect.maps import make_map, save_map
from geoprospect.maps.qgis import style_for
from geoprospect.pipeline import RANK_DRAWS, Valuation, top_table
from geoprospect.pipeline import rank as rank_deposits

PROGRESS_FROM = 5_000
"""Rows from which rank shows a progress bar (on a terminal, without -q)."""


@click.command()
@click.argument("layers", nargs=-1, type=click.Path(dir_okay=False))
@read_options
@country_option
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="A valuation .skops model (default: the bundled one; `geoprospect train`).")
@valuation_options
@click.option("--prices", "prices_path", type=click.Path(dir_okay=False), default=None,
              help="Your own price deck (columns product, price_usd_per_kg, period).")
@weights_option
@click.option("--top", type=int, default=15, show_default=True, help="Rows to print.")
@click.option("--draws", type=click.IntRange(min=0), default=RANK_DRAWS, show_default=True,
              help="Monte Carlo draws of the NPV band and P(top-10); 0 disables the band.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--exclude-flagged", is_flag=True,
              help="Leave out deposits with a flag that blocks the investor (its profile's exclusions, "
                   "a state reservation, an export bar).")
@click.option("--exclude-committed", is_flag=True,
              help="Leave out deposits whose NdPr output is wholly committed to offtakes in force.")
@scenario_options
@raster_option
@output_option()
@overwrite_option
@click.option("--map", "map_path", type=click.Path(dir_okay=False), default=None,
              help="Also publish an interactive HTML map.")
@click.option("--offline", is_flag=True, help="Make the map self-contained (no network).")
@click.option("--routes", "route_top", type=int, default=10, show_default=True,
              help="Draw the routes of this many top deposits on the map (through the plant the "
              "capacity allocation assigned them).")
@boundaries_option
@click.option("--sheets", "sheets_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Also write one-page deal sheets of the top deposits into DIR (and link them "
              "from the map's popups: column sheet_href).")
@click.option("--sheets-top", "sheets_top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many top deposits get a sheet.")
@click.option("--one-tier", is_flag=True,
              help="Rank deposits without a resource estimate (valued as if a deposit were there) among "
              "the estimated ones by value alone (default: in their own tier below them).")
@click.option("--scenarios", "scenarios_path", type=click.Path(dir_okay=False, exists=True), default=None,
              metavar="FILE", help="With --sheets: the scenario results the sheets show (the table "
              "`geoprospect scenario -o FILE` writes: .csv/.json/.xlsx).")
@click.option("--raw-csv", is_flag=True,
              help="CSV output: write text exactly as it is (no ' before =, +, -, @; for programs).")
@database_options(inputs="layers")
@policy_options
@click.pass_context
def rank(ctx, layers, layer, crs, encoding, columns, country, model_path, price_scenario, ndpr_price,
         discount_rate, prices_path, weights, top, draws, seed,
         exclude_flagged, exclude_committed, investor, as_of, lift_policy, apply_policy, avoid,
         status, avoid_passage, to, network_path, rasters, output, overwrite, map_path, offline,
         route_top, boundaries, sheets_dir, sheets_top, one_tier, scenarios_path, raw_csv, strict,
         as_json):
    """Rank deposits in LAYERS (default: the bundled five-country deposits).

    Prints the ranked table and writes OUT (-o) in any supported format; .json gives plain
    records with every output column. Rows with errors are skipped and reported (exit 3;
    --strict: exit 2, nothing written).
    """

    parsed = weights
    countries = parse_countries(country)
    scenario = parse_scenario(avoid, status, avoid_passage, to, network_path, investor, as_of,
                              lift_policy, apply_policy)
    report = RowReport()
    paths = layers or (str(layer_path("deposits.geojson")),)
    gdf = load_rows(paths, layer=layer, crs=crs, encoding=encoding, columns=columns, strict=strict,
                    report=report)
    nothing_left(report)
    network = network_rows(scenario.network(), strict=strict) if network_path else None

    covariates = None
    if rasters:

        covariates = sample_rasters(gdf, rasters)
    valuation = Valuation.load(model_path, price_scenario_name=price_scenario, ndpr_price=ndpr_price,
                               discount_rate=discount_rate, draws=draws, seed=seed)
    with Bar("scoring", len(gdf), enabled=not quiet(ctx) and len(gdf) >= PROGRESS_FROM) as bar:
        ranked = rank_deposits(gdf, valuation=valuation, weights=parsed, countries=countries,
                               seed=seed, exclude_flagged=exclude_flagged,
                               exclude_committed=exclude_committed, investor=investor,
                               scenario=scenario, prices=price_deck(prices_path),
                               covariates=covariates, routes=max(route_top, 0) if map_path else 0,
                               progress=bar.advance if bar.enabled else None, tiers=not one_tier)
    if ranked.empty:
        raise LayerError("no deposits left to rank (check --country, --exclude-flagged and "
                         "--exclude-committed)")
    if not as_json:
        _print(top_table(ranked, top), ranked, parsed)
    if sheets_dir:
        from geoprospect.cli.sheet import write_ranked_sheets

        ranked = write_ranked_sheets(ranked, sheets_dir, top=sheets_top, valuation=valuation,
                                     network=scenario.network(), relative_to=map_path or output,
                                     overwrite=overwrite, scenarios_path=scenarios_path)
    metadata = _metadata(ranked)
    if output:

        write_table(ranked, output, overwrite=overwrite, metadata=metadata, guard_csv=not raw_csv,
                    style=style_for(ranked.columns, _geometry_type(ranked)))
        click.echo(f"wrote {len(ranked)} rows to {output}", err=True)
    if map_path:
        import geopandas as gpd


        m = make_map(ranked, facilities=gpd.read_file(layer_path("facilities.geojson")),
                     route_legs=ranked.attrs.get("route_legs"),
                     country_risk=layer_path("country_risk.csv"), offline=offline,
                     data_date=metadata["data_date"], top_routes=route_top,
                     plant_use=plant_use(ranked), boundaries=map_boundaries(boundaries, investor))
        save_map(m, map_path, offline=offline, overwrite=overwrite)
        click.echo(f"wrote map {map_path}{' (offline)' if offline else ''}", err=True)
    finish(ctx, report, as_json=as_json, network=network)


def _geometry_type(gdf) -> str:
    types = gdf.geometry.geom_type.dropna() if hasattr(gdf, "geometry") else ()
    return str(types.iloc[0]) if len(types) else "Point"


def _metadata(ranked) -> dict:
    from geoprospect import __version__

    return {"data_date": data_date(), "model_sha256": ranked.attrs.get("model_sha256", ""),
            "geoprospect_version": __version__, "weights": ranked.attrs.get("weights"),
            "price_scenario": ranked.attrs.get("price_scenario")}


def _print(table, ranked, weights) -> None:
    from rich.console import Console
    from rich.table import Table

    scenario = ranked.attrs.get("price_scenario", "")
    title = "Ranked deposits" + (f" (weighted view {weights})" if weights else
                                 f" by screening NPV, USD million (prices: {scenario})")
    t = Table(title=title)
    for col in table.columns:
        t.add_column(col, justify="right" if col not in ("name", "country", "flags") else "left",
                     overflow="fold", max_width=34 if col == "name" else None)
    for rec in table.itertuples(index=False):
        t.add_row(*(_cell(v) for v in rec))
    Console(stderr=False, width=170).print(t)


def _cell(v) -> str:
    from rich.markup import escape

    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 1 else f"{v:.1f}"
    return escape(str(v))
