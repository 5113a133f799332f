"""Worker processes die with their parent (issue 20, "no orphans").

A worker forked by a process that is then SIGKILLed (the OOM killer, a test's kill) is
re-parented to init and would live on, holding memory and sockets. Linux's
`prctl(PR_SET_PDEATHSIG, SIGKILL)` (man 2 prctl) makes the kernel kill the child when the
thread that forked it exits. The signal is armed after the fork, so a parent that died in
between is caught by comparing `getppid()` with the pid the parent had. Elsewhere than Linux
this is a no-op (the pool's own pipes end idle workers there).
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1   # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> bool:
    """Arm PR_SET_PDEATHSIG=SIGKILL in this (child) process; exit now if `parent_pid` is
    already gone. Returns whether the signal could be armed."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:
        os._exit(1)      # the parent died before the signal was armed
    return armed
