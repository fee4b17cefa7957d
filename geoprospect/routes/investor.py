"""Investor profiles: who is buying, which plants take its feed, what it avoids, what it may hold.

A profile is a TOML file (bundled in ``layers/investors/``: ``irel`` (the default), ``jogmec``,
``sojitz``, ``korean-buyer``, ``generic-foreign``; or any file a user writes in the same schema):

* ``own_plants`` / ``partner_plants`` — facility ids that take the investor's feed regardless of
  their third-party policy (capacity still applies);
* ``home_country`` and ``home_market_plants`` — where the oxide should end;
* ``avoid_counterparty_countries`` (+ ``avoid_state_linked``) — plants owned from these countries
  (only their state-linked ones when ``avoid_state_linked``) are not used, and offtakes with such
  counterparties do not count as available supply;
* ``reserved_minerals_home`` / ``may_hold_reserved`` — a home-country reservation (India reserves
  monazite to government companies) is a blocker unless the investor may hold reserved minerals;
* ``default_exclusions`` — flags that make a deposit unavailable to this investor.

Every sourced field carries a ``[[sources]]`` entry in the file. A malformed profile is a one-line
:class:`~geoprospect.errors.LayerError` naming the file, the key and its line.

Examples
--------
>>> from geoprospect.routes.investor import load_investor
>>> irel = load_investor("irel")
>>> irel.home_country, "ind-irel-oscom-mopp" in irel.own_plants
('IND', True)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from geoprospect.errors import LayerError
from geoprospect.io.bundled import layers_dir

DEFAULT_INVESTOR = "irel"
LEGACY = {"state": "irel", "foreign": "generic-foreign"}
"""Names of the first landing's ``--investor state|foreign``, kept as aliases."""
FLAGS = ("unlicensed", "armed_groups", "state_reserved", "export_barred", "conflict_area",
         "no_location", "offtake_committed", "no_equity_available")
"""Flags a profile may list in ``default_exclusions``."""
_LISTS = ("own_plants", "partner_plants", "home_market_plants", "avoid_counterparty_countries",
          "reserved_minerals_home", "default_exclusions")
_TEXTS = ("name", "short", "kind", "home_country", "description")
_BOOLS = ("avoid_state_linked", "may_hold_reserved")
KINDS = ("state_company", "state_agency", "trading_house", "buyer", "generic")


@dataclass(frozen=True)
class Investor:
    """One investor profile (see the module docstring); tuples, so it is hashable."""

    name: str
    short: str
    kind: str
    home_country: str
    description: str
    own_plants: tuple[str, ...]
    partner_plants: tuple[str, ...]
    home_market_plants: tuple[str, ...]
    avoid_counterparty_countries: tuple[str, ...]
    avoid_state_linked: bool
    reserved_minerals_home: tuple[str, ...]
    may_hold_reserved: bool
    default_exclusions: tuple[str, ...]
    target_ndpr_tpa: float
    path: str

    @property
    def feed_plants(self) -> frozenset[str]:
        """Plants that take this investor's feed whatever their third-party policy."""
        return frozenset(self.own_plants) | frozenset(self.partner_plants)

    def avoids(self, owner_country, state_linked) -> bool:
        """True when a plant or counterparty owned from ``owner_country`` is off limits."""
        country = str(owner_country or "").strip().upper()
        if country not in self.avoid_counterparty_countries:
            return False
        return not self.avoid_state_linked or str(state_linked).strip().lower() == "yes"


def investor_names() -> list[str]:
    """Names of the bundled profiles (``--investor``)."""
    return sorted(p.stem for p in (layers_dir() / "investors").glob("*.toml"))


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"(?m)^\s*{re.escape(key)}\s*=", text)
    return text[:match.start()].count("\n") + 1 if match else 0


def load_investor(name_or_path: str | Path | None = None, *, facility_ids=None) -> Investor:
    """A bundled profile by name (``irel``, ``jogmec``, ...; ``state``/``foreign`` as aliases) or
    a profile file.

    Parameters
    ----------
    name_or_path : str or Path, optional
        Profile name or path to a ``.toml`` file (the default: :data:`DEFAULT_INVESTOR`).
    facility_ids : iterable of str, optional
        Known facility ids: a plant id the profile names that is not among them is an error.

    Raises
    ------
    LayerError
        Unknown name, unreadable file, TOML syntax error, missing or mistyped key, unknown flag,
        kind or facility — one line naming the file, key and line (``option="investor"``).
    """
    key = str(name_or_path or DEFAULT_INVESTOR)
    key = LEGACY.get(key, key)
    path = Path(key)
    if path.suffix.lower() != ".toml":
        bundled = layers_dir() / "investors" / f"{key}.toml"
        if not bundled.exists():
            raise LayerError(f"unknown investor {key!r} (one of {', '.join(investor_names())}, "
                             "or a .toml file)", option="investor")
        path = bundled
    profile = _parse(str(path))
    if facility_ids is not None:
        known = set(facility_ids)
        text = path.read_text(encoding="utf-8")
        for field in ("own_plants", "partner_plants", "home_market_plants"):
            bad = [p for p in getattr(profile, field) if p not in known]
            if bad:
                raise LayerError(f"{path.name}: key {field!r} (line {_line_of(text, field)}): "
                                 f"unknown facility {bad[0]!r}", option="investor")
    return profile


@cache
def _parse(path: str) -> Investor:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LayerError(f"{p}: cannot read the investor profile ({exc.strerror})",
                         option="investor") from None
    except UnicodeDecodeError:
        raise LayerError(f"{p.name}: not UTF-8 text", option="investor") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayerError(f"{p.name}: not valid TOML ({exc})", option="investor") from None

    def fail(k: str, what: str):
        line = _line_of(text, k)
        where = f" (line {line})" if line else ""
        raise LayerError(f"{p.name}: key {k!r}{where}: {what}", option="investor")

    for k in (*_TEXTS, *_LISTS, *_BOOLS):
        if k not in data:
            fail(k, "missing")
    for k in _TEXTS:
        if not isinstance(data[k], str):
            fail(k, "must be a string")
    for k in _LISTS:
        if not isinstance(data[k], list) or not all(isinstance(v, str) for v in data[k]):
            fail(k, "must be a list of strings")
    for k in _BOOLS:
        if not isinstance(data[k], bool):
            fail(k, "must be true or false")
    if data["kind"] not in KINDS:
        fail("kind", f"must be one of {', '.join(KINDS)}")
    home = data["home_country"].strip().upper()
    if home and not re.fullmatch(r"[A-Z]{3}", home):
        fail("home_country", "must be an ISO3 code or empty")
    if bad := [f for f in data["default_exclusions"] if f not in FLAGS]:
        fail("default_exclusions", f"unknown flag {bad[0]!r} (one of {', '.join(FLAGS)})")
    target = data.get("target_ndpr_tpa", 0)
    if not isinstance(target, int | float) or isinstance(target, bool) or target < 0:
        fail("target_ndpr_tpa", "must be a non-negative number")
    return Investor(
        name=data["name"], short=data["short"], kind=data["kind"], home_country=home,
        description=data["description"],
        **{k: tuple(data[k]) for k in ("own_plants", "partner_plants", "home_market_plants",
                                       "reserved_minerals_home", "default_exclusions")},
        avoid_counterparty_countries=tuple(c.strip().upper() for c in data["avoid_counterparty_countries"]),
        avoid_state_linked=data["avoid_state_linked"], may_hold_reserved=data["may_hold_reserved"],
        target_ndpr_tpa=float(target), path=str(p))
