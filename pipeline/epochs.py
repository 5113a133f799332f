"""Finding an epoch's predecessor among the output folders beside it.

Output folders of one program sit side by side (`<output>/<epoch>/`). The previous epoch
matters twice: cumulative trees add this epoch's increment to the previous cumulative
amounts (D5, dYdX MD1), and the report shows the change against it. The predecessor is the
sibling folder of the same program whose epoch window starts latest before this one; labels
differ per program (N, YYYY-MM, YYYY-MM-DD) but every manifest records the window's start.
"""

from __future__ import annotations

from pathlib import Path

from distributor.programs.spec import Epoch
from epochdrop.errors import UserError
from epochdrop.folder import MANIFEST, read_manifest


def previous_folder(out: Path, program: str, epoch: Epoch) -> Path | None:
    """The sibling output folder of `program` with the latest start before `epoch`."""
    parent = Path(out).parent
    if not parent.is_dir():
        return None
    this = epoch.start.isoformat() + "Z"
    best: tuple[str, Path] | None = None
    for m_path in sorted(parent.glob(f"*/{MANIFEST}")):
        folder = m_path.parent
        if folder.name.startswith(".") or folder.resolve() == Path(out).resolve():
            continue
        try:
            m = read_manifest(folder)
        except UserError:
            continue  # not ours, or an old folder that cannot be read: not a predecessor
        start = m.epoch.start
        if m.program != program or start is None or start >= this:
            continue
        if best is None or start > best[0]:
            best = (start, folder)
    return best[1] if best else None


def label_of(folder: Path) -> str:
    return read_manifest(folder).label
