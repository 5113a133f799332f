"""Input cells -> ABI values -> leaf bytes, for a declared leaf (`spec.py`).

Cells are the text the user wrote (`inputs.py`, DECISIONS D3): integers are read by the
amount grammar (`amounts.parse_amount`: decimal or 0x hex, never through a float), EVM
addresses by `accounts.parse_evm` (EIP-55 checked), arrays from JSON (or Parquet) lists.

Encodings follow Solidity:
- `abi` is `abi.encode` (the ABI spec's head/tail layout, written out in `_abi_encode`;
  tests compare it with eth-abi's `encode` and with solc);
- `packed` is `abi.encodePacked`: static values at their own width, strings as raw bytes,
  and array elements padded to 32 bytes each (Solidity docs, "Non-standard Packed Mode";
  eth-abi's `encode_packed` does not pad array elements, so it is not used for arrays).
Static-only leaves are encoded column-wise into one (N, W) array and hashed in one call
(`hashing.keccak_rows`); a leaf with a dynamic field is encoded and hashed row by row.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import sha3

from distributor.trees.accounts import parse_evm
from distributor.trees.amounts import parse_amount, parse_amounts
from distributor.trees.hashing import keccak_rows
from distributor.trees.hexfmt import checksum_addresses
from distributor.trees.spec import AbiType, TreeSpec
from epochdrop.errors import InputError


def parse_column(cells: list[str | None], t: AbiType, *, file: str, field: str,
                 decimals: int | None = None) -> list:
    """A column's cells -> Python values: bytes (address, bytes<N>), int, bool, str, or
    lists of them for arrays. Raises InputError naming file, row and field.

    Addresses and unsigned integers are parsed a column at a time (`parse_evm`,
    `parse_amounts`); an array column is flattened, parsed as one column, and split back."""
    if t.array:
        items = [_json_list(c, file=file, row=i, field=field) for i, c in enumerate(cells, 1)]
        owner = [i for i, row in enumerate(items) for _ in row]
        flat = [x for row in items for x in row]
        try:
            values = parse_column(flat, AbiType(t.base, t.bits), file=file, field=field)
        except InputError as exc:  # a row of the flattened column -> the input's row
            raise InputError(exc.detail, file=file, row=owner[exc.row - 1] + 1,
                             field=field) from None
        out, at = [], 0
        for row in items:
            out.append(values[at:at + len(row)])
            at += len(row)
        return out
    if not cells:
        return []
    if t.base == "address":
        raw, _ = parse_evm(pa.array(cells, pa.string()), file=file)
        return [bytes(r) for r in raw]
    if t.base == "uint":
        text = parse_amounts(pa.array(cells, pa.string()), decimals=decimals,
                             limit=2**t.bits - 1, file=file, field=field)
        return list(map(int, text.view(pa.large_string()).to_pylist()))
    return [_scalar(c, t, file=file, row=i, field=field, decimals=decimals)
            for i, c in enumerate(cells, start=1)]


def _json_list(cell, *, file, row, field) -> list:
    try:
        items = json.loads(cell, parse_float=str, parse_int=str) if cell is not None else None
    except ValueError:
        items = None
    if not isinstance(items, list):
        raise InputError(f"{cell!r} is not a list (arrays come from JSON or Parquet lists)",
                         file=file, row=row, field=field)
    return [i if isinstance(i, str) or i is None else json.dumps(i) for i in items]


def _scalar(cell, t: AbiType, *, file, row, field, decimals):
    def bad(msg):
        return InputError(msg, file=file, row=row, field=field)

    if cell is None or cell == "" and t.base != "string":
        raise bad(f"empty {t.name} value")
    if t.base == "uint":
        return parse_amount(cell, decimals=decimals, limit=2**t.bits - 1, file=file, row=row,
                            field=field)
    if t.base == "int":
        neg = cell.startswith("-")
        v = parse_amount(cell[1:] if neg else cell, decimals=None, limit=2**t.bits, file=file,
                         row=row, field=field)
        v = -v if neg else v
        if not -2**(t.bits - 1) <= v < 2**(t.bits - 1):
            raise bad(f"{cell!r} is outside {t.name}")
        return v
    if t.base == "bool":
        if cell not in ("true", "false"):
            raise bad(f"{cell!r} is not true or false")
        return cell == "true"
    if t.base == "bytes":
        body = cell[2:] if cell.startswith("0x") else None
        try:
            value = bytes.fromhex(body) if body is not None else None
        except ValueError:
            value = None
        if value is None or len(value) != t.bits:
            raise bad(f"{cell!r} is not {t.name} (0x and {2 * t.bits} hex digits)")
        return value
    return cell  # string


def json_value(v, t: AbiType):
    """A parsed value -> its JSON form in outputs: EIP-55 addresses, decimal-string
    integers (D6: numbers above 2^53 break JavaScript), 0x hex bytes, true/false."""
    if t.array:
        scalar = AbiType(t.base, t.bits)
        return [json_value(x, scalar) for x in v]
    if t.base == "address":
        return checksum_addresses(np.frombuffer(v, np.uint8).reshape(1, 20))[0]
    if t.base in ("uint", "int"):
        return str(v)
    if t.base == "bytes":
        return "0x" + v.hex()
    return v


def json_column(values: list, t: AbiType) -> list:
    """`json_value` over a column (addresses checksummed in one vectorised pass)."""
    if t.base == "address" and not t.array:
        if not values:
            return []
        return checksum_addresses(np.frombuffer(b"".join(values), np.uint8).reshape(-1, 20))
    return [json_value(v, t) for v in values]


def key_bytes(v, t: AbiType) -> bytes:
    """A static value as the bytes shards and lookups key on (20 for an address, else the
    32-byte abi word)."""
    return v if t.base == "address" else _word(v, t)


def _word(v, t: AbiType) -> bytes:
    """abi.encode of one static value: a 32-byte word."""
    if t.base == "address":
        return bytes(12) + v
    if t.base == "uint":
        return v.to_bytes(32, "big")
    if t.base == "int":
        return (v % 2**256).to_bytes(32, "big")
    if t.base == "bool":
        return int(v).to_bytes(32, "big")
    return v.ljust(32, b"\0")  # bytes<N>: left-aligned


def _packed(v, t: AbiType) -> bytes:
    """abi.encodePacked of one value."""
    if t.array:
        scalar = AbiType(t.base, t.bits)
        return b"".join(_word(x, scalar) for x in v)
    if t.base == "address":
        return v
    if t.base in ("uint", "int"):
        return (v % 2**t.bits).to_bytes(t.bits // 8, "big")
    if t.base == "bool":
        return bytes([int(v)])
    if t.base == "bytes":
        return v
    return v.encode()  # string: raw UTF-8


def _abi_encode(values: tuple, types: list[AbiType]) -> bytes:
    """abi.encode of one row (Solidity ABI spec, "Formal Specification of the Encoding"):
    a head of one word per value — the value itself if static, else the offset of its tail
    — then the tails: a string as its length and its bytes padded to a word, an array of
    static values as its length and one word each. eth-abi's `encode` gives the same bytes
    (tests/test_trees_spec_units.py) at ~20x the cost per row."""
    head, tail = [], []
    at = 32 * len(types)
    for v, t in zip(values, types):
        if not t.dynamic:
            head.append(_word(v, t))
            continue
        head.append(at.to_bytes(32, "big"))
        if t.array:
            scalar = AbiType(t.base, t.bits)
            part = len(v).to_bytes(32, "big") + b"".join(_word(x, scalar) for x in v)
        else:
            data = v.encode()
            part = len(data).to_bytes(32, "big") + data + bytes(-len(data) % 32)
        tail.append(part)
        at += len(part)
    return b"".join(head) + b"".join(tail)


def leaf_hashes(spec: TreeSpec, columns: dict[str, list]) -> np.ndarray:
    """(N, 32) leaf of every row: keccak256 of the encoded fields, hashed twice for
    `double-keccak` (OpenZeppelin's StandardMerkleTree leaf)."""
    n = len(columns[spec.fields[0].name])
    types = [f.type for f in spec.fields]
    cols = [columns[f.name] for f in spec.fields]
    if n == 0:
        return np.zeros((0, 32), np.uint8)
    if not any(t.dynamic for t in types):
        enc = _word if spec.encoding == "abi" else _packed
        parts = [np.frombuffer(b"".join(enc(v, t) for v in col), np.uint8).reshape(n, -1)
                 for col, t in zip(cols, types)]
        leaves = keccak_rows(np.concatenate(parts, axis=1))
    else:
        digests = []
        for row in zip(*cols):
            if spec.encoding == "abi":
                data = _abi_encode(row, types)
            else:
                data = b"".join(_packed(v, t) for v, t in zip(row, types))
            digests.append(sha3.keccak_256(data).digest())
        leaves = np.frombuffer(b"".join(digests), np.uint8).reshape(n, 32)
    return keccak_rows(leaves) if spec.hash == "double-keccak" else leaves
