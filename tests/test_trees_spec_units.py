"""Issue 16: the spec's ABI encodings against eth-abi (the reference Python encoder) for
random values of every type of the grammar, and value errors that name the input row.
(tests/test_trees_spec_evm.py compares the same leaves with solc on anvil.)"""

from __future__ import annotations

import json
import random

import pytest
from eth_abi import encode
from eth_abi.packed import encode_packed

from distributor.trees.abivalues import _abi_encode, _packed, parse_column
from distributor.trees.spec import parse_type
from epochdrop.errors import InputError

TYPES = ["address", "uint8", "uint96", "uint256", "int8", "int32", "int256", "bool", "bytes1",
         "bytes4", "bytes32", "string", "address[]", "uint256[]", "int64[]", "bool[]",
         "bytes32[]"]


def _value(rng, t: str):
    if t.endswith("[]"):
        return [_value(rng, t[:-2]) for _ in range(rng.randrange(4))]
    if t == "address":
        return rng.randbytes(20)
    if t.startswith("uint"):
        return rng.randrange(2**int(t[4:]))
    if t.startswith("int"):
        b = int(t[3:])
        return rng.randrange(-2**(b - 1), 2**(b - 1))
    if t == "bool":
        return rng.random() < 0.5
    if t.startswith("bytes"):
        return rng.randbytes(int(t[5:]))
    return "".join(rng.choice("aé€ b") for _ in range(rng.randrange(70)))


def _eth(v, t: str):
    if t.endswith("[]"):
        return [_eth(x, t[:-2]) for x in v]
    return "0x" + v.hex() if t == "address" else v


@pytest.mark.parametrize("seed", range(40))
def test_abi_encode_equals_eth_abi(seed):
    rng = random.Random(seed)
    names = [rng.choice(TYPES) for _ in range(rng.randrange(1, 7))]
    types = [parse_type(n) for n in names]
    values = tuple(_value(rng, n) for n in names)
    assert _abi_encode(values, types) == encode(names, [_eth(v, n) for v, n in zip(values, names)])
    static = [(v, t, n) for v, t, n in zip(values, types, names) if not t.array]
    if static:  # eth-abi's packed mode agrees with Solidity's for non-array values
        assert b"".join(_packed(v, t) for v, t, _ in static) == \
            encode_packed([n for *_, n in static], [_eth(v, n) for v, _, n in static])


def test_array_element_errors_name_the_row():
    cells = [json.dumps(["0x" + "11" * 20]), json.dumps([]), json.dumps(["0x" + "22" * 20, "0xbad"])]
    with pytest.raises(InputError) as e:
        parse_column(cells, parse_type("address[]"), file="in.json", field="tokens")
    assert (e.value.row, e.value.field) == (3, "tokens") and "0xbad" in str(e.value)
    with pytest.raises(InputError) as e:
        parse_column(['["1", "-2"]'], parse_type("uint256[]"), file="in.json", field="amounts")
    assert e.value.row == 1 and "negative" in str(e.value)
    with pytest.raises(InputError, match="not a list"):
        parse_column(["5"], parse_type("uint256[]"), file="in.json", field="amounts")


@pytest.mark.parametrize("t,cell,words", [
    ("int8", "128", "outside int8"), ("int8", "-129", "outside int8"), ("bool", "1", "true or false"),
    ("bytes4", "0x1234", "not bytes4"), ("uint8", "256", "above the maximum")])
def test_bad_values(t, cell, words):
    with pytest.raises(InputError, match=words):
        parse_column([cell], parse_type(t), file="f", field="x")


def test_int_values_round_trip():
    assert parse_column(["-128", "127", "0x7f", "-0x80"], parse_type("int8"), file="f", field="x") == \
        [-128, 127, 127, -128]
