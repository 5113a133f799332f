"""A run report for every command (cryo's reports.rs habit).

Written as `incomplete_<command>_<stamp>.json` when the command starts and renamed to
`<command>_<stamp>.json` with the outcome when it ends, so a killed run leaves evidence.
Reports live outside output folders (which must stay byte-identical, D7): in
`<store>/_runs/` for store commands, and in `<parent>/.epochdrop-runs/<name>/` beside an
output folder.

A command refused for bad input (a `UserError`, exit 2) did nothing, so it leaves nothing:
its report and the folders made for it are removed again (issue 20: "no new file or folder
anywhere" after bad input; the one `error:` line is the record).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from epochdrop import __version__
from epochdrop.fsio import atomic_write_json


def runs_dir_for_output(out: str | os.PathLike) -> Path:
    out = Path(out).resolve()
    return out.parent / ".epochdrop-runs" / out.name


def runs_dir_for_store(store: str | os.PathLike) -> Path:
    return Path(store) / "_runs"


class RunReport:
    """Collects what a command did; use as a context manager around the work."""

    def __init__(self, runs_dir: str | os.PathLike, command: str, arguments: dict[str, Any],
                 engine: Any = None):
        self.dir = Path(runs_dir)
        self.command = command
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.name = f"{command.replace(' ', '_')}_{stamp}_{os.getpid()}.json"
        self.data: dict[str, Any] = {
            "format": "epochdrop-run-report-v1",
            "tool_version": __version__,
            "command": command,
            "arguments": {k: _jsonable(v) for k, v in arguments.items()},
            "argv": sys.argv[1:],
            "started_at": stamp,
            "inputs": {},
            "done": [],
            "failed": [],
        }
        if engine is not None:
            # The engine that computed the scores (an EngineConfig: kind, and master for
            # Spark). It is recorded here, not in the manifest, whose bytes are the same on
            # both engines (docs/design.md §6).
            self.data["engine"] = engine.describe()
        self._t0 = time.monotonic()

    def input(self, name: str, sha256: str) -> None:
        self.data["inputs"][name] = sha256

    def done(self, what: Any) -> None:
        self.data["done"].append(_jsonable(what))

    def failed(self, what: Any) -> None:
        self.data["failed"].append(_jsonable(what))

    def __enter__(self) -> "RunReport":
        self._made = [p for p in (self.dir, *self.dir.parents) if not p.exists()]
        atomic_write_json(self.dir / f"incomplete_{self.name}", self.data)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        from epochdrop.errors import UserError

        if isinstance(exc, UserError):
            (self.dir / f"incomplete_{self.name}").unlink(missing_ok=True)
            for d in self._made:          # deepest first; only if nothing else is there now
                try:
                    d.rmdir()
                except OSError:
                    break
            return
        self.data["seconds"] = round(time.monotonic() - self._t0, 3)
        if exc is not None:
            self.data["failed"].append({"error": type(exc).__name__, "message": str(exc)})
        self.data["status"] = "failed" if self.data["failed"] else "ok"
        atomic_write_json(self.dir / self.name, self.data)
        try:
            os.remove(self.dir / f"incomplete_{self.name}")
        except FileNotFoundError:
            pass


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    return str(v)
