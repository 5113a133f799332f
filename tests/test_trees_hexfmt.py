"""distributor/trees/hexfmt.py: bulk hex and EIP-55 text against eth-utils, one address at
a time (the reference every wallet and explorer uses)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from eth_utils import to_checksum_address
from hypothesis import given, settings, strategies as st

from distributor.trees.accounts import parse_evm
from distributor.trees.hexfmt import checksum_addresses, hex_bytes, hex_digits

rows = st.lists(st.binary(min_size=20, max_size=20), max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_checksum_addresses_match_eth_utils(addresses):
    raw = np.frombuffer(b"".join(addresses), np.uint8).reshape(len(addresses), 20)
    assert checksum_addresses(raw) == [to_checksum_address(a) for a in addresses]


@settings(max_examples=60, deadline=None)
@given(rows, st.randoms())
def test_hex_bytes_reads_either_case(addresses, rnd):
    raw = np.frombuffer(b"".join(addresses), np.uint8).reshape(len(addresses), 20)
    text = hex_digits(raw)
    assert text.tobytes() == b"".join(a.hex().encode() for a in addresses)
    upper = np.array([[rnd.random() < 0.5 for _ in range(40)] for _ in addresses], dtype=bool)
    mixed = np.where(upper.reshape(text.shape) & (text >= ord("a")), text - 32, text).astype(np.uint8)
    assert np.array_equal(hex_bytes(mixed), raw)


def test_parse_evm_reads_a_sliced_arrow_column():
    """The parser decodes the column's buffer directly: an array that starts part-way into
    its buffer (a slice) must still give its own rows."""
    addresses = [to_checksum_address(bytes([i]) * 20) for i in range(1, 6)]
    col = pa.array(["junk", *addresses, "junk"])[1:6]
    raw, text = parse_evm(col, file="x.csv")
    assert text.view(pa.large_string()).to_pylist() == addresses
    assert [bytes(r) for r in raw] == [bytes([i]) * 20 for i in range(1, 6)]
