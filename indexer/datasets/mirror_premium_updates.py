"""Mirror v2 premium inputs per asset and time (programs.md §2; Terra Classic is halted, so
imported)."""

from indexer.datasets.base import Column, Dataset, T

DATASET = Dataset(
    name="mirror_premium_updates",
    kind="offchain",
    doc="Terraswap pool reserves and oracle price per mAsset and time.",
    columns=(Column("time", T.TIMESTAMP), Column("asset", T.STRING),
             Column("pool_uusd", T.UINT256), Column("pool_asset", T.UINT256),
             Column("oracle_price", T.DECIMAL)),
    key=("asset", "time"),
    position=None,
    extra={"chain": "terra-classic", "nonneg": ("oracle_price",)},
)
