"""Order books rebuilt from order events: lifetimes (vectorised) and a step-by-step replay."""

from indexer.orderbook.lifetimes import rebuild_lifetimes
from indexer.orderbook.schema import EVENT_SCHEMA, LIFETIME_SCHEMA

__all__ = ["rebuild_lifetimes", "EVENT_SCHEMA", "LIFETIME_SCHEMA"]
