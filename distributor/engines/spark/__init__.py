"""The Spark engine (issue 18, docs/design.md §6): a session per process, a DuckDB-dialect →
Spark SQL translator and a connection with the DuckDB methods programs use.

pyspark is an optional extra (`pip install 'epochdrop[spark]'`): nothing here is imported on
the DuckDB path, and `translate` imports no pyspark at all.
"""
