"""The ``geoprospect`` command line: a click group, one module per subcommand.

Subcommands are imported only when invoked, so ``geoprospect --help`` stays fast.
Exit codes: 0 success, 1 unexpected internal error (a bug; ``--debug`` shows the traceback),
2 expected failure (bad file, column, value, option) or validation errors, 130 interrupted.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import warnings

import click

from geoprospect._version import __version__
from geoprospect.errors import GeoprospectError

COMMANDS = {
    "layers": ("geoprospect.cli.layers", "layers", "List the bundled layers and their sources."),
    "validate": ("geoprospect.cli.validate", "validate", "Check layers against the schema."),
    "rank": ("geoprospect.cli.rank", "rank", "Score and rank deposits."),
    "score": ("geoprospect.cli.score", "score", "Batch-score candidate sites."),
    "train": ("geoprospect.cli.train", "train", "Train a model on a labelled layer."),
    "routes": ("geoprospect.cli.routes", "routes", "Processing routes for deposits."),
    "map": ("geoprospect.cli.map", "map_command", "Publish an interactive HTML map."),
    "surface": ("geoprospect.cli.surface", "surface", "Write a logistics/score surface GeoTIFF."),
    "scenario": ("geoprospect.cli.whatif", "scenario", "Value the deposits under named what-if scenarios."),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it runs, and turns
    exceptions into one-line messages with the documented exit codes."""

    def invoke(self, ctx: click.Context):

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise Interrupted("Interrupted; no partial output was left.") from None
        except GeoprospectError as exc:
            if _debug(ctx):
                raise
            raise ExpectedFailure(describe(exc)) from None
        except Exception as exc:
            if _debug(ctx):
                raise
            raise InternalFailure(
                f"Internal error: {type(exc).__name__}: {one_line(exc)} "
                "(this is a bug; rerun with --debug for the traceback)"
            ) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (mod, _, _) in COMMANDS.items() if _available(mod)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _available(COMMANDS[name][0]):
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][2]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _debug(ctx: click.Context) -> bool:
    return bool(ctx.params.get("debug")) or bool((ctx.obj or {}).get("debug"))


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Show Python warnings (e.g. a CRS override) as one log line, not file:line + source."""
    logging.getLogger("geoprospect").warning("%s", message)


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoprospect")
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less output: no progress, warnings only.")
@click.option("--debug", is_flag=True, help="Show full tracebacks of errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int, debug: bool) -> None:
    """Assess rare-earth mining prospects: rank deposits on grade, logistics and political
    risk, route them to processing plants, and publish shareable maps."""
    level = logging.WARNING + 10 * (quiet - verbose)
    logging.basicConfig(level=max(logging.DEBUG, level), format="%(levelname)s: %(message)s")
    if not debug:
        warnings.showwarning = _one_line_warning
    ctx.ensure_object(dict)
    ctx.obj.update(verbosity=verbose - quiet, debug=debug)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    cli.main(args=argv, prog_name="geoprospect")


class ExpectedFailure(click.ClickException):
    """An expected failure: one line on stderr, exit code 2."""

    exit_code = 2


class InternalFailure(click.ClickException):
    """A bug: one line on stderr pointing at --debug, exit code 1."""

    exit_code = 1

    def format_message(self) -> str:
        return self.message


class Interrupted(click.ClickException):
    """Ctrl-C: exit code 130; outputs are written atomically, so nothing half-written is left."""

    exit_code = 130

    def format_message(self) -> str:
        return self.message


def option_hint(exc: BaseException) -> str:
    """``" (--crs)"`` for an error that concerns the ``crs`` option, else ``""``."""
    option = getattr(exc, "option", None)
    return f" (--{option.replace('_', '-')})" if option else ""


def describe(exc: BaseException) -> str:
    """One line for an expected error, ending with the CLI flag it concerns (``... (--crs)``)."""
    return one_line(exc) + option_hint(exc)


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when empty)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
