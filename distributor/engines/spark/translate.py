"""DuckDB SQL text → Spark SQL text: sqlglot plus the few named transforms it lacks.

Pure (no pyspark): the same module answers `--dry` and the tests without a JVM. The program
SQL stays written in DuckDB's dialect, the reference engine (docs/design.md §6); sqlglot
(read "duckdb", write "spark") does most of the work, and each gap it leaves is one named
function below, applied to the parsed tree (never to the text):

- `expand_macros`   TEMP MACRO definitions are collected and each call site replaced by the
                    macro's body with the arguments substituted (Spark has no SQL macros);
- `hugeint`         HUGEINT/INT128 → DECIMAL(38,0), and an integer division `//` with a
                    HUGEINT operand stays DECIMAL(38,0) (Spark's `div` returns a BIGINT);
- `epoch_us`        epoch_us(t) → unix_micros(t);
- `range_table`     `FROM range(a, b) AS t(c)` → a subquery exploding sequence(a, b − 1)
                    (sqlglot already turns unnest(range(a, b)) into explode(sequence(a, b − 1)));
- `unordered_row_number`  row_number() OVER () → monotonically_increasing_id() (Spark
                    requires an order; DuckDB numbers rows in scan order, which is just as
                    arbitrary: the SQL only uses it as a unique row id);
- `floor_double`    floor() of a visibly DOUBLE argument stays a DOUBLE (Spark's floor
                    returns a BIGINT that saturates silently at 2^63);
- `temp_table`      `CREATE [OR REPLACE] [TEMP] TABLE x AS q` → `CACHE TABLE x AS q`, which the
                    connection runs as a materialised temp view (connection.py);
- `$name` → `:name` (Spark named parameters) is sqlglot's own.

What cannot be translated (a DuckDB-only construct sqlglot does not know, a generator nested
in an expression) is an InternalError naming the file and the construct: the fix is to write
that SQL in the subset both engines share, never to fork it per engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from distributor.programs.sql import read_sql, statements
from epochdrop.errors import InternalError

CACHE = "CACHE TABLE"
# DuckDB functions sqlglot passes through by name although Spark lacks them (or, like HASH,
# has one of that name that computes something else): each needs a transform here or a
# portable rewrite of the program SQL.
DUCKDB_ONLY = {"EPOCH_US", "EPOCH_NS", "MD5_NUMBER", "HASH", "REGEXP_FULL_MATCH",
               "ARG_MAX_NULL", "ARG_MIN_NULL", "UNNEST", "GENERATE_SERIES", "RANGE"}
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_NOISE = re.compile(r"/\*.*?\*/|'(?:[^']|'')*'|`[^`]*`", re.DOTALL)


@dataclass
class Macro:
    name: str
    params: list[str]
    body: exp.Expression


@dataclass
class Translator:
    """Translates statements in order; keeps the TEMP MACROs defined so far (a macro defined
    by one file, e.g. _orderbook/fixed_point.sql, is used by statements run after it)."""

    macros: dict[str, Macro] = field(default_factory=dict)
    source: str = "<sql>"

    def translate(self, sql: str) -> str | None:
        """One DuckDB statement → one Spark SQL statement; None for a macro definition
        (it is remembered, and there is nothing to run)."""
        try:
            trees = sqlglot.parse(sql, read="duckdb")
        except SqlglotError as exc:
            raise InternalError(f"{self.source}: sqlglot cannot parse the DuckDB SQL "
                                f"({_first_line(exc)})") from None
        trees = [t for t in trees if t is not None]
        if len(trees) != 1:
            raise InternalError(f"{self.source}: expected one statement, got {len(trees)}")
        tree = trees[0]
        if _is_macro(tree):
            self._define(tree)
            return None
        tree = self.expand_macros(tree)
        for step in (hugeint, epoch_us, range_table, unordered_row_number, floor_double):
            tree = step(tree)
        check_translatable(tree, self.source)
        cache = temp_table(tree)
        try:
            text = _cache_text(cache, self.source) if cache is not None else \
                tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as exc:
            raise InternalError(f"{self.source}: no Spark SQL for a construct "
                                f"({_first_line(exc)})") from None
        check_functions(text, self.source)
        return text

    def _define(self, tree: exp.Create) -> None:
        udf = tree.this
        name = udf.this.name.lower()
        params = [p.name.lower() for p in udf.expressions]
        # a macro may call one defined before it: expand those now, once
        self.macros[name] = Macro(name, params, self.expand_macros(tree.expression.copy()))

    def expand_macros(self, tree: exp.Expression) -> exp.Expression:
        """Replace each call of a known macro by its body, arguments substituted as trees
        (so `scaled(o.price, $m, $d)` keeps `o.price` one operand, whatever it is)."""
        if not self.macros:
            return tree

        def sub(node: exp.Expression) -> exp.Expression:
            name = _call_name(node)
            macro = self.macros.get(name) if name else None
            if macro is None:
                return node
            args = list(node.expressions) if isinstance(node, exp.Anonymous) else \
                [a for a in node.args.values() if isinstance(a, exp.Expression)]
            if len(args) != len(macro.params):
                raise InternalError(f"{self.source}: macro {name} takes {len(macro.params)} "
                                    f"arguments, called with {len(args)}")
            values = dict(zip(macro.params, args))

            def put(n: exp.Expression) -> exp.Expression:
                if isinstance(n, exp.Column) and not n.table and n.name.lower() in values:
                    return exp.Paren(this=values[n.name.lower()].copy())
                return n

            return self.expand_macros(macro.body.copy().transform(put, copy=False))

        return tree.transform(sub)


def _is_macro(tree: exp.Expression) -> bool:
    return isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "MACRO"


def _call_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _int128(node: exp.Expression) -> bool:
    return isinstance(node, exp.DataType) and node.this in (exp.DataType.Type.INT128,
                                                            exp.DataType.Type.UINT128)


def _is_hugeint_cast(node: exp.Expression) -> bool:
    return isinstance(node, (exp.Cast, exp.TryCast)) and _int128(node.args.get("to"))


def hugeint(tree: exp.Expression) -> exp.Expression:
    """HUGEINT/INT128 → DECIMAL(38,0); `a // b` with a HUGEINT operand stays DECIMAL(38,0)
    (Spark's `div` returns BIGINT, where DuckDB's `//` keeps HUGEINT)."""
    def sub(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.IntDiv) and (_is_hugeint_cast(node.this)
                                             or _is_hugeint_cast(node.expression)):
            return exp.Cast(this=node, to=exp.DataType.build("DECIMAL(38, 0)"))
        return node

    tree = tree.transform(sub)
    return tree.transform(lambda n: exp.DataType.build("DECIMAL(38, 0)") if _int128(n) else n)


def epoch_us(tree: exp.Expression) -> exp.Expression:
    """epoch_us(t) → unix_micros(t) (both: µs since 1970-01-01 UTC; the session is UTC)."""
    def sub(node: exp.Expression) -> exp.Expression:
        if _call_name(node) == "epoch_us":
            return exp.Anonymous(this="unix_micros", expressions=list(node.expressions))
        return node

    return tree.transform(sub)


def range_table(tree: exp.Expression) -> exp.Expression:
    """`FROM range(a, b) AS t(c)` (a table of integers) → `FROM (SELECT explode(sequence(a,
    b − 1)) AS c) AS t`."""
    def sub(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries)):
            return node
        gs = node.this
        alias = node.args.get("alias")
        cols = [c.name for c in alias.columns] if alias is not None and alias.columns else []
        name = alias.name if alias is not None and alias.name else "range_t"
        col = cols[0] if cols else "range"
        start = gs.args.get("start") or exp.Literal.number(0)
        end = gs.args.get("end")
        if gs.args.get("is_end_exclusive"):
            end = exp.Sub(this=end.copy(), expression=exp.Literal.number(1))
        seq = exp.Anonymous(this="sequence", expressions=[start.copy(), end])
        inner = exp.select(exp.alias_(exp.Explode(this=seq), col))
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(name)))

    return tree.transform(sub)


def unordered_row_number(tree: exp.Expression) -> exp.Expression:
    """row_number() OVER () → monotonically_increasing_id() + 1: a unique row id, as
    arbitrary in DuckDB (scan order) as in Spark (partition and row)."""
    def sub(node: exp.Expression) -> exp.Expression:
        if (isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber)
                and not node.args.get("partition_by") and not node.args.get("order")):
            return exp.Add(this=exp.Anonymous(this="monotonically_increasing_id",
                                              expressions=[]),
                           expression=exp.Literal.number(1))
        return node

    return tree.transform(sub)


def _is_double(node: exp.Expression) -> bool:
    """Whether `node` is a DOUBLE on both engines by its form alone: a cast to DOUBLE, a
    float literal, or arithmetic with such an operand (the translator knows no schema)."""
    if isinstance(node, exp.Paren):
        return _is_double(node.this)
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)
    if isinstance(node, exp.Literal) and not node.is_string:
        return "e" in node.this.lower()
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        return _is_double(node.this) or _is_double(node.expression)
    return False


def floor_double(tree: exp.Expression) -> exp.Expression:
    """floor(d) of a DOUBLE → d − d % 1 − (1 if d % 1 < 0): DuckDB's floor of a double is a
    double, Spark's a BIGINT that saturates at 2^63 without an error (even for Infinity), so
    `CAST(floor(d) AS HUGEINT)` of a large estimate would silently differ. The remainder of
    a double by 1 is exact, so this is the same double DuckDB returns."""
    def sub(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Floor) and not node.args.get("decimals")
                and _is_double(node.this)):
            return node
        d = exp.Paren(this=node.this.copy())
        rem = exp.Paren(this=exp.Mod(this=d.copy(), expression=exp.Literal.number(1)))
        neg = exp.If(this=exp.LT(this=rem.copy(), expression=exp.Literal.number(0)),
                     true=exp.Literal.number(1), false=exp.Literal.number(0))
        return exp.Paren(this=exp.Sub(this=exp.Sub(this=d, expression=rem), expression=neg))

    return tree.transform(sub)


def temp_table(tree: exp.Expression) -> exp.Create | None:
    """The CREATE TABLE … AS query statement, when `tree` is one (temporary or not: a
    connection is in memory, like DuckDB's `:memory:`), else None."""
    if (isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE"
            and isinstance(tree.expression, exp.Query)):
        return tree
    return None


def _cache_text(create: exp.Create, source: str) -> str:
    name = create.this.sql(dialect="spark")
    if isinstance(create.this, exp.Schema):
        raise InternalError(f"{source}: CREATE TABLE {name} with a column list: write it "
                            f"as a query")
    query = create.expression.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    return f"{CACHE} {name} AS {query}"


def check_translatable(tree: exp.Expression, source: str) -> None:
    """InternalError for a construct the transforms above leave DuckDB-only."""
    for node in tree.walk():
        if isinstance(node, exp.Explode | exp.Unnest):
            parent = node.parent
            while isinstance(parent, (exp.Alias, exp.Paren)):
                parent = parent.parent
            if not isinstance(parent, (exp.Select, exp.From, exp.Join, exp.Lateral)):
                raise InternalError(f"{source}: unnest nested in an expression "
                                    f"({node.parent.sql(dialect='duckdb')[:80]}); Spark runs "
                                    f"a generator only as a select item: unnest in a subquery")
        if isinstance(node, exp.Create) and str(node.args.get("kind", "")).upper() not in \
                ("TABLE", "VIEW"):
            raise InternalError(f"{source}: CREATE {node.args.get('kind')} has no Spark "
                                f"translation (only tables, views and top-level macros)")


def check_functions(text: str, source: str) -> None:
    """InternalError for a DuckDB-only function left in the Spark SQL text."""
    for name in _CALL.findall(_NOISE.sub(" ", text)):
        if name.upper() in DUCKDB_ONLY:
            raise InternalError(f"{source}: {name.lower()}() has no Spark translation; write "
                                f"it in SQL both engines run")


def translate(sql: str, translator: Translator | None = None) -> str | None:
    """One statement with a fresh (or the given) translator; see Translator.translate."""
    return (translator or Translator()).translate(sql)


def translate_file(path: str | Path, translator: Translator | None = None) -> list[str]:
    """Every statement of a program SQL file (includes read) as the Spark SQL that runs:
    what `--dry` prints. Macro definitions are kept by the translator, not listed."""
    path = Path(path)
    t = translator or Translator()
    t.source = path.name
    out = []
    for stmt in statements(read_sql(path.resolve())):
        text = t.translate(stmt)
        if text is not None:
            out.append(text)
    return out


__all__ = ["CACHE", "Translator", "epoch_us", "floor_double", "hugeint", "range_table", "temp_table",
           "translate", "translate_file", "unordered_row_number"]
