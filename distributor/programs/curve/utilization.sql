-- Curve CIP#20: utilization U = volume / liquidity over the measured week (programs.md §5).
-- $start: the week's first day (DATE); $mode: 'mean_daily' | 'weekly_ratio'.
-- Money sums are exact (HUGEINT per coin), then normalised by the coin's decimals.

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

CREATE OR REPLACE TEMP TABLE curve_daily_volume AS
SELECT pool, day,
       sum(CAST(sold AS DOUBLE) / pow(10, decimals) ORDER BY by_underlying, sold_id) AS volume
FROM (SELECT pool, day, sold_id, by_underlying, decimals, sum(tokens_sold) AS sold
      FROM curve_week_swaps_resolved GROUP BY pool, day, sold_id, by_underlying, decimals)
GROUP BY pool, day;

CREATE OR REPLACE TEMP TABLE curve_daily_liquidity AS
SELECT l.pool, l.day,
       sum(CAST(l.balance AS DOUBLE) / pow(10, c.decimals) ORDER BY l.i) AS liquidity
FROM curve_liquidity AS l
JOIN curve_coins AS c ON c.pool = l.pool AND c.i = l.i AND NOT coalesce(c.underlying, false)
WHERE l.day >= CAST($start AS DATE) AND l.day < CAST($start AS DATE) + 7
GROUP BY l.pool, l.day;

CREATE OR REPLACE TEMP TABLE curve_pool_days AS
SELECT p.pool, d.day,
       coalesce(v.volume, 0) AS volume,
       coalesce(l.liquidity, 0) AS liquidity
FROM (SELECT pool FROM curve_daily_volume UNION SELECT pool FROM curve_daily_liquidity) AS p
CROSS JOIN curve_week_days AS d
LEFT JOIN curve_daily_volume AS v ON v.pool = p.pool AND v.day = d.day
LEFT JOIN curve_daily_liquidity AS l ON l.pool = p.pool AND l.day = d.day;

CREATE OR REPLACE TEMP TABLE curve_scores AS
SELECT pool,
       sum(volume ORDER BY day) AS volume_week,
       sum(liquidity ORDER BY day) / 7 AS mean_liquidity,
       count(*) FILTER (WHERE liquidity > 0) AS days_with_liquidity,
       sum(CASE WHEN liquidity > 0 THEN volume / liquidity ELSE 0 END ORDER BY day) / 7
           AS u_mean_daily,
       CASE WHEN sum(liquidity) > 0
            THEN sum(volume ORDER BY day) / sum(liquidity ORDER BY day) END AS u_weekly_ratio,
       sum(liquidity) > 0 AS has_liquidity
FROM curve_pool_days
GROUP BY pool;
