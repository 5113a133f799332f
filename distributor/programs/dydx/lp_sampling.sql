-- dYdX v3 LP rewards: per-minute book sampling over order lifetimes, scored per interval.
--
-- Rules (programs.md §1, dydxfoundation/governance-documentation
-- rewards/liquidity-provider-rewards.md, DECISIONS D15):
--   orders with depth = size·price <= MinDepth are dropped (also from the mid);
--   mid = (best bid + best ask)/2; no mid (one side empty) or a crossed book -> nobody scores;
--   an order counts when spread = |price - mid|/mid < MaxSpread; term = depth / spread;
--   Q_BID, Q_ASK = sums of terms per maker; Q_MIN = min; Q_EPOCH = Σ samples Q_MIN;
--   uptime = samples with Q_MIN > 0; a market is live in a sample when it has a mid.
--
-- Between two change points of a market every sample sees the same book: each interval is
-- scored once and weighted by n = the number of sample instants in [t, t_next), counted
-- exactly from the sample-instant table `dx_samples(minute, off_us)`. Work grows with order
-- changes (intervals spanned by each order), never with samples x orders.
--
-- Exactness (D21): each order's term is quantised to 1e-6 (round half away from zero) and
-- summed as HUGEINT, so every sum is exact and independent of thread count and row order.
--
-- DuckDB-only functions (Spark equivalents in brackets): epoch_us [unix_micros],
-- list_contains [array_contains], unnest(range(a, b)) [explode(sequence(a, b - 1))],
-- HUGEINT [DECIMAL(38, 0)].
--
-- Inputs: dydx_orders (canonical table), dx_samples; parameters $start_us, $end_us,
-- $btc_eth (list of market names), $min_depth_be, $min_depth_other, $max_spread_be,
-- $max_spread_other. Outputs: dx_lp(market, maker, q_bid_u, q_ask_u, q_epoch_u,
-- uptime_samples) and dx_live(market, live_samples).

CREATE OR REPLACE TEMP TABLE dx_orders AS
WITH o AS (
    SELECT market, maker, side = 'BUY' AS is_bid,
           CAST(price AS DOUBLE) AS price,
           CAST(size AS DOUBLE) * CAST(price AS DOUBLE) AS depth,
           greatest(epoch_us(valid_from), $start_us) AS t0,
           least(coalesce(epoch_us(valid_to), $end_us), $end_us) AS t1,
           list_contains($btc_eth, market) AS be
    FROM dydx_orders
)
SELECT market, maker, is_bid, price, depth, t0, t1,
       CASE WHEN be THEN $max_spread_be ELSE $max_spread_other END AS max_spread
FROM o
WHERE t0 < t1
  AND depth > CASE WHEN be THEN $min_depth_be ELSE $min_depth_other END;

-- Change points per market, the sample instants before each (exact, via the minute's
-- offset), and a dense index over the intervals that hold at least one sample.
CREATE OR REPLACE TEMP TABLE dx_cp AS
WITH pts AS (
    SELECT market, t0 AS t FROM dx_orders
    UNION
    SELECT market, t1 AS t FROM dx_orders
), before AS (
    SELECT p.market, p.t,
           (p.t - $start_us) // 60000000
             + CASE WHEN s.off_us < (p.t - $start_us) % 60000000 THEN 1 ELSE 0 END AS nb
    FROM pts p LEFT JOIN dx_samples s ON s.minute = (p.t - $start_us) // 60000000
), iv AS (
    SELECT market, t,
           coalesce(lead(nb) OVER (PARTITION BY market ORDER BY t), nb) - nb AS n
    FROM before
)
SELECT market, t, CAST(n AS BIGINT) AS n,
       CAST(coalesce(sum(CASE WHEN n > 0 THEN 1 ELSE 0 END)
                OVER (PARTITION BY market ORDER BY t
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS BIGINT) AS j
FROM iv;

-- Each order rests over the sampled intervals j in [j(t0), j(t1)).
CREATE OR REPLACE TEMP TABLE dx_span AS
SELECT o.market, o.maker, o.is_bid, o.price, o.depth, o.max_spread,
       unnest(range(a.j, b.j)) AS j
FROM dx_orders o
JOIN dx_cp a ON a.market = o.market AND a.t = o.t0
JOIN dx_cp b ON b.market = o.market AND b.t = o.t1
WHERE b.j > a.j;

CREATE OR REPLACE TEMP TABLE dx_book AS
WITH tops AS (
    SELECT market, j,
           max(price) FILTER (WHERE is_bid) AS best_bid,
           min(price) FILTER (WHERE NOT is_bid) AS best_ask
    FROM dx_span GROUP BY market, j
)
SELECT t.market, t.j, (t.best_bid + t.best_ask) / 2 AS mid, c.n
FROM tops t JOIN dx_cp c ON c.market = t.market AND c.j = t.j AND c.n > 0
WHERE t.best_bid < t.best_ask;

CREATE OR REPLACE TEMP TABLE dx_live AS
SELECT market, CAST(sum(n) AS BIGINT) AS live_samples FROM dx_book GROUP BY market;

CREATE OR REPLACE TEMP TABLE dx_lp AS
WITH terms AS (
    SELECT s.market, s.j, s.maker, s.is_bid, b.n,
           CAST(round(s.depth / (abs(s.price - b.mid) / b.mid) * 1e6) AS HUGEINT) AS term_u
    FROM dx_span s JOIN dx_book b ON b.market = s.market AND b.j = s.j
    WHERE abs(s.price - b.mid) / b.mid < s.max_spread
), q AS (
    SELECT market, j, maker, any_value(n) AS n,
           coalesce(sum(term_u) FILTER (WHERE is_bid), 0) AS qb,
           coalesce(sum(term_u) FILTER (WHERE NOT is_bid), 0) AS qa
    FROM terms GROUP BY market, j, maker
)
SELECT market, maker,
       sum(n * qb) AS q_bid_u,
       sum(n * qa) AS q_ask_u,
       sum(n * least(qb, qa)) AS q_epoch_u,
       CAST(sum(CASE WHEN least(qb, qa) > 0 THEN n ELSE 0 END) AS BIGINT) AS uptime_samples
FROM q GROUP BY market, maker;
