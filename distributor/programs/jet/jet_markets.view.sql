-- The Solana listener's clob_markets as jet_markets: the tenor that matters for the
-- incentive is the market's borrow tenor (seconds).
SELECT *, borrow_tenor AS tenor_seconds
FROM source_rows
