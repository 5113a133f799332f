"""`epochdrop decode`: a JSON array of eth_getLogs results → a dataset's rows in a file.

For debugging and for checking a published decode without an RPC (DECISIONS D12). Logs
that match none of the dataset's events are counted by topic0 and reported, never silently
dropped. A malformed input entry is an InputError naming the file, the entry and the field.
"""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from epochdrop.errors import InputError, UserError
from epochdrop.fsio import atomic_write_bytes
from indexer.datasets import get
from indexer.evm.decode import LogDecoder
from indexer.store import WRITE_OPTS

REQUIRED = ("address", "topics", "data", "blockNumber", "blockHash", "transactionHash", "logIndex")


def decode_file(dataset: str, logs_file: Path, out: Path, chain_id: int) -> tuple[int, int, dict]:
    ds = get(dataset)
    if not ds.events:
        raise UserError(f"{dataset} is not an event dataset; decode takes one of: "
                        + ", ".join(n for n, d in sorted(_reg().items()) if d.events))
    if out.suffix not in (".parquet", ".csv", ".json"):
        raise UserError(f"--out {out}: use a .parquet, .csv or .json file name")
    try:
        logs = orjson.loads(Path(logs_file).read_bytes())
    except FileNotFoundError:
        raise UserError(f"{logs_file}: no such file") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc})", file=str(logs_file)) from None
    if not isinstance(logs, list):
        raise InputError("expected a JSON array of eth_getLogs results", file=str(logs_file))
    for i, lg in enumerate(logs, 1):
        if not isinstance(lg, dict):
            raise InputError("not a log object", file=str(logs_file), row=i)
        for k in REQUIRED:
            if k not in lg:
                raise InputError("missing", file=str(logs_file), row=i, field=k)
        for k in ("blockNumber", "logIndex"):
            if not (isinstance(lg[k], str) and lg[k].startswith("0x")):
                raise InputError("expected a 0x hex quantity", file=str(logs_file), row=i, field=k)
    dec = LogDecoder(ds, chain_id)
    cols = dec.new_columns()
    n = dec.decode_into(logs, cols)
    table = ds.table(cols, sort=True)
    if out.suffix == ".parquet":
        buf = io.BytesIO()
        pq.write_table(table, buf, **WRITE_OPTS)
        data = buf.getvalue()
    elif out.suffix == ".csv":
        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        data = buf.getvalue()
    else:
        rows = table.to_pylist()
        for r in rows:
            if r.get("block_time") is not None:
                r["block_time"] = r["block_time"].isoformat()
        data = orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n"
    atomic_write_bytes(out, data)
    return len(logs), n, dict(dec.unmatched)


def _reg():
    from indexer.datasets import registry
    return registry()
