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
-- `jt_samples(minute, off_us)`). Terms are quantised to 1e-9 (round half away from zero)
-- and summed as HUGEINT, so sums are exact in any order (D21).
--
-- DuckDB-only functions (Spark equivalents in brackets): epoch_us [unix_micros],
-- unnest(range(a, b)) [explode(sequence(a, b - 1))], HUGEINT [DECIMAL(38, 0)].
--
-- Inputs: jet_orders, jt_samples; $start_us, $end_us. Outputs: jt_q(market, owner, side,
-- q_u, samples_quoted) and jt_live(market, live_samples).

CREATE OR REPLACE TEMP TABLE jt_orders AS
SELECT market, owner, side = 'lend' AS is_lend,
       CAST(rate AS DOUBLE) AS rate, CAST(size AS DOUBLE) AS size,
       greatest(epoch_us(valid_from), $start_us) AS t0,
       least(coalesce(epoch_us(valid_to), $end_us), $end_us) AS t1
FROM jet_orders
WHERE size > 0;

DELETE FROM jt_orders WHERE t0 >= t1;

CREATE OR REPLACE TEMP TABLE jt_cp AS
WITH pts AS (
    SELECT market, t0 AS t FROM jt_orders
    UNION
    SELECT market, t1 AS t FROM jt_orders
), before AS (
    SELECT p.market, p.t,
           (p.t - $start_us) // 60000000
             + CASE WHEN s.off_us < (p.t - $start_us) % 60000000 THEN 1 ELSE 0 END AS nb
    FROM pts p LEFT JOIN jt_samples s ON s.minute = (p.t - $start_us) // 60000000
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

CREATE OR REPLACE TEMP TABLE jt_span AS
SELECT o.market, o.owner, o.is_lend, o.rate, o.size, unnest(range(a.j, b.j)) AS j
FROM jt_orders o
JOIN jt_cp a ON a.market = o.market AND a.t = o.t0
JOIN jt_cp b ON b.market = o.market AND b.t = o.t1
WHERE b.j > a.j;

CREATE OR REPLACE TEMP TABLE jt_book AS
WITH tops AS (
    SELECT market, j,
           min(rate) FILTER (WHERE is_lend) AS best_lend,
           max(rate) FILTER (WHERE NOT is_lend) AS best_borrow
    FROM jt_span GROUP BY market, j
), mids AS (
    SELECT market, j,
           CASE WHEN best_lend IS NOT NULL AND best_borrow IS NOT NULL
                     THEN (best_lend + best_borrow) / 2
                WHEN best_lend IS NOT NULL THEN best_lend / 2
                ELSE best_borrow * 2 END AS mid
    FROM tops
)
SELECT m.market, m.j, m.mid, c.n
FROM mids m JOIN jt_cp c ON c.market = m.market AND c.j = m.j AND c.n > 0
WHERE m.mid > 0;

CREATE OR REPLACE TEMP TABLE jt_live AS
SELECT market, CAST(sum(n) AS BIGINT) AS live_samples FROM jt_book GROUP BY market;

CREATE OR REPLACE TEMP TABLE jt_q AS
WITH terms AS (
    SELECT s.market, s.j, s.owner, s.is_lend, b.n,
           CAST(round(s.size * exp(-(abs(s.rate - b.mid) / b.mid)) * 1e9) AS HUGEINT) AS term_u
    FROM jt_span s JOIN jt_book b ON b.market = s.market AND b.j = s.j
), q AS (
    SELECT market, j, owner, is_lend, any_value(n) AS n, sum(term_u) AS q_u
    FROM terms GROUP BY market, j, owner, is_lend
)
SELECT market, owner, CASE WHEN is_lend THEN 'lend' ELSE 'borrow' END AS side,
       sum(n * q_u) AS q_u,
       CAST(sum(CASE WHEN q_u > 0 THEN n ELSE 0 END) AS BIGINT) AS samples_quoted
FROM q GROUP BY market, owner, is_lend;
