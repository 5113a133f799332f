"""Program configs: TOML files validated by each program's pydantic model (DECISIONS D14).

A config is `program = "<name>"`, a `[params]` table (programs.md keys; unknown keys are
errors), and `[sources]` / `[tree]` / `[token]` / `[distributor]` tables (epochdrop/config.py,
the one reader) that `epochdrop run` reads and `score` ignores.
Amount-like keys are written in token units (numbers or decimal strings) and converted to
base units exactly with the token's `decimals`; a value that does not fit is an error,
never a rounding.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from epochdrop.config import TOP_LEVEL_KEYS, load_config, validate_section  # noqa: F401
from epochdrop.errors import ConfigError


def _to_decimal(v: Any) -> Decimal:
    """Numbers and decimal strings → Decimal, exactly. A TOML float goes through its
    shortest repr (0.1 → "0.1"), which is what the author wrote."""
    if isinstance(v, bool):
        raise ValueError("expected a number or a decimal string, not a boolean")
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, float):
        d = Decimal(repr(v))
    elif isinstance(v, str):
        try:
            d = Decimal(v.replace("_", "").replace(",", "").strip())
        except InvalidOperation:
            raise ValueError(f"{v!r} is not a decimal number") from None
    else:
        raise ValueError("expected a number or a decimal string")
    if not d.is_finite():
        raise ValueError("must be finite")
    return d


# An exact decimal parameter (token amounts, fractions). Ranges go in Field(ge=…, le=…).
Dec = Annotated[Decimal, BeforeValidator(_to_decimal)]

Rounding = Literal["dust", "largest_remainder"]


class CommonParams(BaseModel):
    """Keys every program has (programs.md "Program interface", row `all`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decimals: int = Field(18, ge=0, le=30)
    rounding: Rounding = "dust"


def base_units(amount: Decimal, decimals: int, key: str) -> int:
    """Token units → base units, exactly; more fractional digits than `decimals` is an error."""
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ConfigError(f"params.{key}: {amount} has more than {decimals} decimals")
    if scaled < 0:
        raise ConfigError(f"params.{key}: must not be negative")
    return int(scaled)


def validate_params(model: type[BaseModel], values: dict[str, Any], where: str,
                    section: str = "params") -> BaseModel:
    """Build a config section's model; the first problem becomes one line naming the key
    (the one rule for every section: `epochdrop.config.validate_section`)."""
    return validate_section(model, values, where, section)


def read_config(path: Path, program: str) -> dict[str, Any]:
    """A program config's `[params]` table (not yet validated), read by the one config
    reader (`epochdrop.config`), which also checks the other sections and `program`."""
    return load_config(path, program).params


def params_json(params: BaseModel) -> dict[str, Any]:
    """Params as JSON-able values for the manifest: decimals as strings, exactly."""
    return _jsonable(params.model_dump())


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v
