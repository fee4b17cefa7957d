"""One bad-row policy for every command that reads a layer (rank, map, routes, score, surface).

Rows with errors are skipped and reported: the first :data:`MAX_SHOWN` on stderr, then the
count per rule and one summary line; every one of them with ``--json``. The rest are used.
``--strict`` makes any error fatal (exit 2, nothing written); no usable row left is exit 2 too;
a run that skipped rows ends with exit code :data:`~geoprospect.cli.EXIT_SKIPPED` (3), a clean
one with 0. ``validate`` only reports.
"""

from __future__ import annotations

import json

import click

from geoprospect.cli import EXIT_SKIPPED, quiet
from geoprospect.errors import LayerError, ValidationFailed
from geoprospect.io.report import RowReport, strict_message, usable_rows
from geoprospect.io.validate import check, normalise

MAX_SHOWN = 20
"""Skipped rows listed on stderr; the rest are counted (all of them are in --json)."""

strict_option = click.option("--strict", is_flag=True,
                             help="Any row with an error stops the command (exit 2, nothing written); "
                             "by default such rows are skipped and reported (exit 3).")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the report of skipped rows (every one) as JSON on stdout.")


def policy_options(func):
    """Apply --strict and --json."""
    return strict_option(json_option(func))


def load_rows(paths, *, layer=None, crs=None, encoding=None, columns=None, strict: bool = False,
              report: RowReport):
    """Read, check and keep the usable rows of one or more layers (merged, ids unique).

    Raises
    ------
    LayerError, ValidationFailed
        An unreadable file, a whole-file error, an error with ``strict``, an id in two layers.
    """
    import geopandas as gpd
    import pandas as pd

    from geoprospect.io.read import read_layer

    frames = [keep_usable(read_layer(path, layer=layer, crs=crs, encoding=encoding, columns=columns),
                          columns=columns, strict=strict, report=report, path=path) for path in paths]
    if len(frames) == 1:
        return frames[0]
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    dup = merged["id"].astype(str).duplicated()
    if dup.any():
        raise LayerError(f"id {merged.loc[dup, 'id'].iloc[0]!r} appears in more than one layer")
    merged.index = pd.RangeIndex(1, len(merged) + 1, name="row")
    return merged


def keep_usable(raw, *, columns=None, strict: bool = False, report: RowReport, path=None):
    """Normalise and check a layer already read; keep its usable rows (the policy)."""
    gdf, findings = check(normalise(raw, columns=columns))
    return usable_rows(gdf, findings, strict=strict, report=report, path=path)


def network_rows(network, *, strict: bool) -> RowReport | None:
    """The report of a user road/rail network's features (``--network``): those with errors
    were left out of the network. None without a user network."""
    road = getattr(getattr(network, "land", None), "network", None)
    findings = getattr(road, "findings", None)
    if road is None or findings is None:
        return None
    if strict and findings.count("error"):
        raise ValidationFailed(strict_message(findings), findings.first(1), option="strict")
    report = RowReport()
    report.add(road.source, road.rows_read, road.rows_used, findings)
    return report


def nothing_left(report: RowReport) -> None:
    """Raise when rows were read and none is usable."""
    if report.rows_read and not report.rows_used:
        first = report.first_errors(1)
        raise LayerError(f"no usable row: all {report.rows_read:,} rows have errors"
                         + (f" (first: {first[0]})" if first else ""))


class Reporter:
    """Skipped rows on stderr as they come (the first :data:`MAX_SHOWN`), then the counts."""

    def __init__(self, ctx: click.Context, *, verb: str = "skipped") -> None:
        self.quiet = quiet(ctx)
        self.verb = verb
        self.shown = 0

    def __call__(self, findings) -> None:
        """Show the errors of ``findings`` (a :class:`~geoprospect.io.findings.Findings`)."""
        if self.quiet:
            return
        left = MAX_SHOWN - self.shown
        for p in findings.first(left) if left > 0 else ():
            click.echo(f"{self.verb}: {p}", err=True)
        self.shown += findings.count("error")

    def close(self, report: RowReport, *, what: str = "rows", line: bool = True) -> None:
        """The counts per rule and (with ``line``) one summary line; nothing when no row was
        skipped."""
        if self.quiet or not report.rows_skipped:
            return
        if self.shown > MAX_SHOWN:
            click.echo(f"... and {self.shown - MAX_SHOWN} more (all of them with --json)", err=True)
        for rule, n in report.errors_by_rule.most_common():
            click.echo(f"  {n:>9,}  {rule}", err=True)
        if line:
            click.echo(f"{report.rows_skipped:,} of {report.rows_read:,} {what} skipped for errors; "
                       f"the other {report.rows_used:,} were used (exit code {EXIT_SKIPPED})", err=True)


def show(ctx: click.Context, report: RowReport, what: str = "rows") -> None:
    """Show the skipped rows of ``report`` on stderr: the first ones, the counts, one line."""
    reporter = Reporter(ctx)
    for findings in report.kept:
        reporter(findings)
    reporter.close(report, what=what)


def finish_network(ctx: click.Context, network: RowReport) -> None:
    """Show the network features that were left out (no exit)."""
    show(ctx, network, "network features")


def finish(ctx: click.Context, report: RowReport, *, as_json: bool,
           network: RowReport | None = None) -> None:
    """Report the skipped rows (of the layers, and of ``--network``) and end the command with
    the policy's exit code: 0 when nothing was skipped, :data:`EXIT_SKIPPED` otherwise."""
    show(ctx, report)
    if network is not None:
        finish_network(ctx, network)
    if as_json:
        doc = report.to_dict()
        if network is not None:
            doc["network"] = network.to_dict()
        click.echo(json.dumps(doc, indent=1, default=str))
    if report.rows_skipped or (network is not None and network.rows_skipped):
        ctx.exit(EXIT_SKIPPED)
