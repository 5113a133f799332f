"""Merkle trees, proofs and claim files for reward distributions (issue 3)."""
