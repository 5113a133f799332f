"""Folders outside pytest's temp folders whose manifests the session-end check in
tests/conftest.py validates (the shared small demo writes to its own temp folder)."""

from __future__ import annotations

from pathlib import Path

MANIFEST_ROOTS: list[Path] = []
