"""Issue 16: declared leaves and trees reproduce real distributors' published roots and
proofs (../shared/fixtures/real/), the built-in schemes come out again when written as
specs, spec'd folders check and answer `tree proof`, and bad specs are one line, exit 2.

The published files are converted to plain claim rows here, in the test (the fixtures'
README: "convert in the test, not in the product"); the product reads only rows.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distributor.trees.spec import PRESETS, spec_file
from tests.trees_support import FIXTURES, run_cli, run_cli_subprocess, write_csv

GOLDEN = Path(__file__).parent / "golden" / "trees"


def _build(folder, rows, *args):
    folder.mkdir(exist_ok=True)
    src = folder / "in.json"
    src.write_text(json.dumps(rows))
    out = folder / "out"
    run_cli("tree", "build", src, "--out", out, *args)
    return out, json.loads((out / "manifest.json").read_text())


def _stored_proofs(out) -> dict[str, list[list[str]]]:
    """account -> the proofs proofs.parquet holds for it (several for Merkl)."""
    t = pq.read_table(out / "proofs.parquet", columns=["account", "proof"]).to_pylist()
    found: dict[str, list] = {}
    for r in t:
        found.setdefault(r["account"].lower(), []).append(["0x" + p.hex() for p in r["proof"]])
    return found


def _shard_claims(out) -> dict:
    claims = {}
    for f in sorted((out / "proofs").glob("*.json")):
        if f.name != "index.json":
            claims.update(json.loads(f.read_text())["claims"])
    return claims


def test_merkl_v1_preset_reproduces_the_published_root(tmp_path):
    src = json.loads((FIXTURES / "merkl_v1_user_token/100_rewards.json").read_text())
    # One row per (distribution, holder): the preset sums them per (user, token).
    rows = [{"address": h, "token": r["token"], "amount": v["amount"]}
            for r in src["rewards"].values() for h, v in r["holders"].items()]
    random.Random(7).shuffle(rows)
    out, man = _build(tmp_path, rows, "--scheme", "merkl")
    assert man["tree"]["root"] == src["merklRoot"]
    assert man["tree"]["count"] == 54 and man["tree"]["scheme"] == "merkl"
    assert man["tree"]["spec"]["leaf"]["fields"] == [["account", "address"], ["token", "address"],
                                             ["amount", "uint256"]]
    # Every leaf is a (user, token) sum: recompute the sums independently.
    sums: dict[tuple, int] = {}
    for r in rows:
        k = (r["address"].lower(), r["token"].lower())
        sums[k] = sums.get(k, 0) + int(r["amount"])
    t = pq.read_table(out / "proofs.parquet").to_pylist()
    assert {(r["account"].lower(), r["token"].lower()): int(r["amount"]) for r in t} == \
        {k: v for k, v in sums.items() if v > 0}
    run_cli("tree", "check", out)
    # An account with several tokens gets all its claims, in tree proof and the shards alike.
    user = next(a for a, n in _count(t).items() if n > 1)
    got = json.loads(run_cli("tree", "proof", out, user.lower()).stdout)
    assert len(got["claims"]) == _count(t)[user]
    assert got["claims"] == _shard_claims(out)[user[2:].lower()]


def _count(rows):
    n: dict[str, int] = {}
    for r in rows:
        n[r["account"]] = n.get(r["account"], 0) + 1
    return n


def test_threshold_cumulative_packed3_root_and_every_proof(tmp_path):
    d = FIXTURES / "threshold_cumulative_packed3"
    inp = json.loads((d / "2022-07-15.MerkleInputTotalRewards.json").read_text())
    dist = json.loads((d / "2022-07-15.MerkleDist.json").read_text())
    rows = [{"stakingProvider": k, "beneficiary": v["beneficiary"], "amount": v["amount"]}
            for k, v in inp.items()]
    out, man = _build(tmp_path, rows, "--spec", spec_file("threshold"))
    assert man["tree"]["root"] == dist["merkleRoot"] and man["tree"]["count"] == 179
    assert man["tree"]["total"] == dist["totalAmount"]
    stored = _stored_proofs(out)
    assert len(dist["claims"]) == 179
    for account, claim in dist["claims"].items():
        assert stored[account.lower()] == [claim["proof"]], account
    one = next(iter(dist["claims"]))
    got = json.loads(run_cli("tree", "proof", out, one).stdout)
    assert got["leaf"]["beneficiary"] == dist["claims"][one]["beneficiary"]
    assert got["proof"] == dist["claims"][one]["proof"]
    run_cli("tree", "check", out)


def test_morpho_input_order_root_and_every_proof(tmp_path):
    d = FIXTURES / "morpho_packed_input_order"
    users = json.loads((d / "age1_epoch1.usersDistribution.json").read_text())["distribution"]
    pub = json.loads((d / "age1_epoch1.proofs.json").read_text())
    rows = [{"address": u["address"], "amount": u["accumulatedRewards"]} for u in users]
    out, man = _build(tmp_path, rows, "--scheme", "morpho")  # preset: `address` = account
    assert man["tree"]["root"] == pub["root"] and man["tree"]["count"] == 226
    assert man["tree"]["total"] == pub["total"]
    stored = _stored_proofs(out)
    for account, claim in pub["proofs"].items():
        assert stored[account.lower()] == [claim["proof"]], account
    run_cli("tree", "check", out)
    # Order is part of the tree: sorting the same leaves gives the other root the README names.
    spec = tmp_path / "sorted.toml"
    spec.write_text(spec_file("morpho").read_text().replace('leaves = "input"', 'leaves = "sorted"'))
    src = tmp_path / "m.json"
    src.write_text(json.dumps([{"account": r["address"], "amount": r["amount"]} for r in rows]))
    run_cli("tree", "build", src, "--spec", spec, "--out", tmp_path / "sorted")
    assert json.loads((tmp_path / "sorted/manifest.json").read_text())["tree"]["root"] == \
        "0xa83ea01918bb3bc65857ece6af85d81c03387cb786a714263e5391660d9bebdc"


def test_badger_cycle_arrays_root_and_every_proof(tmp_path):
    pub = json.loads((FIXTURES / "badger_cycle_arrays/badger-tree-137.json").read_text())
    keys = ("index", "user", "cycle", "tokens", "cumulativeAmounts")
    rows = [{k: c[k] for k in keys} for c in pub["claims"].values()]
    rows.append(dict(rows[3]))  # a repeated leaf: dropped (dedupe = true)
    out, man = _build(tmp_path, rows, "--spec", spec_file("badger"))
    assert man["tree"]["root"] == pub["merkleRoot"] and man["tree"]["count"] == 43
    assert man["tree"]["total"] is None  # no single amount: cumulativeAmounts is per token
    stored = _stored_proofs(out)
    for account, claim in pub["claims"].items():
        assert stored[account.lower()] == [claim["proof"]], account
    got = json.loads(run_cli("tree", "proof", out, rows[0]["user"]).stdout)
    assert got["leaf"]["tokens"] == rows[0]["tokens"]
    assert got["leaf"]["cumulativeAmounts"] == [str(a) for a in rows[0]["cumulativeAmounts"]]
    assert got["index"] == int(rows[0]["index"], 16)
    run_cli("tree", "check", out)


@pytest.mark.parametrize("scheme", ["oz", "packed"])
def test_built_in_schemes_written_as_specs_give_their_roots(tmp_path, scheme):
    """docs/trees.md writes each preset as a spec: the spec file gives the scheme's root."""
    src = GOLDEN / "claims.csv"
    run_cli("tree", "build", src, "--scheme", scheme, "--out", tmp_path / "scheme")
    run_cli("tree", "build", src, "--spec", spec_file(scheme), "--out", tmp_path / "spec")
    a, b = (json.loads((tmp_path / n / "manifest.json").read_text()) for n in ("scheme", "spec"))
    assert a["tree"]["root"] == b["tree"]["root"] and a["tree"]["count"] == b["tree"]["count"] \
        and a["tree"]["total"] == b["tree"]["total"]
    proofs = lambda n: {r["account"]: r["proof"] for r in  # noqa: E731
                        pq.read_table(tmp_path / n / "proofs.parquet").to_pylist()}
    assert proofs("scheme") == proofs("spec")


def test_uniswap_written_as_a_spec_gives_the_reflexer_root(tmp_path):
    pub = json.loads((FIXTURES / "uniswap_reflexer_genesis/claims.json").read_text())[0]
    rows = [{"index": c["index"], "account": a, "amount": c["amount"]}
            for a, c in pub["recipients"].items()]
    out, man = _build(tmp_path, rows, "--spec", spec_file("uniswap"))
    assert man["tree"]["root"] == pub["merkleRoot"] and int(man["tree"]["total"]) == int(pub["tokenTotal"], 16)


def test_spec_folder_is_independent_of_input_row_order(tmp_path):
    rows = [{"account": "0x" + random.Random(i).randbytes(20).hex(), "token": t, "amount": str(i)}
            for i in range(1, 40) for t in ("0x" + "11" * 20, "0x" + "22" * 20)]
    a, _ = _build(tmp_path / "a", rows, "--scheme", "merkl")
    random.Random(1).shuffle(rows)
    b, _ = _build(tmp_path / "b", rows, "--scheme", "merkl")
    for f in sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file()):
        if f.name != "manifest.json":
            assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_tree_check_finds_a_changed_spec_folder(tmp_path):
    pub = json.loads((FIXTURES / "badger_cycle_arrays/badger-tree-137.json").read_text())
    rows = [{k: c[k] for k in ("index", "user", "cycle", "tokens", "cumulativeAmounts")}
            for c in pub["claims"].values()]
    out, man = _build(tmp_path, rows, "--scheme", "badger")
    # A shard edited and its hash "fixed" in the manifest: only the rebuild can tell.
    shard = out / "proofs/all.json"
    shard.write_text(shard.read_text().replace('"cycle":"2317"', '"cycle":"2318"', 1))
    man["outputs"]["proofs/all.json"] = hashlib.sha256(shard.read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(man))
    r = run_cli("tree", "check", out, check=False)
    assert r.returncode == 1 and "proofs/all.json: differs" in r.stderr
    # A proof changed in proofs.parquet (hash "fixed" too): it no longer folds to the root.
    t = pq.read_table(out / "proofs.parquet")
    proofs = t.column("proof").to_pylist()
    proofs[5][0] = bytes(32)
    t = t.set_column(t.column_names.index("proof"), "proof",
                     pa.array(proofs, t.schema.field("proof").type))
    pq.write_table(t, out / "proofs.parquet")
    man["outputs"]["proofs.parquet"] = hashlib.sha256((out / "proofs.parquet").read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(man))
    r = run_cli("tree", "check", out, check=False)
    assert r.returncode == 1 and "does not verify against the root" in r.stderr
    assert "proofs.parquet differs from a rebuild" in r.stderr
    # The spec itself changed in the manifest: the root no longer comes out.
    man["tree"]["spec"]["tree"]["dedupe"] = False
    man["tree"]["spec"]["leaf"]["encoding"] = "packed"
    (out / "manifest.json").write_text(json.dumps(man))
    r = run_cli("tree", "check", out, check=False)
    assert r.returncode == 1 and "root recomputed from proofs.parquet" in r.stderr


BAD = {
    "unknown type": ('[leaf]\nfields = [["account", "address"], ["amount", "uint257"]]\n',
                     "[leaf] fields: unknown type 'uint257'"),
    "field not in input": ('[leaf]\nfields = [["account", "address"], ["token", "address"], '
                           '["amount", "uint256"]]\n', "missing column 'token'"),
    "shards without shard_by": ('[leaf]\nfields = [["account", "address"], ["amount", "uint256"]]\n'
                                '[tree]\nshards = 1\n', "[tree] shards: shards without shard_by"),
    "arrays from csv": ('[leaf]\nfields = [["account", "address"], ["tokens", "address[]"]]\n',
                        "[leaf] fields: 'tokens' is address[]; arrays cannot come from CSV"),
    "array amount": ('[leaf]\nfields = [["account", "address"], ["amount", "uint256[]"]]\n',
                     "[claims] amount: 'amount' is not a uint leaf field"),
    "unknown key": ('[leaf]\nfields = [["account", "address"], ["amount", "uint256"]]\n'
                    '[tree]\nsort = true\n', "[tree] sort: unknown key"),
    "bad choice": ('[leaf]\nfields = [["account", "address"], ["amount", "uint256"]]\n'
                   'hash = "sha3"\n', "[leaf] hash: 'sha3' is not one of"),
    "not toml": ('[leaf\n', "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_specs_exit_2_with_one_line(tmp_path, case):
    text, words = BAD[case]
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    src = write_csv(tmp_path / "in.csv", [("0x" + "ab" * 20, 5)])
    r = run_cli("tree", "build", src, "--spec", spec, "--out", tmp_path / "out", check=False)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert words in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_arrays_from_csv_are_refused_naming_the_field(tmp_path):
    """In its own process: the installed entry point prints one line, no traceback."""
    src = tmp_path / "in.csv"
    src.write_text("index,user,cycle,tokens,cumulativeAmounts\n0,0x" + "ab" * 20 + ",1,x,y\n")
    r = run_cli_subprocess("tree", "build", src, "--scheme", "badger", "--out", tmp_path / "out")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert "[leaf] fields: 'tokens' is address[]; arrays cannot come from CSV" in r.stderr


def test_flags_that_do_not_apply_to_a_spec(tmp_path):
    src = write_csv(tmp_path / "in.csv", [("0x" + "ab" * 20, 5)])
    for extra, words in ((["--leaf", "address,uint256"], "--leaf does not apply"),
                         (["--spec", spec_file("pendle")], "not both"),
                         (["--merge-duplicates"], "--merge-duplicates does not apply")):
        r = run_cli("tree", "build", src, "--scheme", "pendle", "--out", tmp_path / "o", *extra,
                    check=False)
        assert r.returncode == 2 and words in r.stderr, r.stderr


def test_presets_are_the_spec_files():
    assert set(PRESETS) == {"merkl", "threshold", "morpho", "badger", "ens", "pendle"}


def test_repeated_claimant_without_sum_by_is_refused(tmp_path):
    rows = [{"account": "0x" + "ab" * 20, "amount": "1"}, {"account": "0x" + "AB" * 20, "amount": "2"}]
    src = tmp_path / "in.json"
    src.write_text(json.dumps(rows))
    r = run_cli("tree", "build", src, "--scheme", "pendle", "--out", tmp_path / "o", check=False)
    assert r.returncode == 2 and "row 2" in r.stderr and "appears twice" in r.stderr

