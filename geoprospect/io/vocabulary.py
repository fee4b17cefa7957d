"""How public compilations name their fields and spell their values, mapped to the schema.

Header aliases (normalised with :func:`geoprospect.io.schema.normalise_header`) are merged
into the schema's alias table; value aliases tidy ``stage`` and ``deposit_type``. Each entry
says where it comes from. Where a compilation's field list could not be found (checked with
the project's search tool: Geoscience Australia's OZMIN tables, the Geological Survey of
India's portal, SEGEMAR's SIGAM), nothing is guessed; ``--columns`` maps such files.
"""

from __future__ import annotations

# header (normalised) -> (canonical column, unit factor)
PUBLIC_ALIASES: dict[str, tuple[str, float]] = {
    # USGS Mineral Resources Data System (MRDS) digest, the fields of mrds.csv
    # (https://mrdata.usgs.gov/metadata/mrds.html; dep_id, site_name, dev_stat, dep_type,
    # commod1, ore, state also in the USGS MRDS California update,
    # https://www.usgs.gov/data/update-mineral-resources-data-system-california-including-mineral-deposit-types)
    "dep_id": ("id", 1), "site_name": ("name", 1), "dev_stat": ("stage", 1),
    "dep_type": ("deposit_type", 1), "commod1": ("commodities", 1), "ore": ("minerals", 1),
    # the MRDS web feature service (https://mrdata.usgs.gov/services/wfs/mrds): NAME, ID,
    # DEP_TYPE, COMMOD1 as above, and DEV_STATUS
    "dev_status": ("stage", 1),
    # the USGS-style layers name the deposit DEP_NAME
    "dep_name": ("name", 1),
    # USGS USMIN critical-mineral deposit releases, among them "Rare Earth Element Occurrences
    # in the United States" ver. 4.0 (Bellora et al., 2019;
    # https://mrdata.usgs.gov/deposit/metadata/USGS_REE_US_Metadata_FGDC.faq.html): features
    # carry Ftr_ID and Ftr_Name (the keys DARPA-CRITICALMAAS/schemas ta2/output.md records for
    # USMIN); their latitude/longitude (Approx_Lat/Approx_Lon) are coordinate names in io.read
    "ftr_id": ("id", 1), "ftr_name": ("name", 1),
    # USGS Open-File Report 02-189, "Rare Earth Element Mines, Deposits, and Occurrences"
    # (Orris & Grauch, 2002; fields listed in its metadata,
    # https://geo-nsdi.er.usgs.gov/metadata/open-file/02-189/metadata.faq.html): deposit or
    # district name, state or province, production status, REE mineralogy, company
    "deposit_or_district_name": ("name", 1), "state_or_province": ("admin1", 1),
    "production_status": ("stage", 1), "ree_mineralogy": ("minerals", 1),
    # Geoscience Australia, Australian critical minerals operating mines and deposits
    # (https://services.ga.gov.au/gis/rest/services/AustralianCriticalMineralsOperatingMinesAndDeposits/MapServer/7):
    # "commodities" is its symbology field and a canonical column name here already
    # Spanish headers common in Argentine layers (a published SEGEMAR field list was not found)
    "nombre": ("name", 1), "provincia": ("admin1", 1), "pais": ("country", 1),
    "empresa": ("owner", 1), "mineralogia": ("minerals", 1), "tipo_de_yacimiento": ("deposit_type", 1),
}

STAGE_VALUES: dict[str, str] = {
    "producing": "production", "operating": "production", "operation": "production",
    "mining": "production", "in production": "production", "mine": "production",
    "advanced exploration": "exploration", "early exploration": "exploration",
    "prospect": "exploration", "drilling": "exploration",
    "pfs": "feasibility", "dfs": "feasibility", "bfs": "feasibility", "scoping": "feasibility",
    "pea": "feasibility", "pre-feasibility": "feasibility", "prefeasibility": "feasibility",
    "definitive feasibility": "feasibility", "development": "construction",
    "under construction": "construction", "care and maintenance": "suspended",
    "closed": "historic", "past producer": "historic", "past production": "historic",
    "resource definition": "resource", "mineral resource": "resource",
    "showing": "occurrence", "deposit": "resource",
    # MRDS dev_stat values (Occurrence, Prospect, Producer, Past Producer; MRDS digest above)
    "producer": "production",
    # Geoscience Australia's operating-mine layers
    "operating mine": "production",
}
"""Stage spellings (lower case) -> canonical stage."""

DEPOSIT_TYPE_VALUES: dict[str, str] = {
    # the REE deposit classes of USGS Circular 1454, "Rare earth element mineral deposits in the
    # United States" (Van Gosen and others, 2017; https://pubs.usgs.gov/circ/1454/circ1454.pdf):
    # carbonatites, alkaline igneous rocks, ion-adsorption clays, placers (heavy-mineral sands,
    # monazite and xenotime), iron oxide-apatite, phosphorites, pegmatites, veins, mine waste
    "carbonatites": "carbonatite", "carbonatite_complex": "carbonatite",
    "carbonatite_hosted": "carbonatite", "carbonatite_related": "carbonatite",
    "alkaline": "alkaline_complex", "alkaline_igneous": "alkaline_complex",
    "alkaline_igneous_complex": "alkaline_complex", "alkaline_intrusion": "alkaline_complex",
    "alkaline_intrusive": "alkaline_complex", "alkaline_rock": "alkaline_complex",
    "peralkaline": "alkaline_complex", "peralkaline_intrusion": "alkaline_complex",
    "ion_adsorption": "ionic_clay", "ion_adsorption_clay": "ionic_clay", "ionic_clays": "ionic_clay",
    "ion_adsorption_clays": "ionic_clay", "regolith_hosted": "ionic_clay",
    "heavy_mineral_sand": "heavy_mineral_sands", "mineral_sands": "heavy_mineral_sands",
    "mineral_sand": "heavy_mineral_sands", "beach_sands": "heavy_mineral_sands",
    "beach_placer": "heavy_mineral_sands", "shoreline_placer": "heavy_mineral_sands",
    "placer": "heavy_mineral_sands", "placers": "heavy_mineral_sands",
    "iocg": "iron_oxide", "iron_oxide_copper_gold": "iron_oxide", "iron_oxide_apatite": "iron_oxide",
    "ioa": "iron_oxide",
    "phosphate": "phosphorite", "phosphorites": "phosphorite", "sedimentary_phosphate": "phosphorite",
    "vein": "hydrothermal", "veins": "hydrothermal", "hydrothermal_vein": "hydrothermal",
    "pegmatites": "pegmatite",
    "tailing": "tailings", "mine_tailings": "tailings", "mine_waste": "tailings",
}
"""Deposit-type spellings (lower case, spaces and hyphens as ``_``) -> canonical type."""
