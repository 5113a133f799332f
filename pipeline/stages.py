"""Stage timing and display for the long workflow commands (run, verify, whatif, demo).

Each stage gets a Rich progress line while it runs (on stderr, only on a terminal, like every
progress bar here) and its wall time is kept for the summary table the command prints at the
end, so an operator sees where an epoch's time went.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Iterator

from rich.console import Console
from rich.table import Table

from epochdrop.progress import progress

# Wide enough for a full 0x root in a table when stdout is a file or a pipe (Rich's default
# there is 80 columns, which folds roots and paths into unreadable stacks).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)


class Stages:
    """`with stages.stage("score"): ...` records seconds per stage, in order."""

    def __init__(self, title: str = "", *, show: bool = True):
        self.title = title
        self.seconds: dict[str, float] = {}
        self.skipped: set[str] = set()
        self._progress = progress(transient=True) if show else None

    def __enter__(self) -> "Stages":
        if self._progress is not None:
            self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = 1) -> Iterator[callable]:
        """Yields `advance(n=1)` for stages that count steps (tables, epochs …)."""
        task = None
        if self._progress is not None:
            task = self._progress.add_task(f"{self.title} {name}".strip(), total=total)

        def advance(n: int = 1) -> None:
            if task is not None:
                self._progress.advance(task, n)

        t0 = time.monotonic()
        try:
            yield advance
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - t0
            if task is not None:
                self._progress.update(task, completed=total or 1)

    def skip(self, name: str) -> None:
        self.skipped.add(name)
        self.seconds.setdefault(name, 0.0)

    def timing(self) -> str:
        return ", ".join(f"{k} {'skipped' if k in self.skipped else f'{v:.2f}s'}"
                         for k, v in self.seconds.items())


def kv_table(title: str, rows: list[tuple[str, str]]) -> Table:
    t = Table(title=title, show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    for k, v in rows:
        t.add_row(k, v)
    return t
