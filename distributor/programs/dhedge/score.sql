-- dHEDGE Performance Mining V2 (programs.md §4): the daily pot is split pro rata by the
-- invested value in eligible pools; an investor's raw reward is the sum of their daily shares.
-- $start, $end: the period's days [start, end) as DATEs. Everything here is an exact DECIMAL
-- sum; the one division per (day, investor) is taken on these aggregates as an exact
-- fraction in program.py (issue 15), never as a float.

CREATE OR REPLACE TEMP TABLE dhedge_daily AS
SELECT v.day, v.investor, sum(v.value_usd) AS value
FROM dhedge_pool_values AS v
JOIN (SELECT DISTINCT day, pool FROM dhedge_eligible_pools) AS e
  ON e.day = v.day AND e.pool = v.pool
WHERE v.day >= $start AND v.day < $end AND v.value_usd > 0
GROUP BY v.day, v.investor;

CREATE OR REPLACE TEMP TABLE dhedge_day_totals AS
SELECT day, sum(value) AS total FROM dhedge_daily GROUP BY day;

-- The days that have a snapshot at all (any pool value row, eligible or not).
CREATE OR REPLACE TEMP TABLE dhedge_snapshot_days AS
SELECT DISTINCT day FROM dhedge_pool_values WHERE day >= $start AND day < $end;

CREATE OR REPLACE TEMP TABLE dhedge_vdht_days AS
SELECT DISTINCT day FROM dhedge_vdht WHERE day >= $start AND day < $end;

CREATE OR REPLACE TEMP TABLE dhedge_vdht_used AS
SELECT investor,
       coalesce(sum(vdht) FILTER (WHERE day = (SELECT max(day) FROM dhedge_vdht_days)), 0)
           AS vdht_end,
       coalesce(sum(vdht) FILTER (WHERE day = (SELECT min(day) FROM dhedge_vdht_days)), 0)
           AS vdht_start,
       sum(vdht) AS vdht_sum
FROM dhedge_vdht
WHERE day >= $start AND day < $end
GROUP BY investor;

CREATE OR REPLACE TEMP TABLE dhedge_scores AS
SELECT d.investor,
       count(*) AS days_invested,
       sum(d.value) AS value_usd_days,
       coalesce(u.vdht_end, 0) AS vdht_end,
       coalesce(u.vdht_start, 0) AS vdht_start,
       coalesce(u.vdht_sum, 0) AS vdht_sum
FROM dhedge_daily AS d
LEFT JOIN dhedge_vdht_used AS u ON u.investor = d.investor
GROUP BY d.investor, u.vdht_end, u.vdht_start, u.vdht_sum;
