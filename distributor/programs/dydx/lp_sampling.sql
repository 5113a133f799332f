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
-- exactly from the sample-instant table `ob_samples(minute, off_us)`. Work grows with order
-- changes (intervals spanned by each order), never with samples x orders.
--
-- Exact (issue 15): prices and sizes are read as 64-bit integers at the smallest decimal
-- scales that hold them ($price_mul/$price_div, $size_mul/$size_div; fixed_point.sql), so
-- with S = best bid + best ask (mid = S/2) every test is an integer comparison:
-- depth = Z·P > MinDepth, |2P − S| / S < MaxSpread (= ms_num / ms_den). The term
-- depth / spread = Z·P·S / |2P − S| is floored to 10^-6 USD exactly: N / D with N, D
-- 128-bit integers, estimated in double and corrected with exact 128-bit products (no
-- 128-bit division, which DuckDB does ~20× slower than a float one). Sums are HUGEINT:
-- exact, independent of thread count and row order. Samples inside an outage window are not
-- samples (ob_samples.valid = false; change_points.sql counts only valid ones).
--
-- DuckDB-only functions (Spark equivalents in brackets): epoch_us [unix_micros],
-- list_contains [array_contains], unnest(range(a, b)) [explode(sequence(a, b - 1))], integer
-- division a // b [a div b],
-- HUGEINT [DECIMAL(38, 0)].
--
-- Markets and makers are numbered first (integer keys hash faster than text); an
-- interval is named by one BIGINT key = market number * 2^32 + j.
--
-- Inputs: dydx_orders (canonical table), ob_samples; parameters $start_us, $end_us,
-- $btc_eth (list of market names), $min_depth_be, $min_depth_other (MinDepth · 10^(a+b),
-- floored, as text), $ms_num_be, $ms_den_be, $ms_num_other, $ms_den_other, the scale
-- parameters, $term_num_mul, $term_den_mul (10^6 / 10^(a+b) as a fraction). Outputs: dx_lp(market, maker, q_bid_u, q_ask_u, q_epoch_u,
-- uptime_samples) and dx_live(market, live_samples).

-- The fixed-point macros (also defined by scales.column_scale; here too so that this file
-- reads and translates on its own, e.g. for `--dry`).
-- include ../_orderbook/fixed_point.sql

CREATE OR REPLACE TEMP TABLE dx_markets AS
SELECT market, CAST(row_number() OVER (ORDER BY market) AS BIGINT) AS m,
       list_contains($btc_eth, market) AS be
FROM (SELECT DISTINCT market FROM dydx_orders);

CREATE OR REPLACE TEMP TABLE dx_makers AS
SELECT maker, CAST(row_number() OVER (ORDER BY maker) AS INTEGER) AS k
FROM (SELECT DISTINCT maker FROM dydx_orders);

CREATE OR REPLACE TEMP TABLE dx_orders AS
WITH o AS (
    SELECT mk.m, mm.k, o.side = 'BUY' AS is_bid,
           scaled(o.price, $price_mul, $price_div) AS price,
           scaled(o.size, $size_mul, $size_div) AS size,
           greatest(epoch_us(o.valid_from), $start_us) AS t0,
           least(coalesce(epoch_us(o.valid_to), $end_us), $end_us) AS t1,
           mk.be
    FROM dydx_orders o
    JOIN dx_markets mk ON mk.market = o.market
    JOIN dx_makers mm ON mm.maker = o.maker
)
SELECT m, k, is_bid, price, CAST(size AS HUGEINT) * price AS depth, t0, t1,
       CASE WHEN be THEN $ms_num_be ELSE $ms_num_other END AS ms_num,
       CASE WHEN be THEN $ms_den_be ELSE $ms_den_other END AS ms_den
FROM o
WHERE t0 < t1
  AND CAST(size AS HUGEINT) * price > CAST(CASE WHEN be THEN $min_depth_be
                                                ELSE $min_depth_other END AS HUGEINT);

-- Change points and sample counts per interval: ob_cp(m, t, n, key).
CREATE OR REPLACE TEMP VIEW ob_orders AS SELECT m, t0, t1 FROM dx_orders;
-- include ../_orderbook/change_points.sql

-- Each order rests over the sampled intervals with keys in [key(t0), key(t1)).
CREATE OR REPLACE TEMP TABLE dx_span AS
SELECT o.k, o.is_bid, o.price, o.depth, o.ms_num, o.ms_den, unnest(range(a.key, b.key)) AS key
FROM dx_orders o
JOIN ob_cp a ON a.m = o.m AND a.t = o.t0
JOIN ob_cp b ON b.m = o.m AND b.t = o.t1
WHERE b.key > a.key;

CREATE OR REPLACE TEMP TABLE dx_book AS
WITH tops AS (
    SELECT key,
           max(price) FILTER (WHERE is_bid) AS best_bid,
           min(price) FILTER (WHERE NOT is_bid) AS best_ask
    FROM dx_span GROUP BY key
)
SELECT t.key, t.best_bid + t.best_ask AS s, c.n   -- s = 2 · mid
FROM tops t JOIN ob_cp c ON c.key = t.key AND c.n > 0
WHERE t.best_bid < t.best_ask;

CREATE OR REPLACE TEMP TABLE dx_live AS
SELECT mk.market, CAST(sum(b.n) AS BIGINT) AS live_samples
FROM dx_book b JOIN dx_markets mk ON mk.m = b.key // 4294967296
GROUP BY mk.market;

CREATE OR REPLACE TEMP TABLE dx_lp AS
WITH fr AS (  -- term = nn / dd exactly, in 10^-6 USD
    SELECT s.key, s.k, s.is_bid, b.n,
           s.depth * b.s * $term_num_mul AS nn,
           CAST(abs(2 * s.price - b.s) AS HUGEINT) * $term_den_mul AS dd
    FROM dx_span s JOIN dx_book b ON b.key = s.key
    WHERE abs(2 * s.price - b.s) * s.ms_den < s.ms_num * b.s
), est AS (   -- a double estimate, then one exact correction of its remainder
    SELECT key, k, is_bid, n, nn, dd,
           CAST(floor(CAST(nn AS DOUBLE) / CAST(dd AS DOUBLE)) AS HUGEINT) AS q0
    FROM fr
), est2 AS (
    SELECT key, k, is_bid, n, nn, dd,
           q0 + CAST(floor(CAST(nn - q0 * dd AS DOUBLE) / CAST(dd AS DOUBLE)) AS HUGEINT) AS q1
    FROM est
), terms AS ( -- floor(nn / dd): q1 is within one of it
    SELECT key, k, is_bid, n,
           q1 + CASE WHEN nn - q1 * dd >= dd THEN 1 WHEN nn - q1 * dd < 0 THEN -1 ELSE 0 END
             AS term_u
    FROM est2
), q AS (
    SELECT key, k, any_value(n) AS n,
           coalesce(sum(term_u) FILTER (WHERE is_bid), 0) AS qb,
           coalesce(sum(term_u) FILTER (WHERE NOT is_bid), 0) AS qa
    FROM terms GROUP BY key, k
), agg AS (
    SELECT key // 4294967296 AS m, k,
           sum(n * qb) AS q_bid_u,
           sum(n * qa) AS q_ask_u,
           sum(n * least(qb, qa)) AS q_epoch_u,
           CAST(sum(CASE WHEN least(qb, qa) > 0 THEN n ELSE 0 END) AS BIGINT) AS uptime_samples
    FROM q GROUP BY key // 4294967296, k
)
SELECT mk.market, mm.maker, a.q_bid_u, a.q_ask_u, a.q_epoch_u, a.uptime_samples
FROM agg a JOIN dx_markets mk ON mk.m = a.m JOIN dx_makers mm ON mm.k = a.k;
