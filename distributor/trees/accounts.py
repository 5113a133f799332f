"""Account columns: EVM addresses (EIP-55 checked) and Solana base58 pubkeys, in bulk.

A mixed-case EVM address must carry a valid EIP-55 checksum (a typo in a mixed-case
address is caught by it; all-lower or all-upper addresses carry none, as in eth-utils'
`is_checksum_address` rules). Output text is always the EIP-55 form (DECISIONS D1).
"""

from __future__ import annotations

import base58
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distributor.trees.hexfmt import checksum_addresses
from epochdrop.errors import InputError

_ADDR_RE = r"^0x[0-9a-fA-F]{40}$"


def parse_evm(cells: list[str | None], *, file: str) -> tuple[np.ndarray, list[str]]:
    """-> ((N, 20) uint8 address bytes, EIP-55 strings)."""
    arr = pa.array(cells, type=pa.string())
    ok = pc.fill_null(pc.match_substring_regex(arr, _ADDR_RE), False)
    if not pc.all(ok).as_py():
        row = pc.index(ok, False).as_py()
        cell = cells[row]
        what = "empty account" if not cell else (
            f"{cell!r} is not an address (0x followed by 40 hex digits)")
        raise InputError(what, file=file, row=row + 1, field="account")
    raw = np.frombuffer(bytes.fromhex("".join([c[2:] for c in cells])),
                        dtype=np.uint8).reshape(len(cells), 20)
    checked = checksum_addresses(raw)
    lower = pc.equal(arr, pc.utf8_lower(arr))
    upper = pc.equal(pc.utf8_slice_codeunits(arr, 2), pc.utf8_upper(pc.utf8_slice_codeunits(arr, 2)))
    plain = pc.or_(lower, upper)
    if not pc.all(plain).as_py():
        for i in np.flatnonzero(~plain.to_numpy(zero_copy_only=False)):
            if cells[i] != checked[i]:
                raise InputError(f"{cells[i]!r} fails its EIP-55 checksum (expected "
                                 f"{checked[i]}); check the address or write it in lower case",
                                 file=file, row=int(i) + 1, field="account")
    return raw, checked


def parse_solana(cells: list[str | None], *, file: str) -> tuple[np.ndarray, list[str]]:
    """-> ((N, 32) uint8 pubkey bytes, canonical base58 strings)."""
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
    return np.frombuffer(bytes(out), dtype=np.uint8).reshape(len(cells), 32), list(cells)


def parse_uint_accounts(cells: list[str | None], *, bits: int, file: str) -> tuple[np.ndarray, list[str]]:
    """For OZ leaves whose first type is uintN (e.g. Lido's `uint256,uint256`, D4)."""
    from distributor.trees.amounts import parse_amount

    vals = [parse_amount(c, decimals=None, limit=2**bits - 1, file=file, row=i + 1,
                         field="account") for i, c in enumerate(cells)]
    raw = np.frombuffer(b"".join(v.to_bytes(32, "big") for v in vals),
                        dtype=np.uint8).reshape(len(vals), 32)
    return raw, [str(v) for v in vals]
