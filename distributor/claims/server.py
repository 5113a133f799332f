"""Running the proof API under uvicorn, with one or more worker processes.

The claims indexes are built (if missing) once in the parent process before any worker
starts, so workers never race to write them; each worker then only maps the index files.
Settings reach the workers through one environment variable because uvicorn starts them
from an import string.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from distributor.claims.epochs import load_catalog

ENV = "EPOCHDROP_SERVE_SETTINGS"


def app_from_env():
    """uvicorn factory: the app described by $EPOCHDROP_SERVE_SETTINGS."""
    from distributor.claims.api import create_app
    from distributor.claims.chain import ClaimedReader

    s = json.loads(os.environ[ENV])
    catalog = load_catalog([Path(p) for p in s["folders"]],
                           index_dir=Path(s["index_dir"]) if s.get("index_dir") else None)
    reader = ClaimedReader(s["rpc"], s["contracts"]) if s.get("rpc") else None
    return create_app(catalog, cors_origins=s.get("cors") or None, reader=reader)


def run(folders: list[Path], *, host: str, port: int, workers: int, cors: list[str],
        rpc: str | None, contracts: dict[str, str], index_dir: Path | None,
        log_level: str = "warning") -> None:
    import uvicorn

    catalog = load_catalog(folders, index_dir=index_dir)  # builds missing indexes, checks names
    n = sum(e.index.n for e in catalog.all())
    settings = {"folders": [str(Path(f).resolve()) for f in folders], "cors": cors, "rpc": rpc,
                "contracts": contracts, "index_dir": str(index_dir) if index_dir else None}
    os.environ[ENV] = json.dumps(settings)
    print(f"serving {len(catalog.all())} epoch(s) of {len(catalog.programs)} program(s), "
          f"{n} claims, on http://{host}:{port} (docs at /docs)", flush=True)
    uvicorn.run("distributor.claims.server:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, access_log=False)
