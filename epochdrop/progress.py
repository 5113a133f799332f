"""The one Rich progress bar style every long command uses (count, rate in the description, ETA)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)

console = Console(stderr=True)


def progress(*, transient: bool = False) -> Progress:
    """A progress bar on stderr; silent when stderr is not a terminal (CI, pipes, tests)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
        disable=not sys.stderr.isatty(),
    )
