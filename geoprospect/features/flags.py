"""Flags that decide whether a deposit is investable at all, kept apart from the score.

A flag never changes a score; it is shown beside it, and ``--exclude-flagged`` leaves flagged
deposits out of the ranking. Which flags count depends on who invests (the investor profile,
:mod:`geoprospect.routes.investor`): a reservation of atomic minerals to Indian government
companies bars a foreign investor but not IREL (``may_hold_reserved`` at home), and each profile
lists its own ``default_exclusions``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.features.columns import iso3_codes, text
from geoprospect.io.reference import committed_offtake_ids
from geoprospect.routes.investor import Investor, load_investor

FLAG_RULES = {
    "unlicensed": r"unlicen[cs]ed|illegal|without (?:a )?licen[cs]e|informal mining",
    "armed_groups": r"armed group|militia|independence army|\bkia\b|border guard|\buwsa\b|wa army"
                    r"|\bndaa\b",
    "state_reserved": r"reserved to|reserved for|government compan|state compan|irel\b|"
                      r"prescribed substance|atomic mineral",
    "export_barred": r"export (?:is )?(?:prohibited|barred|banned)|export ban|no export",
}
LEGAL_BLOCKERS = ("state_reserved", "export_barred")
"""Flags that bar any investor the rules apply to (law, not preference)."""


def blocking_flags(investor=None) -> tuple[str, ...]:
    """The flags that make a deposit unavailable to ``investor`` (a profile, name or file):
    its ``default_exclusions`` plus :data:`LEGAL_BLOCKERS`."""
    profile = investor if isinstance(investor, Investor) else load_investor(investor)
    return tuple(dict.fromkeys([*profile.default_exclusions, *LEGAL_BLOCKERS]))


def investability_flags(gdf, *, investor=None) -> pd.Series:
    """Return semicolon-separated flags per row.

    Flags: ``producing`` (stage production — information, not a blocker), ``offtake_committed``
    (a binding offtake in force in the bundled ``offtakes.csv`` — the output is partly or wholly
    sold), ``no_equity_available`` (a sourced ``partner_sought`` of ``no``), ``unlicensed``,
    ``armed_groups``, ``state_reserved``, ``export_barred`` (from the sourced ``legal_status``
    text), ``conflict_area`` (layer column), ``no_location`` (empty geometry).

    Parameters
    ----------
    gdf : GeoDataFrame
        Canonical deposit columns.
    investor : Investor, str or None
        The investor profile (name, file or object; default IREL). A reservation to government
        companies in its ``home_country`` is no flag when it ``may_hold_reserved``.
    """
    profile = investor if isinstance(investor, Investor) else load_investor(investor)
    legal = text(gdf, "legal_status")
    country = iso3_codes(gdf).fillna("")
    stage = text(gdf, "stage")
    columns = {"producing": (stage == "production").to_numpy()}
    ids = gdf["id"] if "id" in gdf else pd.Series([None] * len(gdf), index=gdf.index)
    columns["offtake_committed"] = ids.isin(committed_offtake_ids()).to_numpy()
    columns["no_equity_available"] = (text(gdf, "partner_sought") == "no").to_numpy()
    # the rules run once per distinct legal text, not once per row (batch inputs repeat them)
    codes, uniques = pd.factorize(legal.to_numpy(dtype=object))
    uniques = pd.Series(uniques, dtype="object")
    for name, pattern in FLAG_RULES.items():
        hit = uniques.str.contains(pattern, regex=True).to_numpy(dtype=bool)[codes] if len(uniques) \
            else np.zeros(len(codes), dtype=bool)
        if name == "state_reserved" and profile.may_hold_reserved and profile.home_country:
            hit &= (country != profile.home_country).to_numpy()
        columns[name] = hit
    columns["conflict_area"] = (text(gdf, "conflict_area") == "yes").to_numpy()
    import shapely

    geoms = gdf.geometry.to_numpy() if hasattr(gdf, "geometry") else np.full(len(gdf), None)
    empty = pd.isna(geoms)
    empty[~empty] = shapely.is_empty(geoms[~empty])
    columns["no_location"] = empty
    # one bit per flag; the text is built once per distinct combination
    bits = np.zeros(len(gdf), dtype=np.int64)
    for k, hit in enumerate(columns.values()):
        bits |= np.asarray(hit, dtype=np.int64) << k
    combos, inverse = np.unique(bits, return_inverse=True)
    names = list(columns)
    labels = np.array([";".join(n for k, n in enumerate(names) if c >> k & 1) for c in combos.tolist()],
                      dtype=object)
    return pd.Series(labels[inverse.ravel()] if len(gdf) else np.array([], dtype=object),
                     index=gdf.index, dtype="object", name="flags")


def is_blocked(flags: pd.Series, investor=None) -> pd.Series:
    """True where any flag that blocks ``investor`` (:func:`blocking_flags`) is present."""
    blocking = set(blocking_flags(investor))
    sets = flags.fillna("").str.split(";")
    return sets.map(lambda s: any(f in blocking for f in s))
