-- Exact fixed-point helpers for the order-book programs (issue 15); included with
-- `-- include ../_orderbook/fixed_point.sql`.
--
-- unscaled18(x): a DECIMAL(38, 18) value as the integer x · 10^18 (HUGEINT), exactly.
-- decimals18(u): how many of those 18 decimals are used (18 minus u's trailing zeros), so a
-- column can be read at the smallest scale that holds every value exactly.
-- pow10(k): 10^k as HUGEINT, 0 <= k <= 36.
CREATE OR REPLACE TEMP MACRO unscaled18(x) AS
    CAST(trunc(x) AS HUGEINT) * CAST(1000000000000000000 AS HUGEINT)
    + CAST((x - trunc(x)) * 1000000000000000000 AS HUGEINT);

CREATE OR REPLACE TEMP MACRO decimals18(u) AS
    CASE WHEN u % CAST(1000000000000000000 AS HUGEINT) = 0 THEN 0
         WHEN u % CAST(100000000000000000 AS HUGEINT) = 0 THEN 1
         WHEN u % CAST(10000000000000000 AS HUGEINT) = 0 THEN 2
         WHEN u % CAST(1000000000000000 AS HUGEINT) = 0 THEN 3
         WHEN u % CAST(100000000000000 AS HUGEINT) = 0 THEN 4
         WHEN u % CAST(10000000000000 AS HUGEINT) = 0 THEN 5
         WHEN u % CAST(1000000000000 AS HUGEINT) = 0 THEN 6
         WHEN u % CAST(100000000000 AS HUGEINT) = 0 THEN 7
         WHEN u % CAST(10000000000 AS HUGEINT) = 0 THEN 8
         WHEN u % CAST(1000000000 AS HUGEINT) = 0 THEN 9
         WHEN u % CAST(100000000 AS HUGEINT) = 0 THEN 10
         WHEN u % CAST(10000000 AS HUGEINT) = 0 THEN 11
         WHEN u % CAST(1000000 AS HUGEINT) = 0 THEN 12
         WHEN u % CAST(100000 AS HUGEINT) = 0 THEN 13
         WHEN u % CAST(10000 AS HUGEINT) = 0 THEN 14
         WHEN u % CAST(1000 AS HUGEINT) = 0 THEN 15
         WHEN u % CAST(100 AS HUGEINT) = 0 THEN 16
         WHEN u % CAST(10 AS HUGEINT) = 0 THEN 17
         ELSE 18 END;

CREATE OR REPLACE TEMP MACRO pow10(k) AS CAST('1' || repeat('0', CAST(k AS INTEGER)) AS HUGEINT);
