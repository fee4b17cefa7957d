"""``geoprospect surface``: a logistics-cost (and optional score) surface over a country."""

from __future__ import annotations

import sys

import click

from geoprospect.cli.options import overwrite_option, parse_countries, valuation_options
from geoprospect.cli.scenario import build_network, scenario_options
from geoprospect.errors import RasterError
from geoprospect.pipeline import Valuation
from geoprospect.surfaces.grid import country_grid
from geoprospect.surfaces.write import parse_grade, write_surface


@click.command()
@click.option("--country", required=True, metavar="ISO3", help="The country to cover (name or ISO code).")
@click.option("--resolution", default="1km", show_default=True, metavar="RES",
              help="Cell size: 1km, 250m (converted to degrees at the country's mean latitude), "
              "0.01deg, or a bare number of degrees.")
@click.option("--grade", multiple=True, metavar="ATTR=VALUE",
              help="Attributes of a hypothetical deposit (treo_pct=2.5, ndpr_pct=20, resource_mt=10, "
              "deposit_type=carbonatite, minerals=bastnaesite, th_ppm=...); adds a score band. minerals "
              "and th_ppm also decide which plants may take the concentrate (band 1). Repeatable or "
              "comma-separated.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="A valuation .skops model for the score band (default: the bundled one).")
@valuation_options
@scenario_options
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="The GeoTIFF to write, e.g. maps/malawi.tif.")
@overwrite_option
@click.pass_context
def surface(ctx, country, resolution, grade, model_path, price_scenario, ndpr_price, discount_rate,
            investor, as_of, lift_policy, apply_policy, avoid, status, avoid_passage, to, network_path,
            output, overwrite):
    """Write a GeoTIFF of the cost of the best route from every cell of a country.

    Band 1: cost to the cheapest compatible first plant (USD/t concentrate). With --grade, band 2:
    the value score (0-100, from the screening NPV) of a deposit with those attributes there. Tiled, DEFLATE
    compressed, with overviews; nodata (-9999) outside the country. Computed window by window,
    so memory stays flat for any size.
    """

    codes = parse_countries(country) or []
    if len(codes) != 1:
        raise click.BadParameter("give exactly one country", param_hint="--country")
    try:
        attrs = parse_grade(grade) if grade else None
        grid = country_grid(codes[0], resolution)
    except RasterError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.option}" if exc.option else None) from None
    if attrs is None and model_path:
        click.echo("warning: --model only matters for the score band (give --grade)", err=True)
    valuation = Valuation.load(model_path, price_scenario_name=price_scenario, ndpr_price=ndpr_price,
                               discount_rate=discount_rate, draws=0) if attrs is not None else None
    network = build_network(avoid, status, avoid_passage, to, network_path, investor, as_of, lift_policy,
                            apply_policy)
    quiet = (ctx.find_root().obj or {}).get("verbosity", 0) < 0
    click.echo(f"{grid.iso3}: {grid.width} x {grid.height} cells of {grid.dx:.6g} x {grid.dy:.6g} deg",
               err=True)
    with click.progressbar(length=1, label="windows", file=sys.stderr if not quiet else _Null(),
                           show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(1)

        write_surface(output, grid.iso3, resolution, grade=attrs, valuation=valuation, network=network,
                      overwrite=overwrite, progress=progress)
    click.echo(f"wrote {output}", err=True)


class _Null:
    """A file that swallows progress output (``-q``)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
