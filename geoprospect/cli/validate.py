"""``geoprospect validate LAYER...``: report every problem in one or more layers."""

from __future__ import annotations

import json

import click

from geoprospect.cli import one_line, option_hint
from geoprospect.cli.database import database_options
from geoprospect.cli.options import read_options
from geoprospect.errors import LayerError
from geoprospect.io.postgis import source_name
from geoprospect.io.validate import errors_in, load_layer


@click.command()
@click.argument("layers", nargs=-1, required=True, type=click.Path(dir_okay=False))
@read_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="Report format; json is for scripts.")
@click.option("--warnings/--no-warnings", "show_warnings", default=True,
              help="Also list warnings (repairs, unknown categories).")
@database_options(inputs="layers", output=None)
def validate(layers, layer, crs, encoding, columns, fmt, show_warnings):
    """Check LAYERS against the deposit schema and list every problem.

    Each problem names the file, the 1-based row (with id/name) and the field. Exit code 0 when
    no layer has errors, 2 when any has (warnings alone do not fail).
    """

    report = []
    failed = False
    for path in layers:
        try:
            gdf, problems = load_layer(path, layer=layer, crs=crs, encoding=encoding, columns=columns)
            rows = len(gdf)
        except LayerError as exc:
            problems, rows = [], None
            report.append({"file": path, "rows": None, "errors": 1, "warnings": 0,
                           "problems": [{"file": path, "row": None, "field": "",
                                         "message": str(exc), "severity": "error"}]})
            failed = True
            if fmt == "text":
                text = one_line(exc)
                named = text.startswith((str(path), source_name(path)))
                click.echo(f"ERROR {text if named else f'{path}: {text}'}{option_hint(exc)}", err=True)
            continue
        errs = errors_in(problems)
        failed |= bool(errs)
        shown = problems if show_warnings else errs
        report.append({"file": path, "rows": rows, "errors": len(errs),
                       "warnings": len(problems) - len(errs),
                       "problems": [p.to_dict() for p in shown]})
        if fmt == "text":
            status = "ok" if not errs else f"{len(errs)} error(s)"
            click.echo(f"{path}: {rows} rows, {status}, {len(problems) - len(errs)} warning(s)")
            for p in shown:
                click.echo(f"  {p.severity.upper():7} {p}")
    if fmt == "json":
        click.echo(json.dumps({"ok": not failed, "files": report}, indent=1, default=str))
    if failed:
        raise SystemExit(2)
