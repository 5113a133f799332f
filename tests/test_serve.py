"""Acceptance 1 of issue 8: `epochdrop serve` on 127.0.0.1 over a 100,000-claim epoch answers
every account exactly as proofs.parquet says, every served proof folds to the root, and bad
or unknown input gets a JSON 400/404. Real trees (`epochdrop tree build`), real HTTP."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
import sha3
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from distributor.trees.outputs import claim_json
from epochdrop.folder import read_manifest
from tests.support.claimsfx import Serve, shared_folder, tree_build, write_claims_csv
from tests.support.httpload import get_many
from tests.trees_support import tree_of

pytestmark = pytest.mark.xdist_group("serve")

N = 100_000
TOKEN = "0x00000000000000000000000000000000000000AA"  # EIP-55


def _keccak(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()  # pysha3: ~5x less overhead than eth_utils.keccak


def leaf(scheme: str, account: str, amount: int) -> bytes:
    if scheme == "packed":  # dYdX MD1 / our distributor: abi.encodePacked(address, uint256)
        return _keccak(bytes.fromhex(account[2:]) + amount.to_bytes(32, "big"))
    return keccak(keccak(encode(["address", "uint256"], [account, amount])))  # OZ standard


def fold(leaf_hash: bytes, proof: list[str]) -> bytes:
    """OpenZeppelin MerkleProof.processProof: sorted-pair keccak."""
    h = leaf_hash
    for p in proof:
        s = bytes.fromhex(p[2:])
        h = _keccak(h + s if h < s else s + h)
    return h


def _build_epochs(base):
    rows = write_claims_csv(base / "big.csv", N, seed=8)
    tree_build(base / "big.csv", base / "out" / "drop" / "1", "packed", chain_id=31337,
               token=TOKEN, program="drop", epoch="1")
    write_claims_csv(base / "small.csv", 500, seed=9, accounts=[rows[0][0], rows[1][0]])
    tree_build(base / "small.csv", base / "out" / "ozdrop" / "7", "oz", chain_id=1,
               token=TOKEN, program="ozdrop", epoch="7")


@pytest.fixture(scope="module")
def epochs(tmp_path_factory):
    # Built once per run even when xdist spreads these tests over workers.
    base = shared_folder(tmp_path_factory, "serve-epochs", _build_epochs)
    rows = [(a, int(v)) for a, v in (line.split(",") for line in
                                     (base / "big.csv").read_text().split()[1:])]
    return base, base / "out" / "drop" / "1", base / "out" / "ozdrop" / "7", rows


@pytest.fixture(scope="module")
def server(epochs):
    base, big, small, _ = epochs
    with Serve(base / "out", extra=("--cors-origin", "https://claim.example", "--workers", "2")) as s:
        yield s


def test_every_account_matches_parquet_and_verifies(epochs, server):
    _, big, _, rows = epochs
    man = tree_of(big)
    table = pq.read_table(big / "proofs.parquet").to_pydict()
    assert len(table["account"]) == N
    paths = [f"/v1/programs/drop/epochs/1/claims/{a}" for a in table["account"]]
    answers = get_many("127.0.0.1", server.port, paths, connections=4, window=32)
    root = bytes.fromhex(man["root"][2:])
    input_amounts = {to_checksum_address(a): v for a, v in rows}
    for i, path in enumerate(paths):
        status, headers, body = answers[path]
        assert status == 200, (path, body[:200])
        got = json.loads(body)
        assert got["account"] == table["account"][i]
        assert got["amount"] == table["amount"][i] == str(input_amounts[got["account"]])
        assert got["index"] == table["index"][i]
        assert got["proof"] == ["0x" + p.hex() for p in table["proof"][i]]
        assert (got["root"], got["scheme"], got["chain_id"], got["token"]) == \
            (man["root"], "packed", 31337, TOKEN)
        assert fold(leaf("packed", got["account"], int(got["amount"])), got["proof"]) == root
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert headers["etag"].startswith('"')


def test_claim_shape_is_tree_proof_and_shard_shape(epochs, server):
    """D6: one claim-JSON shape for `tree proof`, `serve` and the static shards."""
    _, big, small, rows = epochs
    for folder, program, epoch in ((big, "drop", "1"), (small, "ozdrop", "7")):
        digits = json.loads((folder / "proofs" / "index.json").read_text())["digits"]
        for account, _ in rows[:6]:
            r = server.get(f"/v1/programs/{program}/epochs/{epoch}/claims/{account}")
            if r.status_code == 404:
                continue
            assert r.json() == claim_json(folder, account)
            key = account[2:].lower()
            shard = json.loads((folder / "proofs" / f"{key[:digits] or 'all'}.json").read_text())
            bare = {k: v for k, v in r.json().items()
                    if k not in ("format", "scheme", "root", "chain_id", "token", "program", "epoch")}
            assert shard["claims"][key] == bare


def test_oz_epoch_proofs_verify_and_account_spellings(epochs, server):
    _, _, small, rows = epochs
    man = tree_of(small)
    root = bytes.fromhex(man["root"][2:])
    accounts = pq.read_table(small / "proofs.parquet", columns=["account"]).column("account")
    paths = {f"/v1/programs/ozdrop/epochs/7/claims/{spelling}": a
             for a in accounts.to_pylist()
             for spelling in (a, a.lower(), "0x" + a[2:].upper())}
    answers = get_many("127.0.0.1", server.port, list(paths))
    assert len(answers) == len(paths) >= 2 * 500
    for path, a in paths.items():
        status, _, body = answers[path]
        got = json.loads(body)
        assert status == 200 and got["account"] == a
        assert fold(leaf("oz", a, int(got["amount"])), got["proof"]) == root


@pytest.mark.parametrize("path,status,code", [
    ("/v1/programs/drop/epochs/1/claims/0x123", 400, "invalid_account"),
    ("/v1/programs/drop/epochs/1/claims/hello", 400, "invalid_account"),
    ("/v1/programs/drop/claims/0xZZ00000000000000000000000000000000000000", 400, "invalid_account"),
    ("/v1/programs/drop/epochs/1/claims/0x0000000000000000000000000000000000000001", 404, "no_claim"),
    ("/v1/programs/drop/epochs/2/claims/0x0000000000000000000000000000000000000001", 404, "unknown_epoch"),
    ("/v1/programs/nope/epochs/1", 404, "unknown_program"),
    ("/v1/accounts/not-an-account", 400, "invalid_account"),
    ("/v2/anything", 404, "not_found"),
])
def test_errors_are_json(server, path, status, code):
    r = server.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] == code and r.json()["message"]


def test_bad_checksum_is_400(epochs, server):
    a = to_checksum_address(epochs[3][0][0])
    pos = next(i for i, c in enumerate(a) if i >= 2 and c.isalpha())
    flipped = a[:pos] + a[pos].swapcase() + a[pos + 1:]
    assert flipped != a and flipped.lower() == a.lower()
    r = server.get(f"/v1/programs/drop/epochs/1/claims/{flipped}")
    assert r.status_code == 400 and "checksum" in r.json()["message"]


def test_epoch_listing_and_info_match_manifests(epochs, server):
    _, big, small, _ = epochs
    progs = server.get("/v1/programs").json()["programs"]
    assert [(p["program"], p["epochs"]) for p in progs] == [("drop", ["1"]), ("ozdrop", ["7"])]
    for folder, program, epoch in ((big, "drop", "1"), (small, "ozdrop", "7")):
        man = read_manifest(folder)
        info = server.get(f"/v1/programs/{program}/epochs/{epoch}").json()
        assert (info["root"], info["total"], info["count"], info["chain_id"], info["token"],
                info["scheme"], info["epoch"], info["status"]) == (
            man.root, man.tree.total, man.tree.count, man.chain_id,
            man.token.model_dump(mode="json"), man.scheme, epoch, "ok")
        assert server.get(f"/v1/programs/{program}").json()["epochs"] == [info]
    health = server.get("/health").json()
    assert health["status"] == "ok" and health["claims"] == N + 500


def test_account_in_two_programs(epochs, server):
    account = epochs[3][0][0]
    r = server.get(f"/v1/accounts/{account}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    got = {(e["program"], e["epoch"]) for e in r.json()["eligible"]}
    assert got == {("drop", "1"), ("ozdrop", "7")}
    per_program = server.get(f"/v1/programs/drop/claims/{account}").json()
    assert [e["epoch"] for e in per_program["epochs"]] == ["1"]


def test_etag_304_fast_path_equals_route_and_cors(epochs, server):
    a = epochs[3][5][0]
    path = f"/v1/programs/drop/epochs/1/claims/{a}"
    fast = server.get(path)
    # A non-matching If-None-Match skips the ASGI fast path: the FastAPI route answers.
    routed = server.get(path, headers={"If-None-Match": '"other"'})
    assert fast.content == routed.content
    for h in ("etag", "cache-control", "content-type"):
        assert fast.headers[h] == routed.headers[h]
    again = server.get(path, headers={"If-None-Match": fast.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    cors = server.get(path, headers={"Origin": "https://claim.example"})
    assert cors.headers["access-control-allow-origin"] == "https://claim.example"
    other = server.get(path, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_openapi_docs(server):
    assert "swagger" in server.get("/docs").text.lower()
    paths = server.get("/openapi.json").json()["paths"]
    assert "/v1/programs/{program}/epochs/{epoch}/claims/{account}" in paths
    assert "/v1/programs/{program}/claimable/{account}" in paths


def test_index_built_once_beside_folder(epochs, server):
    _, big, _, _ = epochs
    idx = sorted((big.parent / ".epochdrop-index").glob("1.*.idx"))
    assert len(idx) == 1
    assert not any(p.name.endswith(".idx") for p in big.rglob("*"))  # folder untouched (D7)
    mtime = idx[0].stat().st_mtime_ns
    with Serve(big, extra=("--workers", "2")) as again:  # uvicorn supervisor + 2 workers
        assert again.get("/health").json()["claims"] == N
        a = epochs[3][7][0]
        assert again.get(f"/v1/programs/drop/epochs/1/claims/{a}").json()["account"].lower() == a
    assert idx[0].stat().st_mtime_ns == mtime


def test_solana_and_integer_accounts(tmp_path):
    """Solana claims (base58 or pubkey hex, with locked_amount) and integer accounts of an oz
    tree with a uint256 leaf (D4) answer exactly as `tree proof` does."""
    import random

    import base58

    rng = random.Random(3)
    keys = [bytes(rng.getrandbits(8) for _ in range(32)) for _ in range(40)]
    (tmp_path / "sol.csv").write_text("account,amount,locked_amount\n" + "".join(
        f"{base58.b58encode(k).decode()},{rng.randint(1, 10**12)},{rng.randint(0, 10**9)}\n"
        for k in keys))
    tree_build(tmp_path / "sol.csv", tmp_path / "out" / "jet" / "1", "solana")
    (tmp_path / "u.csv").write_text("account,amount\n" + "".join(
        f"{n},{rng.randint(1, 10**20)}\n" for n in rng.sample(range(10**6), 30)))
    tree_build(tmp_path / "u.csv", tmp_path / "out" / "lido" / "1", "oz", leaf="uint256,uint256")
    with Serve(tmp_path / "out") as s:
        for program, key_of in (("jet", lambda a: base58.b58decode(a).hex()), ("lido", str)):
            folder = tmp_path / "out" / program / "1"
            for a in pq.read_table(folder / "proofs.parquet").column("account").to_pylist():
                want = claim_json(folder, a)
                assert s.get(f"/v1/programs/{program}/epochs/1/claims/{a}").json() == want
                assert s.get(f"/v1/programs/{program}/epochs/1/claims/{key_of(a)}").json() == want
                assert ("locked_amount" in want) == (program == "jet")
        assert s.get("/v1/programs/lido/epochs/1/claims/0x12").status_code == 400
        assert s.get("/v1/programs/jet/epochs/1/claims/notbase58!").status_code == 400


def test_changed_folder_is_refused(tmp_path):
    write_claims_csv(tmp_path / "c.csv", 50, seed=4)
    folder = tree_build(tmp_path / "c.csv", tmp_path / "out" / "p" / "1", "packed")
    import pyarrow as pa

    t = pq.read_table(folder / "proofs.parquet")
    amounts = t.column("amount").to_pylist()
    amounts[0] = str(int(amounts[0]) + 1)
    pq.write_table(t.set_column(t.schema.get_field_index("amount"), "amount",
                                pa.array(amounts, pa.string())), folder / "proofs.parquet")
    from tests.support.claimsfx import run_cli

    proc = run_cli("serve", folder, "--port", "1", check=False)
    assert proc.returncode == 2 and "does not match its manifest" in proc.stderr
    assert not (folder.parent / ".epochdrop-index").exists() or \
        not list((folder.parent / ".epochdrop-index").glob("*.idx"))
