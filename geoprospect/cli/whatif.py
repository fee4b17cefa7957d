"""``geoprospect scenario``: the deposits under named "what if" scenarios against the base case."""

from __future__ import annotations

import click

from geoprospect.cli.database import database_options
from geoprospect.cli.options import output_option, overwrite_option, read_options
from geoprospect.cli.rows import finish, load_rows, nothing_left, strict_option
from geoprospect.cli.scenario import parse_scenario, scenario_options
from geoprospect.errors import LayerError
from geoprospect.io.bundled import data_date, layer_path
from geoprospect.io.report import RowReport
from geoprospect.io.write import write_table
from geoprospect.pipeline.rows import RANK_DRAWS


@click.command()
@click.argument("layer_file", required=False, type=click.Path(dir_okay=False))
@read_options
@click.option(
    "--scenarios",
    "scenarios_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="A TOML file of scenarios (schema of layers/scenarios.toml); default: the bundled set.",
)
@click.option(
    "--only",
    default="",
    metavar="NAME,...",
    help="Run only these scenarios (the first scenario of the file stays the base).",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="A valuation .skops model (default: the bundled one).",
)
@click.option(
    "--draws",
    type=click.IntRange(min=0),
    default=RANK_DRAWS,
    show_default=True,
    help="Monte Carlo draws of each NPV band.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--top", type=int, default=15, show_default=True, help="Deposits (by base rank) to print.")
@scenario_options
@output_option()
@overwrite_option
@strict_option
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON records on stdout.")
@database_options(inputs="layer_file")
@click.pass_context
def scenario(
    ctx,
    layer_file,
    layer,
    crs,
    encoding,
    columns,
    scenarios_path,
    only,
    model_path,
    draws,
    seed,
    top,
    investor,
    as_of,
    lift_policy,
    apply_policy,
    avoid,
    status,
    avoid_passage,
    to,
    network_path,
    output,
    overwrite,
    strict,
    as_json,
):
    """Value and rank LAYER_FILE (default: the bundled deposits) under each named scenario.

    Prints, for the best deposits of the base case, the NPV (median inputs, USD million) and rank
    under every scenario, then the biggest movers; -o writes the long table (.csv .json .xlsx, or
    a PostGIS table: -o postgresql://... --table SCHEMA.TABLE).
    """
    from geoprospect.scenarios import biggest_movers, load_scenarios, run_scenarios

    whatifs = load_scenarios(scenarios_path)
    wanted = [s.strip() for s in only.split(",") if s.strip()]
    if unknown := [w for w in wanted if w not in {s.name for s in whatifs}]:
        raise click.BadParameter(
            f"unknown scenario {unknown[0]!r} (one of {', '.join(s.name for s in whatifs)})",
            param_hint="--only",
        )
    if wanted:
        whatifs = [whatifs[0], *(s for s in whatifs[1:] if s.name in wanted)]
    base = parse_scenario(
        avoid, status, avoid_passage, to, network_path, investor, as_of, lift_policy, apply_policy
    )
    report = RowReport()
    gdf = load_rows(
        [layer_file or str(layer_path("deposits.geojson"))],
        layer=layer,
        crs=crs,
        encoding=encoding,
        columns=columns,
        strict=strict,
        report=report,
    )
    nothing_left(report)
    if gdf.empty:
        raise LayerError("no deposits to value")
    table = run_scenarios(
        gdf,
        whatifs,
        base_scenario=base,
        model_path=model_path,
        draws=draws,
        seed=seed,
        progress=lambda name: click.echo(f"scenario {name} ...", err=True),
    )
    if as_json:
        click.echo(table.to_json(orient="records", indent=1))
    else:
        _print(table, whatifs, top, biggest_movers(table))
    if output:
        write_table(
            table,
            output,
            overwrite=overwrite,
            metadata={
                "data_date": data_date(),
                "scenarios": ", ".join(s.name for s in whatifs),
                "investor": base.investor,
            },
        )
        click.echo(f"wrote {len(table)} rows to {output}", err=True)
    finish(ctx, report, as_json=False)  # --json prints the table; skipped rows go to stderr


def _print(table, whatifs, top: int, movers) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=200, stderr=False)
    base = table[table["scenario"] == whatifs[0].name].sort_values("rank").head(top)
    t = Table(
        title=f"NPV at median inputs (USD million) and rank under each scenario; base = {whatifs[0].name}"
    )
    t.add_column("deposit", overflow="fold", max_width=30)
    for s in whatifs:
        t.add_column(s.name, justify="right", overflow="fold")
    by = table.set_index(["scenario", "id"])
    for rec in base.itertuples():
        cells = []
        for s in whatifs:
            row = by.loc[(s.name, rec.id)] if (s.name, rec.id) in by.index else None
            cells.append("" if row is None else f"{row['npv_musd']:,.0f} (#{int(row['rank'])})")
        t.add_row(escape(str(rec.name)), *cells)
    console.print(t)
    m = Table(title="Biggest movers against the base case")
    for col in ("scenario", "deposit", "NPV change", "rank change", "assigned plant"):
        m.add_column(col, overflow="fold")
    for rec in movers.itertuples():
        m.add_row(
            rec.scenario,
            escape(str(rec.name)),
            f"{rec.delta_npv_musd:+,.0f}",
            f"{rec.delta_rank:+.0f}",
            escape(rec.assigned_plant_id if isinstance(rec.assigned_plant_id, str) else "—"),
        )
    console.print(m)
    for s in whatifs:
        console.print(
            f"[bold]{escape(s.name)}[/bold]: {escape(s.label)} (facts as of {s.as_of or 'n/a'})",
            highlight=False,
        )
