"""Account text -> the fixed-width key the claims index is sorted by, and back.

EVM accounts are 20 bytes (integer accounts of an `oz` tree with a non-address leaf, D4,
are 32 big-endian bytes); we accept lowercase, uppercase or a correct EIP-55 checksum and
refuse a mixed-case address whose checksum is wrong (it is almost always a typo, and EIP-55
exists to catch exactly that: https://eips.ethereum.org/EIPS/eip-55). Solana accounts are the
32 pubkey bytes (base58 text, or the hex the static shards use, D6).
"""

from __future__ import annotations

import re

import base58

from epochdrop.addresses import ADDRESS_RE, bad_checksum, eip55, mixed_case, not_an_address

_HEX64 = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


def _nibble_table():
    import numpy as np

    table = np.full(256, 255, dtype=np.uint8)
    for i, c in enumerate(b"0123456789abcdef"):
        table[c] = i
    for i, c in enumerate(b"ABCDEF"):
        table[c] = 10 + i
    return table


class BadAccount(ValueError):
    """The text is not an account of the epoch's kind; the message says why (for EVM
    addresses in epochdrop/addresses.py's words: the API answers 400 with it)."""


def key_width(kind: str) -> int:
    return 20 if kind == "address" else 32


def parse_account(text: str, kind: str, *, check: bool = True) -> bytes:
    """Return the index key for `text` or raise BadAccount with a one-line reason.

    `kind` is the tree scheme's account kind (`address`, `solana` or `uint`, D4). With
    `check=False` a mixed-case EVM address is not checksummed here: the caller compares it
    with the stored EIP-55 text of the claim it finds (`mixed_case`), which is free."""
    if kind == "uint":
        if not text.isdigit() or len(text) > 78 or int(text) >= 2**256:
            raise BadAccount(f"{text[:80]!r} is not an unsigned integer account")
        return int(text).to_bytes(32, "big")
    if kind == "solana":
        if _HEX64.match(text):
            return bytes.fromhex(text[-64:])
        try:
            raw = base58.b58decode(text)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise BadAccount(f"{text[:80]!r} is not a Solana public key (base58 of 32 bytes)")
        return raw
    if not ADDRESS_RE.fullmatch(text):
        raise BadAccount(not_an_address(text[:80]))
    if check and mixed_case(text) and "0x" + eip55(text[2:]) != text:
        raise BadAccount(bad_checksum(text, "0x" + eip55(text[2:])))
    return bytes.fromhex(text[2:])


def evm_keys(ascii42: bytes, n: int):
    """n concatenated `0x…` addresses -> (n, 20) uint8 in one numpy pass (no per-row objects)."""
    import numpy as np

    if n == 0:
        return np.zeros((0, 20), dtype=np.uint8)
    text = np.frombuffer(ascii42, dtype=np.uint8)
    if text.size != 42 * n:
        raise BadAccount("an account in proofs.parquet is not a 42-character EVM address")
    nib = _nibble_table()[text.reshape(n, 42)[:, 2:]]
    if (nib == 255).any():
        raise BadAccount("an account in proofs.parquet has a non-hex digit")
    return (nib[:, 0::2] << 4) | nib[:, 1::2]


def other_keys(accounts: list[str], kind: str):
    """Solana or integer accounts -> (N, 32) keys (per row; such epochs are small)."""
    import numpy as np

    raw = b"".join(parse_account(a, kind) for a in accounts)
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(accounts), 32)
