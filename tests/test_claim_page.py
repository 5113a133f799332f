"""The reference claim page in real headless Chromium (Debian package): against `epochdrop
serve` on loopback and against an `export-static` site served by a plain HTTP server; the
amount and proof it shows must be proofs.parquet's. Also checks that the static files give
the API's JSON shapes."""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
import threading
from html import unescape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support import chromium
from tests.support.claimsfx import Serve, run_cli, shared_folder, tree_build, write_claims_csv

pytestmark = pytest.mark.xdist_group("claim_page")
TOKEN = "0x00000000000000000000000000000000000000AA"  # EIP-55


def browse(url: str, *extra: str) -> str:
    """Chromium's DOM after the page's scripts ran (virtual time lets fetches finish)."""
    chromium.ensure()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = subprocess.run([str(chromium.CHROMIUM), *chromium.FLAGS,
                               f"--user-data-dir={profile}", *extra, url],
                              capture_output=True, text=True, timeout=120, check=False)
    if "--dump-dom" in extra and not proc.stdout:
        raise AssertionError(f"chromium printed no DOM:\n{proc.stderr[-2000:]}")
    return proc.stdout


def field(dom: str, ident: str) -> str:
    m = re.search(rf'id="{ident}"[^>]*>(.*?)</', dom, re.S)
    return unescape(m.group(1)) if m else ""


def proof_items(dom: str) -> list[str]:
    m = re.search(r'<ol id="proof">(.*?)</ol>', dom, re.S)
    return re.findall(r"<li>(0x[0-9a-f]{64})</li>", m.group(1)) if m else []


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    def build(base):
        write_claims_csv(base / "a.csv", 3000, seed=11)
        tree_build(base / "a.csv", base / "out" / "drop" / "1", "packed", chain_id=31337,
                   token=TOKEN, decimals=6, program="drop", epoch="1")
        write_claims_csv(base / "b.csv", 3000, seed=12)
        tree_build(base / "b.csv", base / "out" / "drop" / "2", "packed", chain_id=31337,
                   token=TOKEN, decimals=6, program="drop", epoch="2",
                   previous=base / "out" / "drop" / "1")
        run_cli("export-static", base / "out", "--out", base / "site")

    base = shared_folder(tmp_path_factory, "claim-page", build)  # once per run, all workers
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(base / "site"))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with Serve(base / "out") as api:
        yield base, api, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def expected(base: Path, epoch: str, i: int) -> dict:
    t = pq.read_table(base / "out" / "drop" / epoch / "proofs.parquet").slice(i, 1).to_pylist()[0]
    return {"account": t["account"], "amount": t["amount"], "index": str(t["index"]),
            "proof": ["0x" + p.hex() for p in t["proof"]]}


@pytest.mark.parametrize("source", ["api", "static"])
def test_page_shows_amount_and_proof(site, source, tmp_path):
    base, api, static = site
    want = expected(base, "2", 17)  # latest epoch, found without naming it
    account = want["account"].lower()
    url = (f"{api.url}/claim?program=drop&account={account}" if source == "api" else
           f"{static}/index.html?static={static}&program=drop&account={account}")
    dom = browse(url, "--dump-dom")
    assert field(dom, "error") == ""
    assert field(dom, "r-account") == want["account"]
    assert field(dom, "amount") == want["amount"]
    assert field(dom, "index") == want["index"]
    assert field(dom, "r-epoch") == "drop / 2"
    amount = int(want["amount"])
    assert field(dom, "tokens") == f"{amount // 10**6}.{amount % 10**6:06d}".rstrip("0").rstrip(".")
    assert proof_items(dom) == want["proof"]
    png = tmp_path / f"claim-page-{source}.png"
    browse(url, f"--screenshot={png}", "--window-size=1000,900")
    assert png.exists() and png.stat().st_size > 10_000


@pytest.mark.parametrize("source", ["api", "static"])
def test_page_reports_unknown_account(site, source):
    base, api, static = site
    nobody = "0x" + "0" * 39 + "1"
    url = (f"{api.url}/claim?program=drop&epoch=1&account={nobody}" if source == "api" else
           f"{static}/index.html?static={static}&program=drop&epoch=1&account={nobody}")
    dom = browse(url, "--dump-dom")
    assert "has no claim" in field(dom, "error")
    assert proof_items(dom) == []


def test_static_files_have_the_api_shapes(site):
    base, api, static = site
    import httpx

    assert httpx.get(f"{static}/programs.json").json() == api.get("/v1/programs").json()
    assert httpx.get(f"{static}/drop/index.json").json() == api.get("/v1/programs/drop").json()
    for epoch in ("1", "2"):
        info = httpx.get(f"{static}/drop/{epoch}/index.json").json()
        assert info == api.get(f"/v1/programs/drop/epochs/{epoch}").json()
        for i in (0, 1234, 2999):
            want = api.get(f"/v1/programs/drop/epochs/{epoch}/claims/"
                           f"{expected(base, epoch, i)['account']}").json()
            key = want["account"][2:].lower()
            name = key[:info["shard_digits"]] or "all"
            shard = httpx.get(f"{static}/drop/{epoch}/proofs/{name}.json").json()
            context = {k: want[k] for k in ("format", "scheme", "root", "chain_id", "token",
                                            "program", "epoch")}
            assert {**context, **shard["claims"][key]} == want
    # Shards are the folder's, byte for byte.
    for f in (base / "out" / "drop" / "1" / "proofs").iterdir():
        assert (base / "site" / "drop" / "1" / "proofs" / f.name).read_bytes() == f.read_bytes()
