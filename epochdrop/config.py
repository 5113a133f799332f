"""The one reader of program config files (TOML → typed sections), for `score`, `run`,
`verify --config` and `whatif` alike (docs/design.md §3, DECISIONS D14).

    program = "dhedge"
    [params]  ...                      # the program's; validated by the program's model
    [sources]
    data = "../store"                  # a store or a folder of <table>.csv|.parquet
    rpc = "http://127.0.0.1:8545"      # optional: index before scoring ("embedded" too)
    chain_id = 1
    contracts = { pools = ["0x…"], lockup = "0x…" }
    from_block = 0
    output = "../out/dhedge"           # epochs go to <output>/<epoch>/
    epoch = "2024-01"                  # default for --epoch
    [tree]
    scheme = "oz"                      # default per program (D20)
    cumulative = false
    expiry_days = 90
    [token]                            # what is paid; reaches the manifest, report, page, publish
    address = "0x…"
    symbol = "DHT"                     # default: the program's token
    decimals = 18                      # default: [params] decimals (must agree when both given)
    chain_id = 10                      # default: [sources] chain_id
    [distributor]                      # optional: the CumulativeMerkleDistributor paying it
    address = "0x…"
    [engine]                           # optional: where `score`/`run`/`verify`/`whatif` compute
    kind = "spark"                     # "duckdb" (default) | "spark" (docs/scale.md)
    master = "spark://10.0.0.5:7077"   # local[*] (default), local[N], spark://h:p, sc://h:p
    [engine.conf]                      # extra Spark conf, strings (dotted keys are joined)
    "spark.executor.memory" = "4g"

Why one reader: `score` and `run` read the same file and used to parse it twice with two
lists of allowed keys, so a `[token]` one accepted was refused by the other. Unknown keys
are errors naming the allowed ones, so a typo (`sheme`) never falls back to a default.
Relative paths are relative to the config file, so a config travels with its data.
This module knows no program: `[params]` is handed on as a table, and program defaults
(D20) are applied by `pipeline/config.py`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from epochdrop.errors import ConfigError

TOP_LEVEL_KEYS = {"program", "params", "sources", "tree", "token", "distributor", "engine"}


class Sources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data: str | None = None
    rpc: str | None = None
    chain_id: int | None = Field(None, ge=1)
    contracts: dict[str, str | list[str]] = Field(default_factory=dict)
    from_block: int = Field(0, ge=0)
    to_block: int | None = Field(None, ge=0)
    confirmations: int | None = Field(None, ge=0)
    output: str | None = None
    epoch: str | int | None = None


class TreeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: Literal["oz", "uniswap", "packed", "solana", "none"] | None = None
    cumulative: bool | None = None
    expiry_days: int | None = Field(None, ge=0, le=3650)
    leaf: str | None = None


def _evm_address(v: str | None) -> str | None:
    """EIP-55 form of an EVM address; a mixed-case address with a wrong checksum is refused
    (almost always a typo: https://eips.ethereum.org/EIPS/eip-55)."""
    from eth_utils import is_address, to_checksum_address

    if v is None:
        return None
    if not is_address(v):
        raise ValueError(f"{v!r} is not an EVM address (0x and 40 hex digits)")
    body = v[2:]
    if not (body.islower() or body.isupper()) and to_checksum_address(v) != v:
        raise ValueError(f"{v} has a wrong EIP-55 checksum (mixed case that does not match; "
                         "use the checksummed or the all-lowercase form)")
    return to_checksum_address(v)


class TokenConfig(BaseModel):
    """`[token]`: every key optional; the chain id defaults to `[sources] chain_id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str | None = None
    symbol: str | None = Field(None, min_length=1, max_length=32)
    decimals: int | None = Field(None, ge=0, le=77)
    chain_id: int | None = Field(None, ge=1)

    @field_validator("address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        # A Solana mint (base58) is kept as written; an 0x address is checksummed.
        return _evm_address(v) if v is not None and v.startswith("0x") else v


class DistributorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    chain_id: int | None = Field(None, ge=1)

    _check = field_validator("address")(classmethod(lambda cls, v: _evm_address(v)))


# Spark masters epochdrop hands to Spark (https://spark.apache.org/docs/latest/submitting-
# applications.html#master-urls): local[N] / local[*] in this process, a standalone master
# (spark://host:port, or several for ZooKeeper HA), or a Spark Connect server (sc://host:port,
# optionally /;key=value parameters such as token or use_ssl). Anything else — yarn, k8s,
# a typo — is refused here in one line rather than by a JVM stack trace minutes later.
_HOSTPORT = r"[A-Za-z0-9.\-]+:(?:[1-9][0-9]{0,4})"
MASTER_FORMS = "local[*], local[N], spark://HOST:PORT or sc://HOST:PORT"
_MASTER = re.compile(rf"local\[(?:\*|[1-9][0-9]*)\]|spark://{_HOSTPORT}(?:,{_HOSTPORT})*"
                     rf"|sc://{_HOSTPORT}(?:/(?:;[A-Za-z_-]+=[^;\s]*)+)?")  # x-databricks-cluster-id


def check_master(value: str) -> str:
    """A Spark master URL epochdrop accepts (MASTER_FORMS); ValueError otherwise."""
    if not isinstance(value, str) or not _MASTER.fullmatch(value) or \
            any(int(p) > 65535 for p in re.findall(r":([0-9]+)", value)):
        raise ValueError(f"{value!r} is not a Spark master (use {MASTER_FORMS})")
    return value


class EngineConfig(BaseModel):
    """`[engine]`: which engine computes scores (docs/design.md §6). Outputs are the same
    bytes on both, so nothing here reaches the manifest; the run report records kind and
    master. `conf` is handed to Spark as is (ignored by DuckDB); TOML dotted keys
    (`spark.executor.memory = "4g"` parse as nested tables) are joined back with dots,
    and numbers and booleans become Spark's strings ("8", "true")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["duckdb", "spark"] = "duckdb"
    master: str = "local[*]"
    conf: dict[str, str] = Field(default_factory=dict)

    _master = field_validator("master")(classmethod(lambda cls, v: check_master(v)))

    @field_validator("conf", mode="before")
    @classmethod
    def _conf(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        flat: dict[str, Any] = {}

        def walk(prefix: str, table: dict[str, Any]) -> None:
            for k, x in table.items():
                key = f"{prefix}{k}"
                if isinstance(x, dict):
                    walk(f"{key}.", x)
                elif isinstance(x, bool):
                    flat[key] = "true" if x else "false"
                elif isinstance(x, (int, float)):
                    flat[key] = str(x)
                elif isinstance(x, str):
                    flat[key] = x
                else:
                    raise ValueError(f"{key}: a Spark setting is a string, number or boolean, "
                                     f"not {type(x).__name__}")
        walk("", v)
        for key in flat:
            if not key.startswith("spark."):
                raise ValueError(f"{key}: not a Spark setting (Spark's keys start with "
                                 f"'spark.')")
        return dict(sorted(flat.items()))

    def describe(self) -> dict[str, str]:
        """What a run report records: the engine and, for Spark, its master (never `conf`,
        which may hold credentials such as spark.hadoop.fs.s3a.secret.key)."""
        return {"kind": self.kind, "master": self.master} if self.kind == "spark" \
            else {"kind": self.kind}


ENGINE_KINDS = ("duckdb", "spark")


def engine_from(kind: str | None, master: str | None,
                cfg: EngineConfig | None) -> EngineConfig:
    """The engine a command uses: `--engine` over `[engine] kind`, `--spark-master` over
    `[engine] master`, else the config's section, else DuckDB. A bad flag is one line."""
    from epochdrop.errors import UserError

    base = cfg if cfg is not None else EngineConfig()
    changes: dict[str, Any] = {}
    if kind is not None:
        if kind not in ENGINE_KINDS:
            raise UserError(f"--engine {kind!r}: choose duckdb or spark")
        changes["kind"] = kind
    if master is not None:
        try:
            changes["master"] = check_master(master)
        except ValueError as exc:
            raise UserError(f"--spark-master: {exc}") from None
        if changes.get("kind", base.kind) != "spark":
            raise UserError("--spark-master is for the spark engine: add --engine spark "
                            "(or [engine] kind = \"spark\" in the config)")
    return base.model_copy(update=changes) if changes else base


class ConfigFile(BaseModel):
    """A config file read and its non-program sections validated."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    program: str
    params: dict[str, Any]
    sources: Sources
    tree: TreeOptions
    token: TokenConfig | None
    distributor: DistributorConfig | None
    raw: dict[str, Any]
    engine: EngineConfig | None = None    # None: no [engine] section (DuckDB unless a flag)

    @property
    def chain_id(self) -> int | None:
        """The token's chain: `[token] chain_id`, else `[sources] chain_id`."""
        if self.token is not None and self.token.chain_id is not None:
            return self.token.chain_id
        return self.sources.chain_id


def validate_section(model: type[BaseModel], values: dict[str, Any], where: str,
                     section: str = "params") -> Any:
    """Build a config section's model; the first problem becomes one line naming the key."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        e = exc.errors()[0]
        key = ".".join(str(p) for p in e["loc"]) or f"({section})"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            allowed = ", ".join(sorted(model.model_fields))
            msg = f"unknown key (allowed: {allowed})"
        raise ConfigError(f"{where}: {section}.{key}: {msg}".replace("\n", " ")) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def load_config(path: str | Path, program: str | None = None) -> ConfigFile:
    """Read and validate a config file; `program`, when given, must be the one it names."""
    path = Path(path)
    raw = read_toml(path)
    unknown = sorted(set(raw) - TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r} "
                          f"(allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    named = raw.get("program")
    if not isinstance(named, str) or not named:
        raise ConfigError(f"{path}: missing `program = \"{program or '<name>'}\"` at the top")
    if program is not None and named != program:
        raise ConfigError(f"{path}: config is for program {named!r}, not {program!r}")

    def table(name: str) -> dict[str, Any] | None:
        v = raw.get(name)
        if v is not None and not isinstance(v, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        return v

    token, dist, engine = table("token"), table("distributor"), table("engine")
    return ConfigFile(
        engine=None if engine is None else validate_section(EngineConfig, engine, str(path),
                                                            "engine"),
        path=path, program=named, params=table("params") or {}, raw=raw,
        sources=validate_section(Sources, table("sources") or {}, str(path), "sources"),
        tree=validate_section(TreeOptions, table("tree") or {}, str(path), "tree"),
        token=None if token is None else validate_section(TokenConfig, token, str(path), "token"),
        distributor=None if dist is None else validate_section(DistributorConfig, dist,
                                                               str(path), "distributor"))


def manifest_token(cfg: Any, symbol: str | None, decimals: int | None):
    """The manifest's `token` section (epochdrop/folder) from a config's `[token]` (or a
    RunConfig: anything with `.token`, `.chain_id`, `.path`): the program's symbol and
    `[params] decimals` are the defaults; the chain id comes from `[token]` or `[sources]`.
    `[token] decimals` must agree with `[params] decimals`, which scales every amount."""
    from epochdrop.folder import Token

    t = cfg.token
    if t is not None and t.decimals is not None and decimals is not None \
            and t.decimals != decimals:
        raise ConfigError(f"{cfg.path}: token.decimals {t.decimals} differs from params.decimals "
                          f"{decimals}; amounts are scaled with params.decimals, so set them equal")
    return Token(address=t.address if t else None,
                 symbol=(t.symbol if t and t.symbol else None) or symbol or None,
                 decimals=decimals if decimals is not None else (t.decimals if t else None),
                 chain_id=cfg.chain_id)


def manifest_distributor(cfg: Any):
    """The manifest's `distributor` section from `[distributor]` (chain: its own, else the
    token's)."""
    from epochdrop.folder import Distributor

    d = cfg.distributor
    if d is None:
        return None
    return Distributor(address=d.address,
                       chain_id=d.chain_id if d.chain_id is not None else cfg.chain_id)
