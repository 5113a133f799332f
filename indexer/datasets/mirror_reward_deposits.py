"""Mirror v2 reward deposits per asset (uMIR; programs.md §2; imported)."""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="mirror_reward_deposits",
    kind="offchain",
    doc="MIR reward deposits per asset and time, in uMIR.",
    columns=(Column("time", T.TIMESTAMP), Column("asset", T.STRING), Column("amount", T.UINT256)),
    key=("asset", "time"),
    position=None,
    extra={"chain": "terra-classic"},
)
