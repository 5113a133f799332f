-- Curve CIP#20: utilization U = volume / liquidity over the measured week (programs.md §5).
-- $start: the week's first day (DATE).
-- Money sums are exact (HUGEINT per pool, day and coin decimals); program.py normalises
-- them by the decimals and takes U as exact fractions.

CREATE OR REPLACE TEMP TABLE curve_week_days AS
SELECT CAST($start AS DATE) + CAST(i AS INTEGER) AS day FROM range(7) AS t(i);

-- Swaps of the week, each event once: a row repeated in the store (same tx, log index,
-- pool) is one event; a metapool's base-pool event is another pool's own event.
CREATE OR REPLACE TEMP TABLE curve_week_swaps AS
SELECT DISTINCT ON (pool, coalesce(tx_hash, CAST(row_id AS VARCHAR)), coalesce(log_index, -1))
       pool, CAST(time AS DATE) AS day, sold_id, tokens_sold,
       coalesce(event = 'TokenExchangeUnderlying', false) AS underlying_event
FROM (SELECT *, row_number() OVER () AS row_id FROM curve_swaps
      WHERE time >= CAST($start AS TIMESTAMP)
        AND time < CAST($start AS TIMESTAMP) + INTERVAL 7 DAY);

-- Which decimals normalise a swap: TokenExchangeUnderlying ids index the underlying coins,
-- read from curve_coins rows with underlying = true when the pool has any; otherwise (and
-- for TokenExchange) the pool's own coins. decimals NULL = not listed (an input error).
CREATE OR REPLACE TEMP TABLE curve_week_swaps_resolved AS
SELECT s.*, c.decimals, s.underlying_event AND coalesce(u.has_underlying, false) AS by_underlying
FROM curve_week_swaps AS s
LEFT JOIN (SELECT pool, bool_or(coalesce(underlying, false)) AS has_underlying
           FROM curve_coins GROUP BY pool) AS u ON u.pool = s.pool
LEFT JOIN curve_coins AS c
  ON c.pool = s.pool AND c.i = s.sold_id
 AND coalesce(c.underlying, false) = (s.underlying_event AND coalesce(u.has_underlying, false));

-- Exact integer sums per (pool, day, coin); the division by 10^decimals and the ratios are
-- taken on these few aggregates as exact fractions (program.py), never as floats.
CREATE OR REPLACE TEMP TABLE curve_daily_volume AS
SELECT pool, day, decimals, CAST(sum(tokens_sold) AS HUGEINT) AS sold
FROM curve_week_swaps_resolved
GROUP BY pool, day, decimals;

CREATE OR REPLACE TEMP TABLE curve_daily_liquidity AS
SELECT l.pool, l.day, c.decimals, CAST(sum(l.balance) AS HUGEINT) AS balance
FROM curve_liquidity AS l
JOIN curve_coins AS c ON c.pool = l.pool AND c.i = l.i AND NOT coalesce(c.underlying, false)
WHERE l.day >= CAST($start AS DATE) AND l.day < CAST($start AS DATE) + 7
GROUP BY l.pool, l.day, c.decimals;
