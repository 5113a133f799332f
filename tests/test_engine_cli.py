"""The engine choice as a user meets it (issue 18; docs/design.md §6): `[engine]` in the
config, `--engine duckdb|spark` / `--spark-master` on score, run, verify and whatif, the
flag winning over the config, and the same bytes out of both engines.

Without a JVM: the `[engine]` section's good and bad values (one line each), the flag over
the config, and a missing Java or pyspark — exit 2 with one line saying what to install,
before any output exists — through the real CLI in a subprocess whose PATH has no `java`
(and, for pyspark, a real virtualenv holding everything but pyspark).

With Spark (xdist group `spark`, the session's one `local[2]` SparkSession from
tests/conftest.py; the CLI runs in this process with `--spark-master local[2]` so it reuses
it): `score` gives byte-identical rewards, scores and manifest to DuckDB; `run` driven by
the config's `[engine]`; `verify --engine spark` on a DuckDB-made folder says identical;
`whatif --engine spark` compares the same options with the same numbers.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from epochdrop.config import EngineConfig, engine_from, load_config
from epochdrop.errors import ConfigError, UserError
from tests.support.program_data import write_table

REPO = Path(__file__).resolve().parents[1]
SPARK = pytest.mark.xdist_group("spark")
EPOCH = "2024-03"
TOKEN = "0x00000000000000000000000000000000000000aa"
ZERO = "0x" + "00" * 20
PARAMS = ('budget = "1000"\ndecimals = 6\ntoken_decimals = 2\nmin_balance = "1.00"\n'
          'exclude = ["0x4000000000000000000000000000000000000004"]\n')


# ── a small holders input: mints, then 200 seeded transfers around March 2024 ─────────────

def holders_data(folder: Path, n: int = 200) -> Path:
    """erc20_transfers.csv with a few dozen holders: mints in February, `n` transfers
    spread over March in time order (no balance goes negative), one after the epoch, and
    one excluded account (the program's `exclude`); rows written shuffled."""
    rng = random.Random(18)
    accounts = [f"0x{i:040x}" for i in range(0x1001, 0x1001 + 30)]
    accounts.append("0x4000000000000000000000000000000000000004")
    balance = {a: 0 for a in accounts}
    rows = []
    for i, a in enumerate(accounts):
        v = rng.randrange(100, 10**7)
        balance[a] += v
        rows.append((f"2024-02-{20 + i % 9}T0{i % 10}:00:00Z", TOKEN, ZERO, a, v))
    march = sorted(rng.randrange(31 * 86_400) for _ in range(n))
    for second in march:
        src, dst = rng.sample(accounts, 2)
        v = rng.randrange(0, balance[src] + 1)
        balance[src] -= v
        balance[dst] += v
        day, rest = divmod(second, 86_400)
        rows.append((f"2024-03-{day + 1:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:"
                     f"{rest % 60:02d}Z", TOKEN, src, dst, v))
    rows.append(("2024-04-02T00:00:00Z", TOKEN, accounts[0], accounts[1], 1))  # after
    write_table(folder, "erc20_transfers", ["time", "token", "from_address", "to_address",
                                            "value"], rows, shuffle_seed=7)
    return folder


def holders_config(path: Path, extra: str = "") -> Path:
    path.write_text(f'program = "holders"\n\n[params]\n{PARAMS}{extra}')
    return path


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """`epochdrop ARGS` in this process (so Spark reuses the session's JVM)."""
    from pipeline.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def sub(args: list[str], env: dict[str, str], python: str = sys.executable
        ) -> subprocess.CompletedProcess:
    """`epochdrop ARGS` in a fresh process with exactly `env`."""
    return subprocess.run([python, "-m", "pipeline.cli", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def run_report(out: Path, command: str) -> dict:
    runs = out.parent / ".epochdrop-runs" / out.name
    found = sorted(runs.glob(f"{command}_*.json"))
    assert len(found) == 1, found
    return json.loads(found[0].read_text())


def same_bytes(a: Path, b: Path, names: tuple[str, ...]) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# ── [engine] in the config: parsed by the one reader, bad values in one line ──────────────

def _config(tmp_path: Path, engine: str) -> Path:
    return holders_config(tmp_path / "c.toml", f"\n[engine]\n{engine}\n")


def test_engine_section_good_values(tmp_path) -> None:
    assert load_config(holders_config(tmp_path / "none.toml")).engine is None
    cfg = load_config(_config(tmp_path, 'kind = "spark"\nmaster = "local[2]"\n'
                                        '[engine.conf]\nspark.sql.shuffle.partitions = 8\n'
                                        '"spark.executor.memory" = "2g"\n'
                                        'spark.ui.enabled = false'))
    assert cfg.engine == EngineConfig(kind="spark", master="local[2]", conf={
        "spark.executor.memory": "2g", "spark.sql.shuffle.partitions": "8",
        "spark.ui.enabled": "false"})
    for master in ("local[*]", "local[4]", "spark://127.0.0.1:7077", "spark://a:7077,b:7077",
                   "sc://spark.example.org:15002", "sc://h:15002/;token=abc;use_ssl=true",
                   "sc://adb-1.azuredatabricks.net:443/;token=dapi1;x-databricks-cluster-id=0123-45"):
        assert load_config(_config(tmp_path, f'kind = "spark"\nmaster = "{master}"')
                           ).engine.master == master
    assert load_config(_config(tmp_path, 'kind = "duckdb"')).engine == EngineConfig()
    assert EngineConfig().kind == "duckdb" and EngineConfig().master == "local[*]"
    # the run report records kind and master, never conf (it may hold credentials)
    assert cfg.engine.describe() == {"kind": "spark", "master": "local[2]"}
    assert EngineConfig().describe() == {"kind": "duckdb"}


@pytest.mark.parametrize("body, message", [
    ('kind = "flink"', "engine.kind: Input should be 'duckdb' or 'spark'"),
    ('master = "yarn"', "engine.master: 'yarn' is not a Spark master (use local[*], local[N], "
                        "spark://HOST:PORT or sc://HOST:PORT)"),
    ('master = "local[0]"', "engine.master: 'local[0]' is not a Spark master"),
    ('master = "spark://h:70000"', "engine.master: 'spark://h:70000' is not a Spark master"),
    ('master = "http://h:7077"', "engine.master: 'http://h:7077' is not a Spark master"),
    ('mastr = "local[2]"', "engine.mastr: unknown key (allowed: conf, kind, master)"),
    ('[engine.conf]\nexecutor_memory = "2g"', "engine.conf: executor_memory: not a Spark "
                                              "setting (Spark's keys start with 'spark.')"),
    ('[engine.conf]\n"spark.x" = [1]', "engine.conf: spark.x: a Spark setting is a string, "
                                       "number or boolean, not list"),
])
def test_engine_section_bad_values_are_one_line(tmp_path, body, message) -> None:
    path = _config(tmp_path, body)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value).startswith(f"{path}: {message}")
    assert "\n" not in str(e.value)


def test_engine_not_a_table_and_through_the_cli(tmp_path) -> None:
    path = holders_config(tmp_path / "c.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text('engine = "spark"\n' + path)
    with pytest.raises(ConfigError, match=r"\[engine\] must be a table"):
        load_config(bad)
    # through the real CLI: exit 2, one line naming the file and key, nothing written
    bad.write_text(path + '\n[engine]\nkind = "spark"\nmaster = "yarn"\n')
    data = holders_data(tmp_path / "data")
    r = sub(["score", "holders", "--data", data, "--epoch", EPOCH, "--out", tmp_path / "out",
             "--config", bad], env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"error: {bad}: engine.master: 'yarn' is not a Spark master (use local[*], local[N], "
        "spark://HOST:PORT or sc://HOST:PORT)"]
    assert not (tmp_path / "out").exists() and not (tmp_path / ".epochdrop-runs").exists()


def test_flag_wins_over_config() -> None:
    spark = EngineConfig(kind="spark", master="spark://10.0.0.5:7077", conf={"spark.a": "1"})
    assert engine_from(None, None, None) == EngineConfig()
    assert engine_from(None, None, spark) == spark
    assert engine_from("duckdb", None, spark).kind == "duckdb"
    assert engine_from("spark", None, None) == EngineConfig(kind="spark")
    # --spark-master over [engine] master; the conf table is kept
    assert engine_from(None, "local[2]", spark) == spark.model_copy(update={"master": "local[2]"})
    with pytest.raises(UserError, match=r"^--engine 'Spark': choose duckdb or spark$"):
        engine_from("Spark", None, None)
    with pytest.raises(UserError, match=r"^--spark-master is for the spark engine"):
        engine_from(None, "local[2]", None)
    with pytest.raises(UserError, match=r"^--spark-master: 'local' is not a Spark master"):
        engine_from("spark", "local", None)


# ── Spark not installed: one line, exit 2, nothing touched (a real CLI in a subprocess) ───

def no_java_env(tmp_path: Path) -> dict[str, str]:
    """This environment with a PATH that holds no `java` (an empty folder) and no
    JAVA_HOME: what a machine without Debian's openjdk-17-jre-headless looks like."""
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME")}
    return {**env, "PATH": str(empty), "PYTHONPATH": str(REPO)}


def _spark_commands(tmp_path: Path, data: Path, cfg: Path, folder: Path) -> dict[str, list]:
    return {
        "score": ["score", "holders", "--data", data, "--epoch", EPOCH, "--out",
                  tmp_path / "s-out", "--config", cfg, "--engine", "spark"],
        "run": ["run", cfg, "--epoch", EPOCH, "--data", data, "--out", tmp_path / "r-out",
                "--engine", "spark"],
        "verify": ["verify", folder, "--data", data, "--engine", "spark"],
        "whatif": ["whatif", "holders", "--config", cfg, "--vary", "min_balance=1.00,0",
                   "--epoch", EPOCH, "--data", data, "--out", tmp_path / "w-out",
                   "--engine", "spark"],
    }


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes (to prove a command touched nothing)."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _untouched(tmp_path: Path, folder: Path, before: dict[str, bytes]) -> None:
    for name in ("s-out", "r-out", "w-out"):
        assert not (tmp_path / name).exists(), name
    assert not (tmp_path / ".epochdrop-runs").exists()
    assert tree(folder.parent) == before      # no verify report, no rebuilt file


@pytest.fixture(scope="module")
def duckdb_folder(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(data, config, epoch folder): a DuckDB `run` of the small holders month."""
    from pipeline.run import run_epoch

    base = tmp_path_factory.mktemp("engine-duckdb")
    data = holders_data(base / "data")
    cfg = holders_config(base / "holders.toml")
    folder = base / "epochs" / EPOCH
    run_epoch(cfg, EPOCH, data=data, out=folder, show=False)
    return data, cfg, folder


def test_missing_java_is_one_line_before_anything_is_written(tmp_path, duckdb_folder) -> None:
    data, cfg, folder = duckdb_folder
    before = tree(folder.parent)
    env = no_java_env(tmp_path)
    for name, args in _spark_commands(tmp_path, data, cfg, folder).items():
        r = sub(args, env)
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, r.stderr)
        assert "java" in lines[0].lower() and "openjdk-17-jre-headless" in lines[0], lines
        assert r.stdout == "", name
        _untouched(tmp_path, folder, before)
    # the flag wins over the config: a config asking for Spark runs on DuckDB with
    # --engine duckdb on the same Java-less machine
    spark_cfg = holders_config(tmp_path / "spark.toml", '\n[engine]\nkind = "spark"\n')
    r = sub(["score", "holders", "--data", data, "--epoch", EPOCH, "--out", tmp_path / "d-out",
             "--config", spark_cfg, "--engine", "duckdb"], env)
    assert r.returncode == 0, r.stderr
    assert run_report(tmp_path / "d-out", "score")["engine"] == {"kind": "duckdb"}
    same_bytes(folder, tmp_path / "d-out", ("rewards.parquet", "scores.parquet"))
    # … and without the flag the config's [engine] asks for Spark: the same one line
    r = sub(["score", "holders", "--data", data, "--epoch", EPOCH, "--out", tmp_path / "e-out",
             "--config", spark_cfg], env)
    assert r.returncode == 2 and "openjdk-17-jre-headless" in r.stderr, r.stderr
    assert not (tmp_path / "e-out").exists()


def venv_without_pyspark(where: Path) -> str:
    """A real virtualenv holding every package of this one except pyspark: its python."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    import site

    ours = Path(next(p for p in site.getsitepackages() if Path(p, "duckdb").exists()))
    theirs = next((where / "lib").glob("python3*/site-packages"))
    for entry in ours.iterdir():
        if entry.name.lower().startswith("pyspark") or (theirs / entry.name).exists():
            continue
        (theirs / entry.name).symlink_to(entry)
    return str(where / "bin" / "python")


def test_missing_pyspark_is_one_line_before_anything_is_written(tmp_path, duckdb_folder) -> None:
    data, cfg, folder = duckdb_folder
    before = tree(folder.parent)
    python = venv_without_pyspark(tmp_path / "venv")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONNOUSERSITE": "1"}
    probe = subprocess.run([python, "-c", "import duckdb, typer\nimport pyspark"], env=env,
                           capture_output=True, text=True)
    assert "No module named 'pyspark'" in probe.stderr   # the venv is what it claims to be
    for name, args in _spark_commands(tmp_path, data, cfg, folder).items():
        r = sub(args, env, python=python)
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        assert r.stderr.strip().splitlines() == [
            "error: the spark engine needs pyspark: pip install 'epochdrop[spark]'"], r.stderr
        _untouched(tmp_path, folder, before)
    # the same venv scores on DuckDB: pyspark is needed only for Spark
    r = sub(["score", "holders", "--data", data, "--epoch", EPOCH, "--out", tmp_path / "d-out",
             "--config", cfg], env, python=python)
    assert r.returncode == 0, r.stderr


# ── --data URLs: file:// everywhere; hdfs:// / s3a:// only where no file hash is needed ───

def test_data_urls_for_run_verify_whatif(tmp_path, capsys, duckdb_folder) -> None:
    data, cfg, folder = duckdb_folder
    code, out, err = cli(capsys, "run", cfg, "--epoch", EPOCH, "--data", data.as_uri(),
                         "--out", tmp_path / "via-url")
    assert code == 0, err
    same_bytes(folder, tmp_path / "via-url", ("rewards.parquet", "manifest.json"))
    code, out, err = cli(capsys, "verify", folder, "--data", data.as_uri())
    assert code == 0 and "OK: identical" in out, out + err
    before = tree(tmp_path)
    for args, line in [
        (["run", cfg, "--epoch", EPOCH, "--data", "hdfs://127.0.0.1:1/store", "--out",
          tmp_path / "r", "--engine", "duckdb"],
         "error: --data hdfs://127.0.0.1:1/store: `run` reads a local store (it records each "
         "input file's sha256 in the manifest); copy the dataset here, or score it where it "
         "is with `epochdrop score … --engine spark --data hdfs://127.0.0.1:1/store`"),
        (["verify", folder, "--data", "s3a://bucket/store"],
         "error: --data s3a://bucket/store: `verify` reads a local store"),
        (["whatif", "holders", "--config", cfg, "--vary", "min_balance=1.00,0", "--epoch",
          EPOCH, "--data", "hdfs://127.0.0.1:1/store", "--out", tmp_path / "w"],
         "error: --data hdfs://127.0.0.1:1/store: a hdfs:// URL needs --engine spark (DuckDB "
         "reads a local path or a file:// URL)"),
        (["whatif", "holders", "--config", cfg, "--vary", "min_balance=1.00,0", "--epoch",
          EPOCH, "--data", "ftp://host/store", "--out", tmp_path / "w"],
         "error: --data ftp://host/store: unsupported URL scheme 'ftp'"),
    ]:
        code, out, err = cli(capsys, *args)
        assert code == 2, (args, out, err)
        assert len(err.strip().splitlines()) == 1 and err.startswith(line), err
    assert tree(tmp_path) == before
    assert not (tmp_path / "r").exists() and not (tmp_path / "w").exists()


# ── score --dry on Spark prints the translation that runs ─────────────────────────────────

def test_score_dry_prints_the_spark_sql(tmp_path, capsys) -> None:
    from distributor.engines.spark.translate import translate_file
    from distributor.programs import program_dir

    data = holders_data(tmp_path / "data")
    code, out, err = cli(capsys, "score", "holders", "--data", data, "--epoch", EPOCH,
                         "--out", tmp_path / "out", "--config", holders_config(tmp_path / "h.toml"),
                         "--engine", "spark", "--spark-master", "local[2]", "--dry")
    assert code == 0, err
    assert not (tmp_path / "out").exists() and not (tmp_path / ".epochdrop-runs").exists()
    assert "program holders (" in out and "engine spark, master local[2]" in out
    files = sorted(program_dir("holders").glob("*.sql"))
    assert [f.name for f in files] == ["erc20_transfers.view.sql", "score.sql"]
    for f in files:
        stmts = translate_file(f)
        head = f"-- {f.name}: Spark SQL ({len(stmts)} statement"
        assert head in out
        block = out.split(head, 1)[1]
        for s in stmts:
            assert f"{s};" in block
    # it is the translation, not the DuckDB source: score.sql's `$name` parameters are
    # Spark's `:name` markers there
    import re

    names = set(re.findall(r"\$([A-Za-z_]\w*)", (program_dir("holders") / "score.sql").read_text()))
    assert names
    printed = out.split("-- score.sql: Spark SQL", 1)[1]
    assert "$" not in printed
    for name in names:
        assert re.search(rf":{name}\b", printed), name
    # and on DuckDB the plan says so and prints no SQL
    code, out, _ = cli(capsys, "score", "holders", "--data", data, "--epoch", EPOCH,
                       "--out", tmp_path / "out", "--dry")
    assert code == 0 and "engine duckdb" in out and "Spark SQL" not in out


# ── on Spark: the same bytes as DuckDB ────────────────────────────────────────────────────

@SPARK
def test_score_on_spark_is_byte_identical(tmp_path, capsys, spark_engine) -> None:
    data = holders_data(tmp_path / "data")
    cfg = holders_config(tmp_path / "h.toml")
    common = ["score", "holders", "--data", data, "--epoch", EPOCH, "--config", cfg]
    code, out_d, err = cli(capsys, *common, "--out", tmp_path / "duck")
    assert code == 0, err
    code, out_s, err = cli(capsys, *common, "--out", tmp_path / "spark", "--engine", "spark",
                           "--spark-master", "local[2]")
    assert code == 0, err
    same_bytes(tmp_path / "duck", tmp_path / "spark",
               ("rewards.parquet", "scores.parquet", "rewards.csv", "manifest.json"))
    assert out_s.replace(str(tmp_path / "spark"), "X") == out_d.replace(str(tmp_path / "duck"), "X")
    from tests.support.program_data import rewards

    assert len(rewards(tmp_path / "spark")) > 20     # a real payout, not an empty one
    assert run_report(tmp_path / "spark", "score")["engine"] == {"kind": "spark",
                                                                "master": "local[2]"}
    assert run_report(tmp_path / "duck", "score")["engine"] == {"kind": "duckdb"}


@SPARK
def test_run_from_config_engine_then_verify_across_engines(tmp_path, capsys, spark_engine,
                                                           duckdb_folder) -> None:
    data, _, duck = duckdb_folder
    # [engine] in the config alone picks Spark (no flag)
    cfg = holders_config(tmp_path / "holders.toml",
                         f'\n[sources]\ndata = "{data}"\noutput = "epochs"\n'
                         '\n[engine]\nkind = "spark"\nmaster = "local[2]"\n'
                         '[engine.conf]\n"spark.sql.shuffle.partitions" = 4\n')
    code, out, err = cli(capsys, "run", cfg, "--epoch", EPOCH)
    assert code == 0, err
    spark = tmp_path / "epochs" / EPOCH
    assert "epoch written" in out
    same_bytes(duck, spark, ("rewards.parquet", "scores.parquet", "rewards.csv"))
    # the manifests differ only in the config file's hash (this one adds [sources]/[engine])
    m_duck, m_spark = (json.loads((f / "manifest.json").read_text()) for f in (duck, spark))
    assert m_duck["config"]["sha256"] != m_spark["config"]["sha256"]
    assert {**m_duck, "config": None} == {**m_spark, "config": None}
    assert m_duck["tree"]["root"] == m_spark["tree"]["root"]
    assert run_report(spark, "run")["engine"] == {"kind": "spark", "master": "local[2]"}
    # verify on Spark a folder DuckDB made, and on DuckDB the folder Spark made
    code, out, err = cli(capsys, "verify", duck, "--data", data, "--engine", "spark",
                         "--spark-master", "local[2]")
    assert code == 0, out + err
    assert "OK: identical — holders epoch 2024-03" in out
    reports = sorted((duck.parent / ".epochdrop-runs" / duck.name).glob("verify_*.json"))
    assert json.loads(reports[-1].read_text())["engine"] == {"kind": "spark",
                                                             "master": "local[2]"}
    code, out, err = cli(capsys, "verify", spark, "--data", data, "--engine", "duckdb")
    assert code == 0 and "OK: identical" in out, out + err
    # and a changed input is found on Spark too (the comparison can fail)
    changed = tmp_path / "changed"
    changed.mkdir()
    text = (data / "erc20_transfers.csv").read_text().splitlines()
    i = next(i for i, line in enumerate(text) if f",{ZERO}," in line)   # a mint: +1 unit
    row, value = text[i].rsplit(",", 1)
    text[i] = f"{row},{int(value) + 1}"
    (changed / "erc20_transfers.csv").write_text("\n".join(text) + "\n")
    code, out, err = cli(capsys, "verify", duck, "--data", changed, "--engine", "spark",
                         "--spark-master", "local[2]")
    assert code == 1 and "MISMATCH" in out, out + err


@SPARK
def test_whatif_on_spark(tmp_path, capsys, spark_engine, duckdb_folder) -> None:
    data, cfg, _ = duckdb_folder
    common = ["whatif", "holders", "--config", cfg, "--vary", "min_balance=1.00,500",
              "--epoch", EPOCH, "--data", data]
    code, _, err = cli(capsys, *common, "--out", tmp_path / "duck")
    assert code == 0, err
    code, out, err = cli(capsys, *common, "--out", tmp_path / "spark", "--engine", "spark",
                         "--spark-master", "local[2]")
    assert code == 0, err
    assert "whatif holders epoch 2024-03" in out
    same_bytes(tmp_path / "duck", tmp_path / "spark",
               ("comparison.parquet", "comparison.csv", "summary.json"))
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    assert len(summary["options"]) == 2
    assert summary["options"][0]["totals"] != summary["options"][1]["totals"]
    assert run_report(tmp_path / "spark", "whatif")["engine"]["kind"] == "spark"
