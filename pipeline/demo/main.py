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
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
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


CHAIN_PLAN = [("dhedge", "2024-01"), ("curve", "2024-01-11"), ("curve", "2024-01-18")]
OFFCHAIN_PLAN = [("dydx", "0"), ("dydx", "1"), ("jet", "0"), ("jet_airdrop", "0"),
                 ("mirror", "2021-12-31")]
WHATIFS = {  # name → (program, epoch, --vary): what each governance thread asked to see
    "dhedge-denominator": ("dhedge", "2024-01", ["denominator=12,9,6"]),
    "curve-utilization": ("curve", "2024-01-11", ["utilization=mean_daily,weekly_ratio"]),
    "mirror-cap": ("mirror", "2021-12-31", ["cap=0.4,0.8,1.0"]),
    "dydx-formula": ("dydx", "0", ["formula=launch,stk,dip11,dip15,dip19"]),
}


def _say(t0: float, text: str) -> None:
    out.print(f"[{time.monotonic() - t0:5.1f}s] {text}", markup=False, highlight=False)


def _epochs(root: Path, cfg: dict, plan: list, data_of: dict, whatifs: bool, t0: float,
            quiet: bool) -> list[dict]:
    """run → verify → whatif for one half of the demo (each half in its own process)."""
    from pipeline.run import run_epoch
    from pipeline.verify import verify
    from pipeline.whatif import whatif

    say = (lambda s: None) if quiet else (lambda s: _say(t0, s))
    rows = []
    for program, label in plan:
        o = run_epoch(cfg[program], label, show=False)
        m = o.manifest
        rows.append({"program": program, "epoch": label, "accounts": m.scoring.accounts,
                     "paid": m.scoring.allocated, "token": m.token.symbol,
                     "decimals": m.token.decimals or 0,
                     "scheme": m.scheme or "none", "root": m.root,
                     "out": os.path.normpath(o.job.out),
                     "data": os.path.normpath(o.job.data)})
        say(f"run {program} {label}: {m.scoring.accounts} accounts, root "
            f"{m.root or '— (' + str(m.tree_note) + ')'} ({o.stages.timing()})")
    for r in rows:
        diff, _, _ = verify(r["out"], data=r["data"], show=False)
        r["verified"] = diff.ok
        say(f"verify {r['program']} {r['epoch']}: "
            + ("OK, identical root and files" if diff.ok else "MISMATCH: " + "; ".join(diff.lines())))
    programs = {p for p, _ in plan}
    for name, (program, label, vary) in WHATIFS.items():
        if whatifs and program in programs:
            whatif(program, cfg[program], vary, root / "whatif" / name, epoch=label,
                   data=data_of[program], show=False)
            say(f"whatif {name} ({' '.join(vary)}): {root / 'whatif' / name}/whatif.html")
    return rows


def offchain_half(root: Path, size: Size, seed: int, whatifs: bool, t0: float,
                  quiet: bool = False) -> list[dict]:
    """Generated order books and votes, the Mirror sample: no chain needed (runs in a
    second process while the first one drives the embedded chain)."""
    root = Path(root)
    inputs, configs, epochs_dir = root / "inputs", root / "configs", root / "epochs"
    n_dydx = demo_data.dydx_inputs(inputs / "dydx", seed, [0, 1], size.dydx_scale, size.dydx_makers)
    n_jet = demo_data.jet_inputs(inputs / "jet", seed, 0, size.jet_scale)
    n_votes = demo_data.airdrop_inputs(inputs / "jet_airdrop", seed, size.gov_scale)
    if not quiet:
        _say(t0, f"generated {n_dydx} dYdX and {n_jet} Jet order intervals, {n_votes} "
                 f"governance votes; Mirror sample from data/samples/mirror/")
    data_of = {"dydx": inputs / "dydx", "jet": inputs / "jet",
               "jet_airdrop": inputs / "jet_airdrop", "mirror": MIRROR_SAMPLE}
    cfg = {p: write_config(configs, p, {"data": _rel(d, configs),
                                        "output": _rel(epochs_dir / p, configs)})
           for p, d in data_of.items()}
    return _epochs(root, cfg, OFFCHAIN_PLAN, data_of, whatifs, t0, quiet)


def chain_half(root: Path, size: Size, seed: int, whatifs: bool, t0: float,
               quiet: bool = False) -> list[dict]:
    """The embedded chain, the listener, dHEDGE and Curve."""
    from pipeline.demo.world import simulate

    root = Path(root)
    store, configs, epochs_dir = root / "store", root / "configs", root / "epochs"
    w = simulate(seed, size.investors, size.days)
    if not quiet:
        _say(t0, f"embedded chain {w.chain_id}: {w.transactions} transactions in blocks "
                 f"{w.first_block}–{w.last_block} over {w.days} days by {len(w.investors)} "
                 f"accounts; {len(w.pools)} dHEDGE pools, vDHT lockup, {len(w.curve_pools)} "
                 f"Curve pools, Governor")
    demo_data.eligible_pools(store, root / "inputs" / "dhedge", w.pools, date(2024, 1, 1), w.days,
                             w.chain_id)
    # From the first block after the deployments: a snapshot at an earlier day's block would
    # read contracts that do not exist yet.
    chain = {"rpc": "embedded", "data": _rel(store, configs), "chain_id": w.chain_id,
             "from_block": w.first_block + 1}
    cfg = {
        "dhedge": write_config(configs, "dhedge", {**chain, "contracts": {
            "pools": w.pools, "lockup": w.lockup}, "output": _rel(epochs_dir / "dhedge", configs)},
            # the chain covers fewer days than the month: those days' pot stays unallocated
            {"missing_day": "unpaid"}),
        "curve": write_config(configs, "curve", {**chain, "contracts": {"pools": w.curve_pools},
                                                 "output": _rel(epochs_dir / "curve", configs)}),
    }
    plan = CHAIN_PLAN if size.days >= 26 else CHAIN_PLAN[:2]
    return _epochs(root, cfg, plan, {"dhedge": store, "curve": store}, whatifs, t0, quiet)


def demo(root: Path = DEFAULT_OUT, size: Size = Size(), seed: int = 7, whatifs: bool = True,
         show: bool = True) -> list[dict]:
    """Run the demo into `root`; returns one row per epoch (program, epoch, root, verified).
    The two halves share nothing but the output folder, so they run side by side."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp

    t0 = time.monotonic()
    root = Path(root)
    for sub in ("store", "inputs"):           # rebuilt each time; epoch folders are replaced
        shutil.rmtree(root / sub, ignore_errors=True)
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
