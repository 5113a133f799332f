"""Shared machinery of the two order-book programs (dYdX LP rewards, Jet incentive).

Both sample a book once a minute. Between two order changes every sample sees the same
book, so the SQL scores each interval between change points once and weights it by the
number of sample instants inside it; `samples` builds the per-epoch sample-instant table
that makes that count exact.
"""
