"""Parquet store → scores → payouts → trees → output folders.

The reward programs live here (one folder each under `programs/`), with the allocation,
the tree schemes, the operator's workflow (run, verify, whatif, demo) and the reports.
"""
