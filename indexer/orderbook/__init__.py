"""Order books rebuilt from order events: lifetimes (vectorised); the step-by-step replay they
are tested against is test-only (tests/support/orderbook_replay.py)."""

from indexer.orderbook.lifetimes import rebuild_lifetimes
from indexer.orderbook.schema import EVENT_SCHEMA, LIFETIME_SCHEMA

__all__ = ["rebuild_lifetimes", "EVENT_SCHEMA", "LIFETIME_SCHEMA"]
