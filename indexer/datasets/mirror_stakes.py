"""Mirror v2 stake changes (staker, asset, long|short, signed delta; programs.md §2; imported)."""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="mirror_stakes",
    kind="offchain",
    doc="Bond/unbond deltas per staker, asset and side.",
    columns=(Column("time", T.TIMESTAMP), Column("staker", T.STRING), Column("asset", T.STRING),
             Column("side", T.STRING), Column("delta", T.INT256)),
    key=("staker", "asset", "side", "time"),
    position=None,
    extra={"chain": "terra-classic", "enums": {"side": ("long", "short")}},
)
