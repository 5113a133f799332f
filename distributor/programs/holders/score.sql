-- holders: score = Σ over the epoch of balance × seconds held, exact (HUGEINT), per account.
--
-- A balance is a step function of time: it changes only at transfers. So the epoch
-- [$start, $end) is cut at each account's transfers, and each piece adds
-- balance × its length in seconds. Transfers before $start only make the opening
-- balance (they are all moved to $start); transfers at or after $end do not count.
-- Time below $min_balance, and excluded accounts (and the zero address, the other side of
-- mints and burns), score nothing. Block times are whole seconds, so date_diff('second')
-- is exact. Addresses are compared case-insensitively (a hand-made CSV may write them in
-- lower case; the store writes EIP-55).

-- 1. Every transfer as two balance changes: −value for the sender, +value for the receiver.
CREATE OR REPLACE TEMP TABLE holders_changes AS
SELECT account, greatest(time, $start) AS t, sum(delta) AS delta
FROM (
    SELECT time, from_address AS account, -value AS delta FROM erc20_transfers
    WHERE $token = '' OR lower(token) = lower($token)
    UNION ALL
    SELECT time, to_address AS account, value AS delta FROM erc20_transfers
    WHERE $token = '' OR lower(token) = lower($token)
)
WHERE time < $end
GROUP BY account, greatest(time, $start);

-- 2. The balance from each change to the next (or to the end of the epoch).
CREATE OR REPLACE TEMP TABLE holders_pieces AS
SELECT account, t,
       CAST(sum(delta) OVER (PARTITION BY account ORDER BY t) AS HUGEINT) AS balance,
       date_diff('second', t, coalesce(lead(t) OVER (PARTITION BY account ORDER BY t),
                                       CAST($end AS TIMESTAMP))) AS seconds
FROM holders_changes;

-- 3. One row per account that held at least $min_balance for some time.
CREATE OR REPLACE TABLE scores AS
SELECT account,
       CAST(sum(CASE WHEN counts THEN balance * seconds ELSE 0 END) AS DECIMAL(38, 0)) AS score,
       CAST(sum(CASE WHEN counts THEN seconds ELSE 0 END) AS BIGINT) AS seconds_counted,
       CAST(arg_max(balance, t) AS VARCHAR) AS balance_end
FROM (
    SELECT *, balance > 0 AND balance >= CAST($min_balance AS HUGEINT) AS counts
    FROM holders_pieces
    WHERE account <> '0x0000000000000000000000000000000000000000'
      AND lower(account) NOT IN (SELECT lower(x) FROM (SELECT unnest($exclude) AS x))
)
GROUP BY account
HAVING sum(CASE WHEN counts THEN seconds ELSE 0 END) > 0;
