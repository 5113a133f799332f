-- Jet fixed-term liquidity incentive: per-minute open-order scores over order lifetimes.
--
-- Rules (programs.md §3, seed J-DAP text, DECISIONS D16): per minute sample, per user, per
-- market: open_order_score = size · exp(-|rate - mid| / mid), summed per side (lend,
-- borrow). mid = (best lend rate + best borrow rate) / 2, the best lend rate being the
-- lowest offered and the best borrow rate the highest bid; one-sided book: mid = best lend
-- rate / 2, or best borrow rate · 2; empty book or mid <= 0 -> nobody scores that sample.
-- The tenor bias (1 + sqrt(tenor_days)/30) is applied per market after summation
-- (program.py), which is the same as applying it per sample.
--
-- Interval weighting as in dydx/lp_sampling.sql: each interval between change points is
-- scored once and weighted by the exact number of sample instants it holds (table
-- `ob_samples(minute, off_us)`).
--
-- Exact (issue 15), in 64-bit integers: rates and sizes are read at the smallest decimal
-- scale that holds them exactly ($rate_mul/$rate_div, $size_mul/$size_div; fixed_point.sql)
-- and the mid is an exact fraction mid_n / mid_d, so x = |rate − mid| / mid =
-- |R·mid_d − mid_n| / mid_n is floored to 10^-9 (a double estimate corrected by one exact
-- 128-bit product: DuckDB's 128-bit division is ~20× slower than a float one); exp(−x) is the
-- fixed-point
-- method of distributor/programs/exact.py (EXP_METHOD: tables jt_exp1 … jt_exp3 of exp values
-- rounded to 9 decimals, multiplied with integer floors); term = size · exp(−x), exactly
-- (units of 10^-(size decimals + 9)). No float and no libm touch a term; sums are HUGEINT,
-- exact in any order.
--
-- DuckDB-only functions (Spark equivalents in brackets): epoch_us [unix_micros],
-- unnest(range(a, b)) [explode(sequence(a, b - 1))], a // b [a div b],
-- HUGEINT [DECIMAL(38, 0)].
--
-- Markets and owners are numbered first (integer keys hash faster than text); an
-- interval is named by one BIGINT key = market number * 2^32 + j.
--
-- Inputs: jet_orders, ob_samples, jt_exp0, jt_exp1 (g, v); $start_us,
-- $end_us and the scale parameters. Outputs: jt_q(market, owner, side, q_u, order_samples)
-- and jt_live(market, live_samples).

-- The fixed-point macros (also defined by scales.column_scale; here too so that this file
-- reads and translates on its own, e.g. for `--dry`).
-- include ../_orderbook/fixed_point.sql

CREATE OR REPLACE TEMP TABLE jt_markets AS
SELECT market, CAST(row_number() OVER (ORDER BY market) AS BIGINT) AS m
FROM (SELECT DISTINCT market FROM jet_orders);

CREATE OR REPLACE TEMP TABLE jt_owners AS
SELECT owner, CAST(row_number() OVER (ORDER BY owner) AS INTEGER) AS k
FROM (SELECT DISTINCT owner FROM jet_orders);

CREATE OR REPLACE TEMP TABLE jt_orders AS
WITH o AS (
    SELECT mk.m, ow.k, o.side = 'lend' AS is_lend,
           scaled(o.rate, $rate_mul, $rate_div) AS rate,
           scaled(o.size, $size_mul, $size_div) AS size,
           greatest(epoch_us(o.valid_from), $start_us) AS t0,
           least(coalesce(epoch_us(o.valid_to), $end_us), $end_us) AS t1
    FROM jet_orders o
    JOIN jt_markets mk ON mk.market = o.market
    JOIN jt_owners ow ON ow.owner = o.owner
    WHERE o.size > 0
)
SELECT * FROM o WHERE t0 < t1;

-- Change points and sample counts per interval: ob_cp(m, t, n, key).
CREATE OR REPLACE TEMP VIEW ob_orders AS SELECT m, t0, t1 FROM jt_orders;
-- include ../_orderbook/change_points.sql

CREATE OR REPLACE TEMP TABLE jt_span AS
SELECT o.k, o.is_lend, o.rate, o.size, unnest(range(a.key, b.key)) AS key
FROM jt_orders o
JOIN ob_cp a ON a.m = o.m AND a.t = o.t0
JOIN ob_cp b ON b.m = o.m AND b.t = o.t1
WHERE b.key > a.key;

CREATE OR REPLACE TEMP TABLE jt_book AS
WITH tops AS (
    SELECT key,
           min(rate) FILTER (WHERE is_lend) AS best_lend,
           max(rate) FILTER (WHERE NOT is_lend) AS best_borrow
    FROM jt_span GROUP BY key
), mids AS (
    -- mid = mid_n / mid_d exactly: (L + B)/2, L/2 (lend side only) or 2B (borrow side only)
    SELECT key,
           CASE WHEN best_lend IS NOT NULL AND best_borrow IS NOT NULL
                     THEN best_lend + best_borrow
                WHEN best_lend IS NOT NULL THEN best_lend
                ELSE best_borrow * 2 END AS mid_n,
           CASE WHEN best_lend IS NOT NULL THEN 2 ELSE 1 END AS mid_d
    FROM tops
)
SELECT d.key, d.mid_n, d.mid_d, c.n
FROM mids d JOIN ob_cp c ON c.key = d.key AND c.n > 0
WHERE d.mid_n > 0;

CREATE OR REPLACE TEMP TABLE jt_live AS
SELECT mk.market, CAST(sum(b.n) AS BIGINT) AS live_samples
FROM jt_book b JOIN jt_markets mk ON mk.m = b.key // 4294967296
GROUP BY mk.market;

-- No minimum across sides here (unlike dYdX's Q_MIN), so the sum is linear: Σ intervals
-- n · Σ orders term = Σ orders Σ intervals n · term, aggregated straight to (market, owner,
-- side) without a per-interval group. order_samples counts (order, sample) pairs scored.
CREATE OR REPLACE TEMP TABLE jt_q AS
WITH xs AS (  -- x · 10^9 = num · 10^9 / mid_n exactly
    SELECT s.key // 4294967296 AS m, s.k, s.is_lend, b.n, s.size, b.mid_n,
           abs(s.rate * b.mid_d - b.mid_n) AS num,
           CAST(abs(s.rate * b.mid_d - b.mid_n) AS DOUBLE) * 1e9 / CAST(b.mid_n AS DOUBLE) AS est
    FROM jt_span s JOIN jt_book b ON b.key = s.key
), x9s AS (
    -- floor(x · 10^9): the double estimate is within 10^-5 of the true quotient below the
    -- cap (relative error < 10^-15 on values < 2.3 · 10^10), so its floor is exact wherever
    -- it lies at least 10^-4 from an integer; the few other rows divide exactly (128-bit
    -- division, ~20× slower, only there). x >= 22 is capped: exp rounds to 0 from there.
    SELECT m, k, is_lend, n, size,
           CASE WHEN est >= 22e9 THEN CAST(22000000000 AS BIGINT)
                WHEN est - floor(est) BETWEEN 1e-4 AND 1 - 1e-4 THEN CAST(floor(est) AS BIGINT)
                ELSE CAST(CAST(num AS HUGEINT) * 1000000000 // mid_n AS BIGINT) END AS x9
    FROM xs
), exps AS (  -- EXP_METHOD: two table entries and a short series for the rest
    SELECT x.m, x.k, x.is_lend, x.n, x.size,
           ((e0.v * e1.v // 1000000000)
            * (1000000000 - x.x9 % 1000000
               + (x.x9 % 1000000) * (x.x9 % 1000000) // 2000000000
               - (x.x9 % 1000000) * (x.x9 % 1000000) * (x.x9 % 1000000) // 6000000000000000000)
           ) // 1000000000 AS e9
    FROM x9s x
    JOIN jt_exp0 e0 ON e0.g = least(x.x9 // 1000000000, 22)
    JOIN jt_exp1 e1 ON e1.g = x.x9 // 1000000 % 1000
), agg AS (  -- size · exp(−x) exactly: units of 10^-(size decimals + 9)
    SELECT m, k, is_lend, sum(CAST(size AS HUGEINT) * (n * e9)) AS q_u,
           CAST(sum(n) AS BIGINT) AS order_samples
    FROM exps GROUP BY m, k, is_lend
)
SELECT mk.market, ow.owner, CASE WHEN a.is_lend THEN 'lend' ELSE 'borrow' END AS side,
       a.q_u, a.order_samples
FROM agg a JOIN jt_markets mk ON mk.m = a.m JOIN jt_owners ow ON ow.k = a.k;
