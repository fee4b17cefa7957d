"""``geoprospect layers``: list the bundled layers with row counts, dates, licences, sources."""

from __future__ import annotations

import json

import click

from geoprospect.io.bundled import catalog, layers_dir, row_count
from geoprospect.io.terms import describe_scenarios


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def layers(fmt):
    """List the layers geoprospect ships with, where their data came from and their licence."""

    table = catalog()
    table.insert(1, "rows", [row_count(f) for f in table["file"]])
    if fmt == "json":
        click.echo(json.dumps(table.to_dict(orient="records"), indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Bundled layers ({layers_dir()})", show_lines=False)
    cols = ("file", "rows", "kind", "data_date", "licence", "sources")
    for col in cols:
        t.add_column(col, overflow="fold", max_width=60 if col == "sources" else None)
    for rec in table.to_dict(orient="records"):
        t.add_row(*(str(rec[c]) for c in cols))
    t.caption = "Price scenarios (--price-scenario): " + " | ".join(
        line.split(" — ")[0] for line in describe_scenarios())
    Console(width=160).print(t)
