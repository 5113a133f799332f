"""Anchor events in transaction logs: find them, attribute them, decode them.

Anchor's `emit!` logs "Program data: <base64>" where the bytes are an 8-byte discriminator,
sha256("event:<EventName>")[..8] (anchor-lang `#[event]`, lang/attribute/event), followed by
the Borsh-serialised event struct. The runtime's invoke lines ("Program <id> invoke [depth]",
"Program <id> success|failed") tell which program emitted each line and which top-level
instruction (depth 1) it ran under; that is how an event is attributed to its instruction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.solana.borsh import BorshError, Codec

IDL_PATH = Path(__file__).resolve().parents[2] / "contracts_abi" / "jet_fixed_term.json"
JET_EVENTS = ("OrderPlaced", "OrderFilled", "OrderRemoved", "OrderCancelled", "MarketInitialized")
_INVOKE = re.compile(r"^Program (\w+) invoke \[(\d+)\]$")
_EXIT = re.compile(r"^Program (\w+) (success|failed)")


def discriminator(name: str) -> bytes:
    return hashlib.sha256(f"event:{name}".encode()).digest()[:8]


@dataclass(frozen=True)
class LoggedEvent:
    program_id: str            # the program that emitted the line
    instruction_index: int     # top-level instruction (0-based)
    data: bytes                # raw bytes after base64 decoding


def events_in_logs(logs: list[str]) -> list[LoggedEvent]:
    """Every "Program data:" payload with its emitting program and top-level instruction."""
    stack: list[str] = []
    top = -1
    out = []
    for line in logs or []:
        m = _INVOKE.match(line)
        if m:
            if m.group(2) == "1":
                top += 1
                stack = []
            stack.append(m.group(1))
            continue
        if _EXIT.match(line):
            if stack:
                stack.pop()
            continue
        if line.startswith("Program data: ") and stack:
            try:
                raw = base64.b64decode(line[len("Program data: "):], validate=True)
            except (binascii.Error, ValueError):
                continue
            out.append(LoggedEvent(stack[-1], top, raw))
    return out


class EventDecoder:
    """Decodes the IDL's events by discriminator; unknown discriminators are skipped."""

    def __init__(self, idl: dict | None = None, names: tuple[str, ...] = JET_EVENTS):
        idl = idl or json.loads(IDL_PATH.read_text())
        self.codec = Codec(idl)
        self.by_disc = {discriminator(e["name"]): e for e in idl["events"] if e["name"] in names}

    def decode(self, data: bytes) -> tuple[str, dict] | None:
        ev = self.by_disc.get(bytes(data[:8]))
        if ev is None:
            return None
        try:
            fields, end = self.codec.decode_fields(ev["fields"], data, 8)
        except BorshError:
            return None
        if end != len(data):
            return None                      # trailing bytes: not this layout
        return ev["name"], fields

    def encode(self, name: str, fields: dict) -> bytes:
        ev = next(e for e in self.by_disc.values() if e["name"] == name)
        return discriminator(name) + self.codec.encode_fields(ev["fields"], fields)
