"""Program configs: TOML files validated by each program's pydantic model (DECISIONS D14).

A config is `program = "<name>"`, a `[params]` table (programs.md keys; unknown keys are
errors), and `[sources]` / `[tree]` tables that `epochdrop run` reads and `score` ignores.
Amount-like keys are written in token units (numbers or decimal strings) and converted to
base units exactly with the token's `decimals`; a value that does not fit is an error,
never a rounding.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from epochdrop.errors import ConfigError

TOP_LEVEL_KEYS = {"program", "params", "sources", "tree"}


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
    """Build a config section's model; the first problem becomes one line naming the key.

    Shared by `[params]` here and `run`'s `[sources]` / `[tree]` (pipeline/config.py).
    """
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        e = exc.errors()[0]
        key = ".".join(str(p) for p in e["loc"]) or f"({section})"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            allowed = ", ".join(sorted(model.model_fields))
            msg = f"unknown key (allowed: {allowed})"
        raise ConfigError(f"{where}: {section}.{key}: {msg}") from None


def read_config(path: Path, program: str) -> dict[str, Any]:
    """Read a program config TOML; returns its `[params]` table (not yet validated)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r} "
                          f"(allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    named = data.get("program")
    if named is None:
        raise ConfigError(f"{path}: missing `program = \"{program}\"`")
    if named != program:
        raise ConfigError(f"{path}: config is for program {named!r}, not {program!r}")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: [params] must be a table")
    return params


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
