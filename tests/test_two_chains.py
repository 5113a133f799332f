"""Two chains in one store (issue 20, item 4): the same Curve pool contracts deployed at the
same addresses on two anvil nodes with different chain ids, both indexed by the real
listener into one store. Scoring one chain's epoch reads only `chain=<id>`: it equals scoring
a store that holds that chain alone, and differs from the other chain's; naming no chain is
refused (exit 2) instead of mixing the two chains' swaps into one score.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.support.evm import Anvil, deploy
from tests.support.indexer import artifacts

pytestmark = pytest.mark.xdist_group("two_chains")

WEEK = date(2023, 11, 9)          # a Thursday; anvil starts at 2023-11-14 (--timestamp)
CHAINS = (31337, 4242)


def _cli(*args: str, capsys=None) -> tuple[int, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err if capsys is not None else ""
    return code, err


def _chain(chain_id: int, heavy: int):
    """A node with two Curve pools; pool `heavy` gets the big swaps."""
    node = Anvil("--timestamp", "1700000000", "--chain-id", str(chain_id)).__enter__()
    art = artifacts()
    w3 = node.w3
    tok_a = deploy(w3, art["TestToken"], "A", "A", 18)
    tok_b = deploy(w3, art["TestToken"], "B", "B", 18)
    pools = [deploy(w3, art["MockCurvePool"], [tok_a.address, tok_b.address], [10**30, 10**30])
             for _ in range(2)]
    for k in range(6):
        for n, pool in enumerate(pools):
            dx = (10**24 if n == heavy else 10**20) * (k + 1)
            h = pool.functions.exchange(w3.eth.accounts[1], k % 2, 1 - k % 2, dx, dx, False).transact()
            assert w3.eth.wait_for_transaction_receipt(h, timeout=30).status == 1
        node.mine(3)
    return node, [p.address for p in pools]


def _tables(folder: Path, pools: list[str]) -> None:
    """The off-chain side of a Curve store: coin decimals and daily balances of the week."""
    (folder / "curve_coins.csv").write_text(
        "pool,i,decimals\n" + "".join(f"{p},{i},18\n" for p in pools for i in (0, 1)))
    days = [WEEK + timedelta(days=d) for d in range(7)]
    (folder / "curve_liquidity.csv").write_text(
        "day,pool,i,balance\n" + "".join(f"{d},{p},{i},{10**25}\n"
                                        for d in days for p in pools for i in (0, 1)))


def _index(url: str, store: Path, pools: list[str], *extra: str) -> None:
    code, _ = _cli("index", "curve_swaps", "--rpc", url, "--store", str(store),
                   "--contracts", ",".join(pools), "--confirmations", "0", *extra)
    assert code == 0


def test_one_chains_epoch_ignores_the_other_chains_rows(tmp_path: Path, capsys) -> None:
    nodes = []
    try:
        a, pools_a = _chain(CHAINS[0], heavy=0)
        nodes.append(a)
        b, pools_b = _chain(CHAINS[1], heavy=1)
        nodes.append(b)
        assert pools_a == pools_b        # same deployer, same nonces: the same addresses
        both, only_a, only_b = tmp_path / "both", tmp_path / "only_a", tmp_path / "only_b"
        _index(a.url, both, pools_a)
        _index(b.url, both, pools_b, "--new-chain")
        _index(a.url, only_a, pools_a)
        _index(b.url, only_b, pools_b)
        # the chain check runs on this path too: the store holds two chains, a third is refused
        code, err = _cli("index", "curve_swaps", "--rpc", a.url, "--store", str(only_b),
                         "--contracts", ",".join(pools_a), capsys=capsys)
        assert code == 2 and f"serves chain {CHAINS[0]}" in err and str(CHAINS[1]) in err
    finally:
        for n in nodes:
            n.__exit__(None, None, None)
    capsys.readouterr()
    for st in (both, only_a, only_b):
        _tables(st, pools_a)
    assert sorted(p.name for p in (both / "curve_swaps").iterdir()) == \
        [f"chain={c}" for c in sorted(map(str, CHAINS))]

    def score(data: Path, out: str, *extra: str) -> bytes:
        code, err = _cli("score", "curve", "--data", str(data), "--epoch", WEEK.isoformat(),
                         "--out", str(tmp_path / out), *extra, capsys=capsys)
        assert code == 0, err
        return (tmp_path / out / "rewards.csv").read_bytes()

    code, err = _cli("score", "curve", "--data", str(both), "--epoch", WEEK.isoformat(),
                     "--out", str(tmp_path / "mixed"), capsys=capsys)
    assert code == 2 and "chains 31337, 4242" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "mixed").exists()

    a_from_both = score(both, "a_both", "--chain", str(CHAINS[0]))
    b_from_both = score(both, "b_both", "--chain", str(CHAINS[1]))
    assert a_from_both == score(only_a, "a_alone")
    assert b_from_both == score(only_b, "b_alone")
    assert a_from_both != b_from_both        # the chains' rows differ, and neither leaked in
