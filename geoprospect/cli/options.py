"""Options shared by several subcommands, defined once."""

from __future__ import annotations

import functools

import click

from geoprospect.errors import LayerError, RasterError
from geoprospect.features.covariates import parse_raster_options
from geoprospect.io.countries import BOUNDARY_VIEWS, to_iso3
from geoprospect.io.mapping import column_map
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


columns_option = click.option(
    "--columns", "columns", default=None, metavar='COL=HEADER,...',
    help='Which header holds which column, e.g. name=DEP_NAME,treo_pct="TREO (%)",lat=LAT_DD '
    "(wins over the built-in aliases).",
)
columns_file_option = click.option(
    "--columns-file", "columns_file", type=click.Path(dir_okay=False), default=None,
    metavar="FILE.toml", help="The same mapping as a TOML file ([columns] name = \"DEP_NAME\"); "
    "--columns adds to it.",
)


def read_options(func):
    """Apply --layer, --crs, --encoding, --columns and --columns-file.

    The command receives ``layer``, ``crs``, ``encoding`` and ``columns``: the two mapping
    options parsed into one :class:`~geoprospect.io.mapping.ColumnMap` (or None).
    """

    @functools.wraps(func)
    def wrapper(*args, columns=None, columns_file=None, **kwargs):
        try:
            mapping = column_map(columns, columns_file)
        except LayerError as exc:
            hint = f"--{(exc.option or 'columns').replace('_', '-')}"
            raise click.BadParameter(str(exc), param_hint=hint) from None
        return func(*args, columns=mapping, **kwargs)

    for opt in (columns_file_option, columns_option, encoding_option, crs_option, layer_option):
        wrapper = opt(wrapper)
    return wrapper


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


boundaries_option = click.option(
    "--boundaries", type=click.Choice(list(BOUNDARY_VIEWS)), default=None,
    help="Country outlines on the map: india (Jammu and Kashmir as India depicts it) or de-facto; "
    "default: india for an Indian investor profile (irel), else de-facto.",
)


def map_boundaries(boundaries: str | None, investor: str | None) -> str:
    """The boundary view of a map: ``--boundaries``, else the investor profile's default."""
    from geoprospect.routes.investor import load_investor

    return boundaries or load_investor(investor or "irel").map_boundaries


def plant_use(ranked):
    """The capacity allocation's per-plant table of ranked rows (None when not allocated)."""
    allocation = ranked.attrs.get("allocation")
    return None if allocation is None else allocation.plants
