-- vdht_snapshots holds balanceOfAt in base units (an 18-decimal uint256 string); the
-- program's dhedge_vdht is in DHT: the same digits with the decimal point 18 places in.
WITH raw AS (
    SELECT day, investor, trim(CAST(vdht AS VARCHAR)) AS v, filename, file_row_number
    FROM source_rows
)
SELECT day, investor,
       CASE WHEN length(v) > 18 THEN left(v, length(v) - 18) || '.' || right(v, 18)
            ELSE '0.' || lpad(v, 18, '0') END AS vdht,
       filename, file_row_number
FROM raw
