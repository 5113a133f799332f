"""`tree check` streams: the native file is compared chunk by chunk against the disk
(`SameBytes`), proofs.parquet is read a block of claims at a time, and the shards are
shared with a forked child. Each part must still report what a whole-file check reports."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import distributor.trees.check as check
import distributor.trees.regenerate as regenerate
from distributor.trees.check import check_folder
from distributor.trees.regenerate import SameBytes
from tests.trees_support import random_claims, run_cli, write_csv

DATA = bytes(range(256)) * 40 + b"end\n"  # 10,244 bytes


def _compare(tmp_path, on_disk: bytes, pieces: list) -> int | None:
    path = tmp_path / "f.bin"
    path.write_bytes(on_disk)
    same = SameBytes(path)
    for p in pieces:
        assert same.write(p) == len(memoryview(p).cast("B"))
    return same.finish()


def _pieces(data: bytes) -> list:
    """Writes of every shape a scheme makes: bytes, a memoryview of a numpy buffer, and
    one write longer than a compare chunk."""
    cells = np.frombuffer(data[100:3000], dtype=np.uint8)
    return [data[:100], memoryview(cells), data[3000:9000], b"", data[9000:]]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(regenerate, "CHUNK", 1000)  # several chunks per write


def test_same_bytes_accepts_an_identical_file(tmp_path):
    assert _compare(tmp_path, DATA, _pieces(DATA)) is None


def test_same_bytes_reports_a_difference_in_the_last_byte(tmp_path):
    assert _compare(tmp_path, DATA[:-1] + b"?", _pieces(DATA)) == len(DATA) - 1


def test_same_bytes_reports_a_difference_inside_a_chunk(tmp_path):
    bad = DATA[:5432] + b"\xff" + DATA[5433:]
    assert DATA[5432] != 0xff
    assert _compare(tmp_path, bad, _pieces(DATA)) == 5432


def test_same_bytes_reports_a_shorter_file(tmp_path):
    assert _compare(tmp_path, DATA[:-3], _pieces(DATA)) == len(DATA) - 3


def test_same_bytes_reports_a_longer_file(tmp_path):
    assert _compare(tmp_path, DATA + b"x", _pieces(DATA)) == len(DATA)


def test_same_bytes_reports_an_empty_file(tmp_path):
    assert _compare(tmp_path, b"", _pieces(DATA)) == 0


def _folder(tmp_path, scheme: str, n: int):
    out = tmp_path / f"out-{scheme}-{n}"
    run_cli("tree", "build", write_csv(tmp_path / f"in-{n}.csv", random_claims(n, 3)),
            "--scheme", scheme, "--out", out)
    return out


@pytest.mark.parametrize("scheme,native", [("oz", "tree.json"), ("uniswap", "claims.json")])
@pytest.mark.parametrize("edit", [lambda d: d[:-1] + b" ", lambda d: d[:-1], lambda d: d + b"\n"],
                         ids=["last-byte", "shorter", "longer"])
def test_native_file_differing_at_its_end_is_reported(tmp_path, scheme, native, edit):
    """Still valid JSON holding the same claims: only the byte comparison can see it."""
    out = _folder(tmp_path, scheme, 40)
    path = out / native
    path.write_bytes(edit(path.read_bytes()))
    problems, _ = check_folder(out)
    assert problems == [f"{native}: sha256 differs from the manifest",
                        f"{native}: differs from what proofs.parquet implies"]


def _rewrite_proofs(path, edit) -> None:
    schema = pq.read_schema(path)
    rows = pq.read_table(path).to_pylist()
    edit(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=1 << 16)


def test_a_proof_differing_in_a_late_block_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(check, "BLOCK", 16)  # 300 claims -> 19 blocks; the victim is in the last
    out = _folder(tmp_path, "packed", 300)
    path = out / "proofs.parquet"
    victim = pq.read_table(path).column("account")[297].as_py()

    def edit(rows):
        node = rows[297]["proof"][2]
        rows[297]["proof"][2] = bytes([node[0] ^ 1]) + node[1:]
    _rewrite_proofs(path, edit)
    problems, _ = check_folder(out)
    assert f"proof of {victim} does not verify against the root" in problems
    assert "proofs.parquet differs from a rebuild of its own claims" in problems
    assert sum("does not verify" in p for p in problems) == 1


def test_a_proof_with_a_node_too_many_in_a_late_block_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(check, "BLOCK", 16)
    out = _folder(tmp_path, "uniswap", 300)
    path = out / "proofs.parquet"
    _rewrite_proofs(path, lambda rows: rows[290]["proof"].append(bytes(32)))
    problems, _ = check_folder(out)
    assert "proofs.parquet differs from a rebuild of its own claims" in problems


def test_clean_folder_never_holds_every_proof_at_once(tmp_path, monkeypatch):
    """The whole proof column is read only on the slow paths that name a wrong claim."""
    def refuse(*_):
        raise AssertionError("read every proof of a folder that holds")
    monkeypatch.setattr(check, "BLOCK", 16)
    monkeypatch.setattr(check, "_load_proofs", refuse)
    assert check_folder(_folder(tmp_path, "oz", 100))[0] == []


def test_forked_shard_comparison_reports_shards_in_plan_order(tmp_path, monkeypatch):
    """5,000 claims make 16 shards; the child and this process share them, and the
    differing ones (first and last) come back in plan order either way."""
    monkeypatch.setattr(regenerate, "FORK_MIN", 1)
    out = _folder(tmp_path, "oz", 5000)
    assert check_folder(out)[0] == []
    shards = sorted(p for p in (out / "proofs").iterdir() if p.name != "index.json")
    assert len(shards) > 2
    for p in (shards[-1], shards[0]):
        p.write_bytes(p.read_bytes() + b" ")  # same claims, other bytes
    problems, _ = check_folder(out)
    first, last = (f"proofs/{p.name}" for p in (shards[0], shards[-1]))
    assert problems == [f"{first}: sha256 differs from the manifest",
                        f"{last}: sha256 differs from the manifest",
                        f"{first}: differs", f"{last}: differs"]


def test_forked_native_comparison_reports_a_changed_native_file(tmp_path, monkeypatch):
    monkeypatch.setattr(regenerate, "FORK_MIN", 1)
    out = _folder(tmp_path, "uniswap", 300)
    path = out / "claims.json"
    path.write_bytes(path.read_bytes()[:-1])
    assert check_folder(out)[0] == ["claims.json: sha256 differs from the manifest",
                                    "claims.json: differs from what proofs.parquet implies"]


@pytest.mark.parametrize("on_disk, differs", [(b"head|body|tail", False), (b"head|BODY|tail", True),
                                              (b"head|body|tail+", True), (b"head|body|tai", True),
                                              (None, True)])
def test_shard_comparer_takes_a_file_in_parts(tmp_path, on_disk, differs):
    """The shard writer hands a file over as parts (head, claims, tail); the comparer must
    judge their concatenation, including a file on disk that is longer or shorter."""
    if on_disk is not None:
        (tmp_path / "s.json").write_bytes(on_disk)
    cmp = regenerate._Compare(tmp_path)
    cmp.write("s.json", b"head|", memoryview(b"body|"), b"tail")
    assert cmp.differ == (["s.json"] if differs else [])
