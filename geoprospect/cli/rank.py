"""``geoprospect rank``: score and rank deposits, print the top, write a table and a map."""

from __future__ import annotations

import click

from geoprospect.cli.database import database_options
from geoprospect.cli.options import (
    country_option,
    load_valid,
    output_option,
    overwrite_option,
    parse_countries,
    raster_option,
    read_options,
    valuation_options,
    weights_option,
)
from geoprospect.cli.scenario import parse_scenario, scenario_options
from geoprospect.errors import LayerError
from geoprospect.features.covariates import sample_rasters
from geoprospect.io.bundled import data_date, layer_path
from geoprospect.io.reference import price_deck
from geoprospect.io.write import write_table
from geoprospect.maps import make_map, save_map
from geoprospect.maps.qgis import style_for
from geoprospect.pipeline import Valuation, top_table
from geoprospect.pipeline import rank as rank_deposits


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
@click.option("--draws", type=click.IntRange(min=0), default=200, show_default=True,
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
              help="Draw the best routes of this many top deposits on the map.")
@database_options(inputs="layers")
def rank(layers, layer, crs, encoding, country, model_path, price_scenario, ndpr_price,
         discount_rate, prices_path, weights, top, draws, seed,
         exclude_flagged, exclude_committed, investor, as_of, lift_policy, apply_policy, avoid, status,
         avoid_passage, to, network_path, rasters, output, overwrite, map_path, offline, route_top):
    """Rank deposits in LAYERS (default: the bundled five-country deposits).

    Prints the ranked table and writes OUT (-o) in any supported format; .json gives plain
    records with every output column.
    """

    parsed = weights
    countries = parse_countries(country)
    scenario = parse_scenario(avoid, status, avoid_passage, to, network_path, investor, as_of, lift_policy,
                              apply_policy)
    gdf = _load(layers, layer, crs, encoding)

    covariates = None
    if rasters:

        covariates = sample_rasters(gdf, rasters)
    valuation = Valuation.load(model_path, price_scenario_name=price_scenario, ndpr_price=ndpr_price,
                               discount_rate=discount_rate, draws=draws, seed=seed)
    ranked = rank_deposits(gdf, valuation=valuation, weights=parsed, countries=countries,
                           seed=seed, exclude_flagged=exclude_flagged, exclude_committed=exclude_committed,
                           investor=investor, scenario=scenario, prices=price_deck(prices_path),
                           covariates=covariates, routes=max(route_top, 0) if map_path else 0)
    if ranked.empty:
        raise LayerError("no deposits left to rank (check --country, --exclude-flagged and "
                         "--exclude-committed)")
    _print(top_table(ranked, top), ranked, parsed)
    metadata = _metadata(ranked)
    if output:

        write_table(ranked, output, overwrite=overwrite, metadata=metadata,
                    style=style_for(ranked.columns, _geometry_type(ranked)))
        click.echo(f"wrote {len(ranked)} rows to {output}", err=True)
    if map_path:
        import geopandas as gpd


        m = make_map(ranked, facilities=gpd.read_file(layer_path("facilities.geojson")),
                     route_legs=ranked.attrs.get("route_legs"),
                     country_risk=layer_path("country_risk.csv"), offline=offline,
                     data_date=metadata["data_date"], top_routes=route_top)
        save_map(m, map_path, offline=offline, overwrite=overwrite)
        click.echo(f"wrote map {map_path}{' (offline)' if offline else ''}", err=True)


def _load(layers, layer, crs, encoding):
    import pandas as pd


    if not layers:

        layers = (str(layer_path("deposits.geojson")),)
    frames = []
    for path in layers:
        frames.append(load_valid(path, layer=layer, crs=crs, encoding=encoding))
    if len(frames) == 1:
        return frames[0]
    import geopandas as gpd

    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    dup = merged["id"].astype(str).duplicated()
    if dup.any():

        raise LayerError(f"id {merged.loc[dup, 'id'].iloc[0]!r} appears in more than one layer")
    merged.index = pd.RangeIndex(1, len(merged) + 1, name="row")
    return merged


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
