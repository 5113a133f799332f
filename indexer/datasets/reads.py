"""How a snapshot dataset declares its contract reads: whose balances, which calls, how to convert.

Why a declaration: the reader (indexer/evm/snapshots.py) is one loop for every snapshot
dataset — find the day's block, gather whose balances from the store, send every call of
the day (of every contract) in as few round trips as the node allows (Multicall3, JSON-RPC
batches: indexer/evm/multicall.py), convert — and a dataset module only says what is
particular to it (docs/design.md §4: "snapshot datasets declare their calls ... in the
dataset module"). Adding a snapshot dataset is one module with a `SnapshotReads`.

    SNAPSHOT = SnapshotReads(
        holders=(Holders("dhedge_deposits", "investor"),),   # whose balances, from the store
        calls=lambda at: [(at.contract, calldata("balanceOf(address)", ["address"], [h]))
                          for h in at.holders],
        rows=lambda at, res: [dict(pool=at.contract, investor=h, balance=str(uint(r)))
                              for h, r in zip(at.holders, res)],
    )
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from epochdrop.errors import FailureError

Call = tuple[str, bytes]                  # (contract address, calldata)
Answer = tuple[bool, bytes]               # (success, returnData), Multicall3's Result
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Holders:
    """Accounts to read for: every `column` value of `dataset` rows at or before the day's
    block (the zero address excluded). `same_contract`: only rows whose `contract` is the
    contract being read; otherwise rows of any contract. `required`: the dataset must be
    indexed up to the last snapshot block first (the command says so otherwise)."""

    dataset: str
    column: str
    same_contract: bool = True
    required: bool = True


@dataclass
class At:
    """One contract at one day's block, as the declaration's functions see it."""

    contract: str
    block: int
    holders: list[str]                    # sorted
    memo: dict[str, Any]                  # per-contract facts found once (`discover`)


@dataclass(frozen=True)
class SnapshotReads:
    """calls(at) → the day's calls for one deployed contract; rows(at, answers) → rows (the
    reader adds chain and block columns); absent(at) → rows for a day before the contract
    had code (see indexer/evm/snapshots.py); discover(at, read) runs once per contract, at
    the first day it has code, with `read(calls) → answers` at that block."""

    calls: Callable[[At], list[Call]]
    rows: Callable[[At, list[Answer]], list[dict]]
    holders: tuple[Holders, ...] = ()
    absent: Callable[[At], list[dict]] = field(default=lambda at: [])
    discover: Callable[[At, Callable[[list[Call]], list[Answer]]], None] | None = None


def calldata(sig: str, types: list[str] = (), args: list = ()) -> bytes:
    """4-byte selector of `sig` + ABI-encoded args."""
    return keccak(text=sig)[:4] + abi_encode(list(types), list(args))


def decoded(answer: Answer, types: list[str], what: str) -> tuple:
    """The ABI-decoded returnData of a call that must succeed (a revert or an empty answer
    from a deployed contract is a fault of the node or contract, not a zero)."""
    ok, data = answer
    if not ok or not data:
        raise FailureError(f"{what}: the call {'reverted' if not ok else 'returned nothing'}")
    return abi_decode(types, data)


def uint(answer: Answer, what: str = "eth_call") -> int:
    return decoded(answer, ["uint256"], what)[0]


def fixed_point(n: int, decimals: int) -> str:
    """n / 10**decimals as an exact decimal string, without trailing zeros (no Decimal
    context involved: Python's default 28 digits would round uint256 products)."""
    q, r = divmod(n, 10**decimals)
    if not r:
        return str(q)
    return f"{q}.{str(r).rjust(decimals, '0').rstrip('0')}"
