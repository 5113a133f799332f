"""`epochdrop verify DIR [--data STORE | --rpc URL] [--config FILE]`: reproduce a published
epoch and say whether it matches.

This is what a third party runs to check an operator (DESIGN "Distribution"). It needs only
the folder and public data: program, epoch, parameters and the tree options come from the
manifest; the inputs come from a store (`--data`), or are re-indexed from an RPC (`--rpc`,
with the block range and contracts the manifest records). With `--config`, the parameters
are taken from that file instead — the agreed config — and any parameter the manifest
states differently is named. The rebuild happens in a private temp folder; nothing next to
DIR is touched. Exit 0 only when the root is identical and every published file is intact.

`verify DIR --contract ADDR --rpc URL` answers the auditor's first question: is the root on
the distributor the one this folder holds, and is that the one public data gives? It reads
`merkleRoot()` of the CumulativeMerkleDistributor (contracts/, ABI in contracts_abi/) at
URL, then rebuilds a `run` folder as above (from `--data`, or re-indexed from URL when the
manifest says its sources were indexed from that chain) or re-checks a `tree build` folder
as `tree check` does, and names whichever of the three differs.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributor import runner
from distributor.programs import load_program
from distributor.programs.params import validate_params
from pipeline import epochs
from pipeline.compare import Diff, compare
from pipeline.run import (Job, compute, data_folder, fingerprint, input_files, resolve_data,
                          write)
from pipeline.stages import Stages
from epochdrop.config import EngineConfig
from epochdrop.errors import FailureError, UserError
from epochdrop.folder import Manifest, read_manifest

ABI = Path(__file__).resolve().parents[1] / "contracts_abi" / "CumulativeMerkleDistributor.json"
EMBEDDED_REFUSAL = ("--rpc embedded: the embedded chain lives only inside the process that "
                    "built it (the demo), so this process has nothing to read; give --data "
                    "STORE (the store the epoch was built from, e.g. data/out/demo/store) or "
                    "the URL of a node (--rpc http://…)")


def job_from_manifest(folder: Path, m: Manifest, data: Path,
                      config: Path | None = None) -> Job:
    """The Job that produced `m`, rebuilt from the manifest (or from `config`'s params)."""
    if m.kind != "epoch" or not m.program:
        raise UserError(f"{folder}/manifest.json: a {m.kind} folder, not an epoch of `run`; "
                        "`tree check` checks a tree folder (or give --contract and --rpc)")
    label = m.epoch.label
    if config is not None:
        prep = runner.prepare(m.program, label, config)
    else:
        spec = load_program(m.program)
        params = validate_params(spec.params, dict(m.params or {}), "manifest.json")
        prep = runner.Prepared(spec, params, spec.epoch(label, params),
                               m.config.model_dump() if m.config else {})
    tree = (m.fingerprint or {}).get("tree") or {}
    return Job(prep=prep, data=data, out=folder, scheme=tree.get("scheme", m.scheme or "none"),
               cumulative=bool(tree.get("cumulative")), expiry_days=tree.get("expiry_days"),
               index=dict(m.index or {}), token=m.token, distributor=m.distributor)


def previous_for(folder: Path, m: Manifest, job: Job) -> Path | None:
    """The previous epoch a cumulative root was built on: found beside DIR, checked by root."""
    prev = (m.fingerprint or {}).get("previous") or {}
    found = epochs.previous_folder(folder, job.program, job.prep.epoch)
    if job.cumulative:
        if not prev.get("root"):
            return None
        if found is None or read_manifest(found).root != prev["root"]:
            raise UserError(f"{folder}: cumulative epoch built on previous epoch "
                            f"{prev.get('epoch')} (root {prev['root']}); put that output "
                            f"folder beside it to verify")
    return found


def verify(folder: str | Path, *, data: str | Path | None = None, rpc: str | None = None,
           config: str | Path | None = None, show: bool = True,
           engine: EngineConfig | None = None) -> tuple[Diff, Manifest, Stages]:
    """Rebuild and compare; returns (diff, published manifest, stage timings). The rebuild
    runs on `engine` (default DuckDB): a folder made on one engine is verified on the other
    by the same comparison, since the outputs are meant to be the same bytes."""
    folder = Path(folder)
    m = read_manifest(folder)
    if rpc is not None:
        refuse_embedded(rpc)
    stages = Stages("verify", show=show)
    with stages, tempfile.TemporaryDirectory(prefix="epochdrop-verify-") as scratch:
        scratch = Path(scratch)
        if rpc is not None:
            from pipeline import index_step

            with stages.stage("index"):
                offchain = data_folder(resolve_data(None, data), "verify") \
                    if data is not None else None
                data_dir = index_step.reindex(m.to_json(), rpc, scratch / "store",
                                              offchain=offchain)
        else:
            data_dir = data_folder(resolve_data(None, data), "verify")
        job = job_from_manifest(folder, m, data_dir, Path(config) if config else None)
        job.out = folder
        job.engine = engine or EngineConfig()
        job.allow_empty = bool(m.scoring and m.scoring.empty)   # rebuilt as it was (intended)
        previous = previous_for(folder, m, job)
        with stages.stage("hash inputs"):
            fp = fingerprint(job, input_files(job), previous)
        computed = compute(job, stages)
        rebuilt = scratch / "rebuilt"
        rebuilt.mkdir()
        rebuilt_manifest = write(job, rebuilt, computed, stages, previous, fp)
        with stages.stage("compare"):
            diff = compare(folder, m.to_json(), rebuilt, rebuilt_manifest.to_json())
    return diff, m, stages


def refuse_embedded(rpc: str) -> None:
    from pipeline import index_step

    if not index_step.reachable(rpc):
        raise UserError(EMBEDDED_REFUSAL)


@dataclass
class Deployed:
    """`verify --contract`: the deployed root against the folder's and the rebuild's."""

    contract: str
    chain_id: int
    onchain: str
    folder: str | None
    rebuild: str | None = None           # run folder: the root rebuilt from public data
    diff: Diff | None = None             # run folder: the whole comparison
    tree_problems: list[str] | None = None  # tree folder: what `tree check` found
    notes: list[str] = field(default_factory=list)

    @property
    def differing(self) -> list[str]:
        """Which of the three differ from the other two (or from each other)."""
        out = []
        if self.onchain != self.folder:
            out.append("deployed root")
        if self.diff is not None and not self.diff.ok:
            out.append("rebuild from public data")
        if self.tree_problems:
            out.append("folder (tree check)")
        return out

    @property
    def ok(self) -> bool:
        return not self.differing

    def lines(self) -> list[str]:
        head = f"on {self.contract} (chain {self.chain_id})"
        out = [f"deployed root: {'identical' if self.onchain == self.folder else 'DIFFERS'} "
               f"{head}: on chain {self.onchain}, folder {self.folder or '(no tree)'}"]
        if self.diff is not None:
            out += self.diff.lines()
        if self.tree_problems is not None:
            out += ([f"tree check: FAIL {p}" for p in self.tree_problems]
                    or ["tree check: ok, every proof verifies, every file matches the manifest"])
        out += [f"note: {n}" for n in self.notes]
        if self.differing:
            agree = ("; the folder and the rebuild agree" if self.diff is not None
                     and self.diff.ok else "")
            out.append(f"differs: {', '.join(self.differing)}{agree}")
        return out


def read_deployed_root(contract: str, rpc: str) -> tuple[str, int, str]:
    """(merkleRoot as 0x-hex, chain id, checksummed address) of the distributor at `rpc`."""
    import json

    from eth_utils import is_address, to_checksum_address
    from web3 import Web3

    if not is_address(contract):
        raise UserError(f"--contract {contract!r} is not an address (0x and 40 hex digits)")
    contract = to_checksum_address(contract)
    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30}))
    try:
        chain_id = w3.eth.chain_id
        code = w3.eth.get_code(contract)
    except Exception as exc:  # noqa: BLE001 - connection errors of several libraries
        raise FailureError(f"--rpc did not answer ({type(exc).__name__})") from None
    if not code:
        raise UserError(f"--contract {contract}: no contract there on chain {chain_id}")
    dist = w3.eth.contract(address=contract, abi=json.loads(ABI.read_text()))
    try:
        root = "0x" + bytes(dist.functions.merkleRoot().call()).hex()
    except Exception:  # noqa: BLE001
        raise UserError(f"--contract {contract} is not a CumulativeMerkleDistributor (no "
                        "merkleRoot())") from None
    return root, chain_id, contract


def verify_deployed(folder: str | Path, *, contract: str, rpc: str,
                    data: str | Path | None = None, config: str | Path | None = None,
                    show: bool = True, engine: EngineConfig | None = None
                    ) -> tuple[Deployed, Manifest, Stages | None]:
    """The deployed root, the folder's and (run folder) the rebuild's, compared."""
    folder = Path(folder)
    m = read_manifest(folder)
    refuse_embedded(rpc)
    onchain, chain_id, contract = read_deployed_root(contract, rpc)
    if m.chain_id is not None and m.chain_id != chain_id:
        raise UserError(f"wrong chain: --rpc is chain {chain_id}, the manifest says "
                        f"{m.chain_id}; give an RPC of chain {m.chain_id}")
    d = Deployed(contract, chain_id, onchain, m.root)
    if m.distributor is not None and m.distributor.address != contract:
        d.notes.append(f"the manifest names distributor {m.distributor.address}, not {contract}")
    if m.kind == "tree":
        from distributor.trees.check import check_folder

        d.tree_problems = check_folder(folder)[0]
        return d, m, None
    if data is None:
        idx = m.index or {}
        if not idx or idx.get("chain_id") != chain_id:
            raise UserError(f"{folder}: to rebuild from public data give --data STORE (its "
                            "sources were not indexed from this chain)")
        diff, _, stages = verify(folder, rpc=rpc, config=config, show=show, engine=engine)
    else:
        diff, _, stages = verify(folder, data=data, config=config, show=show, engine=engine)
    d.diff, d.rebuild = diff, diff.root_rebuilt
    return d, m, stages
