"""Hex text in bulk: 32-byte nodes as `"0x…"` JSON cells and EIP-55 addresses, vectorised.

Writing a million proofs means ~20 million hex strings; making each one a Python `str`
costs seconds, so nodes are turned into fixed-width ASCII cells in one numpy pass and
claims slice their proof out of one buffer. EIP-55 checksums (https://eips.ethereum.org/EIPS/eip-55)
are computed the same way: one keccak per address, then nibble arithmetic over the whole
batch; `tests/test_trees_claims.py` checks it against eth-utils' `to_checksum_address`.
"""

from __future__ import annotations

import numpy as np

from distributor.trees.hashing import keccak_rows

CELL = 69  # '"0x' + 64 hex digits + '",'


_LUT = np.array([int.from_bytes(b"%02x" % i, "little") for i in range(256)], dtype=np.uint16)


def hex_digits(rows: np.ndarray) -> np.ndarray:
    """(M, W) uint8 -> (M, 2W) uint8 ASCII lowercase hex (one 256-entry table lookup)."""
    m, w = rows.shape
    return np.take(_LUT, rows).view(np.uint8).reshape(m, 2 * w)


def node_cells(nodes: np.ndarray) -> np.ndarray:
    """(K, 32) nodes -> (K, CELL) uint8 rows `"0x<64 hex>",`; its bytes are the K cells
    back to back (usable through memoryview without a copy)."""
    cells = np.empty((nodes.shape[0], CELL), dtype=np.uint8)
    cells[:, 0] = ord('"')
    cells[:, 1] = ord("0")
    cells[:, 2] = ord("x")
    cells[:, 3:67] = hex_digits(nodes)
    cells[:, 67] = ord('"')
    cells[:, 68] = ord(",")
    return cells


def checksum_addresses(raw: np.ndarray) -> list[str]:
    """(M, 20) address bytes -> EIP-55 checksummed strings."""
    m = raw.shape[0]
    if m == 0:
        return []
    lower = hex_digits(raw)  # (M, 40) ASCII
    digest = keccak_rows(lower)[:, :20]
    nibbles = np.empty((m, 40), dtype=np.uint8)
    nibbles[:, 0::2] = digest >> 4
    nibbles[:, 1::2] = digest & 15
    upper = (lower >= ord("a")) & (nibbles >= 8)
    text = np.where(upper, lower - 32, lower).astype(np.uint8).tobytes().decode()
    return ["0x" + text[i * 40:(i + 1) * 40] for i in range(m)]
