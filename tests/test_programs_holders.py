"""The seventh program, `holders` (time-weighted ERC-20 balance), added only as a folder.

1. A hand-worked month: three holders, transfers mid-epoch, an excluded exchange, a minimum
   balance and a transfer after the epoch; the expected scores are written out below piece by
   piece (balance × days), the payouts are floor(budget · score / Σ score) on integers.
2. The same month on anvil: a real ERC-20 (OpenZeppelin, npm solc) emits the transfers,
   `run` indexes them through the listener (the index plan read from holders' program.toml),
   scores, builds the OZ tree; `serve` hands out the proofs and every holder claims real reward
   tokens from the claim contract; `verify --rpc` re-reads the chain and finds the same root.
3. The folder copied under another name into a temporary EPOCHDROP_PROGRAMS_PATH is a new
   program that pays the same: nothing outside the folder was needed to add it.
"""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from distributor.programs import HERE, PATH_ENV, load_program, program_names
from distributor.runner import score_epoch
from epochdrop.errors import ConfigError

DAY = 86_400
ZERO = "0x0000000000000000000000000000000000000000"
A = "0x1000000000000000000000000000000000000001"
B = "0x2000000000000000000000000000000000000002"
C = "0x3000000000000000000000000000000000000003"
E = "0x4000000000000000000000000000000000000004"   # an exchange: excluded
TOKEN = "0x00000000000000000000000000000000000000Aa"

# (when, from, to, value in base units of a 2-decimal token); the epoch is March 2024
TRANSFERS = [
    ("2024-02-26T00:00:00", ZERO, A, 1000),
    ("2024-02-26T00:00:00", ZERO, B, 500),
    ("2024-02-26T00:00:00", ZERO, E, 5000),
    ("2024-03-10T00:00:00", A, C, 300),      # A 700, C 300
    ("2024-03-20T12:00:00", E, B, 200),      # B 700
    ("2024-03-25T00:00:00", C, E, 250),      # C 50: below the minimum of 1.00 (100 units)
    ("2024-04-02T00:00:00", A, C, 700),      # after the epoch: no effect
]
# Worked by hand from the list above, in balance × days (March has 31 days):
#   A: 1000 × 9 (Mar 1 → 10)            + 700 × 22 (Mar 10 → Apr 1)  = 24400
#   B:  500 × 19.5 (Mar 1 → 20 12:00)  + 700 × 11.5                  = 17800
#   C:  300 × 15 (Mar 10 → 25)          + 50 × 7 below min_balance    =  4500
#   E:  excluded; 0x0: never scores
EXPECTED_BALANCE_DAYS = {A: Fraction(24400), B: Fraction(17800), C: Fraction(4500)}
SECONDS_COUNTED = {A: 31 * DAY, B: 31 * DAY, C: 15 * DAY}
BUDGET = 1000 * 10**6          # 1000 reward tokens of 6 decimals


def expected_amounts(budget: int = BUDGET) -> dict[str, int]:
    total = sum(EXPECTED_BALANCE_DAYS.values())
    return {a: int(budget * s / total) for a, s in EXPECTED_BALANCE_DAYS.items()}


PARAMS = (f'budget = "1000"\ndecimals = 6\ntoken_decimals = 2\nmin_balance = "1.00"\n'
          f'exclude = ["{E.lower()}"]\n')


def write_config(path: Path, extra: str = "", program: str = "holders",
                 params: str = PARAMS) -> Path:
    path.write_text(f'program = "{program}"\n\n[params]\n{params}{extra}')
    return path


def write_transfers(folder: Path, token: str = TOKEN) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "erc20_transfers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "token", "from_address", "to_address", "value"])
        for when, src, dst, value in TRANSFERS:
            w.writerow([when + "Z", token, src, dst, value])
    return folder


def rewards(folder: Path) -> dict[str, int]:
    t = pq.read_table(folder / "rewards.parquet").to_pylist()
    return {r["account"]: int(r["amount"]) for r in t}


def test_holders_is_discovered_from_its_folder_alone() -> None:
    assert "holders" in program_names()
    folder = HERE / "holders"
    assert sorted(p.name for p in folder.iterdir() if p.name != "__pycache__") == [
        "README.md", "config.toml", "erc20_transfers.view.sql", "program.toml", "score.sql"]
    spec = load_program("holders")
    assert [t.name for t in spec.tables] == ["erc20_transfers"]
    assert (spec.tables[0].source.kind, spec.tables[0].source.role) == ("store", "token")


def test_hand_worked_month(tmp_path) -> None:
    data = write_transfers(tmp_path / "data")
    m = score_epoch("holders", data, "2024-03", tmp_path / "out",
                    config=write_config(tmp_path / "h.toml"))
    scores = {r["account"]: r for r in pq.read_table(tmp_path / "out/scores.parquet").to_pylist()}
    assert set(scores) == {A, B, C}              # E excluded, 0x0 never
    for a, days in EXPECTED_BALANCE_DAYS.items():
        assert int(scores[a]["score"]) == days * DAY, a         # exact integers
        assert scores[a]["seconds_counted"] == SECONDS_COUNTED[a]
    assert scores[C]["balance_end"] == "50"
    assert rewards(tmp_path / "out") == expected_amounts()
    assert sum(expected_amounts().values()) == BUDGET - 1      # one unit of dust, kept
    assert m.program == "holders"


def test_token_filter_cap_and_bad_params(tmp_path) -> None:
    data = write_transfers(tmp_path / "data")
    # another token's transfers in the same table are not counted when `token` is set
    with open(data / "erc20_transfers.csv", "a", newline="") as f:
        csv.writer(f).writerow(["2024-03-05T00:00:00Z", "0x" + "bb" * 20, ZERO, C, 10**9])
    cfg = write_config(tmp_path / "h.toml", f'token = "{TOKEN.lower()}"\ncap = "400"\n')
    score_epoch("holders", data, "2024-03", tmp_path / "out", config=cfg)
    want = expected_amounts()
    want[A] = 400 * 10**6                      # capped; the excess stays unpaid
    assert rewards(tmp_path / "out") == want
    bad = write_config(tmp_path / "bad.toml", 'exclude = ["0x12"]\n', params="")
    with pytest.raises(ConfigError, match=r"params\.exclude.*not an address"):
        score_epoch("holders", data, "2024-03", tmp_path / "bad", config=bad)
    with pytest.raises(ConfigError, match="YYYY-MM"):
        score_epoch("holders", data, "2024-13", tmp_path / "bad", config=cfg)
    assert not (tmp_path / "bad").exists()


def test_a_copy_in_an_extra_programs_path_is_a_program(tmp_path, monkeypatch) -> None:
    """Adding a program = adding a folder: the copy runs from outside the repository."""
    root = tmp_path / "programs"
    shutil.copytree(HERE / "holders", root / "holders_copy",
                    ignore=shutil.ignore_patterns("__pycache__"))
    decl = root / "holders_copy" / "program.toml"
    decl.write_text(decl.read_text().replace('name = "holders"', 'name = "holders_copy"'))
    monkeypatch.setenv(PATH_ENV, str(root))
    assert "holders_copy" in program_names()
    data = write_transfers(tmp_path / "data")
    m = score_epoch("holders_copy", data, "2024-03", tmp_path / "out",
                    config=write_config(tmp_path / "c.toml", program="holders_copy"))
    assert m.program == "holders_copy"
    assert rewards(tmp_path / "out") == expected_amounts()
    monkeypatch.delenv(PATH_ENV)
    assert "holders_copy" not in program_names()


def test_whatif_varies_a_declared_param(tmp_path) -> None:
    from pipeline.whatif import whatif

    data = write_transfers(tmp_path / "data")
    cfg = write_config(tmp_path / "h.toml", f'\n[sources]\ndata = "{data}"\n')
    summary = whatif("holders", cfg, ["min_balance=1.00,0"], tmp_path / "wi", epoch="2024-03",
                     show=False)
    assert (tmp_path / "wi" / "whatif.html").is_file()
    assert len(summary["options"]) == 2


# ── end to end on anvil ──────────────────────────────────────────────────────────────────

def _ts(when: str) -> int:
    return int(datetime.fromisoformat(when).replace(tzinfo=timezone.utc).timestamp())


@pytest.mark.xdist_group("holders_evm")
def test_holders_on_anvil_index_score_tree_serve_claim_verify(tmp_path) -> None:
    from pipeline.run import run_epoch
    from pipeline.verify import verify
    from tests.support.claimsfx import Serve
    from tests.support.evm import REPO, Anvil, compile_contracts, deploy

    art = compile_contracts([REPO / "contracts/test/TestToken.sol",
                             REPO / "contracts/test/TreeClaims.sol"])
    with Anvil("--timestamp", str(_ts("2024-02-25T00:00:00"))) as node:
        w3 = node.w3
        a, b, c, e = node.accounts[1:5]
        who = {A: a, B: b, C: c, E: e, ZERO: ZERO}
        held = deploy(w3, art["TestToken"], "Held", "HLD", 2)

        def at(when: str, fn, sender: str) -> None:
            node.rpc("evm_setNextBlockTimestamp", [_ts(when)])
            w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))

        for i, (when, src, dst, value) in enumerate(TRANSFERS):
            when = f"{when[:-2]}{i:02d}" if when.startswith("2024-02-26") else when
            if src == ZERO:
                at(when, held.functions.mint(who[dst], value), node.accounts[0])
            else:
                at(when, held.functions.transfer(who[dst], value), who[src])
        node.mine()

        cfg = write_config(tmp_path / "holders.toml", (
            f'\n[sources]\nrpc = "{node.url}"\ndata = "store"\noutput = "epochs"\n'
            f'contracts = {{ token = "{held.address}" }}\n\n[tree]\nscheme = "oz"\n'),
            params=PARAMS.replace(E.lower(), e.lower()))
        o = run_epoch(cfg, "2024-03", show=False)
        out = o.job.out
        assert o.manifest.index["datasets"] == ["erc20_transfers"]
        paid = rewards(out)
        names = {a: A, b: B, c: C}
        assert {names[k]: v for k, v in paid.items()} == expected_amounts()

        reward = deploy(w3, art["TestToken"], "Reward", "RWD", 6)
        dist = deploy(w3, art["OzCumulativeClaim"], reward.address,
                      bytes.fromhex(o.manifest.tree.root[2:]))
        w3.eth.wait_for_transaction_receipt(reward.functions.mint(dist.address, BUDGET).transact())
        with Serve(out.parent) as server:
            for account, amount in paid.items():
                # every epoch's claim of the account (one here): the API's claim shape
                found = server.get(f"/v1/programs/holders/claims/{account}").json()
                claim = found["epochs"][0]["claim"]
                assert int(claim["amount"]) == amount
                w3.eth.wait_for_transaction_receipt(
                    dist.functions.claim(account, amount, claim["proof"]).transact())
                assert reward.functions.balanceOf(account).call() == amount

        diff, _, _ = verify(out, rpc=node.url, show=False)
        assert diff.ok, diff.lines()
