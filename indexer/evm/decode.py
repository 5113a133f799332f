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
from typing import Any, Callable

import orjson
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from indexer.datasets.base import EVM_LOG_COLUMNS, Dataset, EventSpec, T

BASE = [c.name for c in EVM_LOG_COLUMNS]
_CHECKSUM: dict[str, str] = {}


def checksum(addr: str) -> str:
    """EIP-55 with a cache: the same few addresses recur in millions of logs."""
    r = _CHECKSUM.get(addr)
    if r is None:
        if len(_CHECKSUM) > 1_000_000:
            _CHECKSUM.clear()
        r = _CHECKSUM[addr] = to_checksum_address(addr)
    return r


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


def _word_reader(abi_type: str, col_type: T) -> Callable[[str], Any]:
    """A function from one 64-hex-char word to the stored value of `abi_type`."""
    if abi_type == "address":
        return lambda w: checksum("0x" + w[24:])
    if abi_type == "bool":
        return lambda w: int(w, 16) != 0
    if abi_type.startswith("uint"):
        return (lambda w: int(w, 16)) if col_type is T.INT else (lambda w: str(int(w, 16)))
    if abi_type.startswith("int"):
        def signed(w):
            v = int(w, 16)
            return v - (1 << 256) if v >> 255 else v
        return signed if col_type is T.INT else (lambda w: str(signed(w)))
    return lambda w: "0x" + w      # bytesN: the word as hex (left-aligned, zero padded)


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
    def __init__(self, ds: Dataset, spec: EventSpec):
        inputs = spec.abi["inputs"]
        self.n_topics = 1 + sum(1 for i in inputs if i["indexed"])
        self.topic0 = topic0(spec.abi)
        extra = [c for c in ds.columns if c.name not in BASE]
        plan: dict[str, Callable[[list, str, Any], Any]] = {}
        data_inputs = [i for i in inputs if not i["indexed"]]
        self.all_static = all(_STATIC.match(i["type"]) for i in data_inputs)
        self.data_types = [_canonical_type(i) for i in data_inputs]
        self.n_words = len(data_inputs)
        ti = 1
        di = 0
        for inp in inputs:
            col = spec.rename.get(inp["name"], snake(inp["name"]))
            ctype = ds.column(col).type
            if inp["indexed"]:
                rd = _word_reader(inp["type"], ctype)
                plan[col] = (lambda k, rd: lambda topics, data, dec: rd(topics[k][2:]))(ti, rd)
                ti += 1
            elif self.all_static:
                rd = _word_reader(inp["type"], ctype)
                s = 2 + 64 * di
                plan[col] = (lambda s, rd: lambda topics, data, dec: rd(data[s:s + 64]))(s, rd)
                di += 1
            else:
                j, t, comps = di, _canonical_type(inp), inp.get("components")
                if ctype is T.JSON:
                    plan[col] = (lambda j, t, comps: lambda topics, data, dec: orjson.dumps(
                        _py_value(dec[j], t, None, comps), option=orjson.OPT_SORT_KEYS).decode()
                    )(j, inp["type"], comps)
                else:
                    plan[col] = (lambda j, t, ct: lambda topics, data, dec: _py_value(dec[j], t, ct)
                                 )(j, inp["type"], ctype)
                di += 1
        for name, value in spec.constants.items():
            plan[name] = (lambda v: lambda topics, data, dec: v)(value)
        missing = [c.name for c in extra if c.name not in plan]
        for name in missing:
            if not ds.column(name).nullable:
                raise ValueError(f"{ds.name}: event {spec.name} gives no value for {name}")
            plan[name] = lambda topics, data, dec: None
        self.getters = [plan[c.name] for c in extra]

    def values(self, topics: list[str], data: str) -> list:
        dec = None
        if not self.all_static:
            dec = abi_decode(self.data_types, bytes.fromhex(data[2:]))
        elif len(data) != 2 + 64 * self.n_words:
            raise ValueError(f"data is {(len(data) - 2) // 2} bytes, expected {32 * self.n_words}")
        return [g(topics, data, dec) for g in self.getters]


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
        self.unmatched: Counter[str] = Counter()

    def new_columns(self) -> dict[str, list]:
        return {c.name: [] for c in self.ds.columns}

    def decode_into(self, logs: list[dict], cols: dict[str, list]) -> int:
        """Append the rows of `logs` to `cols`; returns how many matched.

        block_time comes from the log's `blockTimestamp` (geth ≥ 1.14, anvil, reth); when a
        node omits it, the caller fills the column from block headers (null in `decode`).
        """
        cid, bn, bh, bt, tx, li, ct = (cols[n] for n in BASE)
        extra = [cols[n] for n in self.extra]
        events = self.events
        n = 0
        for log in logs:
            topics = log.get("topics") or []
            if log.get("removed"):
                continue
            ev = events.get((topics[0], len(topics))) if topics else None
            if ev is None:
                self.unmatched[(topics[0] if topics else "(no topics)") +
                               f" with {len(topics)} topics"] += 1
                continue
            try:
                vals = ev.values(topics, log["data"])
            except Exception as exc:  # malformed data for this signature: report, not guess
                self.unmatched[f"{topics[0]} undecodable: {type(exc).__name__}"] += 1
                continue
            cid.append(self.chain_id)
            bn.append(int(log["blockNumber"], 16))
            bh.append(log["blockHash"])
            ts = log.get("blockTimestamp")
            bt.append(int(ts, 16) * 1_000_000 if ts is not None else None)
            tx.append(log["transactionHash"])
            li.append(int(log["logIndex"], 16))
            ct.append(checksum(log["address"]))
            for lst, v in zip(extra, vals):
                lst.append(v)
            n += 1
        return n
