"""One conformance suite for every tree scheme (STYLE 10, after web3.py's module_testing):
round trip, input formats, empty input, duplicates, ordering, tampering, cumulative."""

from __future__ import annotations

import json
import random

import base58
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distributor.trees.schemes import SCHEMES
from tests.trees_support import random_claims, run_cli, tree_of, write_csv


def _claims(scheme: str, n: int, seed: int) -> list[tuple[str, int]]:
    if scheme == "solana":
        rng = random.Random(seed)
        return [(base58.b58encode(rng.randbytes(32)).decode(), rng.randrange(10**12))
                for _ in range(n)]
    return random_claims(n, seed)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
class TestScheme:
    def build(self, tmp_path, scheme, rows, name="in.csv", *extra):
        out = tmp_path / f"out-{name}"
        run_cli("tree", "build", write_csv(tmp_path / name, rows), "--scheme", scheme,
                "--out", out, *extra)
        return out

    def test_round_trip_check_and_proof(self, tmp_path, scheme):
        rows = _claims(scheme, 37, 1)
        out = self.build(tmp_path, scheme, rows)
        assert "every proof verifies" in run_cli("tree", "check", out).stdout
        man = tree_of(out)
        assert (man["scheme"], man["count"], int(man["total"])) == \
            (scheme, 37, sum(v for _, v in rows))
        table = {r["account"]: r for r in pq.read_table(out / "proofs.parquet").to_pylist()}
        assert pa.types.is_fixed_size_binary(
            pq.read_schema(out / "proofs.parquet").field("proof").type.value_type)
        index = json.loads((out / "proofs/index.json").read_text())
        for account, amount in rows[:10]:
            claim = json.loads(run_cli("tree", "proof", out, account).stdout)
            row = table[claim["account"]]
            assert claim["amount"] == row["amount"] == str(amount)
            assert claim["root"] == man["root"]
            assert claim["proof"] == ["0x" + p.hex() for p in row["proof"]]
            key = (base58.b58decode(account).hex() if scheme == "solana"
                   else account[2:].lower())
            shard = json.loads((out / "proofs" / f"{key[:index['digits']] or 'all'}.json").read_text())
            assert shard["claims"][key] == {k: v for k, v in claim.items()
                                            if k in shard["claims"][key]}
            assert shard["root"] == man["root"]
        if SCHEMES[scheme].native_file:
            assert (out / SCHEMES[scheme].native_file).exists()

    def test_json_and_parquet_inputs_match_csv(self, tmp_path, scheme):
        rows = _claims(scheme, 9, 2)
        ref = tree_of(self.build(tmp_path, scheme, rows))
        (tmp_path / "in.json").write_text(json.dumps([{"account": a, "amount": str(v)} for a, v in rows]))
        pq.write_table(pa.table({"account": [a for a, _ in rows], "amount": [str(v) for _, v in rows]}),  # D9: decimal strings
                       tmp_path / "in.parquet")
        (tmp_path / "map.json").write_text(json.dumps({a: v for a, v in rows}))
        for name in ("in.json", "in.parquet", "map.json"):
            out = tmp_path / f"o-{name}"
            run_cli("tree", "build", tmp_path / name, "--scheme", scheme, "--out", out)
            assert tree_of(out)["root"] == ref["root"]

    def test_empty_input_is_a_user_error(self, tmp_path, scheme):
        (tmp_path / "e.csv").write_text("account,amount\n")
        proc = run_cli("tree", "build", tmp_path / "e.csv", "--scheme", scheme,
                       "--out", tmp_path / "o", check=False)
        assert proc.returncode == 2 and not (tmp_path / "o").exists()

    def test_duplicates_fail_unless_merged(self, tmp_path, scheme):
        rows = _claims(scheme, 5, 3)
        rows.append((rows[1][0], 11))
        proc = run_cli("tree", "build", write_csv(tmp_path / "d.csv", rows), "--scheme", scheme,
                       "--out", tmp_path / "o", check=False)
        assert proc.returncode == 2 and "row 6" in proc.stderr and "duplicate" in proc.stderr
        out = self.build(tmp_path, scheme, rows, "d.csv", "--merge-duplicates")
        man = tree_of(out)
        assert man["count"] == 5 and int(man["total"]) == sum(v for _, v in rows)

    def test_order(self, tmp_path, scheme):
        rows = _claims(scheme, 12, 4)
        a = self.build(tmp_path, scheme, rows, "a.csv")
        b = self.build(tmp_path, scheme, rows[::-1], "b.csv")
        root = lambda o: tree_of(o)["root"]  # noqa: E731
        accounts = pq.read_table(a / "proofs.parquet").column("account").to_pylist()
        if scheme == "solana":  # D2: Jito roots depend on leaf order; input order is kept
            assert accounts == [r[0] for r in rows] and root(a) != root(b)
        else:
            assert root(a) == root(b)
            assert (a / "proofs.parquet").read_bytes() == (b / "proofs.parquet").read_bytes()

    @pytest.mark.parametrize("victim", ["proofs.parquet", "native", "shard"])
    def test_check_catches_tampering(self, tmp_path, scheme, victim):
        out = self.build(tmp_path, scheme, _claims(scheme, 20, 5))
        if victim == "native":
            name = SCHEMES[scheme].native_file
            if name is None:
                pytest.skip("packed has no native file")
            path = out / name
        elif victim == "shard":
            path = sorted(p for p in (out / "proofs").iterdir() if p.name != "index.json")[0]
        else:
            path = out / "proofs.parquet"
        if victim == "proofs.parquet":  # a valid file whose first proof node is altered
            t = pq.read_table(path).to_pylist()
            t[0]["proof"][0] = bytes(32)
            pq.write_table(pa.Table.from_pylist(t, schema=pq.read_schema(path)), path)
        else:  # one hex digit (or one byte value) of a proof
            data = path.read_bytes()
            at = data.index(b'"tree"' if path.name == "tree.json" else b'"proof"')
            at = data.index(b"0x", at) + 5 if scheme != "solana" or victim == "shard" else \
                data.index(b"[", data.index(b"[", at) + 1) + 1
            while not data[at:at + 1].isdigit() and not data[at:at + 1].isalpha():
                at += 1
            new = b"1" if data[at:at + 1] != b"1" else b"2"
            path.write_bytes(data[:at] + new + data[at + 1:])
        proc = run_cli("tree", "check", out, check=False)
        assert proc.returncode == 1 and "FAIL" in proc.stderr

    def test_rebuild_replaces_output_whole(self, tmp_path, scheme):
        rows = _claims(scheme, 8, 6)
        out = self.build(tmp_path, scheme, rows)
        (out / "stray.txt").write_text("left from before")
        run_cli("tree", "build", tmp_path / "in.csv", "--scheme", scheme, "--out", out)
        assert not (out / "stray.txt").exists()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".tmp", ".old"))) == []

    def test_cumulative_previous(self, tmp_path, scheme):
        rows = _claims(scheme, 6, 7)
        e1 = self.build(tmp_path, scheme, rows, "e1.csv")
        inc = [(rows[0][0], 5)] + _claims(scheme, 2, 8)
        e2 = self.build(tmp_path, scheme, inc, "e2.csv", "--previous", e1)
        got = {r["account"]: int(r["amount"]) for r in pq.read_table(e2 / "proofs.parquet").to_pylist()}
        assert len(got) == 8
        assert sum(got.values()) == sum(v for _, v in rows) + sum(v for _, v in inc)
        first = json.loads(run_cli("tree", "proof", e2, rows[0][0]).stdout)
        assert int(first["amount"]) == rows[0][1] + 5
        run_cli("tree", "check", e2)

    def test_check_reports_unreadable_file(self, tmp_path, scheme):
        out = self.build(tmp_path, scheme, _claims(scheme, 10, 9))
        path = out / "proofs.parquet"
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
        proc = run_cli("tree", "check", out, check=False)
        assert proc.returncode == 1 and "FAIL" in proc.stderr and "proofs.parquet" in proc.stderr


@pytest.mark.parametrize("scheme", ["oz", "solana"])
def test_forked_shard_writer_gives_identical_outputs(tmp_path, scheme, monkeypatch):
    """Big inputs write shards in a forked child; the bytes must not depend on that."""
    import distributor.trees.build as build
    from epochdrop.fsio import hash_tree

    rows = _claims(scheme, 300, 11)
    src = write_csv(tmp_path / "in.csv", rows)
    run_cli("tree", "build", src, "--scheme", scheme, "--out", tmp_path / "inline")
    monkeypatch.setattr(build, "FORK_MIN", 1)
    run_cli("tree", "build", src, "--scheme", scheme, "--out", tmp_path / "forked")
    assert hash_tree(tmp_path / "inline") == hash_tree(tmp_path / "forked")
    run_cli("tree", "check", tmp_path / "forked")
