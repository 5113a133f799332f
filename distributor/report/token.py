"""Which token an epoch pays, for showing its amounts to people.

Preference (docs/design.md §3): the manifest's `token` section `{address, symbol, decimals,
chain_id}` when the run recorded one; otherwise the program's symbol (the manifest's
`token` string, or the table below) and `params.decimals`. Amount formatting itself is
`epochdrop.units.format_amount`, shared with the CLI and the claim page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from epochdrop.units import format_amount

# The reward token of each program, for manifests written before the `token` section.
TOKENS = {"dydx": "DYDX", "curve": "CRV", "mirror": "MIR", "jet": "JET", "jet_airdrop": "JET",
          "dhedge": "DHT"}


@dataclass(frozen=True)
class Token:
    symbol: str | None
    decimals: int | None
    address: str | None = None
    chain_id: int | None = None

    def fmt(self, amount: Any, places: int | None = 2) -> str:
        """`26,843.58 DHT` — what a person reads."""
        return format_amount(to_int(amount), self.decimals, self.symbol, places)

    def exact(self, amount: Any) -> str:
        """Every digit, and the base units: for tooltips (`title=`), never the visible text."""
        n = to_int(amount)
        if self.decimals is None:
            return f"{n} base units"
        return f"{format_amount(n, self.decimals, self.symbol, None)} = {n} base units"

    def to_float(self, amount: Any) -> float:
        """Token units as a float, to be drawn only (payouts stay integers)."""
        n = to_int(amount)
        return n / 10 ** self.decimals if self.decimals else float(n)

    @property
    def label(self) -> str:
        return self.symbol or "base units"


def to_int(v: Any) -> int:
    """Amounts arrive as int, Decimal or decimal string (uint256 never fits int64)."""
    from decimal import Decimal

    if v is None or v == "":
        return 0
    if isinstance(v, int):
        return v
    return int(Decimal(str(v)))


def token_of(manifest: dict[str, Any], program: str | None = None) -> Token:
    """The token of a manifest (or of a what-if option's fields), see the module docstring."""
    t = manifest.get("token")
    params = manifest.get("params") or {}
    prog = program or manifest.get("program")
    if isinstance(prog, dict):
        prog = prog.get("name")
    if isinstance(t, dict) and t.get("decimals") is not None:
        return Token(t.get("symbol") or TOKENS.get(str(prog)), int(t["decimals"]),
                     t.get("address"), t.get("chain_id"))
    symbol = t if isinstance(t, str) and t else TOKENS.get(str(prog))
    decimals = params.get("decimals", manifest.get("decimals"))
    return Token(symbol, int(decimals) if decimals is not None else None)
