"""The `epochdrop` command: one Typer app, each subcommand defined next to its code.

Command modules are imported only when their command runs (Click's lazy-group pattern,
https://click.palletsprojects.com/en/stable/complex/#lazily-loading-subcommands): they pull in
DuckDB, pyarrow and web3, so importing all of them up front cost ~0.5 s before any command,
even `--version`. `epochdrop --help` (and a mistyped command's "did you mean") loads them all.

Errors from anywhere below surface here as one line on stderr and an exit code
(2 = change your input, 1 = failure; DECISIONS D22). No traceback reaches a user (issue 20):
usage errors become `error: <click's message>` (it names the flag), OS errors name the path
(a permission, a file where a folder is needed: exit 2; no space, I/O: exit 1), and anything
unexpected is one line too, exit 1 — `EPOCHDROP_DEBUG=1` re-raises it with its traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any, Callable

import typer
from typer.core import TyperGroup

from epochdrop import __version__
from epochdrop.errors import EpochdropError


# One loader per command module: it attaches that module's commands to an app.
def _score(app: typer.Typer) -> None:
    from distributor.score_cli import register
    register(app)


def _import(app: typer.Typer) -> None:   # import, generate, solana, sample
    from indexer.import_cli import register
    register(app)


def _index(app: typer.Typer) -> None:    # index, decode
    from indexer.cli import register
    register(app)


def _workflow(app: typer.Typer) -> None:  # run, verify, whatif, demo, index-config
    from pipeline.commands import register
    register(app)


def _tree(app: typer.Typer) -> None:
    from distributor.trees.cli import tree_app
    app.add_typer(tree_app, name="tree")


def _claims(app: typer.Typer) -> None:   # serve, deploy, publish, export-static
    from distributor.claims.cli import claims_app
    app.add_typer(claims_app)


# Every command and its loader, in the order `epochdrop --help` lists them.
COMMANDS: dict[str, Callable[[typer.Typer], None]] = {
    "score": _score,
    "import": _import, "generate": _import,
    "index": _index, "decode": _index, "index-config": _workflow,
    "run": _workflow, "verify": _workflow, "whatif": _workflow, "demo": _workflow,
    "tree": _tree,
    "solana": _import, "sample": _import,
    "serve": _claims, "deploy": _claims, "publish": _claims, "export-static": _claims,
}


class LazyGroup(TyperGroup):
    """The root group: a command's module is loaded the first time the command is looked up."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS) + [n for n in self.commands if n not in COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self._load(COMMANDS[cmd_name])
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in COMMANDS:   # unknown: load all for "did you mean …?"
            for loader in dict.fromkeys(COMMANDS.values()):
                self._load(loader)
        return super().resolve_command(ctx, args)

    def _load(self, loader: Callable[[typer.Typer], None]) -> None:
        sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                          rich_markup_mode=None)
        loader(sub)
        self.commands.update(typer.main.get_group(sub).commands)


app = typer.Typer(
    name="epochdrop",
    cls=LazyGroup,
    help="Reproducible reward epochs: index chain data, score programs, build Merkle roots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts cite config sections like [sources] literally
)


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


def _error(message: str) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(message, markup=False)


# OS errors that mean "the path you gave is wrong for this" (exit 2) rather than "the machine
# could not do it" (no space, I/O error, … : exit 1).
USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.ENOENT,
               errno.EEXIST, errno.EROFS, errno.ENAMETOOLONG, errno.ELOOP, errno.ENOTEMPTY,
               errno.EADDRINUSE, errno.EADDRNOTAVAIL}


def os_error_line(exc: OSError) -> tuple[str, int]:
    """One line and an exit code for an OSError nothing below turned into an EpochdropError."""
    where = exc.filename if exc.filename is not None else None
    what = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename2 is not None:
        where = f"{exc.filename} -> {exc.filename2}"
    line = f"error: {where}: {what}" if where is not None else f"error: {what}"
    return line, 2 if exc.errno in USER_ERRNOS else 1


def main(argv: list[str] | None = None) -> None:
    try:
        result = app(args=argv, standalone_mode=False)
    except EpochdropError as exc:
        _error(f"error: {exc}")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _error("error: interrupted")
        sys.exit(130)
    except OSError as exc:
        if os.environ.get("EPOCHDROP_DEBUG"):
            raise
        line, code = os_error_line(exc)
        _error(line)
        sys.exit(code)
    except Exception as exc:  # click usage errors and the like
        import click

        usage_errors: tuple[type, ...] = (click.exceptions.ClickException,)
        exits: tuple[type, ...] = (click.exceptions.Exit, typer.Exit)
        try:  # typer >= 0.17 vendors click as typer._click: its errors are not click's
            from typer._click.exceptions import ClickException as _TyperClickException
            usage_errors += (_TyperClickException,)
        except ImportError:
            pass
        if isinstance(exc, usage_errors):   # one line naming the flag, not click's usage box
            _error(f"error: {exc.format_message()}".replace("\n", " "))
            sys.exit(exc.exit_code)
        if isinstance(exc, exits):
            sys.exit(getattr(exc, "exit_code", 0))
        if os.environ.get("EPOCHDROP_DEBUG"):
            raise
        msg = " ".join(str(exc).split()) or "(no message)"
        _error(f"error: internal error ({type(exc).__name__}: {msg[:300]}); rerun with "
               "EPOCHDROP_DEBUG=1 for the traceback and report it")
        sys.exit(1)
    # With standalone_mode=False click returns an Exit's code instead of raising it.
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
