-- The listener's curve_swaps (one row per TokenExchange log) as the program's curve_swaps:
-- the swap's time is its block's time, and the pool is the contract that emitted the log.
SELECT *, block_time AS time, contract AS pool
FROM source_rows
