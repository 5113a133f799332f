"""Proof API bench (issue 8, acceptance 4; DECISIONS D23).

Builds a 1,000,000-claim `packed` epoch with `epochdrop tree build`, starts `epochdrop serve`
once cold (this first start builds the claims index beside the folder) and once warm (the
start-up every later run sees), then drives the warm server with `wrk` (Debian package,
installed if missing) from loopback for --seconds with random accounts of the epoch, three
times; the median run is reported. Only 2xx answers count as requests (wrk's own
Requests/sec counts errors too); non-2xx answers and socket errors are `errors`.
Before the load, a sample of answers is checked against proofs.parquet, so the bench cannot
measure a server that answers wrongly. Server RSS is the sum over the server's processes
(uvicorn parent and workers), read from /proc at the end of the load.

Targets (issue 8, raised by issue 19): >= 10,000 requests/s, p99 <= 5 ms at 2 workers on
1M claims, start-up <= 5 s, RSS <= 500 MB.
Last line: {"requests_per_s", "p50_ms", "p99_ms", "rss_mb", "startup_s"}.

    .venv/bin/python bench/serve.py [--claims 1000000] [--seconds 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import measure  # noqa: E402
from tests.support.claimsfx import Serve, run_cli  # noqa: E402
from tests.support.httpload import get_many  # noqa: E402


def ensure_wrk() -> str | None:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    subprocess.run("apt-get update -q && apt-get install -y -q wrk", shell=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return shutil.which("wrk")


def write_claims(path: Path, n: int) -> None:
    rng = random.Random(4)
    with open(path, "w") as f:
        f.write("account,amount\n")
        for _ in range(n):
            f.write(f"0x{rng.getrandbits(160):040x},{rng.randint(1, 10**24)}\n")


def run_wrk(wrk: str, url: str, accounts_file: Path, seconds: int, connections: int) -> dict:
    lua = accounts_file.with_suffix(".lua")
    lua.write_text(f"""
local accts = {{}}
for line in io.lines("{accounts_file}") do accts[#accts + 1] = line end
math.randomseed({int(time.time())})
request = function()
  return wrk.format("GET", "/v1/programs/bench/epochs/1/claims/" .. accts[math.random(#accts)])
end
""")
    out = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", str(lua), url], capture_output=True, text=True, check=True).stdout
    print(out, file=sys.stderr)

    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    # wrk's "Requests/sec" counts every answer, errors included: only 2xx count here.
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    secs = float(total.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[total.group(3)]
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    ok = int(total.group(1)) - (int(non2xx.group(1)) if non2xx else 0)
    return {"requests_per_s": ok / secs, "p50_ms": ms("50%"), "p99_ms": ms("99%"),
            "errors": errors, "seconds": secs}


def run_python_client(port: int, accounts: list[str], seconds: int) -> dict:
    """Fallback when wrk cannot be installed: the pipelined loopback client, window 1."""
    lat: list[float] = []
    t0, done, errors = time.monotonic(), 0, 0
    while time.monotonic() - t0 < seconds:
        batch = random.sample(accounts, 4000)
        answers = get_many("127.0.0.1", port, [f"/v1/programs/bench/epochs/1/claims/{a}"
                                               for a in batch], connections=8, window=1,
                           latencies=lat)
        done += sum(1 for s, _, _ in answers.values() if 200 <= s < 300)
        errors += len(batch) - sum(1 for s, _, _ in answers.values() if 200 <= s < 300)
    wall = time.monotonic() - t0
    lat.sort()
    return {"requests_per_s": done / wall, "p50_ms": lat[len(lat) // 2] * 1000,
            "p99_ms": lat[int(len(lat) * 0.99)] * 1000, "errors": errors, "seconds": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--folder", type=Path, help="serve this existing `bench` epoch folder "
                    "instead of building one (program bench, epoch 1)")
    args = ap.parse_args()
    import pyarrow.parquet as pq

    work = Path(tempfile.mkdtemp(prefix="bench-serve-", dir=REPO / ".cache"
                                 if (REPO / ".cache").is_dir() else None))
    try:
        csv, folder = work / "claims.csv", args.folder or work / "out" / "bench" / "1"
        build_s = 0.0
        if args.folder is None:
            t0 = time.monotonic()
            write_claims(csv, args.claims)
            t1 = time.monotonic()
            run_cli("tree", "build", csv, "--scheme", "packed", "--out", folder, "--chain-id",
                    "1", "--program", "bench", "--epoch", "1", timeout=1800)
            build_s = time.monotonic() - t1
            print(f"claims file {t1 - t0:.1f} s, tree build {build_s:.1f} s", file=sys.stderr)
        table = pq.read_table(folder / "proofs.parquet")
        accounts = table.column("account").to_pylist()
        sample = random.Random(1).sample(range(len(accounts)), min(100_000, len(accounts)))
        acc_file = work / "accounts.txt"
        acc_file.write_text("\n".join(accounts[i] for i in sample) + "\n")

        extra = ("--workers", str(args.workers))
        with Serve(folder, extra=extra) as cold:
            first_start_s = cold.startup_s  # includes building the claims index
        with Serve(folder, extra=extra) as srv:
            startup_s = srv.startup_s
            check = sample[:2000]
            answers = get_many("127.0.0.1", srv.port, [
                f"/v1/programs/bench/epochs/1/claims/{accounts[i]}" for i in check])
            amounts = table.column("amount")
            proofs = table.column("proof")
            for i in check:
                status, _, body = answers[f"/v1/programs/bench/epochs/1/claims/{accounts[i]}"]
                got = json.loads(body)
                assert status == 200 and got["amount"] == amounts[i].as_py(), accounts[i]
                assert got["proof"] == ["0x" + p.hex() for p in proofs[i].as_py()]
            del table, amounts, proofs
            wrk = ensure_wrk()
            loads = []
            for _ in range(measure.RUNS):     # the median of 3 load runs
                if wrk:
                    loads.append(run_wrk(wrk, srv.url, acc_file, args.seconds, args.connections))
                else:
                    loads.append(run_python_client(srv.port, [accounts[i] for i in sample],
                                                   args.seconds))
            loads.sort(key=lambda x: x["requests_per_s"])
            load = loads[len(loads) // 2]
            rss = measure.tree_rss_mb(srv.proc.pid)
        print(json.dumps({"claims": len(accounts), "tree_build_s": round(build_s, 2),
                          "first_start_s": round(first_start_s, 2), "client": "wrk" if wrk else
                          "python", "workers": args.workers, "connections": args.connections,
                          "seconds": args.seconds, "errors": load["errors"],
                          "timing": "2xx answers only / load seconds; median of 3 load runs",
                          "machine": measure.machine(),
                          "checked_answers": len(check)}))
        print(json.dumps({"requests_per_s": round(load["requests_per_s"], 1),
                          "p50_ms": round(load["p50_ms"], 3), "p99_ms": round(load["p99_ms"], 3),
                          "rss_mb": round(rss, 1), "startup_s": round(startup_s, 2)}))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
