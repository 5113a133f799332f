"""Solana JSON-RPC over plain httpx, retried through the shared retry module.

solana-py 0.41 only has an AsyncClient and its response models cost more than the decoding
(FACTS.md); the listener needs just five methods, so they are plain JSON-RPC calls, batched
(one HTTP request carries up to `batch` getTransaction calls) and run a few at a time.
HTTP 429/5xx, timeouts, truncated or malformed bodies and JSON-RPC internal errors become
TransientError and are retried with backoff (indexer/retry.py); exhaustion is FailureError.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson

from indexer.retry import (DEFAULT_POLICY, RetryPolicy, TransientError, classify_http_status,
                           classify_rpc_error, with_retries)


class SolanaRpc:
    def __init__(self, url: str, *, timeout: float = 5.0, policy: RetryPolicy = DEFAULT_POLICY,
                 batch: int = 50, concurrency: int = 4):
        self.url, self.policy, self.batch, self.concurrency = url, policy, batch, concurrency
        self.client = httpx.Client(timeout=timeout, limits=httpx.Limits(
            max_connections=concurrency + 1, max_keepalive_connections=concurrency + 1))
        self.calls = 0

    def close(self) -> None:
        self.client.close()

    def _post(self, payload: Any) -> Any:
        self.calls += 1
        try:
            resp = self.client.post(self.url, content=orjson.dumps(payload),
                                    headers={"content-type": "application/json"})
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from None
        err = classify_http_status(resp.status_code, resp.content, resp.headers.get("retry-after"))
        if err is not None:
            raise err
        try:
            return orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            raise TransientError(f"malformed or truncated JSON body ({len(resp.content)} bytes)") from None

    @staticmethod
    def _result(msg: Any) -> Any:
        if not isinstance(msg, dict):
            raise TransientError("JSON-RPC reply is not an object")
        if msg.get("error"):
            e = msg["error"]
            raise classify_rpc_error(e.get("code"), e.get("message", ""), e.get("data"))
        if "result" not in msg:
            raise TransientError("JSON-RPC reply without result")
        return msg["result"]

    def call(self, method: str, params: list) -> Any:
        def once():
            return self._result(self._post({"jsonrpc": "2.0", "id": 1, "method": method,
                                            "params": params}))
        return with_retries(once, what=f"{method} at {self.url}", policy=self.policy)

    def call_batch(self, method: str, params_list: list[list]) -> list[Any]:
        """Many calls of one method, as JSON-RPC batches run `concurrency` at a time; in order."""
        groups = [params_list[i:i + self.batch] for i in range(0, len(params_list), self.batch)]

        def one_group(group: list[list]) -> list[Any]:
            def once():
                payload = [{"jsonrpc": "2.0", "id": i, "method": method, "params": p}
                           for i, p in enumerate(group)]
                reply = self._post(payload)
                if not isinstance(reply, list) or len(reply) != len(group):
                    raise TransientError("batch reply of the wrong shape")
                by_id = {m.get("id"): m for m in reply if isinstance(m, dict)}
                if set(by_id) != set(range(len(group))):
                    raise TransientError("batch reply missing ids")
                return [self._result(by_id[i]) for i in range(len(group))]
            return with_retries(once, what=f"{method} batch at {self.url}", policy=self.policy)

        if len(groups) <= 1:
            return one_group(groups[0]) if groups else []
        with ThreadPoolExecutor(self.concurrency) as pool:
            return [r for rs in pool.map(one_group, groups) for r in rs]

    # ---- the methods the listener uses ---------------------------------------------
    def signatures_for_address(self, address: str, *, before: str | None = None,
                               until: str | None = None, limit: int = 1000) -> list[dict]:
        cfg: dict[str, Any] = {"limit": limit, "commitment": "finalized"}
        if before:
            cfg["before"] = before
        if until:
            cfg["until"] = until
        return self.call("getSignaturesForAddress", [address, cfg])

    def transactions(self, signatures: list[str]) -> list[dict | None]:
        cfg = {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "finalized"}
        return self.call_batch("getTransaction", [[s, cfg] for s in signatures])

    def program_accounts(self, program: str, filters: list[dict]) -> tuple[int, list[dict]]:
        """(context slot, accounts) — read at the slot the node reports (DECISIONS D13)."""
        res = self.call("getProgramAccounts", [program, {
            "encoding": "base64", "filters": filters, "withContext": True,
            "commitment": "finalized"}])
        return res["context"]["slot"], res["value"]

    def block_time(self, slot: int) -> int | None:
        return self.call("getBlockTime", [slot])
