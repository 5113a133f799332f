-- The listener's erc20_transfers as the holders table: ERC-20 Transfer logs only (ERC-721
-- logs share the event and are kept with token_standard = 'erc721', DECISIONS D11); the
-- transfer happens at its block's time; the token is the contract that emitted the log.
SELECT block_time AS time, contract AS token, from_address, to_address, value,
       block_number, log_index, filename, file_row_number
FROM source_rows
WHERE token_standard = 'erc20'
