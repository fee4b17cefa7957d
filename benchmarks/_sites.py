"""Synthetic candidate sites for the batch benchmark: points inside the five countries' outlines.

Attribute values are random draws from plausible ranges; they are benchmark input, not data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

COUNTRIES = ("IND", "ARG", "AUS", "MWI", "MMR")
TYPES = np.array(["carbonatite", "heavy_mineral_sands", "ionic_clay", "alkaline_complex", "hydrothermal"],
                 dtype=object)
MINERALS = np.array(["monazite", "bastnaesite", "monazite;xenotime", "ionic clay", "eudialyte", None],
                    dtype=object)


def points_in_countries(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points spread evenly over the five countries, each inside its outline."""
    import shapely

    from geoprospect.io.countries import boundaries

    rng = np.random.default_rng(seed)
    world = boundaries()
    per = np.full(len(COUNTRIES), n // len(COUNTRIES))
    per[: n - per.sum()] += 1
    lons, lats, isos = [], [], []
    for code, k in zip(COUNTRIES, per, strict=True):
        shape = shapely.union_all(world.geometry[world["iso3"] == code].to_numpy())
        shapely.prepare(shape)
        x0, y0, x1, y1 = shape.bounds
        got_x, got_y, have = [], [], 0
        while have < k:
            x = rng.uniform(x0, x1, 2 * (k - have) + 1000)
            y = rng.uniform(y0, y1, 2 * (k - have) + 1000)
            inside = shapely.contains_xy(shape, x, y)
            got_x.append(x[inside])
            got_y.append(y[inside])
            have += int(inside.sum())
        lons.append(np.concatenate(got_x)[:k])
        lats.append(np.concatenate(got_y)[:k])
        isos.append(np.full(k, code, dtype=object))
    order = rng.permutation(n)
    return (np.concatenate(lons)[order], np.concatenate(lats)[order], np.concatenate(isos)[order])


def sites_frame(n: int, seed: int = 0, start: int = 0):
    """A GeoDataFrame of ``n`` synthetic candidate sites (ids ``site-<start+i>``)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed + 1)
    lon, lat, iso = points_in_countries(n, seed)
    ids = np.char.add("site-", np.arange(start, start + n).astype(str)).astype(object)
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "name": ids,
            "country": iso,
            "deposit_type": TYPES[rng.integers(0, len(TYPES), n)],
            "minerals": MINERALS[rng.integers(0, len(MINERALS), n)],
            "resource_mt": np.round(rng.lognormal(2.0, 1.5, n), 2),
            "treo_pct": np.round(rng.lognormal(-0.5, 0.9, n).clip(0.01, 30), 3),
            "ndpr_pct": np.round(rng.uniform(10, 35, n), 1),
            "th_ppm": np.round(rng.lognormal(6, 1.2, n)),
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )


def write_sites(path: Path, n: int, seed: int = 0, start: int = 0, row_group: int = 100_000) -> Path:
    """Write ``n`` synthetic sites as GeoParquet with row groups of ``row_group`` rows."""
    gdf = sites_frame(n, seed, start)
    gdf.to_parquet(path, index=False, row_group_size=row_group)
    return path


COUNTRY_SPELLINGS = {"IND": ("India", "IN", "IND", " india "),
                     "ARG": ("Argentina", "AR", "ARG", "argentina"),
                     "AUS": ("Australia", "AU", "AUS", "Australia "),
                     "MWI": ("Malawi", "MW", "MWI", "malawi"),
                     "MMR": ("Myanmar", "MM", "MMR", "Burma")}


def write_messy_sites(path: Path, n: int, seed: int = 0, start: int = 0, bad_share: float = 0.01) -> Path:
    """The same kind of sites as a user's messy CSV: aliased headers (``Site ID``, ``Deposit Name``,
    ``Tonnage (Mt)``, ``TREO ppm`` (converted), ``Nd+Pr %``, ``Lat``/``Long``), countries as names,
    ISO2 or ISO3 with stray spaces and case, numbers as text with blanks and ``n/a``, ~5 % rows with
    no coordinates, and ``bad_share`` of rows that fail validation (negative tonnage, latitude
    out of range, a grade over 100 %, a non-numeric grade) and are rejected."""
    import pandas as pd

    gdf = sites_frame(n, seed, start)
    rng = np.random.default_rng(seed + 2)
    spell = np.array([COUNTRY_SPELLINGS[c][k] for c, k in zip(gdf["country"], rng.integers(0, 4, n),
                                                               strict=True)], dtype=object)

    def text(values, fmt, blank=0.05):
        out = np.array([fmt.format(v) for v in values], dtype=object)
        r = rng.random(n)
        out[r < blank] = ""
        out[(r >= blank) & (r < blank * 1.4)] = "n/a"
        return out

    lat = gdf.geometry.y.to_numpy().copy()
    lon = gdf.geometry.x.to_numpy().copy()
    frame = pd.DataFrame({
        "Site ID": gdf["id"], "Deposit Name": gdf["name"].str.replace("site-", "Prospect ", regex=False),
        "Country": spell, "Type": gdf["deposit_type"], "Mineralogy": gdf["minerals"].fillna(""),
        "Tonnage (Mt)": text(gdf["resource_mt"], "{:.2f}"),
        "TREO ppm": text(gdf["treo_pct"] * 1e4, "{:.0f}"),
        "Nd+Pr %": text(gdf["ndpr_pct"], "{:.1f}", blank=0.2),
        "ThO2 ppm": text(gdf["th_ppm"], "{:.0f}", blank=0.3),
        "Lat": [f"{v:.5f}" for v in lat], "Long": [f"{v:.5f}" for v in lon],
    })
    nocoord = rng.random(n) < 0.05
    frame.loc[nocoord, ["Lat", "Long"]] = ""
    bad = np.flatnonzero(rng.random(n) < bad_share)
    kind = rng.integers(0, 4, len(bad))
    frame.loc[bad[kind == 0], "Tonnage (Mt)"] = "-5"
    frame.loc[bad[kind == 1], "Lat"] = "-95.0"
    frame.loc[bad[kind == 2], "TREO ppm"] = "1200000"
    frame.loc[bad[kind == 3], "TREO ppm"] = "high"
    frame.to_csv(path, index=False)
    return path


TYPE_SPELLINGS = {"heavy_mineral_sands": "heavy_mineral_sand", "alkaline_complex": "alkaline"}
"""How the issue's user spelled two deposit types (the alias table maps them back)."""


def points_across_borders(n: int, seed: int = 0, max_deg: float = 0.5):
    """``n`` points just outside one of the five countries' outlines (in a neighbour or at sea,
    at most ``max_deg`` degrees out), with the country they were meant to be in."""
    import shapely

    from geoprospect.io.countries import boundaries

    rng = np.random.default_rng(seed)
    world = boundaries()
    per = np.full(len(COUNTRIES), n // len(COUNTRIES))
    per[: n - per.sum()] += 1
    lons, lats, isos = [], [], []
    for code, k in zip(COUNTRIES, per, strict=True):
        shape = shapely.union_all(world.geometry[world["iso3"] == code].to_numpy())
        shapely.prepare(shape)
        x0, y0, x1, y1 = shape.bounds
        got_x, got_y, have = [], [], 0
        while have < k:
            x = rng.uniform(x0 - max_deg, x1 + max_deg, 20 * (k - have) + 1000)
            y = rng.uniform(y0 - max_deg, y1 + max_deg, 20 * (k - have) + 1000)
            pts = shapely.points(x, y)
            near = ~shapely.contains_xy(shape, x, y) & (shapely.distance(shape, pts) <= max_deg)
            got_x.append(x[near])
            got_y.append(y[near])
            have += int(near.sum())
        lons.append(np.concatenate(got_x)[:k])
        lats.append(np.concatenate(got_y)[:k])
        isos.append(np.full(k, code, dtype=object))
    return np.concatenate(lons), np.concatenate(lats), np.concatenate(isos)


def write_messy_parquet(path: Path, n: int, seed: int = 0, border_share: float = 0.001,
                        row_group: int = 100_000) -> Path:
    """The issue's "messy 1M": the clean sites with unique names (``Prospect N``) and ids,
    deposit types spelled ``heavy_mineral_sand`` and ``alkaline``, and ``border_share`` of the
    points moved just across a border of the country they name (some then are warnings, kept;
    others errors, rejected). GeoParquet like the clean file, so the two compare like for like."""
    import shapely

    gdf = sites_frame(n, seed)
    gdf["name"] = np.char.add("Prospect ", np.arange(n).astype(str)).astype(object)
    gdf["deposit_type"] = gdf["deposit_type"].replace(TYPE_SPELLINGS)
    rng = np.random.default_rng(seed + 3)
    moved = rng.choice(n, size=max(1, round(n * border_share)), replace=False)
    lon, lat, iso = points_across_borders(len(moved), seed + 4)
    geoms = gdf.geometry.to_numpy().copy()
    geoms[moved] = shapely.points(lon, lat)
    gdf = gdf.set_geometry(geoms, crs="EPSG:4326")
    gdf.loc[gdf.index[moved], "country"] = iso
    gdf.to_parquet(path, index=False, row_group_size=row_group)
    return path
