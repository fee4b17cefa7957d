"""Options shared by several subcommands, defined once."""

from __future__ import annotations

import click

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
        ".fgb .xlsx",
    )


def read_options(func):
    """Apply --layer, --crs and --encoding."""
    for opt in (encoding_option, crs_option, layer_option):
        func = opt(func)
    return func


def parse_countries(value: str | None) -> list[str] | None:
    """Turn ``"IND,Australia,mw"`` into ISO3 codes; a bad name is a usage error."""
    if not value:
        return None
    from geoprospect.io.countries import to_iso3

    codes = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        code = to_iso3(part)
        if code is None:
            raise click.BadParameter(f"{part!r} is not a country name or ISO code",
                                     param_hint="--country")
        codes.append(code)
    return codes
