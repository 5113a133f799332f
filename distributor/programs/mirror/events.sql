-- Mirror v2: every event up to the window's end, in one deterministic order (programs.md §2).
-- Events before the window are replayed too (DECISIONS D19): stakes and stored weights carry.
-- Order: time, then the optional `seq` (e.g. height·10^6 + tx index), then the kind
-- (AdjustPremium, DepositReward, stake change), then the row's own fields.
-- $end: the window's end (exclusive).

CREATE OR REPLACE TEMP TABLE mirror_events AS
SELECT * FROM (
    SELECT time, coalesce(seq, 0) AS seq, 0 AS kind, asset, NULL AS staker, NULL AS side,
           CAST(pool_uusd AS VARCHAR) AS a, CAST(pool_asset AS VARCHAR) AS b,
           CAST(oracle_price AS VARCHAR) AS c
    FROM mirror_premium_updates WHERE time < $end
    UNION ALL
    SELECT time, coalesce(seq, 0), 1, asset, NULL, NULL, CAST(amount AS VARCHAR), NULL, NULL
    FROM mirror_reward_deposits WHERE time < $end
    UNION ALL
    SELECT time, coalesce(seq, 0), 2, asset, staker, side, CAST(delta AS VARCHAR), NULL, NULL
    FROM mirror_stakes WHERE time < $end
)
ORDER BY time, seq, kind, asset, staker, side, CAST(a AS HUGEINT), b, c;
