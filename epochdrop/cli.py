"""The `epochdrop` command: one Typer app, each subcommand defined next to its code.

Errors from anywhere below surface here as one line on stderr and an exit code
(2 = change your input, 1 = failure; DECISIONS D22).
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from epochdrop import __version__
from epochdrop.errors import EpochdropError

app = typer.Typer(
    name="epochdrop",
    help="Reproducible reward epochs: index chain data, score programs, build Merkle roots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts cite config sections like [sources] literally
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"epochdrop {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    """Reproducible reward epochs: index chain data, score programs, build Merkle roots."""


def _register() -> None:
    """Attach every command group. One line per group; each lives beside its code."""
    from distributor.trees.cli import tree_app

    app.add_typer(tree_app, name="tree")
    from distributor.score_cli import register as register_score
    register_score(app)
    from indexer.import_cli import register as register_import
    register_import(app)
    from indexer.cli import register as register_index
    register_index(app)
    from distributor.workflow.cli import register as register_workflow; register_workflow(app)
    from distributor.claims.cli import claims_app; app.add_typer(claims_app)  # serve, export-static, publish


_registered = False


def main(argv: list[str] | None = None) -> None:
    global _registered
    if not _registered:  # once per process: tests call main() many times in-process
        _register()
        _registered = True
    try:
        result = app(args=argv, standalone_mode=False)
    except EpochdropError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("error: interrupted", markup=False)
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        usage_errors: tuple[type, ...] = (click.exceptions.ClickException,)
        exits: tuple[type, ...] = (click.exceptions.Exit, typer.Exit)
        try:  # typer >= 0.17 vendors click as typer._click: its errors are not click's
            from typer._click.exceptions import ClickException as _TyperClickException
            usage_errors += (_TyperClickException,)
        except ImportError:
            pass
        if isinstance(exc, usage_errors):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, exits):
            sys.exit(getattr(exc, "exit_code", 0))
        raise
    # With standalone_mode=False click returns an Exit's code instead of raising it.
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
