"""Moved: the manifest lives in `epochdrop.folder` (docs/design.md §2). Kept so older
imports keep working; new code imports `epochdrop.folder`."""

from epochdrop.folder.manifest import (FORMAT, MANIFEST, NON_DETERMINISTIC, Manifest,  # noqa: F401
                                       read_manifest, write_manifest)
