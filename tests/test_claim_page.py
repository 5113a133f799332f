"""The reference claim page in real headless Chromium (Debian package): against `epochdrop
serve` on loopback and against an `export-static` site served by a plain HTTP server; the
amount and proof it shows must be proofs.parquet's, the amount in token units as
epochdrop/units.py writes it (the page's JavaScript is run in node against the Python).
Also checks that the static files give the API's JSON shapes."""

from __future__ import annotations

import functools
import json
import random
import re
import subprocess
import tempfile
import threading
from html import unescape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from eth_utils import keccak

from distributor.claims.static import PAGE
from epochdrop.units import format_amount
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
                   token=TOKEN, decimals=6, token_symbol="RWD", program="drop", epoch="1")
        write_claims_csv(base / "b.csv", 3000, seed=12)
        tree_build(base / "b.csv", base / "out" / "drop" / "2", "packed", chain_id=31337,
                   token=TOKEN, decimals=6, token_symbol="RWD", program="drop", epoch="2",
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
           f"{static}/index.html?program=drop&account={account}")  # the site's page knows
    dom = browse(url, "--dump-dom")
    assert field(dom, "error") == ""
    assert field(dom, "r-account") == want["account"]
    assert field(dom, "base") == want["amount"]
    assert field(dom, "amount") == format_amount(int(want["amount"]), 6, "RWD")
    assert field(dom, "index") == want["index"]
    assert (field(dom, "r-program"), field(dom, "r-epoch")) == ("drop", "2")
    assert field(dom, "token").startswith(f"RWD {TOKEN} on chain 31337")
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


def _page_function(name: str) -> str:
    text = PAGE.read_text()
    return text[text.index(f"// BEGIN {name}"):text.index(f"// END {name}")]


def test_page_amounts_are_units_format_amount():
    """The page's formatAmount (run by node) against epochdrop.units.format_amount: edge
    cases (dust, zero, no decimals, unknown decimals, 0 places, uint256 max) and random ones."""
    rng = random.Random(13)
    cases = [(0, 18, "DHT", 2), (1, 18, "DHT", 2), (10**16, 18, None, 2), (10**16 - 1, 18, "X", 2),
             (5, 1, None, 0), (5, 0, "WEI", 2), (123456789, None, None, 2), (2**256 - 1, 18, "T", 2),
             (26843581647097803874783, 18, "DHT", 2), (10**18, 18, "DHT", None), (7, 6, None, None),
             (-1234567, 3, "N", 2), (999999, 6, "U", 2), (1000000, 6, "U", 2)]
    for _ in range(300):
        d = rng.choice([None, 0, 1, 2, 6, 8, 9, 18, 24, 36])
        cases.append((rng.randint(0, 10 ** rng.randint(0, 40)), d, rng.choice([None, "DHT"]),
                      rng.choice([None, 0, 1, 2, 4, 8])))
    script = _page_function("formatAmount") + """
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(([a, d, s, p]) => formatAmount(a, d, s, p))));
"""
    got = subprocess.run(["node", "-e", script], input=json.dumps(
        [[str(a), d, s, p] for a, d, s, p in cases]), capture_output=True, text=True, check=True)
    want = [format_amount(a, d, s, p) for a, d, s, p in cases]
    assert json.loads(got.stdout) == want


def test_page_selectors_are_the_contracts():
    sel = json.loads(re.search(r"const SEL = (\{.*?\});", PAGE.read_text()).group(1)
                     .replace("cumulativeClaimed", '"cumulativeClaimed"')
                     .replace("merkleRoot", '"merkleRoot"').replace("claim:", '"claim":'))
    for name, sig in (("cumulativeClaimed", "cumulativeClaimed(address)"),
                      ("merkleRoot", "merkleRoot()"),
                      ("claim", "claim(address,uint256,bytes32,bytes32[])")):
        assert sel[name] == keccak(text=sig)[:4].hex()
