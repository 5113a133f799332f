"""Headless Chromium driven over the DevTools protocol, for pages at a phone's width.

`chromium --window-size` cannot go below 500 px wide in headless mode, so a 390×844 phone
needs `Emulation.setDeviceMetricsOverride` (the same call DevTools' device toolbar makes,
https://chromedevtools.github.io/devtools-protocol/tot/Emulation/#method-setDeviceMetricsOverride).
This is a minimal client on `websockets` (already a dependency of the stack): one browser per
`Browser`, one tab, the calls the page tests need — open at a viewport, evaluate, screenshot;
and for the claim page (tests/test_journeys_claim.py J2b): a script injected before the page's
own (a test wallet as `window.ethereum`), navigation to a URL, waiting for a condition.
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from tests.support import chromium


class Browser:
    def __init__(self) -> None:
        self._events: list[dict] = []
        chromium.ensure()
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-cdp-")
        flags = [f for f in chromium.FLAGS if not f.startswith("--virtual-time-budget")]
        self._proc = subprocess.Popen(
            [str(chromium.CHROMIUM), *flags, "--remote-debugging-port=0",
             f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        self.port = int(port_file.read_text().split()[0])
        self._ids = itertools.count(1)
        with connect(f"ws://127.0.0.1:{self.port}{port_file.read_text().split()[1]}",
                     max_size=None) as b:
            target = self._call(b, "Target.createTarget", {"url": "about:blank"})["targetId"]
        self._conn = connect(f"ws://127.0.0.1:{self.port}/devtools/page/{target}",
                             max_size=None, open_timeout=30)
        self._ws = self._conn.__enter__()
        self.call("Page.enable")

    def _call(self, ws, method: str, params: dict | None = None, timeout: float = 120) -> Any:
        i = next(self._ids)
        ws.send(json.dumps({"id": i, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._events.append(msg)

    def call(self, method: str, params: dict | None = None) -> Any:
        return self._call(self._ws, method, params)

    def open(self, page: Path, width: int, height: int, mobile: bool = False) -> None:
        """Load `page` in a `width`×`height` viewport and wait for its load event."""
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        self._events = []
        self.call("Page.navigate", {"url": page.resolve().as_uri()})
        deadline = time.monotonic() + 120
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            msg = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self._events.append(msg)
        self.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")

    def evaluate(self, expression: str) -> Any:
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def add_script(self, source: str) -> None:
        """Run `source` before any script of every page loaded after this (e.g. a wallet)."""
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        """Poll until `expression` is truthy in the page; returns its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the page is still loading, or the element is not there yet
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}; page text: "
                             f"{self.evaluate('document.body && document.body.innerText')!r}")

    def text(self, ident: str) -> str:
        return self.evaluate(f"document.getElementById({json.dumps(ident)}).textContent")

    def screenshot(self, png: Path, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            w, h = self.evaluate("[document.documentElement.scrollWidth,"
                                 " document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": w, "height": min(h, 12000), "scale": 1})
        data = base64.b64decode(self.call("Page.captureScreenshot", params)["data"])
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(data)
        return png

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.__exit__(None, None, None)
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._profile.cleanup()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
