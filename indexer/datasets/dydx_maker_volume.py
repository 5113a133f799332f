"""dYdX v3 maker volume per epoch, market and maker (programs.md §1; off-chain, imported)."""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="dydx_maker_volume",
    kind="offchain",
    doc="Maker volume in USD per epoch, market and maker.",
    columns=(Column("epoch", T.INT), Column("market", T.STRING), Column("maker", T.ADDRESS),
             Column("volume_usd", T.DECIMAL)),
    key=("epoch", "market", "maker"),
    position="epoch",
    extra={"chain": "dydx-v3", "nonneg": ("volume_usd", "epoch")},
)
