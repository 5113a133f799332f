"""Running the proof API under uvicorn, with one or more worker processes.

The claims indexes are built (if missing) once in the parent process before any worker
starts, so workers never race to write them; each worker then only maps the index files.
Settings reach the workers through one environment variable because uvicorn starts them
from an import string. The port is tried before "serving … on" is printed (issue 20): a busy
port or an unknown host is one `error:` line naming the flag, exit 2, not uvicorn's Errno 98
after the announcement.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from distributor.claims.epochs import load_catalog

ENV = "EPOCHDROP_SERVE_SETTINGS"


def app_from_env():
    """uvicorn factory: the app described by $EPOCHDROP_SERVE_SETTINGS."""
    s = json.loads(os.environ[ENV])
    catalog = load_catalog([Path(p) for p in s["folders"]],
                           index_dir=Path(s["index_dir"]) if s.get("index_dir") else None)
    return _app(catalog, s)


def _app(catalog, s: dict):
    from distributor.claims.api import create_app
    from distributor.claims.chain import ClaimedReader

    reader = ClaimedReader(s["rpc"], s["contracts"]) if s.get("rpc") else None
    return create_app(catalog, cors_origins=s.get("cors") or None, reader=reader)


def check_port(host: str, port: int) -> None:
    """Bind `host:port` as uvicorn will (SO_REUSEADDR) and let go; UserError when it fails."""
    import socket

    from epochdrop.errors import UserError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(f"--host {host!r}: not an address this machine has ({exc})") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            flag = "--port" if exc.errno in (98, 13) else "--host"   # EADDRINUSE, EACCES
            raise UserError(f"{flag}: cannot listen on {host}:{port} "
                            f"({exc.strerror or exc}); choose another {flag[2:]}") from None


def run(folders: list[Path], *, host: str, port: int, workers: int, cors: list[str],
        rpc: str | None, contracts: dict[str, str], index_dir: Path | None,
        log_level: str = "warning") -> None:
    import uvicorn

    check_port(host, port)
    catalog = load_catalog(folders, index_dir=index_dir, open_index=workers == 1)
    settings = {"folders": [str(Path(f).resolve()) for f in folders], "cors": cors, "rpc": rpc,
                "contracts": contracts, "index_dir": str(index_dir) if index_dir else None}
    os.environ[ENV] = json.dumps(settings)
    print(f"serving {len(catalog.all())} epoch(s) of {len(catalog.programs)} program(s), "
          f"on http://{host}:{port} (docs at /docs)", flush=True)
    common = dict(host=host, port=port, log_level=log_level, access_log=False)
    if workers == 1:
        uvicorn.run(_app(catalog, settings), **common)
    else:
        # Replace this process (and the CLI's imports, ~100 MB) by a bare uvicorn supervisor.
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "uvicorn", "--factory",
                                  "distributor.claims.server:app_from_env", "--host", host,
                                  "--port", str(port), "--workers", str(workers),
                                  "--log-level", log_level, "--no-access-log"])
