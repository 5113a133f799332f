"""Headless Chromium driven over the DevTools protocol (CDP), for pages that need a click or
an injected script: `--dump-dom` alone cannot press a button or add `window.ethereum`.

A tiny client on the `websockets` package (already installed with web3): start Chromium with
`--remote-debugging-port=0`, read the port it chose from DevToolsActivePort, attach to the
page target, then `evaluate` JavaScript and `wait_for` conditions.

    with Browser() as b:
        b.add_script(INJECTED)          # runs before any page script, on every navigation
        b.goto(url)
        b.wait_for("document.querySelector('#amount').textContent !== ''")
        b.evaluate("document.querySelector('#claim').click()")
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.support import chromium


class Browser:
    def __init__(self, timeout: float = 60):
        self.timeout = timeout
        self._ids = itertools.count(1)

    def __enter__(self) -> "Browser":
        chromium.ensure()
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-cdp-")
        flags = [f for f in chromium.FLAGS if not f.startswith("--virtual-time-budget")]
        self.proc = subprocess.Popen(
            [str(chromium.CHROMIUM), *flags, f"--user-data-dir={self._profile.name}",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        active = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not (active.exists() and active.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.__exit__()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(active.read_text().split()[0])
        pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json()
                 if t["type"] == "page"]
        self._stack = contextlib.ExitStack()  # websockets wants connect() as a context manager
        self.ws = self._stack.enter_context(connect(pages[0]["webSocketDebuggerUrl"],
                                                    max_size=None, open_timeout=self.timeout))
        self.send("Page.enable")
        self.send("Runtime.enable")
        return self

    def send(self, method: str, **params) -> dict:
        """One CDP command; events that arrive meanwhile are dropped."""
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=self.timeout))
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def add_script(self, source: str) -> None:
        self.send("Page.addScriptToEvaluateOnNewDocument", source=source)

    def goto(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def evaluate(self, expression: str):
        r = self.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                      returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None):
        """Poll until `expression` is truthy; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}; page text: "
                             f"{self.evaluate('document.body && document.body.innerText')!r}")

    def text(self, ident: str) -> str:
        return self.evaluate(f"document.getElementById({json.dumps(ident)}).textContent")

    def __exit__(self, *exc) -> None:
        stack = getattr(self, "_stack", None)
        if stack is not None:
            stack.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self._profile.cleanup()
