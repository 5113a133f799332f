"""Decode raw `eth_getLogs` results into a dataset's columns, exactly.

Events are matched by (topic0, number of topics): ERC-20 and ERC-721 `Transfer` share topic0
and differ only in how many arguments are indexed (DECISIONS D11). Static arguments are
read straight from the 32-byte words (hex slicing: a word is the ABI encoding of one static
value, Solidity ABI spec "Formal Specification of the Encoding"), which is several times
faster than a general decoder on the hot path; events with dynamic arguments (the dHEDGE
Withdrawal tuple array, Governor reasons) go through eth-abi. uint256 values become decimal
strings and addresses EIP-55 strings (D9); nothing passes through a float.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import orjson
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

try:                                     # safe-pysha3: a C keccak without wrapper overhead
    from sha3 import keccak_256 as _keccak256
except ImportError:  # pragma: no cover
    from Crypto.Hash import keccak as _k
    def _keccak256(data: bytes):
        return _k.new(data=data, digest_bits=256)

from indexer.datasets.base import EVM_LOG_COLUMNS, Dataset, EventSpec, T

BASE = [c.name for c in EVM_LOG_COLUMNS]
CACHE_MAX = 100_000     # EIP-55 cache entries: bounded, so memory stays flat on long ranges
_CHECKSUM: dict[str, str] = {}


def checksum(addr: str) -> str:
    """EIP-55 with a cache: the same few addresses recur in millions of logs."""
    r = _CHECKSUM.get(addr)
    if r is None:
        if len(_CHECKSUM) > CACHE_MAX:
            _CHECKSUM.clear()
        r = _CHECKSUM[addr] = to_checksum_address(addr)
    return r


def checksum_many(addrs: list[str]) -> list[str]:
    """EIP-55 for many lowercase 0x-addresses at once (the decode hot path).

    EIP-55: uppercase hex letter i when nibble i of keccak256(lowercase hex) is ≥ 8. One C
    keccak per new address and numpy for the case mapping, so a range full of distinct
    addresses costs about as much as one full of repeats; results are cached.
    """
    cache = _CHECKSUM
    missing = [a for a in dict.fromkeys(addrs) if a not in cache]
    if missing:
        if len(cache) + len(missing) > CACHE_MAX:
            cache.clear()
            missing = list(dict.fromkeys(addrs))
        hexes = [a[2:] for a in missing]
        raw = np.frombuffer("".join(hexes).encode(), dtype=np.uint8).reshape(-1, 40)
        dig = np.frombuffer(b"".join([_keccak256(h.encode()).digest() for h in hexes]),
                            dtype=np.uint8).reshape(-1, 32)[:, :20]
        nib = np.empty((len(missing), 40), dtype=np.uint8)
        nib[:, 0::2], nib[:, 1::2] = dig >> 4, dig & 15
        text = np.where((nib >= 8) & (raw >= ord("a")), raw - 32, raw).astype(np.uint8).tobytes().decode()
        cache.update(zip(missing, ["0x" + text[i:i + 40] for i in range(0, len(text), 40)]))
    return [cache[a] for a in addrs]


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _canonical_type(inp: dict) -> str:
    t = inp["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_canonical_type(c) for c in inp["components"]) + ")" + t[5:]
    return t


def event_signature(abi: dict) -> str:
    return f"{abi['name']}({','.join(_canonical_type(i) for i in abi['inputs'])})"


def topic0(abi: dict) -> str:
    return "0x" + keccak(text=event_signature(abi)).hex()


_STATIC = re.compile(r"^(address|bool|u?int\d*|bytes([1-9]|[12]\d|3[0-2]))$")


def _words(abi_type: str, col_type: T, words: list[str]) -> list:
    """Column values from 64-hex-char ABI words (one list comprehension per column: the
    per-row cost is what bounds logs/s, so no per-value function calls)."""
    if abi_type == "address":
        return [("0x" + w[24:]).lower() for w in words]      # EIP-55 later, in bulk
    if abi_type == "bool":
        return [int(w, 16) != 0 for w in words]
    if abi_type.startswith("uint"):
        return [int(w, 16) for w in words] if col_type is T.INT else [str(int(w, 16)) for w in words]
    if abi_type.startswith("int"):
        vals = [int(w, 16) for w in words]
        vals = [v - (1 << 256) if v >> 255 else v for v in vals]
        return vals if col_type is T.INT else [str(v) for v in vals]
    return ["0x" + w for w in words]     # bytesN: the word as hex (left-aligned, zero padded)


def _py_value(v: Any, abi_type: str, col_type: T | None, components=None) -> Any:
    """A value from eth-abi → its stored form (tuples become JSON-able dicts)."""
    if abi_type.endswith("]"):
        inner = abi_type[:abi_type.rindex("[")]
        return [_py_value(x, inner, None, components) for x in v]
    if abi_type.startswith("tuple"):
        return {snake(c["name"]): _py_value(x, c["type"], None, c.get("components"))
                for c, x in zip(components, v)}
    if abi_type == "address":
        return checksum(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if col_type is T.INT else str(v)
    if isinstance(v, bytes):
        return "0x" + v.hex()
    return v


class _Compiled:
    """One event's plan: for each dataset column, how to build it from a group of logs."""

    def __init__(self, ds: Dataset, spec: EventSpec):
        inputs = spec.abi["inputs"]
        self.name = spec.name
        self.n_topics = 1 + sum(1 for i in inputs if i["indexed"])
        self.topic0 = topic0(spec.abi)
        data_inputs = [i for i in inputs if not i["indexed"]]
        self.all_static = all(_STATIC.match(i["type"]) for i in data_inputs)
        self.data_types = [_canonical_type(i) for i in data_inputs]
        self.data_len = 2 + 64 * len(data_inputs)
        # column -> ("topic", k, abi, ctype) | ("word", offset, abi, ctype) | ("dyn", j, abi, ctype, comps) | ("const", v)
        self.plan: dict[str, tuple] = {}
        ti = di = 0
        for inp in inputs:
            col = spec.rename.get(inp["name"], snake(inp["name"]))
            ctype = ds.column(col).type
            if inp["indexed"]:
                ti += 1
                self.plan[col] = ("topic", ti, inp["type"], ctype)
            elif self.all_static:
                self.plan[col] = ("word", 2 + 64 * di, inp["type"], ctype)
                di += 1
            else:
                self.plan[col] = ("dyn", di, inp["type"], ctype, inp.get("components"))
                di += 1
        for name, value in spec.constants.items():
            self.plan[name] = ("const", value)
        for c in ds.columns:
            if c.name not in BASE and c.name not in self.plan:
                if not c.nullable:
                    raise ValueError(f"{ds.name}: event {spec.name} gives no value for {c.name}")
                self.plan[c.name] = ("const", None)

    def valid(self, data: str) -> bool:
        return len(data) == self.data_len if self.all_static else len(data) >= 2 and len(data) % 64 == 2

    def columns(self, group: list[dict], names: list[str]) -> dict[str, list]:
        """The values of `names` for every log of `group` (all of this event)."""
        decoded = None
        if not self.all_static:
            decoded = [abi_decode(self.data_types, bytes.fromhex(lg["data"][2:])) for lg in group]
        out = {}
        for name in names:
            kind, *rest = self.plan[name]
            if kind == "const":
                out[name] = [rest[0]] * len(group)
            elif kind == "topic":
                k, abi_type, ctype = rest
                if abi_type == "address":        # fused: one pass, no intermediate list
                    out[name] = [("0x" + lg["topics"][k][26:]).lower() for lg in group]
                else:
                    out[name] = _words(abi_type, ctype, [lg["topics"][k][2:] for lg in group])
            elif kind == "word":
                off, abi_type, ctype = rest
                if abi_type.startswith("uint") and ctype is not T.INT:
                    e = off + 64
                    out[name] = [str(int(lg["data"][off:e], 16)) for lg in group]
                elif abi_type == "address":
                    a, e = off + 24, off + 64
                    out[name] = [("0x" + lg["data"][a:e]).lower() for lg in group]
                else:
                    out[name] = _words(abi_type, ctype, [lg["data"][off:off + 64] for lg in group])
            else:
                j, abi_type, ctype, comps = rest
                if ctype is T.JSON:
                    out[name] = [orjson.dumps(_py_value(d[j], abi_type, None, comps),
                                              option=orjson.OPT_SORT_KEYS).decode() for d in decoded]
                elif abi_type == "address":
                    out[name] = [d[j].lower() for d in decoded]
                else:
                    out[name] = [_py_value(d[j], abi_type, ctype) for d in decoded]
        return out


class LogDecoder:
    """Decodes the logs of one dataset; counts what does not match instead of dropping it."""

    def __init__(self, ds: Dataset, chain_id: int):
        if not ds.events:
            raise ValueError(f"{ds.name} is not an event dataset")
        self.ds, self.chain_id = ds, chain_id
        self.events = {}
        for spec in ds.events:
            c = _Compiled(ds, spec)
            self.events[(c.topic0, c.n_topics)] = c
        self.topic0s = sorted({t for t, _ in self.events})
        self.extra = [c.name for c in ds.columns if c.name not in BASE]
        self.address_cols = [c.name for c in ds.columns if c.type is T.ADDRESS]
        self.unmatched: Counter[str] = Counter()
        self.mixed = False      # rows appended out of key order since the caller last reset it

    def new_columns(self) -> dict[str, list]:
        return {c.name: [] for c in self.ds.columns}

    def decode_into(self, logs: list[dict], cols: dict[str, list]) -> int:
        """Append the rows of `logs` to `cols`; returns how many matched.

        Logs are grouped by event and each group is decoded column by column; with several
        events in one batch, rows are appended group by group, so callers sort by the
        dataset key before writing (`sort_key`). block_time comes from the log's
        `blockTimestamp` (geth ≥ 1.14, anvil, reth); when a node omits it the caller fills
        it from headers (null in `decode` output).
        """
        groups: dict[tuple, list] = {}
        events, unmatched = self.events, self.unmatched
        for log in logs:
            topics = log["topics"]
            key = (topics[0], len(topics)) if topics else None
            g = groups.get(key)
            if g is None:
                if key not in events:
                    unmatched[(key[0] if key else "(no topics)") + f" with {len(topics)} topics"] += 1
                    continue
                g = groups[key] = []
            g.append(log)
        for key, group in list(groups.items()):
            ev = events[key]
            ok = [lg for lg in group if ev.valid(lg["data"]) and not lg.get("removed")] \
                if not ev.all_static else \
                [lg for lg in group if len(lg["data"]) == ev.data_len and not lg.get("removed")]
            for lg in group if len(ok) != len(group) else ():
                if not lg.get("removed") and not ev.valid(lg["data"]):
                    # malformed data for this signature: report, not guess
                    unmatched[f"{key[0]} with {(len(lg['data']) - 2) // 2} data bytes"] += 1
            groups[key] = ok
        n = 0
        first = len(cols["block_number"])
        if len(groups) > 1:
            self.mixed = True
        for key, group in groups.items():
            try:
                vals = events[key].columns(group, self.extra)
            except Exception as exc:       # undecodable dynamic data: report the whole group
                unmatched[f"{key[0]} undecodable: {type(exc).__name__}"] += len(group)
                continue
            cols["chain_id"].extend([self.chain_id] * len(group))
            cols["block_number"].extend([int(lg["blockNumber"], 16) for lg in group])
            cols["block_hash"].extend([lg["blockHash"] for lg in group])
            cols["block_time"].extend([int(lg["blockTimestamp"], 16) * 1_000_000
                                       if "blockTimestamp" in lg else None for lg in group])
            cols["tx_hash"].extend([lg["transactionHash"] for lg in group])
            cols["log_index"].extend([int(lg["logIndex"], 16) for lg in group])
            cols["contract"].extend([lg["address"].lower() for lg in group])
            for name in self.extra:
                cols[name].extend(vals[name])
            n += len(group)
        for name in self.address_cols:      # EIP-55 in bulk for the rows just added
            col = cols[name]
            col[first:] = checksum_many(col[first:])
        return n
