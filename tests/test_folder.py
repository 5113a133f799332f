"""The epoch folder (epochdrop/folder, docs/design.md §2): the manifest model, its shipped
JSON Schema, golden manifests per kind, v1 folders, and the one config reader's `[token]` /
`[distributor]` reaching the manifest (docs/design.md §3).

Golden manifests (tests/golden/manifests/{tree,scores,epoch}.json) are compared with fresh
ones by shape (every key at every depth) and by the values this module decides (format,
kind, labels, token, tree options), not by output hashes, which the program math and the
sample data own. Regenerate them with `EPOCHDROP_REGEN_GOLDEN=1 pytest tests/test_folder.py`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from epochdrop.errors import ConfigError, UserError
from epochdrop.folder import read_manifest
from epochdrop.folder.schema import manifest_schema, schema_bytes
from tests.support.claimsfx import run_cli

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "manifests"
SAMPLES = REPO / "data" / "samples"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DIST = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
CONFIG = f'''program = "dhedge"
[params]
daily_pot = "5000"
free_allowance = "100"
denominator = 12
decimals = 18
[tree]
scheme = "oz"
[token]
address = "{TOKEN.lower()}"
symbol = "DHT"
[sources]
chain_id = 31337
[distributor]
address = "{DIST}"
'''


def validate(data: dict) -> None:
    jsonschema.Draft202012Validator(manifest_schema()).validate(data)


def make(kind: str, tmp: Path) -> Path:
    """A fresh folder of each kind, made through the CLI as a user would."""
    cfg = tmp / "dhedge.toml"
    cfg.write_text(CONFIG)
    out = tmp / kind
    if kind == "tree":
        run_cli("tree", "build", REPO / "tests/golden/trees/claims.csv", "--scheme", "oz",
                "--out", out, "--epoch", "7", "--program", "drop", "--token", TOKEN,
                "--chain-id", "31337", "--token-symbol", "RWD", "--token-decimals", "18")
    elif kind == "scores":
        run_cli("score", "dhedge", "--data", SAMPLES / "dhedge", "--epoch", "2022-03",
                "--out", out, "--config", cfg)
    else:
        run_cli("run", cfg, "--epoch", "2022-03", "--data", SAMPLES / "dhedge", "--out", out)
    return out


PROGRAM_OWNED = {"params", "facts", "fingerprint", "index"}  # their keys are the program's


def shape(v):
    """Keys at every depth (a list by its first item), values dropped; the insides of the
    sections whose keys a program decides are not compared."""
    if isinstance(v, dict):
        return {k: (type(x).__name__ if k in PROGRAM_OWNED else shape(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__ if v is not None else None


def test_schema_shipped_in_docs_is_generated_from_the_model():
    assert (REPO / "docs/manifest.schema.json").read_bytes() == schema_bytes(), \
        "regenerate: python -m epochdrop.folder.schema > docs/manifest.schema.json"


@pytest.mark.parametrize("kind", ["tree", "scores", "epoch"])
def test_golden_manifest_per_kind(tmp_path, kind):
    fresh = json.loads((make(kind, tmp_path) / "manifest.json").read_text())
    validate(fresh)
    if os.environ.get("EPOCHDROP_REGEN_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / f"{kind}.json").write_text(json.dumps(fresh, indent=2, sort_keys=True) + "\n")
    golden = json.loads((GOLDEN / f"{kind}.json").read_text())
    validate(golden)
    assert shape(fresh) == shape(golden)
    for key in ("format", "kind", "program", "epoch", "token", "distributor"):
        assert fresh.get(key) == golden.get(key), key
    assert (fresh["tree"] or {}).get("scheme") == (golden["tree"] or {}).get("scheme")
    m = read_manifest(tmp_path / kind)
    assert m.kind == kind and m.token.address == TOKEN and m.token.chain_id == 31337
    if kind == "tree":
        assert (m.label, m.program, m.token.symbol, m.token.decimals) == ("7", "drop", "RWD", 18)
    else:
        assert (m.label, m.token.symbol, m.token.decimals) == ("2022-03", "DHT", 18)
        assert m.epoch.start == "2022-03-01T00:00:00Z" and m.epoch.end == "2022-04-01T00:00:00Z"
    if kind == "epoch":
        assert m.distributor.address == DIST and m.distributor.chain_id == 31337
        assert m.tree.scheme == "oz" and m.root == m.tree.root and m.chain_id == 31337


@pytest.mark.parametrize("name", ["oz-v1", "packed-v1", "solana-v1", "uniswap-v1"])
def test_v1_tree_folders_are_read_as_v2(name):
    folder = REPO / "tests/golden/trees" / name
    v1 = json.loads((folder / "manifest.json").read_text())
    m = read_manifest(folder)
    assert v1["format"] == "epochdrop-manifest-v1" and m.format == "epochdrop-manifest-v2"
    assert (m.kind, m.root, m.tree.count, m.tree.total, m.tree.leaf) == (
        "tree", v1["root"], v1["count"], v1["total"], v1["leaf_encoding"])
    assert m.label == (v1["epoch"] or name) and isinstance(m.label, str)
    validate(m.to_json())


def test_unknown_or_broken_manifest_is_refused_in_one_line(tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(REPO / "tests/golden/trees/oz-v1", folder)
    m = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**m, "format": "epochdrop-manifest-v0"}))
    with pytest.raises(UserError, match="rebuild the folder with `epochdrop run` or `epochdrop "
                                        "tree build`"):
        read_manifest(folder)
    proc = run_cli("tree", "check", folder, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    (folder / "manifest.json").write_text(json.dumps({**m, "count": "many"}))
    proc = run_cli("tree", "proof", folder, "0x" + "11" * 20, check=False)
    assert proc.returncode == 2 and "not a valid epochdrop-manifest-v1 manifest" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_token_chain_id_defaults_and_overrides(tmp_path):
    from pipeline.config import load_run_config

    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    c = load_run_config(cfg)
    assert (c.token.address, c.chain_id) == (TOKEN, 31337)  # EIP-55; chain from [sources]
    cfg.write_text(CONFIG.replace('symbol = "DHT"', 'symbol = "DHT"\nchain_id = 10'))
    assert load_run_config(cfg).chain_id == 10
    for bad, says in (('symbol = "DHT"', 'symbo = "DHT"'),
                      (f'address = "{TOKEN.lower()}"', 'address = "0x5FbDB2315678afecb367f032d93F642f64180aA3"'),
                      ("[distributor]", "[distributor]\nchain = 1")):
        cfg.write_text(CONFIG.replace(bad, says))
        with pytest.raises(ConfigError) as e:
            load_run_config(cfg)
        assert str(e.value).count("\n") == 0 and str(cfg) in str(e.value)


def test_token_decimals_must_agree_with_params(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.replace('symbol = "DHT"', 'symbol = "DHT"\ndecimals = 6'))
    proc = run_cli("run", cfg, "--epoch", "2022-03", "--data", SAMPLES / "dhedge", "--out",
                   tmp_path / "o", check=False)
    assert proc.returncode == 2 and "token.decimals 6 differs from params.decimals 18" in \
        proc.stderr and not (tmp_path / "o").exists()


def test_score_and_run_share_one_config_reader(tmp_path):
    """`score` used to refuse the `[token]` that `run` needed (two readers, two key lists)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    run_cli("score", "dhedge", "--data", SAMPLES / "dhedge", "--epoch", "2022-03", "--out",
            tmp_path / "s", "--config", cfg)
    cfg.write_text(CONFIG + "[engines]\nkind = 1\n")   # a typo of [engine]: refused alike
    for args in (("score", "dhedge", "--data", SAMPLES / "dhedge", "--epoch", "2022-03",
                  "--out", tmp_path / "s2", "--config", cfg),
                 ("run", cfg, "--epoch", "2022-03", "--data", SAMPLES / "dhedge", "--out",
                  tmp_path / "r2")):
        proc = run_cli(*args, check=False)
        assert proc.returncode == 2 and "unknown top-level key 'engines'" in proc.stderr
