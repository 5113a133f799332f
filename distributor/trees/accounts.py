"""Account columns: EVM addresses (EIP-55 checked) and Solana base58 pubkeys, in bulk.

A mixed-case EVM address must carry a valid EIP-55 checksum (a typo in a mixed-case
address is caught by it; all-lower or all-upper addresses carry none, as in eth-utils'
`is_checksum_address` rules). Output text is always the EIP-55 form (DECISIONS D1).
`parse_evm` is the vectorised fast path of epochdrop/addresses.py (a million addresses
without a Python call each): the same rules, the same `AddressError` and the same words,
which tests/test_addresses.py checks row for row against `epochdrop.addresses.checksum`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import base58
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distributor.trees import jsontext
from distributor.trees.hexfmt import checksum_of_lower, hex_bytes
from epochdrop.addresses import AddressError, bad_checksum, not_an_address
from epochdrop.errors import InputError

if TYPE_CHECKING:
    from distributor.trees.claims import AccountKind

_ADDR_RE = r"^0x[0-9a-fA-F]{40}$"


def parse_accounts(cells: pa.Array, kind: AccountKind, *, file: str) -> tuple[np.ndarray, pa.Array]:
    """The account column read as the scheme's leaf says (D4): EVM addresses, Solana
    pubkeys or uintN numbers. -> (account bytes (N, W), canonical account text as a
    `jsontext` column)."""
    if kind.kind == "address":
        return parse_evm(cells, file=file)
    if kind.kind == "solana":
        return parse_solana(cells, file=file)
    return parse_uint_accounts(cells, bits=kind.bits, file=file)


def parse_evm(cells: pa.Array, *, file: str) -> tuple[np.ndarray, pa.Array]:
    """Arrow strings -> ((N, 20) uint8 address bytes, EIP-55 text)."""
    ok = pc.fill_null(pc.match_substring_regex(cells, _ADDR_RE), False)
    if not pc.all(ok).as_py():
        row = pc.index(ok, False).as_py()
        raise AddressError(not_an_address(cells[row].as_py()), file=file, row=row + 1,
                           field="account")
    digits = jsontext.fixed_rows(cells, 42)[:, 2:]  # every cell is `0x` + 40 hex digits: a view
    # Setting bit 5 lowercases 'A'-'F' and leaves '0'-'9' and 'a'-'f' as they are.
    lower = digits | np.uint8(32)
    raw = hex_bytes(lower)
    checked = checksum_of_lower(lower)
    # Only mixed-case addresses carry a checksum (all-lower and all-upper ones do not).
    has_upper = np.flatnonzero((digits != lower).any(axis=1))
    mixed = has_upper[(digits[has_upper] >= ord("a")).any(axis=1)]
    wrong = mixed[(digits[mixed] != checked[mixed, 2:]).any(axis=1)]
    if len(wrong):
        i = int(wrong[0])
        raise AddressError(bad_checksum(cells[i].as_py(), checked[i].tobytes().decode()),
                           file=file, row=i + 1, field="account")
    return raw, jsontext.fixed_width(checked)


def parse_solana(cells: pa.Array, *, file: str) -> tuple[np.ndarray, pa.Array]:
    """-> ((N, 32) uint8 pubkey bytes, canonical base58 text)."""
    cells = cells.to_pylist()
    out = bytearray()
    for i, cell in enumerate(cells):
        try:
            key = base58.b58decode(cell or "", )
        except ValueError:
            key = b""
        if not cell or len(key) != 32 or base58.b58encode(key).decode() != cell:
            raise InputError(f"{cell!r} is not a Solana pubkey (32 bytes in base58)",
                             file=file, row=i + 1, field="account")
        out += key
    return np.frombuffer(bytes(out), dtype=np.uint8).reshape(len(cells), 32), jsontext.strings(cells)


def parse_uint_accounts(cells: pa.Array, *, bits: int, file: str) -> tuple[np.ndarray, pa.Array]:
    """For OZ leaves whose first type is uintN (e.g. Lido's `uint256,uint256`, D4)."""
    from distributor.trees.amounts import parse_amount

    cells = cells.to_pylist()
    vals = [parse_amount(c, decimals=None, limit=2**bits - 1, file=file, row=i + 1,
                         field="account") for i, c in enumerate(cells)]
    raw = np.frombuffer(b"".join(v.to_bytes(32, "big") for v in vals),
                        dtype=np.uint8).reshape(len(vals), 32)
    return raw, jsontext.decimal(vals)
