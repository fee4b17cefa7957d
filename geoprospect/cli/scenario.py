"""Route-scenario options shared by rank, score, routes, train and surface, parsed into one
:class:`~geoprospect.routes.scenario.Scenario`."""

from __future__ import annotations

import click

from geoprospect.cli.options import parse_countries
from geoprospect.routes.scenario import FACILITY_STATUSES, Scenario


def _investor(ctx, param, value):
    """Validate --investor now (a one-line error naming the file, key and line)."""
    from geoprospect.errors import GeoprospectError
    from geoprospect.routes.investor import load_investor

    try:
        load_investor(value)
    except GeoprospectError as exc:
        raise click.BadParameter(str(exc), param_hint="--investor") from None
    return value


def _date(ctx, param, value):
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


def scenario_options(func):
    """Apply --investor, --as-of, --lift-policy, --apply-policy, --avoid, --status,
    --avoid-passage, --to and --network."""
    options = (
        click.option("--apply-policy", "apply_policy", default="", metavar="ID,...",
                     help="Apply these policy events (policy_events.csv ids) although not in force."),
        click.option("--lift-policy", "lift_policy", default="", metavar="ID,...",
                     help="Lift these policy events although in force."),
        click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", callback=_date,
                     help="Date at which policy events and contracts count (default: the data date)."),
        click.option("--investor", default="irel", show_default=True, metavar="NAME|FILE.toml",
                     callback=_investor,
                     help="Investor profile: irel, jogmec, sojitz, korean-buyer, generic-foreign, or a "
                          ".toml file (own/partner plants, avoided counterparties, exclusions)."),
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


def parse_scenario(avoid: str, status: str, avoid_passage: str, to: str, network_path,
                   investor: str = "irel", as_of: str | None = None, lift_policy: str = "",
                   apply_policy: str = "") -> Scenario:
    """The :class:`Scenario` of the scenario options (a bad country or status: usage error)."""
    return Scenario(destination=tuple(parse_countries(to, option="--to") or ("IND",)),
                    statuses=_split((status or "").lower()),
                    avoid=tuple(parse_countries(avoid, option="--avoid") or ()),
                    avoid_passages=_split((avoid_passage or "").lower()),
                    network_path=network_path, investor=investor or "irel", as_of=as_of,
                    lift_policies=_split(lift_policy), apply_policies=_split(apply_policy))


def build_network(avoid: str, status: str, avoid_passage: str, to: str, network_path, investor: str = "irel",
                  as_of: str | None = None, lift_policy: str = "", apply_policy: str = ""):
    """The route network of the scenario options (built once per scenario and process)."""
    return parse_scenario(avoid, status, avoid_passage, to, network_path, investor, as_of, lift_policy,
                          apply_policy).network()
