"""The README walkthrough shows what a user sees after `make demo` (issue 17, acceptance 2).

The walkthrough's commands live in README.md (and docs/workflow.md) between
`<!-- walkthrough:begin -->` and `<!-- walkthrough:end -->`, as a console block: `$ command`
lines, each followed by what it prints. This test runs `epochdrop demo` (the full size, as
`make demo` does) in a fresh folder, then every command in order from that folder, and
compares stdout with the page: timings and 32-byte hashes are masked, runs of spaces and of
table rules count as one (a timing's width moves Rich's columns), and a `…` line stands for
any lines (the demo's progress, interleaved from two processes).

`EPOCHDROP_REGEN_DOCS=1` rewrites the blocks from this run instead (the demo keeps only its
closing table), so the docs are regenerated from a real run and cannot drift.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "docs" / "workflow.md"]
BLOCK = re.compile(r"(<!-- walkthrough:begin -->\n```console\n)(.*?)(```\n<!-- walkthrough:end -->)",
                   re.S)
REGEN = os.environ.get("EPOCHDROP_REGEN_DOCS") == "1"
MASKS = [(re.compile(r"\b\d+\.\d+s\b"), "…s"), (re.compile(r"took \d+ s"), "took … s"),
         (re.compile(r"0x[0-9a-fA-F]{64}"), "0x<hash>")]


def steps(block: str) -> list[tuple[str, list[str]]]:
    """`$ cmd` (with `\\` continuations) and the lines it prints."""
    out: list[tuple[str, list[str]]] = []
    cmd = None
    for line in block.splitlines():
        if line.startswith("$ "):
            cmd = line[2:]
            out.append((cmd, []))
        elif out and cmd is not None and cmd.endswith("\\"):
            cmd = cmd[:-1].rstrip() + " " + line.strip()
            out[-1] = (cmd, [])
        elif out:
            cmd = None
            out[-1][1].append(line)
    return out


def argv(cmd: str) -> list[str]:
    words = shlex.split(cmd)
    if words[:2] == ["make", "demo"]:
        words = ["epochdrop", "demo"]
    assert words[0] == "epochdrop", f"walkthrough commands are epochdrop commands: {cmd}"
    return [sys.executable, "-m", "pipeline.cli", *words[1:]]


def norm(line: str) -> str:
    for pattern, repl in MASKS:
        line = pattern.sub(repl, line)
    line = re.sub(r"([─━═])\1+", r"\1", line)
    return re.sub(r"\s+", " ", line).strip()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line after `norm`; a `…` line matches any run of lines (none included)."""
    e = [norm(x) for x in expected]
    a = [norm(x) for x in actual]
    memo: dict[tuple[int, int], bool] = {}

    def m(i: int, j: int) -> bool:
        if (i, j) not in memo:
            if i == len(e):
                memo[i, j] = j == len(a)
            elif e[i] == "…":
                memo[i, j] = any(m(i + 1, k) for k in range(j, len(a) + 1))
            else:
                memo[i, j] = j < len(a) and e[i] == a[j] and m(i + 1, j + 1)
        return memo[i, j]

    return m(0, 0)


def shown(cmd: str, stdout: str) -> list[str]:
    """What the docs show of a command's output: all of it, but only the demo's table."""
    lines = stdout.rstrip("\n").splitlines()
    if argv(cmd)[3:4] == ["demo"]:
        start = next(i for i, x in enumerate(lines) if x.startswith("epochdrop demo"))
        return ["…", *lines[start:]]
    return lines


@pytest.mark.slow
def test_walkthrough_prints_what_the_docs_show(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "NO_COLOR": "1"}
    texts = {doc: doc.read_text() for doc in DOCS}
    blocks = [(doc, m) for doc, text in texts.items() for m in BLOCK.finditer(text)]
    assert any(doc.name == "README.md" for doc, _ in blocks), "README has no walkthrough block"
    first = steps(blocks[0][1].group(2))[0][0]
    assert argv(first)[3:4] == ["demo"], "the walkthrough starts with `make demo`"
    problems, regenerated, ran = [], {}, {}
    for doc, m in blocks:
        new = []
        for cmd, expected in steps(m.group(2)):
            key = tuple(argv(cmd))
            if key[3:4] == ("demo",) and key in ran:
                p = ran[key]      # docs/workflow.md shows the same demo: one run serves both
            else:
                p = ran[key] = subprocess.run(list(key), cwd=tmp_path, env=env,
                                              capture_output=True, text=True, timeout=1500)
            if p.returncode != 0:
                problems.append(f"{doc.name}: `{cmd}` exited {p.returncode}: {p.stderr[-600:]}")
            actual = shown(cmd, p.stdout)
            if not matches(expected, p.stdout.rstrip("\n").splitlines()):
                problems.append(f"{doc.name}: `{cmd}` prints\n" + "\n".join(actual)
                                + "\n--- but the page shows\n" + "\n".join(expected))
            new.append(f"$ {cmd}\n" + "".join(f"{x}\n" for x in actual))
        regenerated.setdefault(doc, []).append((m, "".join(new)))
    if REGEN:
        print("\n\n".join(problems) or "docs already matched this run")
        for doc, parts in regenerated.items():
            text = texts[doc]
            for m, body in reversed(parts):
                text = text[:m.start(2)] + body + text[m.end(2):]
            doc.write_text(text)
        return
    assert not problems, "\n\n".join(problems) + "\n\n(EPOCHDROP_REGEN_DOCS=1 rewrites the docs)"


def test_the_comparison_can_fail() -> None:
    """Masks hide timings and hashes, never amounts or words."""
    assert matches(["paid 1.5s", "…", "end"], ["paid 12.25s", "x", "y", "end"])
    assert not matches(["paid 26,843.58 DHT"], ["paid 26,843.59 DHT"])
    assert not matches(["up to date: nothing to do"], ["epoch written"])
    assert matches(["root 0x" + "a" * 64], ["root 0x" + "b" * 64])
    assert matches(["│ a │ b │"], ["│ a    │ b         │"])
