"""The ``geoprospect`` command line: a click group, one module per subcommand.

Subcommands are imported only when invoked, so ``geoprospect --help`` stays fast.
Exit codes: 0 success, 1 unexpected internal error (a bug; ``--debug`` shows the traceback),
2 expected failure (bad file, column, value, option; validation errors with ``--strict`` or in
``validate``; no usable row left), 3 done, but rows with errors were skipped (reported on
stderr, all of them with ``--json``), 130 interrupted. ``-v``, ``-q`` and ``--debug`` are
accepted before and after the subcommand.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import warnings

import click

from geoprospect._version import __version__
from geoprospect.errors import GeoprospectError

EXIT_SKIPPED = 3
"""Exit code of a command that finished but skipped rows with errors."""

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
    "sheet": ("geoprospect.cli.sheet", "sheet", "One-page deal sheets (HTML, A4) for deposits."),
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
        return with_verbosity(getattr(importlib.import_module(module), attr))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][2]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _debug(ctx: click.Context) -> bool:
    return bool(ctx.params.get("debug")) or bool((ctx.obj or {}).get("debug"))


def _set_verbosity(ctx: click.Context, param: click.Parameter, value) -> None:
    """``-v``/``-q``/``--debug`` given after the subcommand: add to what the group was given."""
    if not value:
        return
    root = ctx.find_root()
    root.ensure_object(dict)
    obj = root.obj
    if param.name == "debug":
        obj["debug"] = True
        warnings.showwarning = _DEFAULT_SHOWWARNING
    else:
        obj["verbosity"] = obj.get("verbosity", 0) + (value if param.name == "verbose" else -value)
    logging.getLogger().setLevel(max(logging.DEBUG, logging.WARNING - 10 * obj.get("verbosity", 0)))


_VERBOSITY_PARAMS = ("verbose", "quiet", "debug")


def with_verbosity(command: click.Command) -> click.Command:
    """Give ``command`` the group's ``-v``, ``-q`` and ``--debug`` (once; a command that defines
    one of them keeps its own)."""
    names = {p.name for p in command.params}
    if getattr(command, "_geoprospect_verbosity", False):
        return command
    extra = [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_set_verbosity,
                     help="More log output (repeatable; also before the command)."),
        click.Option(["-q", "--quiet"], count=True, expose_value=False, callback=_set_verbosity,
                     help="Less output: no progress, warnings only (also before the command)."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_set_verbosity,
                     help="Show full tracebacks of errors (also before the command)."),
    ]
    command.params.extend(o for o in extra if o.name not in names)
    command._geoprospect_verbosity = True
    return command


def verbosity(ctx: click.Context) -> int:
    """The verbosity of the run: ``-v`` counts up, ``-q`` down, wherever they were given."""
    return int((ctx.find_root().obj or {}).get("verbosity", 0))


def quiet(ctx: click.Context) -> bool:
    """``-q`` was given (before or after the subcommand)."""
    return verbosity(ctx) < 0


_DEFAULT_SHOWWARNING = warnings.showwarning


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
    else:
        warnings.showwarning = _DEFAULT_SHOWWARNING
    ctx.ensure_object(dict)
    ctx.obj.update(verbosity=verbose - quiet, debug=debug)
    # the subcommand's own -v/-q/--debug add to these (see with_verbosity)


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
