"""Run one job in a forked child while the parent does other work (the second core).

Writing proof shards, proofs.parquet and the native file mixes interpreter work (which
holds the GIL) with Arrow and numpy calls; two processes never wait on one GIL, and a fork
shares the built tree copy-on-write instead of copying it. The child's result comes back pickled through a
pipe. Where `fork` does not exist, or for small jobs, the job simply runs inline.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import traceback
from typing import Any, Callable

from epochdrop.errors import InternalError


class Forked:
    def __init__(self, job: Callable[[], Any], *, inline: bool = False):
        self.pid = None
        if inline or not hasattr(os, "fork"):
            self.value = job()
            return
        r, w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(r)
                data = pickle.dumps(("ok", job()))
            except BaseException:
                data, code = pickle.dumps(("error", traceback.format_exc())), 1
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
            os._exit(code)
        os.close(w)
        self.pid, self.fd = pid, r

    def result(self) -> Any:
        if self.pid is None:
            return self.value
        with os.fdopen(self.fd, "rb") as f:
            data = f.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        try:
            kind, value = pickle.loads(data)
        except Exception:
            raise InternalError(f"forked job died (status {status})") from None
        if kind != "ok":
            raise InternalError(f"forked job failed:\n{value}")
        self.value = value
        return value


class SharedRange:
    """0..n-1 handed out in batches to whichever process asks next, through a counter in
    shared memory made before the fork: parent and child both drain one queue of shards,
    so neither waits for the other whatever else each had to write first."""

    def __init__(self, n: int, batch: int = 16):
        self.n, self.batch = n, batch
        self.next = multiprocessing.Value("q", 0)

    def __iter__(self):
        while True:
            with self.next.get_lock():
                a = self.next.value
                self.next.value = a + self.batch
            if a >= self.n:
                return
            yield from range(a, min(a + self.batch, self.n))
