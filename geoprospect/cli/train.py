"""``geoprospect train``: fit a scoring model on a labelled layer and print its validation."""

from __future__ import annotations

from pathlib import Path

import click

from geoprospect.cli.options import load_valid, overwrite_option, raster_option, read_options
from geoprospect.cli.scenario import build_network, scenario_options
from geoprospect.features.covariates import sample_rasters
from geoprospect.io.bundled import layer_path
from geoprospect.io.validate import load_layer
from geoprospect.model.estimator import save_model
from geoprospect.model.fit import deposit_stability, summary_lines, write_report
from geoprospect.model.fit import train as fit


@click.command()
@click.argument("layer_file", metavar="LAYER", type=click.Path(dir_okay=False), required=False)
@read_options
@click.option("--label", default="outcome", show_default=True,
              help="0/1 label column, or 'outcome' for the documented development-outcome label.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Model file to write (.skops); the card (.md), metrics (.metrics.json) and "
                   "figures (.png) go beside it.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--bootstrap", "n_boot", type=int, default=2000, show_default=True,
              help="Bootstrap resamples for the intervals of the differences to the baselines.")
@click.option("--as-of", "as_of", type=int, default=2026, show_default=True,
              help="Year the projects are judged as of (censoring).")
@scenario_options
@raster_option
@overwrite_option
def train(layer_file, layer, crs, encoding, label, output, seed, n_boot, as_of, avoid, status,
          avoid_passage, to, network_path, rasters, overwrite):
    """Train on LAYER (default: the bundled global projects) and write OUTPUT.skops."""

    out = Path(output)
    if out.suffix != ".skops":
        raise click.BadParameter("the model file must end in .skops", param_hint="-o")
    if out.exists() and not overwrite:
        raise click.BadParameter(f"{out} exists; pass --overwrite", param_hint="-o")
    bundled = layer_file is None
    if bundled:

        layer_file = str(layer_path("projects.geojson"))
    gdf = load_valid(layer_file, layer=layer, crs=crs, encoding=encoding, point_to_validate=False)
    network = build_network(avoid, status, avoid_passage, to, network_path)
    raster_features = None
    if rasters:

        raster_features = sample_rasters(gdf, rasters)
    model, report = fit(gdf, label=label, seed=seed, n_boot=n_boot, as_of=as_of, network=network,
                        raster_features=raster_features)
    for line in summary_lines(report):
        click.echo(line)
    save_model(model, out, overwrite=overwrite)
    stability = None
    if bundled:  # the default model's card shows the bundled deposits' rank stability

        deposits, _ = load_layer(layer_path("deposits.geojson"))
        stability = deposit_stability(model, deposits, network=network)
    card, metrics = write_report(model, report, out, stability=stability)
    click.echo(f"wrote {out} (sha256 {model.sha256[:12]}), {card}, {metrics}", err=True)
