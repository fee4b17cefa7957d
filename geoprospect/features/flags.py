"""Flags that decide whether a deposit is investable at all, kept apart from the score.

A flag never changes a score; it is shown beside it, and ``--exclude-flagged`` leaves flagged
deposits out of the ranking. Which flags count depends on who invests: a reservation of
atomic minerals to Indian government companies bars a foreign investor but not an Indian
state company (``investor="state"`` treats reservations in its home country as open).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.features.columns import iso3_codes, text
from geoprospect.io.reference import committed_offtake_ids

FLAG_RULES = {
    "unlicensed": r"unlicen[cs]ed|illegal|without (?:a )?licen[cs]e|informal mining",
    "armed_groups": r"armed group|militia|independence army|\bkia\b|border guard|\buwsa\b|wa army"
                    r"|\bndaa\b",
    "state_reserved": r"reserved to|reserved for|government compan|state compan|irel\b|"
                      r"prescribed substance|atomic mineral",
    "export_barred": r"export (?:is )?(?:prohibited|barred|banned)|export ban|no export",
}
BLOCKING = ("unlicensed", "armed_groups", "state_reserved", "export_barred", "conflict_area")
"""Flags that make investment doubtful (``--exclude-flagged`` drops rows with any of them)."""


def investability_flags(gdf, *, investor: str = "state", home: str = "IND") -> pd.Series:
    """Return semicolon-separated flags per row.

    Flags: ``producing`` (stage production — information, not a blocker), ``offtake_committed``
    (a binding offtake in force in the bundled ``offtakes.csv`` — information: the output is
    partly or wholly sold), ``unlicensed``, ``armed_groups``, ``state_reserved``,
    ``export_barred`` (from the sourced ``legal_status`` text), ``conflict_area`` (layer
    column), ``no_location`` (empty geometry).

    Parameters
    ----------
    gdf : GeoDataFrame
        Canonical deposit columns.
    investor : {"state", "foreign"}
        ``"state"``: an Indian state company; a reservation to government companies in
        ``home`` is not a blocker for it. ``"foreign"``: every reservation is a blocker.
    home : str
        ISO3 of the investor's home country.
    """
    legal = text(gdf, "legal_status")
    country = iso3_codes(gdf).fillna("")
    stage = text(gdf, "stage")
    columns = {"producing": (stage == "production").to_numpy()}
    ids = gdf["id"] if "id" in gdf else pd.Series([None] * len(gdf), index=gdf.index)
    columns["offtake_committed"] = ids.isin(committed_offtake_ids()).to_numpy()
    # the rules run once per distinct legal text, not once per row (batch inputs repeat them)
    codes, uniques = pd.factorize(legal.to_numpy(dtype=object))
    uniques = pd.Series(uniques, dtype="object")
    for name, pattern in FLAG_RULES.items():
        hit = uniques.str.contains(pattern, regex=True).to_numpy(dtype=bool)[codes] if len(uniques) \
            else np.zeros(len(codes), dtype=bool)
        if name == "state_reserved" and investor == "state":
            hit &= (country != home).to_numpy()
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


def is_blocked(flags: pd.Series) -> pd.Series:
    """True where any blocking flag is present."""
    sets = flags.fillna("").str.split(";")
    return sets.map(lambda s: any(f in BLOCKING for f in s))
