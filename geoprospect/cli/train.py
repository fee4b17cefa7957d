"""``geoprospect train``: fit the valuation models on the bundled tables, validate them against
published studies and write the model with its card."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geoprospect.cli.options import overwrite_option
from geoprospect.model.value_card import summary, validate_against_studies, write_card
from geoprospect.model.value_fit import fit_valuation, save_valuation


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Model file to write (.skops); the card (.md) and metrics (.metrics.json) go "
                   "beside it.")
@click.option("--seed", type=int, default=0, show_default=True)
@overwrite_option
def train(output, seed, overwrite):
    """Fit the imputer, production and cost models and write OUTPUT.skops with its card.

    Every model is compared with its baseline out of sample (leave one project out) and kept
    only where it beats it; the card says which won and by how much.
    """
    out = Path(output)
    if out.suffix != ".skops":
        raise click.BadParameter("the model file must end in .skops", param_hint="-o")
    if out.exists() and not overwrite:
        raise click.BadParameter(f"{out} exists; pass --overwrite", param_hint="-o")
    params = fit_valuation(seed=seed)
    validation = validate_against_studies(seed=seed)
    stats = summary(validation)
    save_valuation(params, out, overwrite=overwrite)
    card = out.with_suffix(".md")
    write_card(card, params, validation)
    metrics = out.with_suffix(".metrics.json")
    metrics.write_text(json.dumps({"validation": stats, "cards": {
        k: params[k].get("card", {}) for k in ("imputer", "production", "costs")}}, indent=1, default=float))
    for key, value in stats.items():
        click.echo(f"{key}: {value}")
    click.echo(f"wrote {out}, {card}, {metrics}", err=True)
