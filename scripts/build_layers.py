"""Rebuild the bundled deposit, facility and port layers from the research tables in
``layers/src/`` (committed), so that every derived file can be regenerated::

    python scripts/build_layers.py            # writes layers/deposits.geojson, deposit_facts.csv,
                                              # facilities.geojson and extends ports.geojson

Inputs
------
``layers/src/deposits_base.csv``
    The first compiled deposit table (one row a deposit, lon/lat columns, row-level sources).
``layers/src/deposit_facts_<ISO3>.csv``
    Long format, one sourced fact per row: ``deposit_id, field, value, source, source_url,
    source_year, note``. A fact overrides the base value of its field; a fact for an unknown id
    adds a deposit. All facts are also written, sorted, to ``layers/deposit_facts.csv`` (the
    per-figure provenance that ships with the package).
``layers/ree_deposits_global.csv``
    The global compilation (``scripts/build_ree_global.py``): composition shares and
    deposit-level coordinates for layer deposits that lack them (:func:`compilation_facts`).
``layers/src/facilities.csv``
    The facility table (lon/lat columns, capacities in t/yr with what they measure).
``layers/src/facility_facts.csv``
    Long format like the deposit facts (``facility_id, field, value, source, ...``): corrections
    and new fields (``owner_country``, ``state_linked``, ``contracted_feed_share_pct``,
    ``planned_product_capacity_tpa``, statuses, capacities). A field given once overrides the
    table's value and its source is appended to the row; fields that list one contract per row
    (``contracted_feed_tpa``, ``contracted_output_tpa``) are provenance only: contracts that bind a
    plant's feed live in ``offtakes.csv``.

A deposit row's ``source``/``source_url`` list the base row's sources followed by those of its
facts; ``source_year`` is the latest of them. Coordinates that could not be sourced stay null.
Ports a facility is served by and that ``ports.geojson`` lacks are added with the code, name and
coordinates of the searoute package's port list (the same provenance as the existing ports).
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
SRC = LAYERS / "src"
HM_SHARES = ("monazite_pct_of_hm", "zircon_pct_of_hm", "ilmenite_pct_of_hm", "rutile_pct_of_hm",
             "leucoxene_pct_of_hm", "garnet_pct_of_hm", "sillimanite_pct_of_hm")
OUTPUTS = ("ore_throughput_mtpa", "monazite_tpa", "hmc_tpa", "zircon_tpa", "ilmenite_tpa", "rutile_tpa")
NUMERIC = ("lon", "lat", "resource_mt", "treo_pct", "ndpr_pct", "dytb_pct", "th_ppm", "u_ppm",
           "reserve_mt", "reserve_treo_pct", "hm_pct", *HM_SHARES, *OUTPUTS, "resource_year",
           "source_year", "year_discovery", "year_first_resource", "year_construction",
           "year_production", "year_stopped")
FACT_COLUMNS = ["deposit_id", "field", "value", "source", "source_url", "source_year", "note"]
NEW_TEXT = ("main_ree_minerals", "resource_class", "equity_split", "partner_sought",
            "government_finance", "offtake_summary")


def read_csv(path: Path) -> pd.DataFrame:
    """A research table as text, empty cells as None."""
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)


def load_facts(paths: list[str]) -> pd.DataFrame:
    """Every fact file, checked: known columns, one row per (deposit, field), a source each."""
    facts = pd.concat([read_csv(Path(p)).assign(_file=Path(p).name) for p in paths], ignore_index=True)
    missing = [c for c in FACT_COLUMNS if c not in facts.columns]
    if missing:
        raise SystemExit(f"fact files lack column(s) {missing}")
    dup = facts.duplicated(["deposit_id", "field"], keep=False)
    if dup.any():
        first = facts[dup].iloc[0]
        raise SystemExit(f"{first['_file']}: {first['deposit_id']}.{first['field']} given twice")
    unsourced = facts["source"].isna() | facts["source_url"].isna()
    if unsourced.any():
        first = facts[unsourced].iloc[0]
        raise SystemExit(f"{first['_file']}: {first['deposit_id']}.{first['field']} has no source")
    return facts.sort_values(["deposit_id", "field"], kind="stable").reset_index(drop=True)


COMPOSITION = ("ndpr_pct", "dytb_pct")
KEEP_LOCATION = {"ind-manavalakurichi": "the USGS point plots about 7 km inland of the beach sands"}
"""Deposits whose compilation point was checked and rejected, with the reason."""


def compilation_facts(base: pd.DataFrame, facts: pd.DataFrame, global_table: Path) -> pd.DataFrame:
    """Facts from the peer-reviewed global compilation (``ree_deposits_global.csv``, Weng et al.
    2015 / USGS OFR 02-189) for deposits of the layer that lack them:

    * NdPr and Dy+Tb shares of TREO where neither the base row nor a fact gives one (the
      compilation's shares are computed from its element grades, see its build script);
    * deposit-level coordinates (``medium``: a government survey database) where the layer has
      none or only a locality's (``low``), unless a researcher's fact already decided the location
      or the compilation's point is coarse (both coordinates on a half degree).
    """
    table = read_csv(global_table)
    known = set(zip(facts["deposit_id"], facts["field"], strict=True))
    current = base.set_index("id")
    fact_value = {(r.deposit_id, r.field): r.value for r in facts.itertuples()}
    rows = []

    def value(did, field):
        if (did, field) in fact_value:
            return fact_value[(did, field)]
        found = current.at[did, field] if did in current.index and field in current else None
        return None if pd.isna(found) else found

    decided = {did for did, field in known if field in ("lon", "lat", "location_confidence",
                                                        "location_note")}

    for rec in table[table["gid"].isin(set(current.index) | set(facts["deposit_id"]))].itertuples():
        src = dict(source=f"{rec.source_document} (record {rec.source_record_id})",
                   source_url=rec.source_url, source_year="2015")
        for field in COMPOSITION:
            share = getattr(rec, field)
            if pd.notna(share) and (rec.gid, field) not in known and value(rec.gid, field) is None:
                rows.append(dict(deposit_id=rec.gid, field=field, value=f"{float(share):.2f}", **src,
                                 note="share of TREO from the compilation's element grades "
                                      "(scripts/build_ree_global.py); not from a company statement"))
        confidence = value(rec.gid, "location_confidence")
        coarse = pd.isna(rec.lon) or pd.isna(rec.lat) or all(
            float(v) * 2 == round(float(v) * 2) for v in (rec.lon, rec.lat))
        if not coarse and confidence in (None, "low") and rec.gid not in decided | set(KEEP_LOCATION):
            usgs = dict(source="Orris G.J., Grauch R.I. (2002) Rare Earth Element Mines, Deposits, and "
                               f"Occurrences. USGS Open-File Report 02-189 (record {rec.source_record_id})",
                        source_url="https://mrdata.usgs.gov/ree/", source_year="2002")
            note = "deposit-level point of the USGS REE compilation (via ree_deposits_global.csv)"
            rows += [dict(deposit_id=rec.gid, field="lon", value=rec.lon, **usgs, note=note),
                     dict(deposit_id=rec.gid, field="lat", value=rec.lat, **usgs, note=note),
                     dict(deposit_id=rec.gid, field="location_confidence", value="medium", **usgs,
                          note=note)]
    return pd.DataFrame(rows, columns=FACT_COLUMNS)


def heavy_mineral_facts(base: pd.DataFrame, facts: pd.DataFrame, costs: Path) -> pd.DataFrame:
    """Derived TREO grades of heavy-mineral sands: ``hm_pct x monazite_pct_of_hm x`` the TREO
    content of monazite (``costs.csv`` parameter ``monazite_treo``), for deposits with both shares
    and no TREO grade of their own. Each derived fact names its inputs and their sources."""
    table = read_csv(costs)
    row = table[table["parameter"] == "monazite_treo"].iloc[0]
    monazite = float(row["value"])
    current = base.set_index("id")
    by_key = {(r.deposit_id, r.field): r for r in facts.itertuples()}

    def get(did, field):
        if (did, field) in by_key:
            return by_key[(did, field)]
        if did in current.index and field in current and pd.notna(current.at[did, field]):
            return current.at[did, field]
        return None

    out = []
    for did in sorted(set(current.index) | set(facts["deposit_id"])):
        hm, share = get(did, "hm_pct"), get(did, "monazite_pct_of_hm")
        if hm is None or share is None or get(did, "treo_pct") is not None:
            continue
        value = lambda v: float(v.value if hasattr(v, "value") else v)  # noqa: E731
        cited = [v for v in (hm, share) if hasattr(v, "source")]
        grade = value(hm) * value(share) / 100 * monazite / 100
        out.append(dict(
            deposit_id=did, field="treo_pct", value=f"{grade:.4f}",
            source=" | ".join(dict.fromkeys([*(c.source for c in cited), row["source"]])),
            source_url=" | ".join(dict.fromkeys([*(c.source_url for c in cited), row["source_url"]])),
            source_year=str(max([int(float(y)) for y in (*(c.source_year for c in cited), row["year"])
                                 if y is not None and pd.notna(pd.to_numeric(y, errors="coerce"))])),
            note=f"derived: hm_pct {value(hm):g} % x monazite_pct_of_hm {value(share):g} % x monazite "
                 f"TREO {monazite:g} % (costs.csv monazite_treo); not a published TREO grade"))
    return pd.DataFrame(out, columns=FACT_COLUMNS)


def apply_facts(base: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Base rows with facts applied (new ids appended), sources merged per row."""
    rows = {rec["id"]: rec for rec in base.to_dict("records")}
    for did, group in facts.groupby("deposit_id", sort=False):
        rec = rows.setdefault(did, {"id": did})
        for fact in group.itertuples():
            rec[fact.field] = fact.value
        sources = [s for s in [rec.get("source"), *group["source"]] if isinstance(s, str)]
        urls = " | ".join(u for u in [rec.get("source_url"), *group["source_url"]] if isinstance(u, str))
        rec["source"] = " | ".join(dict.fromkeys(sources))
        rec["source_url"] = " | ".join(dict.fromkeys(u.strip() for u in urls.split(" | ") if u.strip()))
        years = pd.to_numeric(pd.Series([rec.get("source_year"), *group["source_year"]], dtype=object),
                              errors="coerce")
        rec["source_year"] = None if years.isna().all() else str(int(years.max()))
    columns = list(dict.fromkeys([*base.columns, *NEW_TEXT, *facts["field"].unique()]))
    return pd.DataFrame(list(rows.values())).reindex(columns=columns)


MULTI_FACILITY_FIELDS = ("contracted_feed_tpa", "contracted_output_tpa")


def apply_facility_facts(facilities: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Facility rows with their single-valued facts applied and sources appended."""
    rows = {rec["id"]: rec for rec in facilities.to_dict("records")}
    unknown = sorted(set(facts["facility_id"]) - set(rows))
    if unknown:
        raise SystemExit(f"facility_facts.csv: unknown facility id(s) {', '.join(unknown)}")
    usable = facts[~facts["field"].isin(MULTI_FACILITY_FIELDS)]
    dup = usable.duplicated(["facility_id", "field"], keep=False)
    if dup.any():
        first = usable[dup].iloc[0]
        raise SystemExit(f"facility_facts.csv: {first['facility_id']}.{first['field']} given twice")
    for fid, group in facts.groupby("facility_id", sort=False):
        rec = rows[fid]
        for fact in group.itertuples():
            if fact.field in MULTI_FACILITY_FIELDS:
                continue
            if fact.field == "accepts_third_party":
                rec["third_party_policy"] = fact.value
            else:
                rec[fact.field] = fact.value
        rec["source"] = " | ".join(dict.fromkeys(s for s in [rec.get("source"), *group["source"]]
                                                 if isinstance(s, str)))
        rec["source_url"] = " | ".join(dict.fromkeys(u for u in [rec.get("source_url"), *group["source_url"]]
                                                     if isinstance(u, str)))
    columns = list(dict.fromkeys([*facilities.columns, *(f for f in facts["field"].unique()
                                                         if f not in MULTI_FACILITY_FIELDS
                                                         and f != "accepts_third_party")]))
    return pd.DataFrame(list(rows.values())).reindex(columns=columns)


def to_geojson(df: pd.DataFrame, target: Path, numeric=()) -> int:
    """Write a table with lon/lat columns as GeoJSON (EPSG:4326, 6 decimals, null geometry
    where a coordinate is missing)."""
    df = df.copy()
    lon = pd.to_numeric(df.pop("lon"), errors="coerce")
    lat = pd.to_numeric(df.pop("lat"), errors="coerce")
    geoms = [shapely.Point(x, y) if pd.notna(x) and pd.notna(y) else None
             for x, y in zip(lon, lat, strict=True)]
    for col in df.columns:
        values = pd.to_numeric(df[col], errors="coerce")
        if col in numeric or (df[col].notna().any() and values.notna().sum() == df[col].notna().sum()):
            df[col] = values
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:4326")
    gdf.to_file(target, driver="GeoJSON", COORDINATE_PRECISION=6, WRITE_NAME="NO")
    return len(gdf)


def add_facility_ports(facilities: pd.DataFrame) -> list[str]:
    """Append to ports.geojson every facility port it lacks, from searoute's port list."""
    import searoute

    ports = gpd.read_file(LAYERS / "ports.geojson")
    wanted = sorted(set(facilities["port_locode"].dropna()) - set(ports["locode"]))
    if not wanted:
        return []
    listed = json.loads((Path(searoute.__file__).parent / "data" / "ports.geojson").read_text())
    by_code = {f["properties"]["port"]: f for f in listed["features"]}
    import pycountry

    rows = []
    for code in wanted:
        feat = by_code[code]
        country = pycountry.countries.get(alpha_2=code[:2])
        rows.append({"locode": code, "name": feat["properties"]["name"],
                     "country": country.alpha_3 if country else None, "bulk_concentrate": None,
                     "notes": "Coordinates and code from searoute ports.geojson; added as the port "
                              "a facility is served by (layers/src/facilities.csv).",
                     "source": "searoute-py ports.geojson (searoute 1.6.0 on PyPI)",
                     "source_url": "https://github.com/genthalili/searoute-py/blob/main/searoute/data/ports.geojson",
                     "source_year": 2024, "geometry": shapely.Point(*feat["geometry"]["coordinates"])})
    merged = pd.concat([ports, gpd.GeoDataFrame(rows, crs="EPSG:4326")], ignore_index=True)
    gpd.GeoDataFrame(merged, crs="EPSG:4326").to_file(LAYERS / "ports.geojson", driver="GeoJSON",
                                                      COORDINATE_PRECISION=6, WRITE_NAME="NO")
    return wanted


def main() -> None:
    """Rebuild the layers; print what was written."""
    facts = load_facts(sorted(glob.glob(str(SRC / "deposit_facts_*.csv")))).drop(columns="_file")
    base = read_csv(SRC / "deposits_base.csv")
    derived = compilation_facts(base, facts, LAYERS / "ree_deposits_global.csv")
    heavy = heavy_mineral_facts(base, facts, LAYERS / "costs.csv")
    facts = pd.concat([facts, derived, heavy], ignore_index=True).sort_values(
        ["deposit_id", "field"], kind="stable").reset_index(drop=True)
    facts.to_csv(LAYERS / "deposit_facts.csv", index=False)
    deposits = apply_facts(base, facts)
    n = to_geojson(deposits, LAYERS / "deposits.geojson", numeric=NUMERIC)
    print(f"deposits.geojson: {n} features ({len(facts)} facts)")
    facilities = apply_facility_facts(read_csv(SRC / "facilities.csv"), read_csv(SRC / "facility_facts.csv"))
    n = to_geojson(facilities, LAYERS / "facilities.geojson",
                   numeric=("feed_capacity_tpa", "product_capacity_tpa", "planned_product_capacity_tpa",
                            "contracted_feed_share_pct", "status_year", "source_year"))
    print(f"facilities.geojson: {n} features")
    added = add_facility_ports(facilities)
    print(f"ports.geojson: added {', '.join(added) or 'nothing'}")


if __name__ == "__main__":
    main()
