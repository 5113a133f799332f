"""dHEDGE pools eligible for performance mining per day (decided off-chain; programs.md §4)."""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="dhedge_eligible_pools",
    kind="offchain",
    doc="Eligible pools per day.",
    columns=(Column("day", T.DATE), Column("pool", T.ADDRESS)),
    key=("day", "pool"),
    position=None,
    extra={"chain": "10"},
)
