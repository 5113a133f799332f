-- Change points of each market's book and the sample instants between them; shared by the
-- dYdX and Jet order-book programs (included from their SQL with `-- include`).
--
-- Inputs: ob_orders(m, t0, t1) — a view over the program's orders (market id, half-open
-- [t0, t1) in integer µs), ob_samples(minute, off_us, valid, n_before) — the epoch's sample
-- instants, whether each counts (not in an outage) and how many valid ones precede its
-- minute (distributor/programs/_orderbook/samples.py); $start_us, $valid_samples (their
-- total, for points at the epoch's end).
-- Output: ob_cp(m, t, n, key): every change point t of market m, the number n of sample
-- instants in [t, next change point), and a dense key over the intervals holding at least
-- one sample; key = m * 2^32 + j names an interval by one integer, so an order resting over
-- [t0, t1) covers the keys [key(t0), key(t1)).
CREATE OR REPLACE TEMP TABLE ob_cp AS
WITH pts AS (
    SELECT m, t0 AS t FROM ob_orders
    UNION
    SELECT m, t1 AS t FROM ob_orders
), before AS (
    SELECT p.m, p.t,
           coalesce(s.n_before, $valid_samples)
             + CASE WHEN s.valid AND s.off_us < (p.t - $start_us) % 60000000 THEN 1 ELSE 0 END
             AS nb
    FROM pts p LEFT JOIN ob_samples s ON s.minute = (p.t - $start_us) // 60000000
), iv AS (
    SELECT m, t, coalesce(lead(nb) OVER (PARTITION BY m ORDER BY t), nb) - nb AS n
    FROM before
)
SELECT m, t, CAST(n AS BIGINT) AS n,
       m * 4294967296 + CAST(coalesce(sum(CASE WHEN n > 0 THEN 1 ELSE 0 END)
                OVER (PARTITION BY m ORDER BY t
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS BIGINT) AS key
FROM iv;
