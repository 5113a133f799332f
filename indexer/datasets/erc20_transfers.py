"""ERC-20 `Transfer` events, with ERC-721-shaped logs kept and marked (DECISIONS D11).

ERC-20 and ERC-721 share the signature `Transfer(address,address,uint256)` and so topic0;
they differ in `indexed`: ERC-20 has 3 topics + 1 data word, ERC-721 has 4 topics and empty
data (the token id is the 4th topic). Both are decoded, the latter with
`token_standard = 'erc721'` and `value` = the token id — which is what ethereum-etl's
`extract_token_transfers` publishes (blockchain-etl/ethereum-etl
ethereumetl/service/token_transfer_extractor.py counts topics + data words == 4). Other
shapes with this topic0 are reported as unmatched, not guessed.
"""

from indexer.datasets.base import EVM_LOG_COLUMNS, EVM_LOG_KEY, Column, Dataset, EventSpec, T, abi_entry

_RENAME = {"from": "from_address", "to": "to_address", "tokenId": "value"}

DATASET = Dataset(
    name="erc20_transfers",
    kind="events",
    doc="Token Transfer events (ERC-20; ERC-721-shaped ones marked token_standard='erc721').",
    columns=EVM_LOG_COLUMNS + (
        Column("token_standard", T.STRING, doc="'erc20' or 'erc721' (4 topics, empty data)"),
        Column("from_address", T.ADDRESS),
        Column("to_address", T.ADDRESS),
        Column("value", T.UINT256, doc="amount in base units, or the ERC-721 token id"),
    ),
    key=EVM_LOG_KEY,
    events=(
        EventSpec(abi_entry("erc20.json", "Transfer"), rename=_RENAME,
                  constants={"token_standard": "erc20"}),
        EventSpec(abi_entry("erc721.json", "Transfer"), rename=_RENAME,
                  constants={"token_standard": "erc721"}),
    ),
)
