"""The route scenario: where the oxide goes, which plants count, what routes must avoid.

A :class:`Scenario` is a small frozen value (hashable, picklable: it is sent to batch workers
and keys the per-process network cache). The CLI parses ``--to``, ``--status``, ``--avoid``,
``--avoid-passage`` and ``--network`` into one; the library never reads CLI options.

Examples
--------
>>> from geoprospect.routes.scenario import Scenario
>>> Scenario().destination
('IND',)
>>> Scenario(avoid=("CHN",), avoid_passages=("malacca",)).is_default
False
"""

from __future__ import annotations

from dataclasses import dataclass

from geoprospect.errors import RouteError

FACILITY_STATUSES = ("operating", "construction", "planned", "suspended", "cancelled")
"""Facility statuses a scenario may count."""

DEFAULT_STATUSES = ("operating", "construction")
DEFAULT_DESTINATION = ("IND",)

_NETWORKS: dict = {}


@dataclass(frozen=True)
class Scenario:
    """One route scenario.

    Attributes
    ----------
    destination : tuple of str
        ISO3 markets of the oxide (their magnet makers end the routes).
    statuses : tuple of str
        Facility statuses that count (see :data:`FACILITY_STATUSES`).
    avoid : tuple of str
        ISO3 countries whose ports and facilities routes must not use.
    avoid_passages : tuple of str
        Closed sea passages (searoute names, e.g. ``suez``, ``malacca``).
    network_path : str or None
        A road/rail line layer for land legs (default: great circle times circuity).
    investor : str
        Investor profile name or file (:mod:`geoprospect.routes.investor`): its own and partner
        plants take its feed, the counterparties it avoids are not used.
    as_of : str or None
        ISO date at which policy events and contracts count (default: the data date).
    lift_policies, apply_policies : tuple of str
        Policy event ids lifted although in force, or applied although not (yet) in force.
    """

    destination: tuple[str, ...] = DEFAULT_DESTINATION
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    avoid: tuple[str, ...] = ()
    avoid_passages: tuple[str, ...] = ()
    network_path: str | None = None
    investor: str = "irel"
    as_of: str | None = None
    lift_policies: tuple[str, ...] = ()
    apply_policies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.destination:
            raise RouteError("a scenario needs at least one destination country", option="to")

    @property
    def is_default(self) -> bool:
        """True for the bundled scenario (India, operating and construction plants)."""
        return self == Scenario()

    def network(self):
        """The :class:`~geoprospect.routes.network.RouteNetwork` of this scenario, built once
        per process and shared by every caller asking for the same scenario.

        Raises
        ------
        RouteError
            An unknown facility status (``option="status"``) or passage.
        """
        if self not in _NETWORKS:
            from geoprospect.routes.network import RouteNetwork  # network imports this module

            _NETWORKS[self] = RouteNetwork.bundled(
                status=self.statuses, avoid=self.avoid, avoid_passages=self.avoid_passages,
                destination=self.destination, network_path=self.network_path, investor=self.investor,
                as_of=self.as_of, lift_policies=self.lift_policies, apply_policies=self.apply_policies)
        return _NETWORKS[self]
