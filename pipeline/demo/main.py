"""`epochdrop demo`: the whole product on one machine, no server, no key, in a few minutes.

1. An embedded EVM (eth-tester on py-evm, in process) gets the emitter contracts with the
   real dHEDGE / vDHT lockup / Curve / Governor event signatures and a month of activity by a
   few dozen accounts (demo_world.py).
2. Generated order books for dYdX and Jet, generated governance votes, the Mirror sample from
   data/samples, and the off-chain dHEDGE eligible-pool list (demo_data.py).
3. Every program epoch runs through `epochdrop run`'s code (the dHEDGE and Curve epochs index
   the chain through the real listener on `--rpc embedded`), then `verify` rebuilds each one
   from its inputs, and `whatif` draws the four governance comparisons.
The outputs land in data/out/demo/ (git-ignored): configs/, store/, inputs/, epochs/,
whatif/. The chain, and so every root, is the same on every run (D9).

A rerun that changes nothing does nothing (issue 19): `.demo/` remembers, under a key of the
seed, the size and the code (`demo_key`), the world an earlier run indexed (its store's
checkpoints cover blocks first..last, so the chain is not rebuilt and nothing is re-indexed:
each epoch's row records its RPC calls, zero then), the inputs it generated, the manifests
`verify` found identical and the what-ifs it drew. An epoch folder that `run` finds up to date
(pipeline/run.py `up_to_date`) with the same manifest as a verified one is not verified again;
anything else — another seed or size, other code, a missing or changed folder — is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from rich.table import Table

from distributor.programs import default_config_path
from distributor.report.token import token_of
from epochdrop.units import format_amount
from pipeline.demo import data as demo_data
from pipeline.stages import out

DEFAULT_OUT = Path("data/out/demo")
MIRROR_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "mirror"


@dataclass
class Size:
    investors: int = 36
    days: int = 32
    dydx_scale: float = 0.2
    dydx_makers: int = 10
    jet_scale: float = 0.05
    gov_scale: float = 0.05


SMALL = Size(investors=12, days=22, dydx_scale=0.05, dydx_makers=6, jet_scale=0.02,
             gov_scale=0.02)


def write_config(folder: Path, program: str, sources: dict, params: dict | None = None) -> Path:
    """The program's documented defaults (with `params` set) plus a [sources] table."""
    text = default_config_path(program).read_text().rstrip() + "\n\n[sources]\n"
    for k, v in (params or {}).items():   # replace the default's line, or add one
        line = f"{k} = {_toml(v)}"
        text, n = re.subn(rf"(?m)^{re.escape(k)}\s*=.*$", line, text, count=1)
        if not n:
            text = text.replace("[params]\n", f"[params]\n{line}\n", 1)
    for k, v in sources.items():
        if isinstance(v, dict):
            inner = ", ".join(f"{kk} = {_toml(vv)}" for kk, vv in v.items())
            text += f"{k} = {{ {inner} }}\n"
        else:
            text += f"{k} = {_toml(v)}\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{program}.toml"
    path.write_text(text)
    return path


def _toml(v) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return str(v).lower() if isinstance(v, bool) else str(v)


def _rel(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start.resolve())


CHAIN_PLAN = [("dhedge", "2024-01"), ("curve", "2024-01-11"), ("curve", "2024-01-18"),
              ("holders", "2024-01")]
LONG_ONLY = ("curve", "2024-01-18")  # --small's 22 days do not reach that week's end
OFFCHAIN_PLAN = [("dydx", "0"), ("dydx", "1"), ("jet", "0"), ("jet_airdrop", "0"),
                 ("mirror", "2021-12-31")]
WHATIFS = {  # name → (program, epoch, --vary): what each governance thread asked to see
    "dhedge-denominator": ("dhedge", "2024-01", ["denominator=12,9,6"]),
    "curve-utilization": ("curve", "2024-01-11", ["utilization=mean_daily,weekly_ratio"]),
    "mirror-cap": ("mirror", "2021-12-31", ["cap=0.4,0.8,1.0"]),
    "dydx-formula": ("dydx", "0", ["formula=launch,stk,dip11,dip15,dip19"]),
}


def demo_key(part: str, size: Size, seed: int) -> str:
    """What decides `part` of the demo: seed, size and the code (every .py/.sql/.toml that
    decides outputs, pipeline run's `code_sha256`, plus the pipeline package and the demo's
    compiled contracts)."""
    from pipeline.run import code_sha256

    h = hashlib.sha256(json.dumps([part, seed, asdict(size), code_sha256()]).encode())
    base = Path(__file__).resolve().parents[1]
    for f in sorted(p for ext in ("py", "json") for p in base.rglob(f"*.{ext}")):
        if "__pycache__" not in f.parts:
            h.update(f.relative_to(base).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _state(root: Path, name: str) -> Path:
    return Path(root) / ".demo" / f"{name}.json"


def _recall(root: Path, name: str, key: str) -> dict | None:
    """The remembered facts of `name` when they were stored under `key`, else None."""
    try:
        data = json.loads(_state(root, name).read_text())
    except (OSError, ValueError):
        return None
    return data.get("facts") if data.get("key") == key else None


def _remember(root: Path, name: str, key: str, facts: dict) -> None:
    from epochdrop.fsio import atomic_write_json

    atomic_write_json(_state(root, name), {"key": key, "facts": facts})


def _forget(root: Path, name: str) -> None:
    _state(root, name).unlink(missing_ok=True)


def _manifest_sha(folder: str | Path) -> str:
    return hashlib.sha256((Path(folder) / "manifest.json").read_bytes()).hexdigest()


def _say(t0: float, text: str) -> None:
    out.print(f"[{time.monotonic() - t0:5.1f}s] {text}", markup=False, highlight=False)


def _epochs(root: Path, cfg: dict, plan: list, data_of: dict, whatifs: bool, t0: float,
            quiet: bool, key: str) -> list[dict]:
    """run → verify → whatif for one half of the demo (each half in its own process)."""
    from indexer.api import rpc_calls
    from pipeline.run import run_epoch
    from pipeline.verify import verify
    from pipeline.whatif import whatif

    say = (lambda s: None) if quiet else (lambda s: _say(t0, s))
    rows = []
    for program, label in plan:
        calls = rpc_calls()
        o = run_epoch(cfg[program], label, show=False)
        m = o.manifest
        rows.append({"program": program, "epoch": label, "accounts": m.scoring.accounts,
                     "paid": m.scoring.allocated, "token": m.token.symbol,
                     "decimals": m.token.decimals or 0,
                     "scheme": m.scheme or "none", "root": m.root,
                     "out": os.path.normpath(o.job.out),
                     "data": os.path.normpath(o.job.data),
                     "fresh": o.fresh, "rpc_calls": rpc_calls() - calls,
                     "stages": {k: round(v, 3) for k, v in o.stages.seconds.items()}})
        say(f"run {program} {label}: {m.scoring.accounts} accounts, root "
            f"{m.root or '— (' + str(m.tree_note) + ')'} ({o.stages.timing()}"
            f"{'' if o.fresh else '; up to date'})")
    for r in rows:
        name = f"verified-{r['program']}-{r['epoch']}"
        sha = _manifest_sha(r["out"])
        if not r["fresh"] and (_recall(root, name, key) or {}).get("manifest_sha256") == sha:
            r["verified"] = True
            say(f"verify {r['program']} {r['epoch']}: OK (this manifest was verified by an "
                f"earlier run of the same code; unchanged since)")
            continue
        _forget(root, name)
        diff, _, _ = verify(r["out"], data=r["data"], show=False)
        r["verified"] = diff.ok
        if diff.ok:
            _remember(root, name, key, {"manifest_sha256": sha})
        say(f"verify {r['program']} {r['epoch']}: "
            + ("OK, identical root and files" if diff.ok else "MISMATCH: " + "; ".join(diff.lines())))
    programs = {p for p, _ in plan}
    shas = {(r["program"], r["epoch"]): _manifest_sha(r["out"]) for r in rows}
    for name, (program, label, vary) in WHATIFS.items():
        if whatifs and program in programs:
            folder = root / "whatif" / name
            facts = {"epoch_manifest_sha256": shas.get((program, label)), "vary": vary}
            if (_recall(root, f"whatif-{name}", key) == facts
                    and (folder / "whatif.html").is_file()):
                say(f"whatif {name}: up to date ({folder}/whatif.html)")
                continue
            _forget(root, f"whatif-{name}")
            whatif(program, cfg[program], vary, folder, epoch=label,
                   data=data_of[program], show=False)
            _remember(root, f"whatif-{name}", key, facts)
            say(f"whatif {name} ({' '.join(vary)}): {folder}/whatif.html")
    return rows


def offchain_half(root: Path, size: Size, seed: int, whatifs: bool, t0: float,
                  quiet: bool = False) -> list[dict]:
    """Generated order books and votes, the Mirror sample: no chain needed (runs in a
    second process while the first one drives the embedded chain)."""
    root = Path(root)
    inputs, configs, epochs_dir = root / "inputs", root / "configs", root / "epochs"
    key = demo_key("offchain", size, seed)
    made = _recall(root, "inputs", key)
    if made is None or not all((inputs / p).is_dir() for p in ("dydx", "jet", "jet_airdrop")):
        _forget(root, "inputs")
        for p in ("dydx", "jet", "jet_airdrop"):
            shutil.rmtree(inputs / p, ignore_errors=True)
        made = {"dydx": demo_data.dydx_inputs(inputs / "dydx", seed, [0, 1], size.dydx_scale,
                                              size.dydx_makers),
                "jet": demo_data.jet_inputs(inputs / "jet", seed, 0, size.jet_scale),
                "votes": demo_data.airdrop_inputs(inputs / "jet_airdrop", seed, size.gov_scale)}
        _remember(root, "inputs", key, made)
        verb = "generated"
    else:
        verb = "reusing the generated"
    if not quiet:
        _say(t0, f"{verb} {made['dydx']} dYdX and {made['jet']} Jet order intervals, "
                 f"{made['votes']} governance votes; Mirror sample from data/samples/mirror/")
    data_of = {"dydx": inputs / "dydx", "jet": inputs / "jet",
               "jet_airdrop": inputs / "jet_airdrop", "mirror": MIRROR_SAMPLE}
    cfg = {p: write_config(configs, p, {"data": _rel(d, configs),
                                        "output": _rel(epochs_dir / p, configs)})
           for p, d in data_of.items()}
    return _epochs(root, cfg, OFFCHAIN_PLAN, data_of, whatifs, t0, quiet, key)


def chain_half(root: Path, size: Size, seed: int, whatifs: bool, t0: float,
               quiet: bool = False) -> list[dict]:
    """The embedded chain, the listener, dHEDGE and Curve."""
    from pipeline.demo.world import World, simulate

    root = Path(root)
    store, configs, epochs_dir = root / "store", root / "configs", root / "epochs"
    key = demo_key("chain", size, seed)
    known = _recall(root, "world", key)
    if known is not None and (store / "_state").is_dir():
        # The same world was built and fully indexed by an earlier run (the stamp is written
        # only after every chain epoch ran): its checkpoints cover first..last, so nothing
        # is rebuilt or re-indexed, and no RPC call is sent.
        w = World(**known)
        if not quiet:
            _say(t0, f"embedded chain {w.chain_id}: blocks {w.first_block}–{w.last_block} "
                     f"already indexed in {store} by an earlier run (same seed, size and code)")
    else:
        _forget(root, "world")
        shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(root / "inputs" / "dhedge", ignore_errors=True)
        w = simulate(seed, size.investors, size.days)
        if not quiet:
            _say(t0, f"embedded chain {w.chain_id}: {w.transactions} transactions in blocks "
                     f"{w.first_block}–{w.last_block} over {w.days} days by {len(w.investors)} "
                     f"accounts; {len(w.pools)} dHEDGE pools, vDHT lockup, {len(w.curve_pools)} "
                     f"Curve pools, Governor, a held ERC-20")
        demo_data.eligible_pools(store, root / "inputs" / "dhedge", w.pools, date(2024, 1, 1),
                                 w.days, w.chain_id)
    # From the first block after the deployments (a snapshot at an earlier day's block would
    # read contracts that do not exist yet) to the world's last block: a fixed range, which
    # the store's checkpoints cover once indexed.
    chain = {"rpc": "embedded", "data": _rel(store, configs), "chain_id": w.chain_id,
             "from_block": w.first_block + 1, "to_block": w.last_block}
    cfg = {
        "dhedge": write_config(configs, "dhedge", {**chain, "contracts": {
            "pools": w.pools, "lockup": w.lockup}, "output": _rel(epochs_dir / "dhedge", configs)},
            # the chain covers fewer days than the month: those days' pot stays unallocated
            {"missing_day": "unpaid"}),
        "curve": write_config(configs, "curve", {**chain, "contracts": {"pools": w.curve_pools},
                                                 "output": _rel(epochs_dir / "curve", configs)}),
        "holders": write_config(configs, "holders", {**chain, "contracts": {
            "token": w.held_token}, "output": _rel(epochs_dir / "holders", configs)},
            params={"token": w.held_token, "exclude": [w.exchange], "min_balance": "500"}),
    }
    plan = [p for p in CHAIN_PLAN if size.days >= 26 or p != LONG_ONLY]
    rows = _epochs(root, cfg, plan, {p: store for p in cfg}, whatifs, t0, quiet, key)
    _remember(root, "world", key, asdict(w))
    return rows


def demo(root: Path = DEFAULT_OUT, size: Size = Size(), seed: int = 7, whatifs: bool = True,
         show: bool = True) -> list[dict]:
    """Run the demo into `root`; returns one row per epoch (program, epoch, root, verified).
    The two halves share nothing but the output folder, so they run side by side."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp

    t0 = time.monotonic()
    root = Path(root)
    # store/ and inputs/ are kept when `.demo/` says an identical earlier run made them (each
    # half checks its own part); epoch folders are replaced unless up to date.
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        other = pool.submit(offchain_half, root, size, seed, whatifs, t0, not show)
        rows = chain_half(root, size, seed, whatifs, t0, not show)
        rows += other.result()
    if show:
        out.print(summary_table(rows, time.monotonic() - t0))
    return rows


def summary_table(rows: list[dict], seconds: float) -> Table:
    """The demo's closing table. The time is this run's wall clock on this machine (it varies
    with load; bench/ owns the measured figure), so the title says "took", not a promise."""
    t = Table(title=f"epochdrop demo — {len(rows)} epochs, took {seconds:.0f} s on this machine",
              title_justify="left")
    for col in ("program", "epoch", "accounts", "paid", "root", "verify", "output"):
        # roots and paths fold onto a second line in a narrow terminal, never get cut
        t.add_column(col, no_wrap=col not in ("root", "output"), overflow="fold",
                     justify="right" if col in ("accounts", "paid") else "left")
    for r in rows:
        t.add_row(r["program"], r["epoch"], str(r["accounts"]),
                  format_amount(int(r["paid"]), r["decimals"], r["token"]),
                  r["root"] or f"— ({r['scheme']})", "OK" if r.get("verified") else "MISMATCH",
                  f"{r['out']}/")
    return t
