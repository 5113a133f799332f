"""One error family, turned into one line and an exit code at the CLI edge.

Two kinds matter to a user (DECISIONS D22): a *user error* means "change your input,
config or arguments" and exits 2; a *failure* means the tool could not finish (RPC
exhausted, a bug) and exits 1. Modelled on OpenZeppelin merkle-tree's errors.ts and
web3.py's exceptions.py: few kinds, one root.
"""

from __future__ import annotations


class EpochdropError(Exception):
    """Root of every error epochdrop raises on purpose."""

    exit_code = 1


class UserError(EpochdropError):
    """Bad input, config or arguments: the message says what to change."""

    exit_code = 2


class InputError(UserError):
    """A bad value in an input file, located by file, row and field.

    `row` is 1-based over data rows (the header of a CSV is not counted), so that it
    matches what a spreadsheet shows after the header line.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None):
        self.file, self.row, self.field, self.detail = file, row, field, message
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ConfigError(UserError):
    """A program config that does not validate (unknown key, out of range, bad epoch)."""


class FailureError(EpochdropError):
    """The work could not be finished (RPC retries exhausted, node gone, ...)."""

    exit_code = 1


class InternalError(EpochdropError):
    """An invariant that should always hold did not: a bug in epochdrop."""

    exit_code = 1
