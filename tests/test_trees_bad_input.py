"""Acceptance 5: bad input -> one clear line naming row and field, exit 2, no output.

One test per case; each also checks that neither the output folder nor a temp sibling
was created (validation runs before any file is written).
"""

from __future__ import annotations

import json


from tests.trees_support import run_cli, run_cli_subprocess

GOOD = "0x" + "ab" * 20
CHECKSUMMED = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"  # EIP-55 test vector


def _fails(tmp_path, text, *extra, name="in.csv", scheme="oz", row=None, field=None,
           words=()):
    src = tmp_path / name
    if text is not None:
        src.write_text(text)
    out = tmp_path / "out"
    proc = run_cli("tree", "build", src, "--scheme", scheme, "--out", out, *extra, check=False)
    assert proc.returncode == 2, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    if row is not None:
        assert f"row {row}" in lines[0], lines[0]
    if field is not None:
        assert f"field '{field}'" in lines[0], lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ([name] if text is not None else [])
    return lines[0]


def test_malformed_address(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},1\n0x12345,2\n", row=2, field="account",
           words=["0x12345"])


def test_wrong_checksum_address(tmp_path):
    bad = "0xFB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
    _fails(tmp_path, f"account,amount\n{CHECKSUMMED},1\n{bad},2\n", row=2, field="account",
           words=["checksum", CHECKSUMMED])


def test_duplicate_account_case_insensitive(tmp_path):
    line = _fails(tmp_path, f"account,amount\n{CHECKSUMMED},1\n{GOOD},5\n"
                  f"{CHECKSUMMED.lower()},2\n", row=3, field="account",
                  words=["--merge-duplicates", "row 1"])
    assert "duplicate" in line


def test_merge_duplicates_sums(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(f"account,amount\n{CHECKSUMMED},1\n{GOOD},5\n{CHECKSUMMED.upper().replace('X', 'x')},2\n")
    run_cli("tree", "build", src, "--scheme", "oz", "--out", tmp_path / "out", "--merge-duplicates")
    claim = json.loads(run_cli("tree", "proof", tmp_path / "out", CHECKSUMMED).stdout)
    assert claim["amount"] == "3"


def test_negative_amount(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},-5\n", row=1, field="amount", words=["negative"])


def test_fraction_without_decimals(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},1.5\n", row=1, field="amount",
           words=["--decimals"])


def test_more_decimals_than_allowed(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},1.125\n", "--decimals", "2", row=1,
           field="amount", words=["3 decimal places", "--decimals 2"])


def test_exponent_and_spaces_rejected(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},1e18\n", row=1, field="amount")


def test_above_uint256(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},{2**256}\n", row=1, field="amount",
           words=["2^256-1"])


def test_index_above_u64(tmp_path):
    """proofs.parquet's index column is uint64: a larger index is refused up front, not
    met as a crash while writing."""
    _fails(tmp_path, f"account,amount,index\n{GOOD},5,{2**64}\n", "--leaf",
           "uint256,address,uint256", row=1, field="index", words=["2^64-1"])


def test_above_u64_for_solana(tmp_path):
    key = "11111111111111111111111111111112"
    _fails(tmp_path, f"account,amount\n{key},{2**64}\n", scheme="solana", row=1,
           field="amount", words=["2^64-1"])


def test_bad_solana_pubkey(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},1\n", scheme="solana", row=1, field="account")


def test_empty_file(tmp_path):
    _fails(tmp_path, "", words=["empty"])


def test_header_only(tmp_path):
    _fails(tmp_path, "account,amount\n", words=["no claims"])


def test_empty_json(tmp_path):
    _fails(tmp_path, "[]", name="in.json", words=["no claims"])


def test_missing_column(tmp_path):
    _fails(tmp_path, f"address,amount\n{GOOD},1\n", field="account", words=["missing column"])


def test_unknown_scheme(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},1\n", scheme="merkletools",
           words=["unknown scheme", "oz, uniswap, packed, solana"])


def test_unreadable_file_missing(tmp_path):
    _fails(tmp_path, None, name="nope.csv", words=["nope.csv", "cannot read"])


def test_unreadable_file_corrupt_parquet(tmp_path):
    _fails(tmp_path, "this is not parquet", name="in.parquet", words=["cannot read"])


def test_empty_cell(tmp_path):
    _fails(tmp_path, f"account,amount\n{GOOD},\n", row=1, field="amount", words=["empty"])


def test_exit_code_through_console_entry_point(tmp_path):
    """The same edge, through a separate interpreter as a shell would run it."""
    src = tmp_path / "in.csv"
    src.write_text(f"account,amount\n{GOOD},-1\n")
    proc = run_cli_subprocess("tree", "build", src, "--scheme", "packed", "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: in.csv, row 1, field 'amount': '-1' is negative; amounts must be >= 0"]
    assert not (tmp_path / "o").exists()


def test_missing_option_is_a_usage_error(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(f"account,amount\n{GOOD},1\n")
    proc = run_cli("tree", "build", src, "--scheme", "oz", check=False)
    assert proc.returncode == 2
    assert "Missing option '--out'" in proc.stderr and "Traceback" not in proc.stderr
