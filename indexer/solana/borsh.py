"""A small Borsh codec driven by Anchor-IDL type descriptors.

Borsh (borsh.io spec): little-endian fixed-width integers, bool as one byte, Option as a 0/1
tag byte, Vec/String as a u32 length then items, fixed arrays with no length, enums as a u8
variant index then the variant's fields, structs as fields in order. Type descriptors follow
the Anchor legacy IDL: "u64", "publicKey", {"option": T}, {"vec": T}, {"array": [T, n]},
{"defined": "Name"} (looked up in the IDL's `types`). Pubkeys are decoded to base58 strings,
integers to Python ints (u128 included), enums to {"kind": Variant, **fields}.

Written for epochdrop (reading: events and accounts; writing: the loopback test server); the
tests check it against bytes from @coral-xyz/anchor, an independent implementation.
"""

from __future__ import annotations

import struct
from typing import Any

import base58

_INT = {"u8": ("<B", 1), "i8": ("<b", 1), "u16": ("<H", 2), "i16": ("<h", 2),
        "u32": ("<I", 4), "i32": ("<i", 4), "u64": ("<Q", 8), "i64": ("<q", 8)}


class BorshError(ValueError):
    """Bytes that do not match the layout (short, bad tag, trailing garbage)."""


class Codec:
    def __init__(self, idl: dict):
        self.types = {t["name"]: t["type"] for t in idl.get("types", [])}

    # ---- decoding ------------------------------------------------------------------
    def decode(self, ty: Any, data: bytes, offset: int = 0) -> tuple[Any, int]:
        try:
            return self._dec(ty, memoryview(data), offset)
        except (struct.error, IndexError) as exc:
            raise BorshError(f"truncated Borsh data for {ty!r}") from exc

    def decode_fields(self, fields: list[dict], data: bytes, offset: int = 0
                      ) -> tuple[dict, int]:
        out = {}
        for f in fields:
            out[f["name"]], offset = self.decode(f["type"], data, offset)
        return out, offset

    def _dec(self, ty, b: memoryview, o: int):
        if isinstance(ty, str):
            if ty in _INT:
                fmt, n = _INT[ty]
                return struct.unpack_from(fmt, b, o)[0], o + n
            if ty in ("u128", "i128"):
                if o + 16 > len(b):
                    raise IndexError
                return int.from_bytes(b[o:o + 16], "little", signed=ty == "i128"), o + 16
            if ty == "bool":
                v = b[o]
                if v > 1:
                    raise BorshError(f"bad bool byte {v}")
                return v == 1, o + 1
            if ty == "publicKey":
                if o + 32 > len(b):
                    raise IndexError
                return base58.b58encode(bytes(b[o:o + 32])).decode(), o + 32
            if ty in ("string", "bytes"):
                n = struct.unpack_from("<I", b, o)[0]
                o += 4
                if o + n > len(b):
                    raise IndexError
                raw = bytes(b[o:o + n])
                return (raw.decode("utf-8") if ty == "string" else raw), o + n
            raise BorshError(f"unknown type {ty}")
        if "option" in ty:
            tag = b[o]
            if tag == 0:
                return None, o + 1
            if tag != 1:
                raise BorshError(f"bad Option tag {tag}")
            return self._dec(ty["option"], b, o + 1)
        if "vec" in ty:
            n = struct.unpack_from("<I", b, o)[0]
            o += 4
            out = []
            for _ in range(n):
                v, o = self._dec(ty["vec"], b, o)
                out.append(v)
            return out, o
        if "array" in ty:
            inner, n = ty["array"]
            if inner == "u8":
                if o + n > len(b):
                    raise IndexError
                return bytes(b[o:o + n]), o + n
            out = []
            for _ in range(n):
                v, o = self._dec(inner, b, o)
                out.append(v)
            return out, o
        if "defined" in ty:
            d = self.types[ty["defined"]]
            if d["kind"] == "struct":
                return self._fields(d["fields"], b, o)
            idx = b[o]
            if idx >= len(d["variants"]):
                raise BorshError(f"bad {ty['defined']} variant {idx}")
            var = d["variants"][idx]
            val = {"kind": var["name"]}
            o += 1
            for i, f in enumerate(var.get("fields", [])):
                name, fty = (f["name"], f["type"]) if isinstance(f, dict) and "name" in f else (str(i), f)
                val[name], o = self._dec(fty, b, o)
            return val, o
        raise BorshError(f"unknown type {ty}")

    def _fields(self, fields, b, o):
        out = {}
        for f in fields:
            out[f["name"]], o = self._dec(f["type"], b, o)
        return out, o

    # ---- encoding ------------------------------------------------------------------
    def encode(self, ty: Any, value: Any) -> bytes:
        out = bytearray()
        self._enc(ty, value, out)
        return bytes(out)

    def encode_fields(self, fields: list[dict], value: dict) -> bytes:
        out = bytearray()
        for f in fields:
            self._enc(f["type"], value[f["name"]], out)
        return bytes(out)

    def _enc(self, ty, v, out: bytearray) -> None:
        if isinstance(ty, str):
            if ty in _INT:
                out += struct.pack(_INT[ty][0], v)
            elif ty in ("u128", "i128"):
                out += int(v).to_bytes(16, "little", signed=ty == "i128")
            elif ty == "bool":
                out.append(1 if v else 0)
            elif ty == "publicKey":
                raw = base58.b58decode(v)
                if len(raw) != 32:
                    raise BorshError(f"not a 32-byte pubkey: {v}")
                out += raw
            elif ty in ("string", "bytes"):
                raw = v.encode() if ty == "string" else bytes(v)
                out += struct.pack("<I", len(raw)) + raw
            else:
                raise BorshError(f"unknown type {ty}")
        elif "option" in ty:
            if v is None:
                out.append(0)
            else:
                out.append(1)
                self._enc(ty["option"], v, out)
        elif "vec" in ty:
            out += struct.pack("<I", len(v))
            for x in v:
                self._enc(ty["vec"], x, out)
        elif "array" in ty:
            inner, n = ty["array"]
            if len(v) != n:
                raise BorshError(f"array of {n} expected, got {len(v)}")
            if inner == "u8":
                out += bytes(v)
            else:
                for x in v:
                    self._enc(inner, x, out)
        elif "defined" in ty:
            d = self.types[ty["defined"]]
            if d["kind"] == "struct":
                for f in d["fields"]:
                    self._enc(f["type"], v[f["name"]], out)
                return
            names = [x["name"] for x in d["variants"]]
            idx = names.index(v["kind"])
            out.append(idx)
            for i, f in enumerate(d["variants"][idx].get("fields", [])):
                name, fty = (f["name"], f["type"]) if isinstance(f, dict) and "name" in f else (str(i), f)
                self._enc(fty, v[name], out)
        else:
            raise BorshError(f"unknown type {ty}")
