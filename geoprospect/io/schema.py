"""The canonical deposit schema: columns, units, allowed values and the alias table.

User layers name their columns in many ways (``TREO (%)``, ``Grade_TREO``, ``Tonnage_Mt``,
``Deposit Name``). :func:`canonical_name` maps a header to a canonical column and the factor that
converts its unit (``TREO ppm`` -> ``treo_pct`` times 1e-4). Unknown columns are kept untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from geoprospect.io.vocabulary import PUBLIC_ALIASES


@dataclass(frozen=True)
class Column:
    """One canonical column of the deposit schema."""

    name: str
    kind: str  # "str", "float", "int", "list"
    unit: str = ""
    description: str = ""
    required: bool = False  # a layer without it cannot be used (none is, today: id and name are made)
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    zero_is_unknown: bool = False  # 0 is no estimate (a placeholder): read as empty, with a warning


STAGES = (
    "occurrence",
    "exploration",
    "resource",
    "feasibility",
    "construction",
    "production",
    "suspended",
    "historic",
    "cancelled",
)
DEPOSIT_TYPES = (
    "carbonatite",
    "alkaline_complex",
    "ionic_clay",
    "heavy_mineral_sands",
    "hydrothermal",
    "iron_oxide",
    "phosphorite",
    "pegmatite",
    "tailings",
    "other",
)
MINERALS = (
    "monazite",
    "xenotime",
    "bastnaesite",
    "parisite",
    "synchysite",
    "apatite",
    "eudialyte",
    "loparite",
    "allanite",
    "florencite",
    "churchite",
    "fergusonite",
    "zircon",
    "ionic",
    "other",
)
CONFIDENCE = ("high", "medium", "low")
RESOURCE_CLASSES = ("reserve", "resource", "historic_estimate", "exploration_target", "no_estimate")
"""What a row's resource numbers are: an ore reserve, a code-compliant (JORC, NI 43-101, ...)
resource, a historic or non-compliant estimate, an exploration target, or no estimate at all."""

DEPOSIT_COLUMNS: tuple[Column, ...] = (
    Column("id", "str", description="unique identifier (made from the row number when missing)"),
    Column("name", "str", description="deposit or project name (the id when missing)"),
    Column("country", "str", description="ISO 3166-1 alpha-3 (names and ISO2 accepted)"),
    Column("admin1", "str", description="state / province / region"),
    Column("deposit_type", "str", choices=DEPOSIT_TYPES, description="geological deposit type"),
    Column("minerals", "list", description="REE minerals, semicolon-separated", choices=MINERALS),
    Column("commodities", "str", description="commodities the source lists (e.g. REE; Nb; P)"),
    Column("main_ree_minerals", "list", description="the REE-bearing minerals only (no gangue)",
           choices=MINERALS),
    Column("stage", "str", choices=STAGES, description="development stage as of the source"),
    Column("owner", "str", description="owner or operator"),
    Column("resource_mt", "float", "Mt ore", "mineral resource tonnage", minimum=0, zero_is_unknown=True),
    Column("treo_pct", "float", "% TREO in ore", "total rare-earth oxide grade", minimum=0, maximum=100,
           zero_is_unknown=True),
    Column("ndpr_pct", "float", "% of TREO", "Nd2O3+Pr6O11 share of TREO", minimum=0, maximum=100),
    Column("dytb_pct", "float", "% of TREO", "Dy2O3+Tb4O7 share of TREO", minimum=0, maximum=100),
    Column("th_ppm", "float", "ppm", "thorium (ThO2) in ore", minimum=0, maximum=1_000_000),
    Column("u_ppm", "float", "ppm", "uranium (U3O8) in ore", minimum=0, maximum=1_000_000),
    Column("reserve_mt", "float", "Mt ore", "ore reserve tonnage", minimum=0),
    Column("reserve_treo_pct", "float", "% TREO in ore", "ore reserve grade", minimum=0, maximum=100),
    Column("hm_pct", "float", "% of sand", "heavy-mineral grade (mineral sands)", minimum=0, maximum=100),
    Column("monazite_pct_of_hm", "float", "% of HM", "monazite share of the heavy minerals",
           minimum=0, maximum=100),
    *(Column(f"{m}_pct_of_hm", "float", "% of HM", f"{m} share of the heavy minerals", minimum=0, maximum=100)
      for m in ("zircon", "ilmenite", "rutile", "leucoxene", "garnet", "sillimanite")),
    Column("ore_throughput_mtpa", "float", "Mt ore/yr", "published design or operating ore throughput",
           minimum=0),
    *(Column(f"{m}_tpa", "float", "t/yr", f"published {label} output", minimum=0)
      for m, label in (("monazite", "monazite concentrate"), ("hmc", "heavy-mineral concentrate"),
                       ("zircon", "zircon"), ("ilmenite", "ilmenite"), ("rutile", "rutile"))),
    Column("resource_class", "str", choices=RESOURCE_CLASSES,
           description="what the resource numbers are (reserve ... no_estimate)"),
    Column("resource_category", "str", description="measured / indicated / inferred / ..."),
    Column("standard", "str", description="reporting code: JORC, NI 43-101, ..."),
    Column("resource_year", "int", "year", "year of the resource statement", minimum=1900, maximum=2100),
    Column("year_discovery", "int", "year", "year of discovery", minimum=1800, maximum=2100),
    Column("year_first_resource", "int", "year", "first published resource", minimum=1900, maximum=2100),
    Column("year_construction", "int", "year", "construction start", minimum=1900, maximum=2100),
    Column("year_production", "int", "year", "first production", minimum=1850, maximum=2100),
    Column("year_stopped", "int", "year", "suspended / cancelled / closed", minimum=1850, maximum=2100),
    Column("legal_status", "str", description="whether the deposit is investable at all"),
    Column("offtake_committed", "str", description="committed offtake, if any"),
    Column("equity_available", "str", description="stake for sale / partner sought"),
    Column("equity_split", "str", description="owners and their shares"),
    Column("partner_sought", "str", description="whether the owner seeks a partner (sourced)"),
    Column("government_finance", "str", description="state loans, grants, guarantees"),
    Column("offtake_summary", "str", description="offtake agreements: counterparty, t/yr, term"),
    Column("conflict_area", "str", choices=("yes", "no"), description="armed conflict in area"),
    Column("location_confidence", "str", choices=CONFIDENCE, description="coordinate quality"),
    Column("location_note", "str", description="locality used for approximate coordinates"),
    Column("source", "str", description="sources of the row's values"),
    Column("source_url", "str", description="URLs of the sources"),
    Column("source_year", "int", "year", "year of the main source", minimum=1900, maximum=2100),
    Column("confidence", "str", description="overall data confidence"),
    Column("notes", "str", description="interpretation notes"),
)
COLUMNS_BY_NAME = {c.name: c for c in DEPOSIT_COLUMNS}
NUMERIC_COLUMNS = tuple(c.name for c in DEPOSIT_COLUMNS if c.kind in ("float", "int"))

# alias (normalised header) -> (canonical column, factor applied to the value)
_ALIASES: dict[str, tuple[str, float]] = {
    # identity
    "deposit_id": ("id", 1), "project_id": ("id", 1), "site_id": ("id", 1), "fid": ("id", 1),
    "deposit_name": ("name", 1), "project_name": ("name", 1), "deposit": ("name", 1),
    "project": ("name", 1), "site_name": ("name", 1), "prospect": ("name", 1),
    "country_code": ("country", 1), "iso3": ("country", 1), "iso_a3": ("country", 1),
    "iso": ("country", 1), "nation": ("country", 1),
    "state": ("admin1", 1), "province": ("admin1", 1), "region": ("admin1", 1),
    "type": ("deposit_type", 1), "deposit_model": ("deposit_type", 1),
    "mineralogy": ("minerals", 1), "ree_minerals": ("minerals", 1),
    "status": ("stage", 1), "development_stage": ("stage", 1), "project_stage": ("stage", 1),
    "company": ("owner", 1), "operator": ("owner", 1), "holder": ("owner", 1),
    # tonnage
    "tonnage_mt": ("resource_mt", 1), "resource_mt": ("resource_mt", 1), "tonnes_mt": ("resource_mt", 1),
    "tonnage": ("resource_mt", 1), "ore_mt": ("resource_mt", 1), "mt": ("resource_mt", 1),
    "resource_tonnage_mt": ("resource_mt", 1), "tonnage_t": ("resource_mt", 1e-6),
    "tonnes": ("resource_mt", 1e-6), "resource_t": ("resource_mt", 1e-6),
    "tonnage_kt": ("resource_mt", 1e-3),
    # grade
    "treo": ("treo_pct", 1), "treo_pct": ("treo_pct", 1), "grade_treo": ("treo_pct", 1),
    "treo_grade": ("treo_pct", 1), "treo_grade_pct": ("treo_pct", 1), "grade_pct": ("treo_pct", 1),
    "treo_percent": ("treo_pct", 1), "reo_pct": ("treo_pct", 1), "tree_pct": ("treo_pct", 1),
    "treo_ppm": ("treo_pct", 1e-4), "grade_treo_ppm": ("treo_pct", 1e-4),
    "treo_grade_ppm": ("treo_pct", 1e-4),
    "ndpr": ("ndpr_pct", 1), "ndpr_pct": ("ndpr_pct", 1), "ndpr_share": ("ndpr_pct", 1),
    "ndpr_share_pct": ("ndpr_pct", 1), "ndpr_of_treo_pct": ("ndpr_pct", 1),
    "ndpr_treo_pct": ("ndpr_pct", 1), "ndpr_ratio_pct": ("ndpr_pct", 1),
    "dytb": ("dytb_pct", 1), "dytb_pct": ("dytb_pct", 1), "dytb_share_pct": ("dytb_pct", 1),
    "dytb_of_treo_pct": ("dytb_pct", 1),
    "th": ("th_ppm", 1), "th_ppm": ("th_ppm", 1), "tho2_ppm": ("th_ppm", 1), "thorium_ppm": ("th_ppm", 1),
    "th_pct": ("th_ppm", 1e4), "tho2_pct": ("th_ppm", 1e4),
    "u": ("u_ppm", 1), "u_ppm": ("u_ppm", 1), "u3o8_ppm": ("u_ppm", 1), "uranium_ppm": ("u_ppm", 1),
    # resource statement
    "category": ("resource_category", 1), "resource_class": ("resource_category", 1),
    "classification": ("resource_category", 1), "reporting_code": ("standard", 1),
    "code": ("standard", 1), "year": ("resource_year", 1), "estimate_year": ("resource_year", 1),
    "location_accuracy": ("location_confidence", 1), "loc_confidence": ("location_confidence", 1),
    "reference": ("source", 1), "references": ("source", 1), "url": ("source_url", 1),
}



def _shapefile_aliases() -> dict[str, tuple[str, float]]:
    """Shapefiles cut field names to 10 characters (``resource_mt`` -> ``resource_m``)."""
    cut: dict[str, list[str]] = {}
    for col in DEPOSIT_COLUMNS:
        if len(col.name) > 10:
            cut.setdefault(col.name[:10], []).append(col.name)
    return {short: (names[0], 1) for short, names in cut.items()
            if len(names) == 1 and short not in _ALIASES and short not in COLUMNS_BY_NAME}


_ALIASES.update(_shapefile_aliases())
_ALIASES.update({k: v for k, v in PUBLIC_ALIASES.items() if k not in _ALIASES and k not in COLUMNS_BY_NAME})


def normalise_header(header: str) -> str:
    """Normalise a column header for alias lookup.

    ``"TREO (%)"`` -> ``"treo_pct"``, ``"Tonnage_Mt"`` -> ``"tonnage_mt"``,
    ``"Deposit Name"`` -> ``"deposit_name"``.
    """
    s = str(header).strip().lower().replace("%", " pct ")
    s = s.replace("nd+pr", "ndpr").replace("nd-pr", "ndpr").replace("dy+tb", "dytb")
    s = re.sub(r"[^0-9a-z]+", "_", s)
    return re.sub(r"_+", "_", s).strip("_")


def canonical_name(header: str) -> tuple[str, float] | None:
    """Return ``(canonical column, unit factor)`` for a header, or None if not recognised."""
    key = normalise_header(header)
    if key in COLUMNS_BY_NAME:
        return key, 1.0
    if key in _ALIASES:
        name, factor = _ALIASES[key]
        return name, float(factor)
    return None


def alias_table() -> dict[str, tuple[str, float]]:
    """Return a copy of the alias table (normalised header -> (column, factor))."""
    return dict(_ALIASES)


def ree_minerals(frame):
    """The REE-bearing minerals of each row: ``main_ree_minerals`` where given, else ``minerals``
    (older layers list REE and accessory minerals together). None where neither is known."""
    import pandas as pd

    main = frame["main_ree_minerals"] if "main_ree_minerals" in frame else None
    listed = frame["minerals"] if "minerals" in frame else None
    if main is None and listed is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if main is None:
        return listed.astype(object)
    return main.astype(object).where(main.notna(), listed.astype(object) if listed is not None else None)
