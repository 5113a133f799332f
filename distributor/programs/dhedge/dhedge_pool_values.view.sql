-- pool_snapshots (balanceOf and tokenPrice, both 18-decimal uint256 strings) as
-- dhedge_pool_values: value_usd = ⌊balance · price / 10^18⌋ in 10^-18 USD, recomputed exactly
-- rather than trusting the scale of the snapshot's own value_usd column. Each factor is split
-- at 10^18 (b = bh·e + bl, p = ph·e + pl) so no HUGEINT product overflows:
-- b·p/e = bh·ph·e + bh·pl + bl·ph + ⌊bl·pl/e⌋. The result, an integer of 10^-18 USD, is
-- written as an exact decimal string in USD. filename/file_row_number locate bad rows.
WITH parts AS (
    SELECT day, pool, investor, filename, file_row_number,
           TRY_CAST(balance AS HUGEINT) // 1000000000000000000 AS bh,
           TRY_CAST(balance AS HUGEINT) % 1000000000000000000 AS bl,
           TRY_CAST(token_price AS HUGEINT) // 1000000000000000000 AS ph,
           TRY_CAST(token_price AS HUGEINT) % 1000000000000000000 AS pl
    FROM source_rows
), attousd AS (
    SELECT day, pool, investor, filename, file_row_number,
           CAST(bh * ph * CAST(1000000000000000000 AS HUGEINT) + bh * pl + bl * ph
                + (bl * pl) // CAST(1000000000000000000 AS HUGEINT) AS VARCHAR) AS v
    FROM parts
)
SELECT day, pool, investor,
       CASE WHEN length(v) > 18 THEN left(v, length(v) - 18) || '.' || right(v, 18)
            ELSE '0.' || lpad(v, 18, '0') END AS value_usd,
       filename, file_row_number
FROM attousd
