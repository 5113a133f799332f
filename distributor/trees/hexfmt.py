"""Hex text in bulk: 32-byte nodes as `"0x…"` JSON cells and EIP-55 addresses, vectorised.

Writing a million proofs means ~20 million hex strings; making each one a Python `str`
costs seconds, so nodes are turned into fixed-width ASCII cells in one numpy pass and
claims slice their proof out of one buffer. EIP-55 checksums (https://eips.ethereum.org/EIPS/eip-55)
are computed the same way: one keccak per address, then nibble arithmetic over the whole
batch; `tests/test_trees_hexfmt.py` checks it against eth-utils' `to_checksum_address`.
"""

from __future__ import annotations

import numpy as np

from distributor.trees.hashing import keccak_rows

CELL = 69  # '"0x' + 64 hex digits + '",'


_LUT = np.array([int.from_bytes(b"%02x" % i, "little") for i in range(256)], dtype=np.uint16)


CHUNK = 1 << 15  # rows per pass: the table lookups stay in cache, no full-size temporaries


def hex_digits(rows: np.ndarray) -> np.ndarray:
    """(M, W) uint8 -> (M, 2W) uint8 ASCII lowercase hex (one 256-entry table lookup)."""
    m, w = rows.shape
    out = np.empty((m, 2 * w), dtype=np.uint8)
    _fill_hex(out, rows)
    return out


def hex_bytes(text: np.ndarray) -> np.ndarray:
    """(M, 2W) uint8 ASCII hex digits (already validated) -> (M, W) bytes.

    A digit's value is (c & 15) + 9 * (c >> 6) in ASCII ('0'-'9', 'a'-'f', 'A'-'F'):
    uint8 arithmetic, in cache-sized chunks. (A table lookup would first widen every
    digit to an 8-byte index: 320 MB for a million addresses.)"""
    m, w2 = text.shape
    out = np.empty((m, w2 // 2), dtype=np.uint8)
    for a in range(0, m, CHUNK):
        c = text[a:a + CHUNK]
        nibbles = (c & 15) + 9 * (c >> 6)
        out[a:a + CHUNK] = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    return out


def _fill_hex(dest: np.ndarray, rows: np.ndarray) -> None:
    """Write the hex of `rows` into `dest` (M, 2W), which may be a column slice of a wider
    array: each byte's two digits are one uint16 from the table."""
    pairs = dest.view(np.uint16)
    for a in range(0, rows.shape[0], CHUNK):
        np.take(_LUT, rows[a:a + CHUNK], out=pairs[a:a + CHUNK])


def node_cells(nodes: np.ndarray) -> np.ndarray:
    """(K, 32) nodes -> (K, CELL) uint8 rows `"0x<64 hex>",`; its bytes are the K cells
    back to back (usable through memoryview without a copy)."""
    cells = np.empty((nodes.shape[0], CELL), dtype=np.uint8)
    cells[:, 0] = ord('"')
    cells[:, 1] = ord("0")
    cells[:, 2] = ord("x")
    _fill_hex(cells[:, 3:67], nodes)
    cells[:, 67] = ord('"')
    cells[:, 68] = ord(",")
    return cells


def checksum_addresses(raw: np.ndarray) -> list[str]:
    """(M, 20) address bytes -> EIP-55 checksummed strings."""
    return row_strings(checksum_text(raw))


def row_strings(rows: np.ndarray) -> list[str]:
    """(M, W) ASCII rows -> M Python strings (one decode, then slices)."""
    w = rows.shape[1]
    flat = rows.tobytes().decode()
    return [flat[i:i + w] for i in range(0, len(flat), w)] if w else [""] * rows.shape[0]


def checksum_text(raw: np.ndarray) -> np.ndarray:
    """(M, 20) address bytes -> (M, 42) ASCII EIP-55 text."""
    return checksum_of_lower(hex_digits(raw))


def checksum_of_lower(lower: np.ndarray) -> np.ndarray:
    """(M, 40) lowercase hex digits of addresses -> (M, 42) ASCII EIP-55 text: a hex digit
    is upper case where the matching nibble of keccak256(lowercase hex) is >= 8."""
    m = lower.shape[0]
    text = np.empty((m, 42), dtype=np.uint8)
    if m == 0:
        return text
    digest = keccak_rows(lower)
    text[:, 0], text[:, 1] = ord("0"), ord("x")
    for a in range(0, m, CHUNK):
        low, d = lower[a:a + CHUNK], digest[a:a + CHUNK, :20]
        nibbles = np.empty(low.shape, dtype=np.uint8)
        nibbles[:, 0::2] = d >> 4
        nibbles[:, 1::2] = d & 15
        upper = (low >= ord("a")) & (nibbles >= 8)
        text[a:a + CHUNK, 2:] = low - (upper.view(np.uint8) << 5)
    return text
