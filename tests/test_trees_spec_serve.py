"""Issue 16, "everything downstream works for a spec'd tree": `serve` (real HTTP) and
`export-static` answer a spec'd epoch with the same claim objects `tree proof` prints and
the shards hold — the leaf's fields included, and for Merkl every (user, token) claim of
an account."""

from __future__ import annotations

import json

from distributor.trees.spec import spec_file
from tests.support.claimsfx import Serve
from tests.trees_support import FIXTURES, run_cli


def _epochs(base):
    d = FIXTURES / "threshold_cumulative_packed3"
    inp = json.loads((d / "2022-07-15.MerkleInputTotalRewards.json").read_text())
    (base / "t.json").write_text(json.dumps([
        {"stakingProvider": k, "beneficiary": v["beneficiary"], "amount": v["amount"]}
        for k, v in inp.items()]))
    run_cli("tree", "build", base / "t.json", "--spec", spec_file("threshold"), "--out",
            base / "out" / "threshold" / "2022-07-15", "--chain-id", "1")
    src = json.loads((FIXTURES / "merkl_v1_user_token/100_rewards.json").read_text())
    (base / "m.json").write_text(json.dumps([
        {"address": h, "token": r["token"], "amount": v["amount"]}
        for r in src["rewards"].values() for h, v in r["holders"].items()]))
    run_cli("tree", "build", base / "m.json", "--scheme", "merkl", "--out",
            base / "out" / "merkl" / "100", "--chain-id", "100")
    return list(inp), src


def _shards(folder):
    out = {}
    for f in (folder / "proofs").glob("*.json"):
        if f.name != "index.json":
            out.update(json.loads(f.read_text())["claims"])
    return out


def test_serve_and_static_answer_spec_epochs(tmp_path):
    providers, merkl = _epochs(tmp_path)
    t_folder = tmp_path / "out/threshold/2022-07-15"
    m_folder = tmp_path / "out/merkl/100"
    accounts = [json.loads(run_cli("tree", "proof", m_folder, a).stdout)
                for a in sorted({h for r in merkl["rewards"].values() for h in r["holders"]})]
    multi = next(c for c in accounts if len(c["claims"]) > 1)
    with Serve(tmp_path / "out") as s:
        for p in providers[:40]:
            got = s.get(f"/v1/programs/threshold/epochs/2022-07-15/claims/{p.lower()}")
            assert got.status_code == 200
            want = json.loads(run_cli("tree", "proof", t_folder, p).stdout)
            assert got.json() == want and "beneficiary" in got.json()["leaf"]
        for c in accounts:
            got = s.get(f"/v1/programs/merkl/epochs/100/claims/{c['account']}")
            assert got.status_code == 200 and got.json() == c
        assert s.get("/v1/programs/merkl/epochs/100").json()["root"] == merkl["merklRoot"]
        assert s.get("/v1/programs/merkl/epochs/100/claims/0x" + "12" * 20).status_code == 404
    assert len(multi["claims"]) == len(_shards(m_folder)[multi["account"][2:].lower()])
    run_cli("export-static", tmp_path / "out", "--out", tmp_path / "site")
    for folder, name in ((t_folder, "threshold/2022-07-15"), (m_folder, "merkl/100")):
        assert _shards(tmp_path / "site" / name) == _shards(folder)
        info = json.loads((tmp_path / "site" / name / "index.json").read_text())
        assert info["root"] == json.loads((folder / "manifest.json").read_text())["tree"]["root"]
