"""Differential check of a published output folder against a rebuild (STYLE 11).

`verify` rebuilds an epoch from the public inputs its manifest names, then asks this module
what differs. The answer is meant for a reviewer, not a diff tool: root first, then totals,
then the accounts whose amounts differ with the score components that explain why, then
which input tables hash differently and which parameters were changed; and separately
whether the published folder is intact (every file matches the hash its manifest records,
no file was added or removed). report.html is checked for intactness but never compared
with the rebuild's, since figures are not byte-stable (D7).

Scores are compared exactly (issue 15): each (pool, account) score of scores.parquet is read
as an exact decimal, so "1.50" and "1.5" are the same score and 10^-30 apart are not. When a
payout or a file differs, `cause` says which of two things happened: a score moved (the
inputs, the parameters or the rules differ — or someone tampered with the numbers), or no
score moved and only the allocation, the tree or the files differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from epochdrop.fsio import hash_tree
from epochdrop.folder import MANIFEST, NON_DETERMINISTIC

MAX_ACCOUNTS = 20


@dataclass
class Diff:
    """Everything verify reports; `ok` is the exit-0 condition."""

    root_published: str | None = None
    root_rebuilt: str | None = None
    tampered: list[str] = field(default_factory=list)       # "file: why"
    totals: list[str] = field(default_factory=list)         # "key: published → rebuilt"
    params: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)        # deterministic files that differ
    accounts: list[dict[str, Any]] = field(default_factory=list)
    accounts_differing: int = 0
    scores_moved: list[str] = field(default_factory=list)   # "pool/account: old → new"
    scores_compared: int = 0

    @property
    def cause(self) -> str | None:
        """Why the payouts or files differ, when they do (None when nothing differs)."""
        differs = (self.root_published != self.root_rebuilt or self.accounts_differing
                   or self.outputs or self.totals or self.tampered)
        if self.scores_moved:
            return (f"{len(self.scores_moved)} score(s) moved (exact comparison): the inputs, "
                    "the parameters or the rules differ, or the numbers were tampered with")
        if differs:
            return (f"no score moved ({self.scores_compared} compared exactly): only the "
                    "allocation, the tree or the files differ")
        return None

    @property
    def ok(self) -> bool:
        return (self.root_published == self.root_rebuilt and not self.tampered
                and not self.totals and not self.accounts_differing and not self.outputs
                and not self.params and not self.scores_moved)

    def lines(self) -> list[str]:
        out = []
        if self.root_published == self.root_rebuilt:
            out.append(f"root: identical ({self.root_published or 'no tree'})")
        else:
            out.append(f"root: DIFFERS published {self.root_published} rebuilt {self.root_rebuilt}")
        for kind, items in (("tampered output", self.tampered), ("total", self.totals),
                            ("parameter", self.params), ("input", self.inputs),
                            ("rebuilt output differs", self.outputs)):
            out += [f"{kind}: {x}" for x in items]
        if self.cause:
            out.append(f"cause: {self.cause}")
            out += [f"  score {x}" for x in self.scores_moved[:MAX_ACCOUNTS]]
        if self.accounts_differing:
            out.append(f"accounts: {self.accounts_differing} differ"
                       + (f" (first {len(self.accounts)} shown)"
                          if self.accounts_differing > len(self.accounts) else ""))
            for a in self.accounts:
                comps = ", ".join(f"{k} {v[0]} → {v[1]}" for k, v in a["components"].items())
                out.append(f"  {a['account']}: amount {a['published']} → {a['rebuilt']}"
                           + (f"; {comps}" if comps else ""))
        return out


def integrity(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Files of the published folder that do not match their manifest hash (or are extra)."""
    recorded = manifest.get("outputs") or {}
    actual = hash_tree(folder, exclude={MANIFEST})
    problems = []
    for name in sorted(set(recorded) | set(actual)):
        if name not in actual:
            problems.append(f"{name}: missing")
        elif name not in recorded:
            problems.append(f"{name}: not listed in the manifest")
        elif recorded[name] != actual[name]:
            problems.append(f"{name}: sha256 {actual[name][:12]}… but manifest says "
                            f"{recorded[name][:12]}…")
    return problems


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): d}


def dict_diff(a: dict | None, b: dict | None) -> list[str]:
    """`key: a → b` for every leaf that differs (nested keys dotted)."""
    fa, fb = _flat(a or {}), _flat(b or {})
    return [f"{k}: {fa.get(k, '(absent)')} → {fb.get(k, '(absent)')}"
            for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


def input_hashes(manifest: dict[str, Any]) -> dict[str, str]:
    """One hash per input table: its rows' content hash when recorded (equal rows verify
    equal however the store cut its files, D10), else a hash of its file list."""
    from epochdrop.fsio import canonical_json, sha256_bytes

    entries = manifest.get("inputs") or []
    if isinstance(entries, dict):
        entries = [{"table": k, **(v if isinstance(v, dict) else {"sha256": v})}
                   for k, v in entries.items()]
    out = {}
    for e in entries:
        name = str(e.get("table") or e.get("name"))
        out[name] = str(e.get("content_sha256") or e.get("sha256")
                        or sha256_bytes(canonical_json(e.get("files", []))))
    return out


def input_files(manifest: dict[str, Any]) -> dict[str, str]:
    """file name → sha256 over every input table, to name the file that changed."""
    out = {}
    for e in manifest.get("inputs") or []:
        if isinstance(e, dict):
            for f in e.get("files", []):
                out[f["name"]] = f["sha256"]
    return out


def _amounts(folder: Path) -> dict[str, int]:
    path = folder / "rewards.parquet"
    if not path.exists():
        return {}
    t = pq.read_table(path, columns=["account", "amount"])
    return {str(a): int(Decimal(str(x))) for a, x in zip(t.column("account").to_pylist(),
                                                         t.column("amount").to_pylist())}


def _score_rows(folder: Path) -> dict[str, list[dict[str, Any]]]:
    path = folder / "scores.parquet"
    if not path.exists():
        return {}
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in pq.read_table(path).to_pylist():
        rows.setdefault(str(r.get("account")), []).append(r)
    return rows


def exact(v: Any) -> Fraction | None:
    """A score cell as an exact number: decimal text, int or Decimal; None when empty. A
    float cell (an old, pre-issue-15 folder) is taken at its exact binary value."""
    if v is None:
        return None
    try:
        return Fraction(Decimal(str(v))) if not isinstance(v, float) else Fraction(v)
    except (InvalidOperation, ValueError):
        return None


def score_changes(so: dict[str, list[dict]], sn: dict[str, list[dict]]) -> tuple[list[str], int]:
    """`pool/account: published → rebuilt` for every score that differs exactly, and how
    many (pool, account) scores were compared."""
    def flat(rows: dict[str, list[dict]]) -> dict[str, tuple[Any, Fraction | None]]:
        return {(f"{r.get('pool')}/" if r.get("pool") else "") + acct: (r.get("score"),
                                                                         exact(r.get("score")))
                for acct, rs in rows.items() for r in rs}
    fo, fn = flat(so), flat(sn)
    moved = [f"{k}: {fo.get(k, ('(absent)',))[0]} → {fn.get(k, ('(absent)',))[0]}"
             for k in sorted(set(fo) | set(fn))
             if (fo.get(k) or (None, None))[1] != (fn.get(k) or (None, None))[1]
             or (k in fo) != (k in fn)]
    return moved, len(set(fo) | set(fn))


def _components(old: list[dict], new: list[dict]) -> dict[str, tuple[Any, Any]]:
    """Components that differ for one account, per pool when the program has pools."""
    key = lambda r: str(r.get("pool", ""))  # noqa: E731
    o, n = {key(r): r for r in old}, {key(r): r for r in new}
    out = {}
    for pool in sorted(set(o) | set(n)):
        ro, rn = o.get(pool, {}), n.get(pool, {})
        for col in sorted(set(ro) | set(rn)):
            if col in ("account", "pool", "amount"):
                continue
            a, b = ro.get(col), rn.get(col)
            if col == "score" and exact(a) is not None and exact(a) == exact(b):
                continue   # the same exact score, written differently
            if a != b:
                out[f"{pool}.{col}" if pool else col] = (a, b)
    return out


def _root(m: dict[str, Any]) -> str | None:
    return (m.get("tree") or {}).get("root")


def _totals(m: dict[str, Any]) -> dict[str, Any]:
    """The scoring section's totals (manifest v2, epochdrop/folder)."""
    return {k: v for k, v in (m.get("scoring") or {}).items()
            if k in ("accounts", "budget", "allocated", "dust", "unpaid", "unallocated")}


def compare(published: Path, manifest: dict[str, Any], rebuilt: Path,
            rebuilt_manifest: dict[str, Any]) -> Diff:
    d = Diff(root_published=_root(manifest), root_rebuilt=_root(rebuilt_manifest))
    d.tampered = integrity(published, manifest)
    d.totals = dict_diff(_totals(manifest), _totals(rebuilt_manifest))
    d.params = dict_diff(manifest.get("params"), rebuilt_manifest.get("params"))
    hi, hr = input_hashes(manifest), input_hashes(rebuilt_manifest)
    d.inputs = [f"table {t}: rows differ (content sha256 published {hi.get(t, '(absent)')[:12]}…"
                f", rebuilt {hr.get(t, '(absent)')[:12]}…)"
                for t in sorted(set(hi) | set(hr)) if hi.get(t) != hr.get(t)]
    fi, fr = input_files(manifest), input_files(rebuilt_manifest)
    d.inputs += [f"file {f}: " + ("added" if f not in fi else "missing now" if f not in fr
                                  else f"sha256 {fi[f][:12]}… → {fr[f][:12]}…")
                 for f in sorted(set(fi) | set(fr)) if fi.get(f) != fr.get(f)]
    own = (manifest.get("fingerprint") or {}).get("params")
    if own is not None:
        d.params += [f"{x} (manifest params vs its own fingerprint: the manifest was edited)"
                     for x in dict_diff(own, manifest.get("params"))]
    po, ro = manifest.get("outputs") or {}, rebuilt_manifest.get("outputs") or {}
    d.outputs = [f"{f}: published and rebuilt files differ" for f in sorted(set(po) | set(ro))
                 if f not in NON_DETERMINISTIC and po.get(f) != ro.get(f)
                 and f in po and f in ro and not f.startswith("proofs/")]
    old, new = _amounts(published), _amounts(rebuilt)
    so, sn = _score_rows(published), _score_rows(rebuilt)
    d.scores_moved, d.scores_compared = score_changes(so, sn)
    differing = [a for a in sorted(set(old) | set(new)) if old.get(a, 0) != new.get(a, 0)]
    d.accounts_differing = len(differing)
    differing.sort(key=lambda a: (-abs(new.get(a, 0) - old.get(a, 0)), a))
    for a in differing[:MAX_ACCOUNTS]:
        d.accounts.append({"account": a, "published": old.get(a, 0), "rebuilt": new.get(a, 0),
                           "components": _components(so.get(a, []), sn.get(a, []))})
    return d
