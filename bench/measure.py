"""How every bench times a tool, so comparisons are like for like (issue 19).

`run(cmd)` times ONE whole process from `exec` until it exits (interpreter start, imports,
the work, files flushed to disk: a tool is done when its files are), and samples the summed
RSS of its process tree (the process and every descendant: worker processes count, as
threads do inside one process) every 20 ms; the peak of that sum is `peak_mb`. A forked
child's copy-on-write pages are in both its RSS and its parent's, so that sum counts them
twice; the sum of PSS (each shared page split between its sharers, from smaps_rollup) is
the memory the tree really holds, sampled every 100 ms alongside as `peak_pss_mb`. The same
function times ours and each peer. `median_of(n, f)` runs `f` n times (3 in every bench) and
keeps the run with the median seconds, so no tool gets a best-of while another gets one try.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

RUNS = 3


@dataclass
class Timed:
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str
    peak_pss_mb: float = 0.0


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _kb(path: str, field: str) -> int:
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", Path(path).read_text(), re.M)
    except OSError:
        return 0
    return int(m.group(1)) if m else 0


def tree_rss_mb(pid: int) -> float:
    """RSS of `pid` and all its descendants, from /proc."""
    return sum(_kb(f"/proc/{p}/status", "VmRSS") for p in _tree(pid)) / 1024


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(summed RSS, summed PSS) of `pid` and all its descendants, from /proc."""
    procs = _tree(pid)
    return (sum(_kb(f"/proc/{p}/status", "VmRSS") for p in procs) / 1024,
            sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in procs) / 1024)


def run(cmd: list[str], *, cwd: str | Path | None = None, env: dict | None = None,
        check: bool = True) -> Timed:
    """Wall seconds of the whole process and the peak RSS (and PSS) of its process tree."""
    peak = [0.0, 0.0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample():
        n = 0
        while not done.is_set():
            # PSS walks the page tables (~ms for a GB): every 5th sample, so the sampler
            # takes no noticeable CPU from the tool it measures.
            if n % 5:
                peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            else:
                rss, pss = tree_memory_mb(proc.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            n += 1
            done.wait(0.02)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    th.join()
    if check and proc.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd[:4]))} … failed ({proc.returncode}): "
                 f"{(err or out).strip()[-800:]}")
    return Timed(seconds, peak[0], out, err, peak_pss_mb=peak[1])


def median_of(f, n: int = RUNS):
    """Run `f()` n times; the result whose `.seconds` (or ["seconds"]) is the median."""
    got = [f() for _ in range(n)]
    key = (lambda r: r.seconds) if hasattr(got[0], "seconds") else (lambda r: r["seconds"])
    med = statistics.median_low([key(r) for r in got])
    return next(r for r in got if key(r) == med)


def env_with_repo(repo: Path) -> dict:
    """This checkout first on PYTHONPATH (so subprocesses run this code, not an install)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo)] + [p for p in
                                                       env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def machine() -> str:
    """CPU model, cores and load average: the figures are only as idle as this says."""
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
