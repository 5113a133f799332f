"""Bounded retries with exponential backoff and full jitter, and range-size adaptation.

Transport-agnostic: a transport (httpx JSON-RPC for EVM, solana-py for Solana) turns what it
sees into one of two exceptions and `with_retries` does the rest:

- `TransientError` — 429, 5xx, timeouts, connection resets, truncated or malformed JSON,
  JSON-RPC internal errors (-32603, -32000 "header not found"...). Retried.
- `RangeTooLarge` — "range too large", "more than N results", "query returned more than",
  "limit exceeded"... Not retried as is: the caller halves its range (`AdaptiveStep`).

FACTS.md: web3.py retries 429/502/timeouts but not truncated bodies, -32603 or range errors,
so we classify ourselves. Backoff: AWS "Exponential Backoff And Jitter" (full jitter), capped;
a 429's Retry-After is honoured up to the cap. Exhaustion raises FailureError (exit 1) naming
what failed and the last cause.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from epochdrop.errors import FailureError

R = TypeVar("R")


class TransientError(Exception):
    """A failure that may go away if the same request is sent again."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self):
        return (TransientError, (str(self), self.retry_after))


class RangeTooLarge(Exception):
    """The node refuses the range or result size: ask for less."""


class RpcError(Exception):
    """A JSON-RPC error that retrying will not fix (e.g. execution reverted)."""

    def __init__(self, code: int | None, message: str, data=None):
        super().__init__(f"{message} (code {code})" if code is not None else message)
        self.code, self.rpc_message, self.data = code, message, data

    def __reduce__(self):                # picklable across worker processes
        return (RpcError, (self.code, self.rpc_message, self.data))


_RANGE_PATTERNS = re.compile(
    r"range too (large|wide|big)|block range|too many (results|logs|blocks)|"
    r"more than \d+ (results|logs)|query returned more than|response size|"
    r"limit exceeded|exceeds? (the )?(max|limit)|query timeout exceeded|too large",
    re.IGNORECASE)
_TRANSIENT_CODES = {-32603, -32000, -32005, -32002, 429}
_TRANSIENT_TEXT = re.compile(r"header not found|timeout|timed out|rate limit|try again|"
                             r"busy|unavailable|internal error", re.IGNORECASE)


def classify_rpc_error(code: int | None, message: str, data=None) -> Exception:
    """Map a JSON-RPC error object to RangeTooLarge, TransientError or RpcError."""
    text = f"{message} {data if isinstance(data, str) else ''}"
    if _RANGE_PATTERNS.search(text):
        return RangeTooLarge(message)
    if code in _TRANSIENT_CODES and not re.search(r"revert", text, re.IGNORECASE):
        return TransientError(f"RPC error {code}: {message}")
    if _TRANSIENT_TEXT.search(text) and "revert" not in text.lower():
        return TransientError(f"RPC error {code}: {message}")
    return RpcError(code, message, data)


def classify_http_status(status: int, body: bytes = b"", retry_after: str | None = None
                         ) -> Exception | None:
    """None for 2xx; otherwise the exception a transport should raise."""
    if 200 <= status < 300:
        return None
    text = body[:300].decode("utf-8", "replace")
    if _RANGE_PATTERNS.search(text):
        return RangeTooLarge(f"HTTP {status}: {text}")
    if status == 429 or status == 408 or status >= 500:
        ra = None
        if retry_after:
            try:
                ra = float(retry_after)
            except ValueError:
                ra = None
        return TransientError(f"HTTP {status}", retry_after=ra)
    return RpcError(status, f"HTTP {status}: {text.strip()[:200]}")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8           # total tries, including the first
    base_delay: float = 0.05    # seconds before the 2nd try (before jitter)
    max_delay: float = 4.0      # cap of one wait
    max_total: float = 60.0     # give up when the waits would pass this

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform(0, min(cap, base * 2**attempt))."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * (2 ** attempt)))


DEFAULT_POLICY = RetryPolicy()
_rng = random.Random()


def with_retries(fn: Callable[[], R], *, what: str, policy: RetryPolicy = DEFAULT_POLICY,
                 sleep: Callable[[float], None] = time.sleep,
                 on_retry: Callable[[int, Exception], None] | None = None) -> R:
    """Call `fn` until it returns; retry TransientError; let everything else through.

    Raises FailureError("<what>: gave up after N attempts (last error: ...)") when the
    attempts or the total wait budget run out.
    """
    waited = 0.0
    last: Exception | None = None
    for attempt in range(policy.attempts):
        try:
            return fn()
        except TransientError as exc:
            last = exc
            if attempt + 1 >= policy.attempts:
                break
            d = policy.delay(attempt, _rng)
            if exc.retry_after is not None:
                d = max(d, min(exc.retry_after, policy.max_delay))
            if waited + d > policy.max_total:
                break
            if on_retry is not None:
                on_retry(attempt + 1, exc)
            sleep(d)
            waited += d
    raise FailureError(f"{what}: gave up after {attempt + 1} attempts (last error: {last})")


class AdaptiveStep:
    """The size of the next range: halve on RangeTooLarge, grow after easy successes.

    Growth is ×2 when a range returned fewer than `target` items, so sparse stretches are
    crossed quickly and dense ones stay under the node's result limit.
    """

    def __init__(self, initial: int = 2000, minimum: int = 1, maximum: int = 100_000,
                 target: int = 10_000):
        self.size, self.minimum, self.maximum, self.target = initial, minimum, maximum, target

    def shrink(self, tried: int) -> int:
        if tried <= self.minimum:
            raise FailureError(f"the node refuses even a range of {tried} "
                               "(range too large / too many results at the minimum size)")
        self.size = max(self.minimum, tried // 2)
        return self.size

    def success(self, tried: int, items: int) -> None:
        if items < self.target // 2 and tried >= self.size:
            self.size = min(self.maximum, self.size * 2)
        elif items > self.target:
            self.size = max(self.minimum, self.size // 2)
