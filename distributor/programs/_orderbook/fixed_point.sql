-- Exact fixed-point helpers for the order-book programs (issue 15); included with
-- `-- include ../_orderbook/fixed_point.sql`.
--
-- A DECIMAL(38, 18) column is read as 64-bit integers at the smallest scale s that holds
-- every value exactly (its "decimals"): x · 10^s = trunc(x) · 10^s + frac18(x) div 10^(18−s).
-- 64-bit, not HUGEINT, because the per-row path must stay fast (DuckDB's 128-bit division
-- is ~20× slower than a float operation); a value that does not fit is an overflow error,
-- which the programs turn into an input error.
--
-- frac18(x): the 18 fractional digits of x as an integer, 0 <= frac18 < 10^18 (x >= 0).
-- decimals18(f): how many of those digits are used (18 minus f's trailing zeros).
CREATE OR REPLACE TEMP MACRO frac18(x) AS
    CAST((x - trunc(x)) * 1000000000000000000 AS BIGINT);

CREATE OR REPLACE TEMP MACRO decimals18(f) AS
    CASE WHEN f = 0 THEN 0
         WHEN f % 10 <> 0 THEN 18 WHEN f % 100 <> 0 THEN 17 WHEN f % 1000 <> 0 THEN 16
         WHEN f % 10000 <> 0 THEN 15 WHEN f % 100000 <> 0 THEN 14
         WHEN f % 1000000 <> 0 THEN 13 WHEN f % 10000000 <> 0 THEN 12
         WHEN f % 100000000 <> 0 THEN 11 WHEN f % 1000000000 <> 0 THEN 10
         WHEN f % 10000000000 <> 0 THEN 9 WHEN f % 100000000000 <> 0 THEN 8
         WHEN f % 1000000000000 <> 0 THEN 7 WHEN f % 10000000000000 <> 0 THEN 6
         WHEN f % 100000000000000 <> 0 THEN 5 WHEN f % 1000000000000000 <> 0 THEN 4
         WHEN f % 10000000000000000 <> 0 THEN 3 WHEN f % 100000000000000000 <> 0 THEN 2
         ELSE 1 END;

-- scaled(x, mul, div): x · 10^s as BIGINT, with mul = 10^s and div = 10^(18−s).
CREATE OR REPLACE TEMP MACRO scaled(x, mul, div) AS
    CAST(trunc(x) AS BIGINT) * mul + frac18(x) // div;
