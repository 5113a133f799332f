"""The `epochdrop` entry point: command modules load lazily (pipeline/cli.py), so
`--version` stays fast, while `--help` still lists every command."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.evm import REPO

HEAVY = ["duckdb", "pyarrow", "web3", "eth_utils", "eth_abi", "numpy", "httpx",
         "distributor", "indexer"]

PROBE = """
import json, sys
from pipeline.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": sorted(m for m in %r if m in sys.modules)}))
""" % (HEAVY,)


def probe(*args: str) -> tuple[dict, str]:
    p = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    *out, last = p.stdout.strip().splitlines()
    return json.loads(last), "\n".join(out) + p.stderr


def test_version_imports_no_command_module() -> None:
    res, out = probe("--version")
    assert res == {"code": 0, "loaded": []}
    assert out.strip() == "epochdrop 0.1.0"


def test_one_command_loads_only_its_module() -> None:
    res, out = probe("decode", "--help")       # indexer/cli.py: no DuckDB, no distributor
    assert res["code"] == 0 and "eth_getLogs" in out
    assert "distributor" not in res["loaded"] and "duckdb" not in res["loaded"]


def test_help_lists_every_command() -> None:
    res, out = probe("--help")
    assert res["code"] == 0
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == ["score", "import", "generate", "index", "decode", "index-config", "run",
                      "verify", "whatif", "demo", "tree", "solana", "sample", "serve",
                      "deploy", "publish", "export-static"]


def test_mistyped_command_still_gets_a_suggestion() -> None:
    res, out = probe("scor")
    assert res["code"] == 2 and "Did you mean 'score'?" in out
