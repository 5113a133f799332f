"""epochdrop: reproducible reward epochs, from chain data to Merkle roots.

This package is the thin shell shared by the two halves of the data flow:
`indexer` (chain → Parquet store) and `distributor` (store → scores → payouts → trees).
It holds the CLI entry point, the one error family and the atomic-file helpers.
"""

__version__ = "0.1.0"
