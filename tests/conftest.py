"""Session-wide checks: no test leaves a process behind (issue 20, "no orphans").

Each test process (the only one without xdist, each xdist worker with it) makes itself a
child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`, man 2 prctl): a grandchild whose parent
died — an `index` worker after its CLI was SIGKILLed, an anvil whose fixture forgot it — is
re-parented to this process instead of init, so it is still found at the end. When the
session ends, every descendant still alive after a grace period is listed, killed, and the
run fails. Zombies (exited, not yet reaped) do not count; they are reaped here.

And every manifest the suite writes must validate against the shipped JSON Schema
(docs/manifest.schema.json, generated from epochdrop/folder): after the session, every
`manifest.json` under pytest's temp folders and under the folders tests registered in
`tests/support/manifests.py` (e.g. the shared small demo) is validated. A manifest that is
not ours (another tool's, a what-if's) is skipped by its `format`.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

PR_SET_CHILD_SUBREAPER = 36   # <linux/prctl.h>
GRACE_S = 5.0
# Helpers that exist to outlive the work and end when this process exits (they read a pipe
# from it): multiprocessing's resource tracker and fork server.
HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _procs() -> dict[int, tuple[int, str, str]]:
    """pid → (ppid, state, command line) of every process /proc shows."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()   # comm may hold spaces: cut after ')'
        out[int(name)] = (int(rest[1]), rest[0], cmd or stat[stat.index("(") + 1:stat.rindex(")")])
    return out


def descendants(root: int) -> dict[int, str]:
    """Live (non-zombie) descendants of `root`: pid → command line."""
    procs = _procs()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = {}, list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        ppid, state, cmd = procs[pid]
        if state != "Z" and not any(h in cmd for h in HELPERS):
            out[pid] = cmd
        todo += kids.get(pid, [])
    return out


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


def pytest_configure(config: pytest.Config) -> None:
    config._epochdrop_reaper = not _is_xdist_controller(config) and _subreaper()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not getattr(session.config, "_epochdrop_reaper", False):
        return
    me = os.getpid()
    deadline = time.monotonic() + GRACE_S
    left = descendants(me)
    while left and time.monotonic() < deadline:
        _reap()
        time.sleep(0.2)
        left = descendants(me)
    if not left:
        return
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _reap()
    lines = [f"  pid {pid}: {cmd[:160]}" for pid, cmd in sorted(left.items())]
    sys.stderr.write(f"\nerror: {len(left)} process(es) started by the tests were still alive "
                     f"{GRACE_S:.0f} s after the session (killed now):\n" + "\n".join(lines)
                     + "\n")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


# -- every manifest the suite writes validates against docs/manifest.schema.json ----------

def manifest_problems(roots: list) -> list[str]:
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs/manifest.schema.json")
                        .read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for root in roots:
        for path in sorted(Path(root).rglob("manifest.json")) if Path(root).is_dir() else []:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or data.get("format") != "epochdrop-manifest-v2":
                continue
            for err in validator.iter_errors(data):
                problems.append(f"{path}: {'.'.join(map(str, err.path))}: {err.message}"[:300])
    return problems


@pytest.fixture(scope="session", autouse=True)
def every_manifest_validates(tmp_path_factory):
    from tests.support.manifests import MANIFEST_ROOTS

    yield
    problems = manifest_problems([tmp_path_factory.getbasetemp(), *MANIFEST_ROOTS])
    assert not problems, "manifests that do not match docs/manifest.schema.json:\n" + \
        "\n".join(problems[:20])


# -- one Spark per test process (issue 18; docs/design.md §6) -----------------------------

@pytest.fixture(scope="session")
def spark_engine():
    """The process's SparkSession on `local[2]`, started once and stopped (its JVM too) when
    the session ends, before the orphan check above. Spark is installed by `make test` (the
    `spark` extra and Java 17): a missing one is a failure, not a skip. Tests that use it are
    in xdist group `spark` so one worker holds the only JVM."""
    from distributor.engines.spark.session import get_session, stop_session

    session = get_session("local[2]")
    yield session
    stop_session()
