"""The session-end check of tests/conftest.py fails a run that leaves a process behind, even
one whose parent is gone (re-parented to the test process, a subreaper), and passes a clean
run. Checked by running pytest on a two-line test file in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

LEAKY = '''
import subprocess, sys
def test_leaks_an_orphan():
    # a child that starts a grandchild and exits at once: the grandchild is an orphan
    subprocess.run([sys.executable, "-c",
                    "import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
                    "'import time; time.sleep(120)'])"], check=True)
'''
CLEAN = '''
import subprocess, sys
def test_waits_for_its_child():
    subprocess.run([sys.executable, "-c", "pass"], check=True)
'''


def _pytest(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_x.py").write_text(body)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p",
                           "no:cacheprovider", "-p", "tests.conftest", "--rootdir",
                           str(tmp_path), str(tmp_path / "test_x.py")],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)


def test_an_orphan_fails_the_session(tmp_path):
    p = _pytest(tmp_path, LEAKY)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 passed" in p.stdout
    assert "still alive" in p.stderr and "time.sleep(120)" in p.stderr


def test_a_clean_session_passes(tmp_path):
    p = _pytest(tmp_path, CLEAN)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "still alive" not in p.stderr
