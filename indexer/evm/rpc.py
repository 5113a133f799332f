"""Raw JSON-RPC over HTTP (or the embedded chain), with batching, retries and classification.

Raw on purpose: FACTS.md measured web3.py's result formatters at 6–15× the cost of the
fetch for eth_getLogs, so results stay as the node sent them (hex strings) and are parsed
with orjson. A transport is "bytes in, bytes out" (`HttpTransport`, or
`indexer.evm.embedded.EmbeddedTransport`), so the listener's code path is the same for a
remote node and the in-process chain. Faults are classified by `indexer.retry`.
"""

from __future__ import annotations

from itertools import count
from typing import Any, Protocol

import httpx
import orjson

from epochdrop.errors import FailureError, UserError
from indexer.retry import (DEFAULT_POLICY, RangeTooLarge, RetryPolicy, RpcError,
                           TransientError, classify_http_status, classify_rpc_error,
                           with_retries)


# JSON-RPC calls (a batch counts each item) and HTTP requests sent by every client of this
# process: run reports record them, so "a rerun indexes nothing" is checkable (issue 19).
SENT = {"calls": 0, "requests": 0}
# A batch request's body stays under this: anvil answers a bigger one (2.1 MB measured
# 2026-12-04: bench/snapshots.py --investors 1000 --days 30, 18 Multicall3 aggregates of 400
# reads) with one `-32600 Invalid request` object; geth's default body limit is 5 MB.
MAX_BATCH_BYTES = 1 << 20


class Transport(Protocol):
    url: str

    def send(self, payload: bytes) -> bytes: ...


class HttpTransport:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url, self.timeout = url, timeout
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                                    headers={"content-type": "application/json"})

    def send(self, payload: bytes) -> bytes:
        try:
            resp = self._client.post(self.url, content=payload)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timeout talking to {self.url}: {type(exc).__name__}") from None
        except httpx.TransportError as exc:
            raise TransientError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from None
        err = classify_http_status(resp.status_code, resp.content, resp.headers.get("retry-after"))
        if err is not None:
            raise err
        return resp.content

    def close(self) -> None:
        self._client.close()


class RpcClient:
    """JSON-RPC calls with bounded retries; batches fall back to single calls if unsupported."""

    def __init__(self, transport: Transport, policy: RetryPolicy = DEFAULT_POLICY):
        self.transport = transport
        self.policy = policy
        self._ids = count(1)
        self.batch_supported: bool | None = None
        self.retries = 0

    @property
    def url(self) -> str:
        return self.transport.url

    def _on_retry(self, attempt: int, exc: Exception) -> None:
        self.retries += 1

    # ---- single calls ----------------------------------------------------------------
    def call(self, method: str, params: list | None = None, *,
             policy: RetryPolicy | None = None) -> Any:
        def once():
            rid = next(self._ids)
            SENT["calls"] += 1
            SENT["requests"] += 1
            body = self.transport.send(orjson.dumps(
                {"jsonrpc": "2.0", "id": rid, "method": method, "params": params or []}))
            return _result(_parse(body), method)
        return with_retries(once, what=f"{method} on {self.url}", policy=policy or self.policy,
                            on_retry=self._on_retry)

    # ---- batches ---------------------------------------------------------------------
    def batch(self, calls: list[tuple[str, list]]) -> list[Any]:
        """Results of several calls, in order. One HTTP round trip when the node batches,
        several when the request body would pass MAX_BATCH_BYTES.

        A transient error in any item retries that request; a range error in any item
        raises RangeTooLarge; other errors raise RpcError.
        """
        # each call's params encoded once: sized here, sent as they are in _batch_request
        encoded = [orjson.dumps(p) for _, p in calls]
        out: list[Any] = []
        for lo, hi in _runs(calls, encoded, MAX_BATCH_BYTES):
            out += self._batch_request(calls[lo:hi], encoded[lo:hi])
        return out

    def _batch_request(self, calls: list[tuple[str, list]], encoded: list[bytes]) -> list[Any]:
        """One batch request (or single calls, for one call or a node without batches)."""
        if len(calls) == 1 or self.batch_supported is False:
            return [self.call(m, p) for m, p in calls]

        def once():
            ids = [next(self._ids) for _ in calls]
            payload = orjson.dumps([{"jsonrpc": "2.0", "id": i, "method": m,
                                     "params": orjson.Fragment(e)}
                                    for i, (m, _), e in zip(ids, calls, encoded)])
            SENT["calls"] += len(calls)
            SENT["requests"] += 1
            data = _parse(self.transport.send(payload))
            if isinstance(data, dict):          # a node without batch support answers once
                if "error" in data and self.batch_supported is None:
                    return None
                raise TransientError("malformed batch response (an object, not an array: "
                                     f"{str(data.get('error', data))[:200]})")
            if not isinstance(data, list) or len(data) != len(calls):
                raise TransientError("malformed batch response (wrong length)")
            by_id = {}
            for item in data:
                if not isinstance(item, dict) or "id" not in item:
                    raise TransientError("malformed batch item")
                by_id[item["id"]] = item
            if set(by_id) != set(ids):
                raise TransientError("batch response ids do not match the request")
            return [_result(by_id[i], m) for i, (m, _) in zip(ids, calls)]

        out = with_retries(once, what=f"batch of {len(calls)} calls on {self.url}",
                           policy=self.policy, on_retry=self._on_retry)
        if out is None:
            self.batch_supported = False
            return [self.call(m, p) for m, p in calls]
        self.batch_supported = True
        return out

    # ---- helpers ---------------------------------------------------------------------
    def chain_id(self, *, policy: RetryPolicy | None = None) -> int:
        return int(self.call("eth_chainId", [], policy=policy), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)


def _runs(calls: list[tuple[str, list]], encoded: list[bytes], limit: int) -> list[tuple[int, int]]:
    """Index ranges cutting `calls` (params `encoded`) into requests whose body stays under
    `limit` bytes, in order; a call bigger than `limit` alone is a request of its own."""
    runs, lo, size = [], 0, 0
    for i, ((method, _), params) in enumerate(zip(calls, encoded)):
        n = len(params) + len(method) + 64     # + the envelope: jsonrpc, id, method, commas
        if i > lo and size + n > limit:
            runs.append((lo, i))
            lo, size = i, 0
        size += n
    if calls:
        runs.append((lo, len(calls)))
    return runs


def _parse(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TransientError(f"malformed JSON response ({len(body)} bytes, truncated?)") from None


def _result(item: Any, method: str) -> Any:
    if not isinstance(item, dict):
        raise TransientError(f"malformed response to {method}")
    if "error" in item and item["error"] is not None:
        e = item["error"]
        if not isinstance(e, dict):
            raise TransientError(f"malformed error in response to {method}")
        raise classify_rpc_error(e.get("code"), str(e.get("message", "")), e.get("data"))
    if "result" not in item:
        raise TransientError(f"response to {method} has neither result nor error")
    return item["result"]


def connect(rpc: str, *, timeout: float = 30.0, policy: RetryPolicy = DEFAULT_POLICY) -> RpcClient:
    """An RpcClient for `--rpc`: an http(s) URL, or `embedded` (the in-process chain)."""
    if rpc == "embedded":
        from indexer.evm.embedded import embedded_chain
        return RpcClient(embedded_chain().transport, policy)
    if not rpc.startswith(("http://", "https://")):
        raise UserError(f"--rpc {rpc!r}: give an http(s) URL or 'embedded'")
    return RpcClient(HttpTransport(rpc, timeout), policy)


def rpc_calls() -> int:
    """JSON-RPC calls sent by this process so far (all clients)."""
    return SENT["calls"]


__all__ = ["rpc_calls", "RpcClient", "HttpTransport", "connect", "RangeTooLarge", "RpcError",
           "TransientError", "FailureError"]
