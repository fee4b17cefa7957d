"""Policy rules from ``policy_events.csv`` that forbid route legs.

An event counts when ``in_force == "yes"`` and the date asked for (``as_of``, default the bundled
data date) lies within its ``in_force_from``/``in_force_to`` dates (empty = open-ended), unless a
scenario lifts it; a scenario may also apply an event that is not (yet) in force. An event whose
``applies_to`` is ``processed`` or ``technology`` forbids no concentrate leg. A deposit listed in
``exemptions`` (ids, each sourced in ``exemption_source``) is not blocked by that event. What each ``blocks``
value forbids on a route:

* ``raw_concentrate_export`` — a mineral concentrate (not yet cracked) leaving the country of
  the deposit (ionic-clay mixed carbonate is processed on site and is not raw);
* ``monazite_export`` — a monazite-bearing concentrate leaving the country;
* ``new_licences`` — a facility in that country that is still ``planned`` or in
  ``construction`` (it still needs its licences).

Other ``blocks`` values (technology exports, private mining) bear on investability, not on
legs; the risk pillar handles them. An event with ``admin1`` applies where the deposit's
admin1 starts with it (case-insensitive).
"""

from __future__ import annotations

import pandas as pd

from geoprospect.errors import RouteError
from geoprospect.io.bundled import data_date, layer_path
from geoprospect.routes.feedstock import CONCENTRATES, Feed, split_list


class PolicyRules:
    """In-force blocking rules, queried per leg."""

    def __init__(self, events: pd.DataFrame | None, *, as_of: str | None = None,
                 lift: tuple[str, ...] = (), apply: tuple[str, ...] = ()) -> None:
        cols = ["id", "iso3", "admin1", "blocks", "in_force", "applies_to", "exemptions",
                "in_force_from", "in_force_to"]
        ev = pd.DataFrame(columns=cols) if events is None else events.reindex(columns=cols)
        on = ev["in_force"].astype(str).str.strip().str.lower() == "yes"
        when = as_of or data_date()
        if when:
            starts = ev["in_force_from"].fillna("").astype(str)
            ends = ev["in_force_to"].fillna("").astype(str)
            on &= ((starts == "") | (starts <= when)) & ((ends == "") | (ends >= when))
        ids = ev["id"].astype(str)
        if unknown := sorted((set(lift) | set(apply)) - set(ids)):
            raise RouteError(f"unknown policy event {unknown[0]!r} (policy_events.csv ids)", option="policy")
        on = (on & ~ids.isin(lift)) | ids.isin(apply)
        on &= ~ev["applies_to"].fillna("").astype(str).str.lower().isin(["processed", "technology"])
        ev = ev[on].copy()
        ev["blocks"] = ev["blocks"].map(split_list)
        ev["admin1"] = ev["admin1"].fillna("").astype(str).str.strip().str.lower()
        ev["exemptions"] = ev["exemptions"].map(lambda v: frozenset(split_list(v)))
        self.events = ev[ev["blocks"].map(bool)].reset_index(drop=True)
        self.exempt = {str(r.id): r.exemptions for r in self.events.itertuples() if r.exemptions}
        """Event id -> deposit ids exempted from it."""
        self._matches: dict = {}  # (iso3, admin1, wanted) -> ids: batch asks the same few

    @classmethod
    def bundled(cls) -> PolicyRules:
        """Rules from the bundled ``policy_events.csv``."""

        return cls(pd.read_csv(layer_path("policy_events.csv"), dtype=str))

    def _match(self, iso3, admin1, wanted: set[str]) -> list[str]:
        a1 = str(admin1 or "").strip().lower()
        key = (iso3, a1, frozenset(wanted))
        if key not in self._matches:
            self._matches[key] = self._scan(iso3, a1, wanted)
        return list(self._matches[key])

    def _scan(self, iso3, a1: str, wanted: set[str]) -> list[str]:
        out = []
        for rec in self.events.itertuples(index=False):
            if rec.iso3 != iso3 or not wanted & set(rec.blocks):
                continue
            if rec.admin1 and not a1.startswith(rec.admin1):
                continue
            out.append(str(rec.id))
        return out

    def export_block(self, iso3, admin1, feed: Feed, deposit_id=None) -> list[str]:
        """Event ids forbidding this deposit's product to leave ``iso3`` unprocessed (events that
        exempt ``deposit_id`` left out)."""
        if feed.product not in CONCENTRATES:
            return []
        wanted = {"raw_concentrate_export"}
        if "monazite_concentrate" in feed.tags:
            wanted.add("monazite_export")
        return [e for e in self._match(iso3, admin1, wanted)
                if deposit_id is None or deposit_id not in self.exempt.get(e, ())]

    def facility_block(self, facility: dict) -> list[str]:
        """Event ids forbidding a not-yet-operating facility (licence freeze in its country)."""
        if str(facility.get("status")) not in ("planned", "construction"):
            return []
        return self._match(facility.get("country"), facility.get("admin1"), {"new_licences"})
