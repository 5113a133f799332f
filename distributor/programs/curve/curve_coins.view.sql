-- Each coin's decimals are columns of the daily curve_liquidity snapshots (one row per
-- pool, coin and day): one row per pool and coin.
SELECT DISTINCT pool, i, decimals
FROM source_rows
