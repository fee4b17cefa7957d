"""``geoprospect map``: publish an interactive HTML map of ranked deposits."""

from __future__ import annotations

from pathlib import Path

import click

from geoprospect.cli.database import database_options
from geoprospect.cli.options import (
    boundaries_option,
    country_option,
    map_boundaries,
    overwrite_option,
    parse_countries,
    plant_use,
    read_options,
)
from geoprospect.cli.rows import finish, keep_usable, load_rows, nothing_left, policy_options
from geoprospect.errors import OutputError
from geoprospect.io.bundled import data_date, layer_path
from geoprospect.io.read import read_layer
from geoprospect.io.report import RowReport
from geoprospect.maps import make_map, save_map
from geoprospect.maps.build import DEFAULT_TITLE
from geoprospect.pipeline import rank


@click.command("map")
@click.argument("layer_file", required=False, type=click.Path(dir_okay=False), metavar="[LAYER]")
@read_options
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="The .html file to write, e.g. maps/prospects.html.")
@click.option("--offline", is_flag=True,
              help="Self-contained file that works with no network (no tiles; outlines as basemap).")
@click.option("--routes", "route_top", type=click.IntRange(min=0), default=10, show_default=True,
              help="Draw the routes of this many top-ranked deposits (through the plant the "
              "capacity allocation assigned them).")
@boundaries_option
@click.option("--route-legs", "legs_file", type=click.Path(dir_okay=False), default=None,
              help="Route legs layer (LineStrings with deposit_id, leg, mode, ...). Default: the legs "
              "of ranking an unranked layer.")
@country_option
@click.option("--title", default=None, help="Map title.")
@click.option("--surface", type=click.Path(dir_okay=False, exists=True), default=None,
              help="A GeoTIFF to overlay (score or cost surface).")
@click.option("--no-facilities", is_flag=True, help="Leave out processing and magnet facilities.")
@click.option("--no-risk", is_flag=True, help="Leave out the country risk choropleth.")
@overwrite_option
@database_options(inputs="layer_file", output=None)
@policy_options
@click.pass_context
def map_command(ctx, layer_file, layer, crs, encoding, columns, output, offline, route_top, boundaries,
                legs_file, country, title, surface, no_facilities, no_risk, overwrite, strict, as_json):
    """Publish LAYER as an interactive map in one HTML file.

    LAYER is a ranked table (it has a ``score`` column, e.g. from ``geoprospect rank -o``) or an
    unranked deposit layer, which is ranked first; without LAYER the bundled deposits are ranked.
    Rows with errors are skipped and reported (exit 3; --strict: exit 2, no map written).
    """
    import geopandas as gpd


    if Path(output).suffix.lower() not in {".html", ".htm"}:
        raise OutputError(f"{output}: a map is written as .html")
    codes = parse_countries(country)
    report = RowReport()
    if layer_file is None:
        gdf = load_rows([str(layer_path("deposits.geojson"))], report=report)
    else:
        table = read_layer(layer_file, layer=layer, crs=crs, encoding=encoding, columns=columns)
        ranked = table if "score" in table.columns else None  # a ranked table is drawn as it is
        gdf = None if ranked is not None else keep_usable(table, columns=columns, strict=strict,
                                                           report=report, path=layer_file)
    if gdf is not None:
        nothing_left(report)
        ranked = rank(gdf, countries=codes)
    if codes and "country" in ranked.columns:
        ranked = ranked[ranked["country"].astype("string").str.upper().isin(codes).fillna(False)]
    legs = ranked.attrs.get("route_legs")
    if legs_file is not None:
        legs = read_layer(legs_file)
    m = make_map(
        ranked,
        facilities=None if no_facilities else gpd.read_file(layer_path("facilities.geojson")),
        route_legs=legs,
        country_risk=None if no_risk else layer_path("country_risk.csv"),
        offline=offline,
        title=title or DEFAULT_TITLE,
        data_date=data_date() or None,
        top_routes=route_top,
        surface=surface,
        plant_use=plant_use(ranked),
        boundaries=map_boundaries(boundaries, None),
    )
    save_map(m, output, offline=offline, overwrite=overwrite)
    info = m.geoprospect_info
    skipped = f", {info['skipped']} without location" if info["skipped"] else ""
    click.echo(f"wrote {output}: {info['shown']} deposits{skipped}{' (offline)' if offline else ''}",
               err=True)
    finish(ctx, report, as_json=as_json)
