"""Solana listener: JSON-RPC client, Anchor event and spl-governance account decoding."""
