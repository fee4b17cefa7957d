"""Build ``layers/ree_deposits_global.csv`` from DARPA-CRITICALMAAS/ta2-minmod-data.

Usage: ``python scripts/build_ree_global.py SOURCE_REPO_DIR`` where SOURCE_REPO_DIR is a
bare git directory (read with ``git --git-dir DIR show HEAD:<path>``) or a checked-out copy.

Sources (MinMod JSON, one file per bucket ``b*.json``; missing buckets are skipped):

* ``data/mineral-sites/usc/jowitt_ree`` -- Weng, Jowitt, Mudd & Haque (2015), "A Detailed
  Assessment of Global Rare Earth Element Resources", Econ. Geol. 110(8):1925,
  doi:10.2113/econgeo.110.8.1925. Ore tonnage (Mt, M+I+I as tagged) and per-element grades in
  ppm of the ELEMENT, evidently back-calculated from Weng's TREO grade and REO distribution
  with Ce as Ce2O3: re-converting with Ce2O3 (1.1713) gives round values (Mountain Pass 8.00 %,
  Bayan Obo 5.99 %) and the 2012 Mount Weld grades (CLD 9.75 % vs 9.8 %, Duncan 4.85 % vs 4.8 %),
  whereas CeO2 (1.2284) overshoots them by 2-3 %. No coordinates.
* ``data/mineral-sites/umn/mrdata_ree`` -- Orris & Grauch (2002) USGS OFR 02-189 "Rare earth
  element mines, deposits, and occurrences" (mrdata.usgs.gov/ree): name, country, WGS84 point.
* ``data/mineral-sites/sri/mrdata_ree`` -- SRI algorithmic deposit-type predictions (v2.1) for
  the same USGS record ids; the highest-confidence candidate is used.

Derived columns (arithmetic on the published figures only):

* ``la_pct`` ... ``y_pct``: ELEMENT grade in % (source ppm / 10000), not oxide.
* ``treo_pct``: sum over La-Lu + Y (Sc excluded) of element ppm x oxide factor / 10000, on the
  basis La2O3 1.1728, Ce2O3 1.1713, Pr6O11 1.2082, Nd2O3 1.1664, Sm2O3 1.1596, Eu2O3 1.1579,
  Gd2O3 1.1526, Tb4O7 1.1762, Dy2O3 1.1477, Ho2O3 1.1455, Er2O3 1.1435, Tm2O3 1.1421,
  Yb2O3 1.1387, Lu2O3 1.1371, Y2O3 1.2699. Computed only when La, Ce, Pr, Nd, Sm, Gd, Dy and Y
  are all given; unreported minor HREE (Eu, Tb, Ho, Er, Tm, Yb, Lu) count as absent.
* ``ndpr_pct`` = 100 x (Nd2O3 + Pr6O11) / TREO; ``dytb_pct`` = 100 x (Dy2O3 + Tb4O7) / TREO
  (both need treo_pct and both elements).
* ``tonnage_mt``: the record's ore tonnage (one value per record in this source).

Deduplication: one row per deposit. Weng and USGS records are the same deposit when their
ISO3 country and normalised name (accents, punctuation and a trailing parenthesis removed)
agree, or when listed in ``MANUAL_MATCH`` (hand-checked name variants). Rule: keep the
record with composition, then the most recent -- Weng 2015 always wins over USGS 2002; its row
takes lon/lat from the matched USGS record (the same deposit) and lists both records in the
provenance columns. USGS records with the same name and country are merged when their points
are equal or one lacks a point (the one with a point is kept); otherwise both stay, with the
USGS record id appended to the gid. gid = existing project id (``KNOWN_IDS``) else
iso3-slug(name) ("unk" when the source country is e.g. "USSR"). deposit_type: first
``TYPE_MAP`` regex hit on the source label, else "other"; empty when the source has no label.
th_ppm stays empty: neither source carries a thorium grade.
"""

import csv
import io
import json
import re
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "layers" / "ree_deposits_global.csv"
REPO = "DARPA-CRITICALMAAS/ta2-minmod-data"
SITES = "data/mineral-sites"
WENG, USGS, SRI = (f"{SITES}/usc/jowitt_ree", f"{SITES}/umn/mrdata_ree", f"{SITES}/sri/mrdata_ree")
WENG_DOC = (
    "Weng Z., Jowitt S.M., Mudd G.M., Haque N. (2015) A Detailed Assessment of Global Rare "
    "Earth Element Resources: Opportunities and Challenges. Economic Geology 110(8):1925-1952"
)
USGS_DOC = ("Orris G.J., Grauch R.I. (2002) Rare Earth Element Mines, Deposits, and Occurrences. "
            "USGS Open-File Report 02-189 (via mrdata.usgs.gov/ree)")
OXIDE = {"La": 1.1728, "Ce": 1.1713, "Pr": 1.2082, "Nd": 1.1664, "Sm": 1.1596, "Eu": 1.1579,
         "Gd": 1.1526, "Tb": 1.1762, "Dy": 1.1477, "Ho": 1.1455, "Er": 1.1435, "Tm": 1.1421,
         "Yb": 1.1387, "Lu": 1.1371, "Y": 1.2699}
NEEDED = ("La", "Ce", "Pr", "Nd", "Sm", "Gd", "Dy", "Y")
COLUMNS = ["gid", "name", "country", "lon", "lat", "deposit_type", "deposit_type_source",
           "tonnage_mt", "treo_pct", "ndpr_pct", "dytb_pct", "la_pct", "ce_pct", "nd_pct",
           "pr_pct", "dy_pct", "tb_pct", "y_pct", "th_ppm", "source_dataset",
           "source_record_id", "source_document", "source_url"]
TYPE_MAP = [  # (regex on the source label, vocabulary term); first match wins
    (r"placer|heavy mineral", "heavy_mineral_sands"), (r"ion adsorption|laterite / soil", "ionic_clay"),
    (r"carbonatite", "carbonatite"), (r"alkaline|peralkaline|apatite- nepheline", "alkaline_complex"),
    (r"tailings", "tailings"), (r"pegmatite", "pegmatite"), (r"phosphorite", "phosphorite"),
    (r"iocg|ioa|iron oxide", "iron_oxide"),
    (r"skarn|hydrothermal|breccia|unconformity|fluorite|mvt|polymetallic", "hydrothermal"),
]
COUNTRY_FIX = {"usa": "USA", "burma": "MMR", "korea, republic of": "KOR", "surinam": "SUR",
               "congo (zaire)": "COD", "nambia": "NAM", "russia": "RUS", "vietnam": "VNM"}
# name -> existing layers/{deposits,projects}.geojson id (aus-eneabba is the stockpile, not the sands)
KNOWN_IDS = {
    "Mount Weld CLD": "aus-mount-weld", "Nolans Bore": "aus-nolans", "Kangankunde": "mwi-kangankunde",
    "Songwe Hill": "mwi-songwe-hill", "Dubbo Zirconia (Toongi)": "aus-dubbo-toongi",
    "Charley Creek (JV)": "aus-charley-creek", "Narraburra": "aus-narraburra",
    "Hastings-Brockman": "aus-brockman", "Mountain Pass": "usa-mountain-pass",
    "Bear Lodge": "usa-bear-lodge", "Kvanefjeld": "grl-kvanefjeld", "Tanbreez": "grl-tanbreez",
    "Thor Lake/ Nechalacho (Basal and Upper)": "can-nechalacho", "Norra Kärr": "swe-norra-karr",
    "Kipawa Lake (Zeus)": "can-kipawa", "Ashram (Eldor)": "can-ashram", "Strange Lake": "can-strange-lake",
    "Round Top": "usa-round-top", "Bokan - Dotson": "usa-bokan-dotson-ridge",
    "Kutessay II": "kgz-kutessay-ii", "Hoidas Lake (JAK Zone)": "can-hoidas-lake",
    "Sarfartoq ST-1 Zone": "grl-sarfartoq", "Motzfeldt (Aries)": "grl-motzfeldt", "Montviel": "can-montviel",
    "Niobec REE Zone": "can-niobec-ree", "Foxtrot": "can-foxtrot", "Steenkampskraal": "zaf-steenkampskraal",
    "Ngualla": "tza-ngualla", "Zandkopsdrift (Sandkopsdrif)": "zaf-zandkopsdrift",
    "Mrima Hill": "ken-mrima-hill", "Tantalus": "mdg-ampasindava", "Wigu Hill": "tza-wigu-hill",
    "Glenover (JV)": "zaf-glenover", "Bayan Obo": "chn-bayan-obo", "Araxá": "bra-araxa-mbac",
    "Jabal Sa'id Zr deposit": "sau-jabal-sayid",
    "Yangibana,Yangibana North, Yangibana South": "aus-yangibana",
    "Mushagai Khudag (Mushugay-Khuduk)": "mng-mushgai-khudag", "Khaldzan-Buregtey": "mng-khalzan-buregtei",
    "Amma Dongar(Ambadungar)": "ind-ambadongar", "Manavalakuruchi": "ind-manavalakurichi",
    "Kizilcaoren": "tur-beylikova", "Morro dos Seis Lagos": "bra-seis-lagos",
    "Eneabba": "aus-eneabba-mineral-sands", "Chavara (Quilon)- IREL": "ind-chavara",
    "Lofdal-Bergville": "nam-lofdal",
    "Chatrapur (Chartrapur, Orissa Sands Complex/OSCOM)": "ind-oscom-chatrapur",
    "Khibina (Khibiny)": "rus-khibiny-apatite", "Pocos de Caldas (Morro do Ferro)": "bra-morro-do-ferro",
    "Buena (Buena Norte, Buena Sul)": "bra-buena-inb", "Longonjo (Mt. Chibilundo)": "ago-longonjo",
    "Karonge (Gakara)": "bdi-gakara",
}
# Weng deposit name -> USGS mrdata_ree record id, checked by hand where the names differ
MANUAL_MATCH = {
    "Hastings-Brockman": "163", "Dubbo Zirconia (Toongi)": "259", "Mount Weld CLD": "135",
    "Scott River": "369", "Yangibana,Yangibana North, Yangibana South": "149", "Ashram (Eldor)": "24",
    "Hoidas Lake (JAK Zone)": "299", "Lavergne-Springer": "86",
    "Thor Lake/ Nechalacho (Basal and Upper)": "255", "Saint-Honoré Complex": "87", "Korsnäs": "748",
    "Motzfeldt (Aries)": "186", "Sarfartoq ST-1 Zone": "80", "Amma Dongar(Ambadungar)": "4",
    "Mushagai Khudag (Mushugay-Khuduk)": "60", "Songwe Hill": "247", "Jabal Sa'id Zr deposit": "192",
    "Bear Lodge": "10", "Gallinas Mountain": "745", "Hall Mountain": "286", "Mineville": "272",
    "Pajarita Mountains": "233", "Palabora (Phalaborwa) Complex": "72", "Pilanesberg": "234",
    "Zandkopsdrift (Sandkopsdrif)": "78",
}


class Source:
    """Read files from a bare git directory or a checked-out copy.

    Parameters
    ----------
    root : Path
        Bare git dir (has ``HEAD`` and ``objects/``) or a work tree.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bare = (root / "HEAD").is_file() and (root / "objects").is_dir()
        gitdir = root if self.bare else root / ".git"
        self.gitdir = gitdir if gitdir.exists() else None
        self.commit = self._git("rev-parse", "HEAD").strip() if self.gitdir else "unknown"

    def _git(self, *args: str) -> str:
        cmd = ["git", f"--git-dir={self.gitdir}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def records(self, folder: str) -> list[tuple[str, dict]]:
        """Return ``(path, record)`` pairs for every ``b*.json`` bucket under ``folder``."""
        paths = (self._git("ls-tree", "-r", "--name-only", "HEAD", folder).split() if self.bare
                 else [str(p.relative_to(self.root)) for p in (self.root / folder).glob("*.json")])
        out = []
        for path in sorted(p for p in paths if p.endswith(".json")):
            try:
                out += [(path, rec) for rec in json.loads(self.text(path))]
            except (subprocess.CalledProcessError, OSError, ValueError):
                print(f"skipped missing/unreadable bucket {path}", file=sys.stderr)
        return out

    def text(self, path: str) -> str:
        """Return one file's text."""
        return self._git("show", f"HEAD:{path}") if self.bare else (self.root / path).read_text("utf-8")


def norm(name: str) -> str:
    """Normalise a deposit name for matching (ASCII, lower case, no parenthesis/punctuation)."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", re.sub(r"\(.*?\)\s*$", "", ascii_.lower()))


def slug(name: str) -> str:
    """Return a lower-case ASCII slug."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", ascii_)).strip("-")


def country_lookup(src: Source) -> tuple[dict[str, str], dict[str, str]]:
    """Return (MinMod QID -> ISO3, lower-case name -> ISO3) from the repo's country entity table."""
    table = pd.read_csv(io.StringIO(src.text("data/entities/country.csv")), dtype=str)
    by_qid = dict(zip(table["minmod_id"], table["iso3"], strict=False))
    by_name = {str(n).lower(): i for n, i in zip(table["name"], table["iso3"], strict=False)}
    return by_qid, {**by_name, **COUNTRY_FIX}


def iso3(rec: dict, by_qid: dict[str, str], by_name: dict[str, str]) -> str:
    """ISO3 of a record's first country candidate ('' if unknown, e.g. 'USSR')."""
    cand = (rec.get("location_info", {}).get("country") or [{}])[0]
    qid = cand.get("normalized_uri", "").rsplit("/", 1)[-1]
    return by_qid.get(qid) or by_name.get(cand.get("observed_name", "").lower(), "")


def map_type(label: str) -> str:
    """Map a source deposit-type label onto the project vocabulary."""
    return next((term for pat, term in TYPE_MAP if re.search(pat, label.lower())), "other" if label else "")


def composition(inventory: list[dict]) -> dict[str, float | None]:
    """Grade/tonnage columns from a Weng record's mineral inventory (see module docstring)."""
    ppm: dict[str, float] = {}
    ores = set()
    for item in inventory:
        label = item.get("commodity", {}).get("observed_name", "")
        unit = item.get("grade", {}).get("unit", {}).get("observed_name", "")
        el = label.split()[0] if label else ""
        if el in OXIDE and unit.endswith("ppm") and "value" in item.get("grade", {}):
            ppm[el] = float(item["grade"]["value"])
        if item.get("ore", {}).get("unit", {}).get("observed_name") == "Mt":
            ores.add(float(item["ore"]["value"]))
    row: dict[str, float | None] = {f"{e.lower()}_pct": (ppm[e] / 1e4 if e in ppm else None)
                                    for e in ("La", "Ce", "Nd", "Pr", "Dy", "Tb", "Y")}
    row["tonnage_mt"] = ores.pop() if len(ores) == 1 else None
    oxide = {e: v * OXIDE[e] for e, v in ppm.items()}
    treo = sum(oxide.values()) if all(e in ppm for e in NEEDED) else None
    row["treo_pct"] = treo / 1e4 if treo else None
    row["ndpr_pct"] = 100 * (oxide["Nd"] + oxide["Pr"]) / treo if treo else None
    dytb = oxide["Dy"] + oxide["Tb"] if "Dy" in oxide and "Tb" in oxide else None
    row["dytb_pct"] = 100 * dytb / treo if treo and dytb is not None else None
    return row


def point(rec: dict) -> tuple[float | None, float | None]:
    """(lon, lat) from a WKT ``POINT (x y)`` in EPSG:4326, else (None, None)."""
    m = re.match(r"POINT \(([-\d.]+) ([-\d.]+)\)", rec.get("location_info", {}).get("location", ""))
    return (float(m[1]), float(m[2])) if m else (None, None)


def build(src: Source) -> pd.DataFrame:
    """Assemble the deduplicated table."""
    by_qid, by_name = country_lookup(src)
    tag = f"@{src.commit}"
    sri = {r["record_id"]: (p, r.get("deposit_type_candidate") or [{}]) for p, r in src.records(SRI)}
    usgs: dict[tuple[str, str], list[dict]] = {}
    for path, rec in src.records(USGS):
        lon, lat = point(rec)
        sri_path, cands = sri.get(rec["record_id"], ("", [{}]))
        cand = max(cands, key=lambda c: c.get("confidence", 0))
        label = cand.get("observed_name", "")
        row = {"name": rec["name"].strip(), "country": iso3(rec, by_qid, by_name), "lon": lon,
               "lat": lat, "deposit_type": map_type(label),
               "deposit_type_source": (f"{label} (SRI algorithm v2.1 prediction, confidence "
                                       f"{cand['confidence']:.2f})") if label else "",
               "source_dataset": f"{REPO}/{path}{tag}" + (f" | {REPO}/{sri_path}{tag}" if label else ""),
               "source_record_id": f"mrdata_ree:{rec['record_id']}", "source_document": USGS_DOC,
               "source_url": "https://mrdata.usgs.gov/ree", "gid": KNOWN_IDS.get(rec["name"].strip())}
        group = usgs.setdefault((row["country"], norm(row["name"])), [])
        same = [g for g in group if g["lon"] is None or lon is None or (g["lon"], g["lat"]) == (lon, lat)]
        if not same:
            group.append(row)
        elif same[0]["lon"] is None and lon is not None:
            group[group.index(same[0])] = row
    rows = []
    for path, rec in src.records(WENG):
        label = (rec.get("deposit_type_candidate") or [{}])[0].get("observed_name", "")
        doc = (rec.get("reference") or [{}])[0].get("document", {})
        row = {"name": rec["name"].strip(), "country": iso3(rec, by_qid, by_name), "lon": None,
               "lat": None, "deposit_type": map_type(label), "deposit_type_source": label,
               "source_dataset": f"{REPO}/{path}{tag}",
               "source_record_id": f"jowitt_ree:{rec['record_id']}",
               "source_document": WENG_DOC,
               "source_url": doc.get("uri", "https://doi.org/10.2113/econgeo.110.8.1925"),
               "gid": KNOWN_IDS.get(rec["name"].strip()),
               **composition(rec.get("mineral_inventory") or [])}
        match = usgs.pop((row["country"], norm(row["name"])), None)
        if not match and row["name"] in MANUAL_MATCH:
            rid = f"mrdata_ree:{MANUAL_MATCH[row['name']]}"
            for group in usgs.values():
                match = match or [g for g in group if g["source_record_id"] == rid]
                group[:] = [g for g in group if g["source_record_id"] != rid]
        if match:
            hit = next((m for m in match if m["lon"] is not None), match[0])
            row.update(lon=hit["lon"], lat=hit["lat"])
            for key in ("source_dataset", "source_record_id", "source_url"):
                row[key] += " | " + " | ".join(m[key] for m in match)
            row["source_document"] += " | " + USGS_DOC + " (coordinates)"
        rows.append(row)
    rows += [r for group in usgs.values() for r in group]
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    auto = df["country"].fillna("").str.lower().replace("", "unk") + "-" + df["name"].map(slug)
    df["gid"] = df["gid"].fillna(auto)
    dup = df["gid"].duplicated(keep=False) & df["source_record_id"].str.startswith("mrdata_ree")
    df.loc[dup, "gid"] += "-" + df.loc[dup, "source_record_id"].str.split(":").str[1]
    assert not df["gid"].duplicated().any(), df.loc[df["gid"].duplicated(keep=False), "gid"]
    return df.sort_values("gid").reset_index(drop=True)


def main(argv: list[str]) -> int:
    """Entry point: ``build_ree_global.py SOURCE_REPO_DIR``."""
    if len(argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    df = build(Source(Path(argv[1])))
    for col, fmt in [(c, ".6f") for c in COLUMNS[3:5]] + [(c, ".6g") for c in COLUMNS[7:19]]:
        df[col] = df[col].map(  # plain decimals, no exponent
            lambda x, f=fmt: "" if pd.isna(x) else format(Decimal(format(x, f)).normalize(), "f"))
    df.to_csv(OUT, index=False, quoting=csv.QUOTE_MINIMAL, encoding="utf-8")
    print(f"wrote {len(df)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
