"""Route-scenario options shared by rank, score and surface (``--avoid``, ``--status``, ...)."""

from __future__ import annotations

import click

STATUS_CHOICES = ("operating", "construction", "planned", "suspended", "cancelled")


def scenario_options(func):
    """Apply --avoid, --status, --avoid-passage, --to and --network."""
    options = (
        click.option("--network", "network_path", type=click.Path(dir_okay=False), default=None,
                     help="Road/rail line layer for land legs (default: great circle x circuity)."),
        click.option("--to", default="IND", show_default=True, metavar="ISO3",
                     help="Destination market of the oxide (magnet makers there)."),
        click.option("--avoid-passage", "avoid_passage", default="", metavar="NAME,...",
                     help="Closed sea passages, e.g. suez,malacca."),
        click.option("--status", default="operating,construction", show_default=True,
                     metavar="S,...", help=f"Facility statuses that count ({', '.join(STATUS_CHOICES)})."),
        click.option("--avoid", default="", metavar="ISO3,...",
                     help="Countries whose ports and facilities routes must not use."),
    )
    for opt in options:
        func = opt(func)
    return func


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def build_network(avoid: str, status: str, avoid_passage: str, to: str, network_path):
    """Build the route network for a scenario (the bundled one when nothing is changed)."""
    from geoprospect.cli.options import parse_countries
    from geoprospect.routes import RouteNetwork

    avoid_codes = tuple(parse_countries(avoid) or ())
    dest = tuple(parse_countries(to) or ("IND",))
    return RouteNetwork.bundled(status=_split(status.lower()), avoid=avoid_codes,
                                avoid_passages=_split(avoid_passage.lower()),
                                destination=dest, network_path=network_path)
