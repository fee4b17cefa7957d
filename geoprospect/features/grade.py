"""Grade pillar: grade, NdPr share, contained oxide, basket value, radioactivity, mineralogy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoprospect.features.columns import numeric, text
from geoprospect.io.reference import price_deck

BASTNAESITE = ("bastnaesite", "parisite", "synchysite")
PHOSPHATE = ("monazite", "xenotime", "churchite", "florencite", "apatite")
REFRACTORY = ("eudialyte", "loparite", "allanite", "fergusonite", "zircon")
EASE = {"refractory": 1.0, "phosphate": 2.0, "easy": 3.0}
"""Processing ease by mineralogy: bastnaesite concentrates and ion-adsorption clays have
established, non-radioactive processing routes; monazite/xenotime phosphates need thorium
handling and licensed plants; silicate hosts (eudialyte, loparite, allanite, ...) have no
proven commercial flowsheet outside Russia's loparite."""


def grade_features(gdf, *, prices=None) -> pd.DataFrame:
    """Grade-pillar features for each row.

    Contained tonnages are ``resource_mt * 1e6 * treo_pct / 100`` (and times ``ndpr_pct / 100``
    for NdPr), on a log10 scale. The basket value per tonne of ore prices the NdPr share at the
    NdPr oxide price, the Dy+Tb share at the Dy2O3 price (the Dy/Tb split is rarely published;
    pricing it all as Dy is the conservative choice), and the remainder at the mean of the La2O3
    and CeO2 prices. Unknown inputs give NaN, never a guess.

    Parameters
    ----------
    gdf : GeoDataFrame
        Canonical deposit columns.
    prices : geoprospect.io.reference.PriceDeck, optional
        The bundled deck (latest annual prices) when None.

    Returns
    -------
    pandas.DataFrame
        Features of the grade pillar plus report columns ``contained_treo_t``,
        ``contained_ndpr_t``.
    """

    deck = prices or price_deck()
    treo = numeric(gdf, "treo_pct")
    ndpr = numeric(gdf, "ndpr_pct")
    dytb = numeric(gdf, "dytb_pct")
    tonnage = numeric(gdf, "resource_mt")
    contained_treo, contained_ndpr = contained_oxides(tonnage, treo, ndpr)
    p = deck.usd_per_kg
    rest_price = np.nanmean([p.get("la", np.nan), p.get("ce", np.nan)])
    share_rest = 1 - (ndpr + np.nan_to_num(dytb)) / 100
    basket_per_kg_reo = (ndpr / 100 * p.get("ndpr", np.nan)
                         + np.nan_to_num(dytb) / 100 * p.get("dy", np.nan)
                         + share_rest * rest_price)
    basket = basket_per_kg_reo * 1000 * treo / 100  # USD per tonne of ore
    th = numeric(gdf, "th_ppm")
    u = numeric(gdf, "u_ppm")
    radio = np.where(np.isnan(th) & np.isnan(u), np.nan, np.nan_to_num(th) + np.nan_to_num(u))
    minerals = text(gdf, "minerals")
    dtype = text(gdf, "deposit_type")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "treo_pct": treo,
                "ndpr_pct": ndpr,
                "log_contained_treo_t": np.where(contained_treo > 0, np.log10(contained_treo), np.nan),
                "log_contained_ndpr_t": np.where(contained_ndpr > 0, np.log10(contained_ndpr), np.nan),
                "basket_usd_t_ore": basket,
                "radioactive_ppm": radio,
                "processing_ease": processing_ease(minerals, dtype),
                "contained_treo_t": contained_treo,
                "contained_ndpr_t": contained_ndpr,
            },
            index=gdf.index,
        )
    return out


def contained_oxides(resource_mt, treo_pct, ndpr_pct) -> tuple[np.ndarray, np.ndarray]:
    """Contained TREO and NdPr oxide in tonnes, from tonnage and grades (vectorised).

    ``treo = resource_mt × 1e6 × treo_pct / 100`` and ``ndpr = treo × ndpr_pct / 100``; NaN
    wherever an input is unknown.

    Parameters
    ----------
    resource_mt : array_like
        Resource tonnage in million tonnes of ore.
    treo_pct, ndpr_pct : array_like
        TREO grade (% of ore) and NdPr share (% of TREO).

    Returns
    -------
    contained_treo_t, contained_ndpr_t : numpy.ndarray

    Examples
    --------
    >>> treo, ndpr = contained_oxides([2.0], [1.5], [20.0])
    >>> float(treo[0]), float(ndpr[0])
    (30000.0, 6000.0)
    """
    treo = np.asarray(resource_mt, dtype=float) * 1e6 * np.asarray(treo_pct, dtype=float) / 100
    return treo, treo * np.asarray(ndpr_pct, dtype=float) / 100


def processing_ease(minerals: pd.Series, dtype: pd.Series) -> np.ndarray:
    """Ease of processing (1-3, see :data:`EASE`) from mineralogy; NaN when unknown.

    The hardest mineral present decides; an ion-adsorption clay deposit counts as easy.
    """
    inverse, uniques = pd.factorize(minerals.fillna(""))
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="object")

    def has(names):  # the regex runs on distinct values only
        hit = distinct.str.contains("|".join(names), regex=True).to_numpy(dtype=bool)
        return hit[inverse]

    ease = np.full(len(minerals), np.nan)
    easy = has(BASTNAESITE) | has(("ionic",)) | (dtype == "ionic_clay").to_numpy(dtype=bool)
    ease[easy] = EASE["easy"]
    ease[has(PHOSPHATE)] = EASE["phosphate"]
    ease[has(REFRACTORY)] = EASE["refractory"]
    return ease
