"""The column dictionary: what every output column means and its unit, in one place.

The spreadsheet's Columns sheet (:mod:`geoprospect.io.xlsx`) and the README's column table
(``scripts/readme_columns.py`` writes it; a test checks that they agree) both come from here.
Input columns take their meaning and unit from the deposit schema
(:data:`geoprospect.io.schema.DEPOSIT_COLUMNS`); computed columns are described in
:data:`COMPUTED`. A column that is in neither (a new one) still gets a unit and a number format
from its name (:func:`unit_of`: ``_musd`` is USD million, ``_pct`` a percentage, ``_tpa`` t/yr),
so new columns fall into place in the spreadsheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geoprospect.io.schema import DEPOSIT_COLUMNS


@dataclass(frozen=True)
class Entry:
    """Columns that share a unit and a meaning."""

    columns: tuple[str, ...]
    unit: str
    meaning: str
    key: bool = False  # shown first in the spreadsheet
    readme: bool = True  # a row of the README's column table


COMPUTED: tuple[Entry, ...] = (
    Entry(("rank",), "rank", "rank, 1 = best: estimated resources before values conditional on a "
          "deposit being there, then by `npv_musd` (Monte Carlo noise never reorders rows)", key=True),
    Entry(("ndpr_oxide_tpa", "dytb_oxide_tpa"), "t/yr", "oxide output a year at the median inputs",
          key=True),
    Entry(("treo_tpa",), "t/yr", "TREO output a year at the median inputs", readme=False),
    Entry(("capex_musd",), "USD m", "initial capital cost of the screening project", key=True),
    Entry(("product",), "text", "what the project sells: `concentrate`, `mixed_chemical` or "
          "`separated_oxide` (its own design study's product, else the deposit type's usual one)"),
    Entry(("opex_usd_per_kg",), "USD/kg", "operating cost per kg TREO in a mixed product"),
    Entry(("opex_usd_per_t_ore",), "USD/t", "operating cost per t of ore (the study's own, "
          "restated to real 2024 USD, or the cost model's)"),
    Entry(("coproduct_musd_yr",), "USD m/yr", "co-product revenue a year (zircon, rutile, ilmenite, "
          "niobium, ... at the deck's prices, or the study's published revenue share)"),
    Entry(("study_basis",), "text", "where the project's size and costs come from: the deposit's "
          "own design study (type, year, id in layers/studies.csv), its published throughput, or "
          "`model` (learned from comparable studies)"),
    Entry(("mine_life_yr",), "yr", "mine life of the screening project"),
    Entry(("ore_mtpa",), "Mt/yr", "ore throughput (Taylor's rule, capped)"),
    Entry(("revenue_musd_yr",), "USD m/yr", "revenue a year at the price scenario, after payability",
          readme=False),
    Entry(("npv_musd_p10", "npv_musd_p50", "npv_musd_p90"), "USD m",
          "NPV band over a Monte Carlo of imputation intervals, model residuals, payability and "
          "price; the price draw is shared by every row at a draw index, each row's own draws "
          "are keyed by its id", key=True),
    Entry(("p_npv_positive",), "share", "share of the Monte Carlo draws with a positive NPV"),
    Entry(("npv_musd",), "USD m", "the NPV at the median inputs (deterministic; the rank uses it)",
          key=True),
    Entry(("irr_pct",), "%", "internal rate of return of the screening cash flow"),
    Entry(("discount_rate_pct",), "%", "base real rate plus the country risk premium"),
    Entry(("royalty_pct", "tax_pct", "state_carry_pct"), "%",
          "royalty, corporate tax and the state's free carry used in the cash flow"),
    Entry(("value_grade_musd", "value_logistics_musd", "value_risk_musd"), "USD m",
          "the exact Shapley split (8 evaluations) of the NPV's difference from a reference "
          "project (the bundled deposits' medians) over size/grade/composition, logistics (the "
          "cost to the plant, and a concentrate an in-force ban keeps in the country), and "
          "risk premium/royalty/tax/carry; they add up to the difference"),
    Entry(("drivers",), "text", "the pillar split of the NPV, largest push first"),
    Entry(("data_completeness",), "share", "share of the valuation inputs that were measured"),
    Entry(("imputed",), "text", "the fields imputed by deposit type (P10/P50/P90 intervals)"),
    Entry(("valuation_tier",), "text", "`estimated` (a published resource) or `conditional` (valued "
          "as if a deposit were there; ranked below every estimated one)"),
    Entry(("score",), "0-100", "`100 / (1 + exp(-npv_musd / 500))`: 50 at NPV 0; with `--weights` "
          "the weighted multi-criteria view instead", key=True),
    Entry(("score_p10", "score_p90"), "0-100", "the score of the NPV band's P10 and P90"),
    Entry(("value_score",), "0-100", "with `--weights`: the value-based score that `score` replaces",
          readme=False),
    Entry(("p_top10",), "share", "share of the Monte Carlo draws in which the deposit is in the "
          "top ten", key=True),
    Entry(("grade_score", "logistics_score", "risk_score", "mcda_score"), "0-100",
          "the transparent multi-criteria lens (bounds frozen from the bundled deposits); "
          "`--weights` makes `score` this weighted view"),
    Entry(("rank_best", "rank_median", "rank_worst"), "rank",
          "rank under random pillar weights: best, median and worst"),
    Entry(("rank_stability",), "share", "share of the random weightings within two places of the "
          "median rank"),
    Entry(("flags",), "text", "`producing`, `offtake_committed` (a binding offtake in force), and the "
          "investability blockers `unlicensed`, `armed_groups`, `state_reserved`, `export_barred`, "
          "`conflict_area`, `no_location`, kept apart from the value; `--exclude-flagged` drops "
          "blocked rows; the `--investor` profile decides which flags block (IREL is not blocked "
          "by India's monazite reservation), `no_equity_available` where the owner seeks no "
          "partner", key=True),
    Entry(("contained_treo_t", "contained_ndpr_t"), "t", "contained TREO and NdPr oxide"),
    Entry(("log_contained_treo_t", "log_contained_ndpr_t"), "log10 t",
          "log10 of the contained TREO and NdPr oxide", readme=False),
    Entry(("basket_usd_t_ore",), "USD/t", "in-situ basket value per t of ore"),
    Entry(("radioactive_ppm",), "ppm", "thorium plus uranium burden", readme=False),
    Entry(("processing_ease",), "1-3", "1 refractory silicate hosts, 2 phosphates (monazite, "
          "xenotime), 3 bastnaesite or ion-adsorption clay; the hardest mineral decides", readme=False),
    Entry(("export_port",), "text", "the export port of the best route (UN/LOCODE)"),
    Entry(("port_km", "land_km", "sea_km"), "km", "great-circle km to the export port, land and sea "
          "legs of the route to the plant"),
    Entry(("cost_to_plant_usd_t", "land_cost_usd_t"), "USD/t",
          "cost per t of concentrate to the cheapest compatible plant (and of its land leg)"),
    Entry(("days_to_plant",), "days", "days to the plant"),
    Entry(("co2_kg_t",), "kg CO2/t", "CO2 of the route per t of concentrate", readme=False),
    Entry(("plant_id", "land_mode"), "text", "the plant the route goes to, and the land mode"),
    Entry(("blocked_by",), "text", "in-force rules that forbid exporting the raw product", readme=False),
    Entry(("route_summary",), "text", "the route in one line"),
    Entry(("route_note",), "text", "why a row has no route (no open plant for its feed, only "
          "overland crossings the investor avoids, ...)", readme=False),
    Entry(("committed_ndpr_tpa", "uncommitted_ndpr_tpa"), "t/yr", "NdPr oxide a year committed to "
          "binding offtakes in force, and what is left for a new buyer"),
    Entry(("committed_offtakes",), "text", "ids of the offtakes in force that commit the output "
          "(layers/offtakes.csv)", readme=False),
    Entry(("assigned_plant_id",), "text", "the capacity allocation of the best rows' product to "
          "plants with spare capacity (contracts first, then the cheapest route): the plant taking "
          "the largest part"),
    Entry(("assigned_share",), "share", "the share of the row's product that goes to "
          "`assigned_plant_id`"),
    Entry(("unplaced_tpa",), "t/yr", "product a year the allocation could not place in any plant "
          "open to the investor"),
    Entry(("allocation_note",), "text", "why tonnes are unplaced, or that a row is outside the "
          "allocated top", readme=False),
    Entry(("wgi_mean_pct",), "percentile", "mean of the six World Bank governance indicators"),
    Entry(("wgi_va_pct", "wgi_pv_pct", "wgi_ge_pct", "wgi_rq_pct", "wgi_rl_pct", "wgi_cc_pct"),
          "percentile", "World Bank governance indicators: voice, stability, effectiveness, "
          "regulation, rule of law, corruption control", readme=False),
    Entry(("fraser_ppi",), "0-100", "Fraser Institute policy perception index (reported, not scored)"),
    Entry(("risk_events", "restrictive_events"), "text", "policy and security events in force "
          "(listed; counted)", readme=False),
    Entry(("lon", "lat", "wkt"), "degrees", "the location (EPSG:4326): a point's longitude and "
          "latitude, or the geometry as WKT", readme=False),
    Entry(("source_file", "source_row"), "text", "batch: the input file and row of a merged output",
          readme=False),
    Entry(("data_date", "model_sha256"), "text", "provenance: the bundled data's date and the "
          "model file's hash", readme=False),
)
"""Computed columns (the pipeline's output), grouped as the README's table shows them."""

_SUFFIX_UNITS = (
    (r"_musd_yr$", "USD m/yr"), (r"_musd(_p\d+)?$", "USD m"), (r"_usd_per_kg$", "USD/kg"),
    (r"_usd_t(_ore)?$", "USD/t"), (r"_pct$", "%"), (r"_tpa$", "t/yr"), (r"_mtpa$", "Mt/yr"),
    (r"_mt$", "Mt"), (r"_t$", "t"), (r"_km$", "km"), (r"_yr$", "yr"), (r"_ppm$", "ppm"),
    (r"_score(_p\d+)?$", "0-100"), (r"^score(_p\d+)?$", "0-100"), (r"^rank", "rank"), (r"^p_", "share"),
    (r"^year_|_year$", "year"), (r"_days?$|^days_", "days"),
)

NUMBER_FORMATS = {
    "USD m": "#,##0.0", "USD m/yr": "#,##0.0", "USD/kg": "#,##0.00", "USD/t": "#,##0",
    "%": '0.0" %"', "share": "0%", "t": "#,##0", "t/yr": "#,##0", "Mt": "#,##0.00",
    "Mt/yr": "0.000", "km": "#,##0", "yr": "0.0", "days": "0.0", "ppm": "#,##0", "0-100": "0.0",
    "rank": "0", "year": "0", "percentile": "0.0", "kg CO2/t": "#,##0", "log10 t": "0.00",
    "% TREO in ore": '0.00" %"', "% of TREO": '0.0" %"', "% of sand": '0.0" %"', "% of HM": '0.0" %"',
    "Mt ore": "#,##0.00", "1-3": "0", "degrees": "0.000000",
}
"""Excel number format of each unit (``0.0" %"`` shows 2.5 as 2.5 %: values are percentages)."""


def _entries() -> dict[str, tuple[str, str, bool]]:
    table = {c.name: (c.unit or ("text" if c.kind in ("str", "list") else ""), c.description, False)
             for c in DEPOSIT_COLUMNS}
    for entry in COMPUTED:
        for col in entry.columns:
            table[col] = (entry.unit, entry.meaning, entry.key)
    return table


ENTRIES = _entries()
"""Column -> (unit, meaning, key column?) for every known column."""

KEY_INPUTS = ("id", "name", "country", "deposit_type", "stage")
"""Input columns shown among the key columns."""


def unit_of(column: str) -> str:
    """The unit of ``column``: from the dictionary, else from its name's suffix ('' if none)."""
    if column in ENTRIES:
        return ENTRIES[column][0]
    for pattern, unit in _SUFFIX_UNITS:
        if re.search(pattern, column):
            return unit
    return ""


def meaning_of(column: str) -> str:
    """What ``column`` means ('' for a column the dictionary does not know)."""
    return ENTRIES.get(column, ("", "", False))[1]


def is_key(column: str) -> bool:
    """Whether ``column`` is one of the key columns shown first."""
    return column in KEY_INPUTS or ENTRIES.get(column, ("", "", False))[2]


def number_format(column: str) -> str | None:
    """The Excel number format of ``column`` (None: general)."""
    return NUMBER_FORMATS.get(unit_of(column))


def readme_table() -> str:
    """The README's table of computed columns, as Markdown (one row per dictionary entry)."""
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    for entry in COMPUTED:
        if entry.readme:
            cols = ", ".join(f"`{c}`" for c in entry.columns)
            lines.append(f"| {cols} | {entry.unit} | {entry.meaning} |")
    return "\n".join(lines)
