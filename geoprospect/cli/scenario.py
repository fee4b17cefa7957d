"""Route-scenario options shared by rank, score, routes, train and surface, parsed into one
:class:`~geoprospect.routes.scenario.Scenario`."""

from __future__ import annotations

import click

from geoprospect.cli.options import parse_countries
from geoprospect.routes.scenario import FACILITY_STATUSES, Scenario


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
                     metavar="S,...", help=f"Facility statuses that count ({', '.join(FACILITY_STATUSES)})."),
        click.option("--avoid", default="", metavar="ISO3,...",
                     help="Countries whose ports and facilities routes must not use."),
    )
    for opt in options:
        func = opt(func)
    return func


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def parse_scenario(avoid: str, status: str, avoid_passage: str, to: str, network_path) -> Scenario:
    """The :class:`Scenario` of the scenario options (a bad country or status: usage error)."""
    return Scenario(destination=tuple(parse_countries(to, option="--to") or ("IND",)),
                    statuses=_split((status or "").lower()),
                    avoid=tuple(parse_countries(avoid, option="--avoid") or ()),
                    avoid_passages=_split((avoid_passage or "").lower()),
                    network_path=network_path)


def build_network(avoid: str, status: str, avoid_passage: str, to: str, network_path):
    """The route network of the scenario options (built once per scenario and process)."""
    return parse_scenario(avoid, status, avoid_passage, to, network_path).network()
