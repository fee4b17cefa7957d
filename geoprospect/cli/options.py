"""Options shared by several subcommands, defined once."""

from __future__ import annotations

import click

from geoprospect.core.messages import first_and_more
from geoprospect.errors import RasterError, ValidationFailed
from geoprospect.features.covariates import parse_raster_options
from geoprospect.io.countries import to_iso3
from geoprospect.io.validate import errors_in, load_layer
from geoprospect.model.mcda import parse_weights

layer_option = click.option(
    "--layer", default=None, metavar="NAME",
    help="Layer inside a multi-layer file (GeoPackage, KML).",
)
crs_option = click.option(
    "--crs", default=None, metavar="CRS",
    help="CRS of coordinates when the file does not say (e.g. EPSG:32736). Default: lon/lat.",
)
encoding_option = click.option(
    "--encoding", default=None, metavar="ENC",
    help="Text encoding of CSV/TSV inputs (default UTF-8).",
)
overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Replace existing output files.",
)
country_option = click.option(
    "--country", default=None, metavar="ISO3,...",
    help="Only these countries (names or ISO2/ISO3 codes, comma-separated).",
)


def output_option(required: bool = False):
    """``-o/--output FILE``; the extension picks the format."""
    return click.option(
        "-o", "--output", "output", type=click.Path(dir_okay=False), required=required,
        help="Output file; format by extension: .csv .json .geojson .geojsonl .gpkg .parquet "
        ".fgb .xlsx; or a PostGIS table: postgresql://USER@HOST:PORT/DB with --table SCHEMA.TABLE",
    )


def read_options(func):
    """Apply --layer, --crs and --encoding."""
    for opt in (encoding_option, crs_option, layer_option):
        func = opt(func)
    return func


def parse_countries(value: str | None, option: str = "--country") -> list[str] | None:
    """Turn ``"IND,Australia,mw"`` into ISO3 codes; a bad name is a usage error of ``option``."""
    if not value:
        return None

    codes = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        code = to_iso3(part)
        if code is None:
            raise click.BadParameter(f"{part!r} is not a country name or ISO code",
                                     param_hint=option)
        codes.append(code)
    return codes


def _parsed(parse, error: type[Exception], hint: str):
    """A click callback that parses the option's value and turns ``error`` into BadParameter."""

    def callback(ctx, param, value):
        try:
            return parse(value)
        except error as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None

    return callback


raster_option = click.option(
    "--raster", "rasters", multiple=True, metavar="NAME=PATH",
    callback=_parsed(parse_raster_options, RasterError, "--raster"),
    help="Sample this raster (any CRS, band 1) at every site into column NAME (repeatable). It "
    "enters the model only if the model was trained with the same NAME (train --raster).",
)
"""Click option ``--raster NAME=PATH`` (repeatable); the parameter arrives as ``dict[str, Path]``."""


weights_option = click.option(
    "--weights", default=None, metavar="grade=W,logistics=W,risk=W",
    callback=_parsed(parse_weights, ValueError, "--weights"),
    help="Switch to the transparent weighted multi-criteria score.",
)
"""Click option ``--weights``; the parameter arrives parsed (dict or None)."""


def load_valid(path, *, layer=None, crs=None, encoding=None, point_to_validate: bool = True):
    """Read and validate a layer for a command; any validation error stops it.

    Raises :class:`~geoprospect.errors.ValidationFailed` with the first error and how many more
    (pointing at ``geoprospect validate PATH`` unless ``point_to_validate`` is false).
    """
    gdf, problems = load_layer(path, layer=layer, crs=crs, encoding=encoding)
    errs = errors_in(problems)
    if errs:
        hint = f"run `geoprospect validate {path}`" if point_to_validate else ""
        raise ValidationFailed(first_and_more(errs, hint=hint), problems)
    return gdf


def valuation_options(func):
    """Apply --price-scenario, --ndpr-price and --discount-rate (the valuation's market and rate)."""
    from geoprospect.model.valuation import DEFAULT_BASE_RATE_PCT

    options = (
        click.option("--discount-rate", "discount_rate", type=float, default=None, metavar="PCT",
                     help=f"Base real discount rate, % (default {DEFAULT_BASE_RATE_PCT:g}); the country "
                     "risk premium is added per deposit."),
        click.option("--ndpr-price", "ndpr_price", type=float, default=None, metavar="USD_PER_KG",
                     help="Replace the scenario's NdPr oxide price (an assumption)."),
        click.option("--price-scenario", "price_scenario", default=None, metavar="NAME",
                     help="Price scenario (default studies-long-term): " + "; ".join(_scenario_help()) + "."),
    )
    for opt in options:
        func = opt(func)
    return func


def _scenario_help() -> list[str]:
    from geoprospect.io.terms import describe_scenarios

    try:
        return describe_scenarios()
    except FileNotFoundError:  # a broken install: the option still parses, the run reports it
        return ["see `geoprospect layers`"]
