// Independent Borsh test vectors from @coral-xyz/anchor 0.29 (npm), for tests/test_solana_decode.py.
// stdin: {"idl": path, "kind": "event"|"type", "items": [{"name", "value", "b64"?}]}
// stdout: [{"encoded": base64 (event: anchor's discriminator + body), "decoded": plain JSON of b64}]
// Values are plain JSON: integers as decimal strings, pubkeys base58, enums {"kind": Name, ...}.
const fs = require("fs");
const anchor = require("@coral-xyz/anchor");
const { IdlCoder } = require("@coral-xyz/anchor/dist/cjs/coder/borsh/idl.js");
const { eventDiscriminator } = require("@coral-xyz/anchor/dist/cjs/coder/borsh/event.js");
const { PublicKey } = require("@solana/web3.js");
const BN = require("bn.js");

const req = JSON.parse(fs.readFileSync(0, "utf8"));
const idl = JSON.parse(fs.readFileSync(req.idl, "utf8"));
const types = Object.fromEntries((idl.types || []).map((t) => [t.name, t.type]));
const camel = (s) => s.charAt(0).toLowerCase() + s.slice(1);
const INTS = new Set(["u64", "i64", "u128", "i128"]);

function toAnchor(ty, v) {
  if (typeof ty === "string") {
    if (INTS.has(ty)) return new BN(v);
    if (ty === "publicKey") return new PublicKey(v);
    return v;
  }
  if (ty.option) return v === null ? null : toAnchor(ty.option, v);
  if (ty.vec) return v.map((x) => toAnchor(ty.vec, x));
  if (ty.array) return v.map((x) => toAnchor(ty.array[0], x));
  const d = types[ty.defined];
  if (d.kind === "struct") return fields(d.fields, v);
  const variant = d.variants.find((x) => x.name === v.kind);
  const inner = {};
  (variant.fields || []).forEach((f, i) => {
    const name = f.name || String(i);
    inner[name] = toAnchor(f.type || f, v[name]);
  });
  return { [camel(v.kind)]: inner };
}
function fields(fs_, v) {
  const o = {};
  for (const f of fs_) o[f.name] = toAnchor(f.type, v[f.name]);
  return o;
}
function toPlain(ty, v) {
  if (typeof ty === "string") {
    if (INTS.has(ty)) return v.toString(10);
    if (ty === "publicKey") return v.toBase58();
    return v;
  }
  if (ty.option) return v === null ? null : toPlain(ty.option, v);
  if (ty.vec) return v.map((x) => toPlain(ty.vec, x));
  if (ty.array) return Array.from(v).map((x) => toPlain(ty.array[0], x));
  const d = types[ty.defined];
  if (d.kind === "struct") return plainFields(d.fields, v);
  const key = Object.keys(v)[0];
  const variant = d.variants.find((x) => camel(x.name) === key);
  const out = { kind: variant.name };
  (variant.fields || []).forEach((f, i) => {
    const name = f.name || String(i);
    out[name] = toPlain(f.type || f, v[key][name]);
  });
  return out;
}
function plainFields(fs_, v) {
  const o = {};
  for (const f of fs_) o[f.name] = toPlain(f.type, v[f.name]);
  return o;
}

const out = [];
if (req.kind === "event") {
  const coder = new anchor.BorshEventCoder(idl);
  for (const it of req.items) {
    const ev = idl.events.find((e) => e.name === it.name);
    const layout = IdlCoder.typeDefLayout({ name: ev.name, type: { kind: "struct", fields: ev.fields } }, idl.types);
    const buf = Buffer.alloc(4096);
    const n = layout.encode(fields(ev.fields, it.value), buf);
    const encoded = Buffer.concat([Buffer.from(eventDiscriminator(ev.name)), buf.slice(0, n)]);
    let decoded = null;
    if (it.b64) {
      const d = coder.decode(it.b64);
      decoded = d && { name: d.name, value: plainFields(ev.fields, d.data) };
    }
    out.push({ encoded: encoded.toString("base64"), decoded });
  }
} else {
  const coder = new anchor.BorshCoder(idl);
  for (const it of req.items) {
    const ty = { defined: it.name };
    const encoded = coder.types.encode(it.name, toAnchor(ty, it.value));
    const decoded = it.b64 ? toPlain(ty, coder.types.decode(it.name, Buffer.from(it.b64, "base64"))) : null;
    out.push({ encoded: Buffer.from(encoded).toString("base64"), decoded });
  }
}
process.stdout.write(JSON.stringify(out));
