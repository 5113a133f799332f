"""Validated claims: who gets how much, in input order, with duplicates and cumulative
amounts resolved (DECISIONS D3, D5).

Columnar on purpose (Arrow text columns and numpy arrays, not one object per claim) so a
million claims load in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from pathlib import Path

import numpy as np
import pyarrow as pa

from distributor.trees import accounts as acc, jsontext
from distributor.trees.amounts import decimal_words, parse_amounts, parse_indices, words_total
from distributor.trees.hashing import sort_rows
from distributor.trees.inputs import read_table
from epochdrop.errors import InputError, UserError


@dataclass(frozen=True)
class Claims:
    """Claims as columns. Accounts and amounts are held as their canonical text
    (`jsontext` columns: what every output file prints), so a million claims reach the
    writers without a Python object per value; `accounts`, `amounts` and `locked` give
    Python values on demand, for the schemes and checks that need them."""
    account_text: pa.Array         # EIP-55, base58, or decimal (uint accounts)
    keys: np.ndarray               # (N, W) uint8 account bytes (20 EVM, 32 Solana/uint)
    amount_text: pa.Array          # decimal, no leading zeros
    indices: list[int] | None = None
    locked_text: pa.Array | None = None

    @classmethod
    def of(cls, accounts: list[str], keys: np.ndarray, amounts: list[int],
           indices: list[int] | None = None, locked: list[int] | None = None) -> "Claims":
        """From Python values (merged, cumulative or re-read claims, and tests)."""
        return cls(jsontext.strings(accounts), keys, jsontext.decimal(amounts), indices,
                   None if locked is None else jsontext.decimal(locked))

    def __len__(self) -> int:
        return len(self.keys)

    @cached_property
    def accounts(self) -> list[str]:
        return self.account_text.view(pa.large_string()).to_pylist()

    @cached_property
    def amounts(self) -> list[int]:
        return list(map(int, self.amount_text.view(pa.large_string()).to_pylist()))

    @cached_property
    def locked(self) -> list[int] | None:
        if self.locked_text is None:
            return None
        return list(map(int, self.locked_text.view(pa.large_string()).to_pylist()))

    @cached_property
    def amount_words(self) -> np.ndarray:
        """(N, 32) amounts as abi uint256 (big-endian) rows."""
        return decimal_words(self.amount_text)

    @cached_property
    def total(self) -> int:
        """Sum of amounts and locked amounts."""
        locked = 0 if self.locked_text is None else words_total(decimal_words(self.locked_text))
        return words_total(self.amount_words) + locked

    def take(self, order) -> "Claims":
        order = np.asarray(order, dtype=np.int64)
        ix = order.tolist() if self.indices is not None else []
        indices = None if self.indices is None else (
            list(itemgetter(*ix)(self.indices)) if len(ix) > 1 else [self.indices[i] for i in ix])
        pick = lambda col: None if col is None else col.take(order)  # noqa: E731
        return Claims(pick(self.account_text), np.take(self.keys, order, axis=0),
                      pick(self.amount_text), indices, pick(self.locked_text))


@dataclass(frozen=True)
class AccountKind:
    """How the account column is read: `address`, `solana`, or `uint<bits>` (D4)."""
    kind: str
    bits: int = 256


def load_claims(path: str | Path, *, kind: AccountKind, limit: int, decimals: int | None,
                merge_duplicates: bool, allow_locked: bool) -> Claims:
    name = Path(path).name
    cols = read_table(path)
    keys, accounts = acc.parse_accounts(cols["account"], kind, file=name)
    amounts = parse_amounts(cols["amount"], decimals=decimals, limit=limit, file=name)
    indices = parse_indices(cols["index"], file=name) if "index" in cols else None
    locked = None
    if "locked_amount" in cols:
        if not allow_locked:
            raise InputError("column 'locked_amount' only exists in the solana scheme",
                             file=name, field="locked_amount")
        locked = parse_amounts(cols["locked_amount"], decimals=decimals, limit=limit,
                               file=name, field="locked_amount")
    claims = Claims(accounts, keys, amounts, indices, locked)
    claims = _resolve_duplicates(claims, merge=merge_duplicates, file=name, limit=limit)
    if claims.indices is not None and len(set(claims.indices)) != len(claims.indices):
        seen: set[int] = set()
        for row, ix in enumerate(claims.indices, start=1):
            if ix in seen:
                raise InputError(f"index {ix} appears twice; indices must be unique",
                                 file=name, row=row, field="index")
            seen.add(ix)
    return claims


def _resolve_duplicates(c: Claims, *, merge: bool, file: str, limit: int) -> Claims:
    """Duplicates compare by account bytes, i.e. case-insensitively for EVM (D3)."""
    ordered = np.take(c.keys, sort_rows(c.keys), axis=0)
    if not (ordered[1:] == ordered[:-1]).all(axis=1).any():
        return c  # the common case, decided by one sort
    flat = np.ascontiguousarray(c.keys).view(f"S{c.keys.shape[1]}").ravel()
    uniq, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    if len(uniq) == len(c):
        return c
    if not merge:
        seen_first = first[inverse]
        row = int(np.flatnonzero(seen_first != np.arange(len(c)))[0])
        raise InputError(f"duplicate account {c.accounts[row]} (first on row "
                         f"{int(seen_first[row]) + 1}); remove it or pass --merge-duplicates "
                         "to sum the amounts", file=file, row=row + 1, field="account")
    keep = np.sort(first)
    group_of_first = {int(f): g for g, f in enumerate(first.tolist())}
    sums = [0] * len(uniq)
    lsums = [0] * len(uniq) if c.locked is not None else None
    for i, g in enumerate(inverse.tolist()):
        sums[g] += c.amounts[i]
        if lsums is not None:
            lsums[g] += c.locked[i]
    for g, total in enumerate(sums):
        if total > limit:
            row = int(first[g]) + 1
            raise InputError(f"merged amount {total} of {c.accounts[first[g]]} is above the "
                             f"maximum {limit}", file=file, row=row, field="amount")
    out = c.take(keep)
    groups = [group_of_first[int(k)] for k in keep.tolist()]
    return Claims.of(out.accounts, out.keys, [sums[g] for g in groups], out.indices,
                     None if lsums is None else [lsums[g] for g in groups])


def add_previous(current: Claims, previous: Claims, *, limit: int) -> Claims:
    """Cumulative mode (D5): new amount = previous cumulative + this epoch's increment;
    accounts absent from this epoch carry over unchanged."""
    if current.indices is not None:
        raise UserError("an 'index' column cannot be combined with --previous: indices "
                        "are re-assigned over the cumulative set; drop the column")
    pos = {a: i for i, a in enumerate(current.accounts)}
    amounts = list(current.amounts)
    locked = None if current.locked is None else list(current.locked)
    carried = []
    for j, a in enumerate(previous.accounts):
        i = pos.get(a)
        if i is None:
            carried.append(j)
            continue
        amounts[i] += previous.amounts[j]
        if locked is not None and previous.locked is not None:
            locked[i] += previous.locked[j]
        if amounts[i] > limit:
            raise UserError(f"cumulative amount of {a} is {amounts[i]}, above the maximum {limit}")
    extra = previous.take(carried)
    locked_all = None
    if locked is not None or previous.locked is not None:
        locked_all = (locked or [0] * len(current)) + (extra.locked or [0] * len(extra))
    return Claims.of(current.accounts + extra.accounts,
                     np.concatenate([current.keys, extra.keys]) if len(extra) else current.keys,
                     amounts + extra.amounts, None, locked_all)
