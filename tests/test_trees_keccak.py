"""The C bulk keccak (`distributor/trees/_keccak.c`) against safe-pysha3, row by row.

Widths cross the 136-byte Keccak-256 rate (one, two and three absorbed blocks), and the
fallback path (no extension) must give the same bytes, threads and fork included."""

from __future__ import annotations

import numpy as np
import pytest
import sha3
from hypothesis import given, settings, strategies as st

from distributor.trees import hashing


def reference(rows: np.ndarray) -> np.ndarray:
    out = b"".join(sha3.keccak_256(bytes(r)).digest() for r in rows)
    return np.frombuffer(out, dtype=np.uint8).reshape(len(rows), 32)


def test_extension_is_built():
    # `pip install -e .` compiles it (setup.py); CI has a compiler.
    assert hashing._keccak is not None


@settings(max_examples=60, deadline=None)
@given(width=st.integers(0, 420), m=st.integers(0, 40), seed=st.integers(0, 2**32 - 1))
def test_rows_match_pysha3(width, m, seed):
    rows = np.random.default_rng(seed).integers(0, 256, size=(m, width), dtype=np.uint8)
    assert np.array_equal(hashing.keccak_rows(rows), reference(rows))


def test_known_vectors():
    empty = hashing.keccak_rows(np.zeros((1, 0), dtype=np.uint8))[0].tobytes().hex()
    assert empty == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    abc = hashing.keccak_rows(np.frombuffer(b"abc", dtype=np.uint8).reshape(1, 3))[0]
    assert abc.tobytes().hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


@pytest.mark.parametrize("extension", [True, False])
def test_large_batches_split_over_threads_or_fork(monkeypatch, extension):
    if not extension:
        monkeypatch.setattr(hashing, "_keccak", None)
    m = hashing.PARALLEL_MIN * 2 + 3
    rng = np.random.default_rng(7)
    left = rng.integers(0, 256, size=(m, 32), dtype=np.uint8)
    right = rng.integers(0, 256, size=(m, 32), dtype=np.uint8)
    right[5] = left[5]  # equal pair
    pairs = hashing.pair_rows(left, right)
    sample = rng.choice(m, 300, replace=False)
    ordered = hashing.order_pairs(left[sample], right[sample])
    assert np.array_equal(pairs[sample], reference(ordered))
    assert np.array_equal(pairs[5], reference(np.concatenate([left[5], left[5]])[None])[0])
    rows = np.concatenate([left, right], axis=1)[:, :40]
    assert np.array_equal(hashing.keccak_rows(rows)[sample], reference(rows[sample]))


def _cpu_flags() -> set[str]:
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return set()
    return set(next((ln for ln in text.splitlines() if ln.startswith("flags")), "").split())


# Each code path `target_clones` may pick, and the flags a CPU needs to run it.
VARIANTS = {"default": set(), "avx2": {"avx2"},
            "arch=x86-64-v4": {"avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"}}


@pytest.mark.parametrize("target", VARIANTS)
def test_every_cpu_variant_gives_the_same_bytes(tmp_path, target):
    """The extension picks its code at load time by CPU, so CI's CPU only runs one clone:
    build each one alone and check it against pysha3 (batches not a multiple of four)."""
    import importlib.util
    import shutil
    import subprocess
    import sysconfig
    from pathlib import Path

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not VARIANTS[target] <= _cpu_flags() or sysconfig.get_platform() != "linux-x86_64":
        pytest.skip(f"needs a C compiler and a linux x86-64 CPU with {sorted(VARIANTS[target])}")
    source = Path(hashing.__file__).with_name("_keccak.c")
    lib = tmp_path / "_keccak.so"
    subprocess.run([cc, "-O2", "-shared", "-fPIC", f"-I{sysconfig.get_paths()['include']}",
                    f'-DCLONES=__attribute__((target("{target}")))', str(source), "-o", str(lib)],
                   check=True)
    spec = importlib.util.spec_from_file_location("_keccak", lib)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng = np.random.default_rng(11)
    for m, width in [(1, 0), (3, 40), (5, 64), (9, 136), (7, 300)]:
        rows = rng.integers(0, 256, size=(m, width), dtype=np.uint8)
        out = np.empty((m, 32), dtype=np.uint8)
        mod.keccak256_rows(rows, width, out)
        assert np.array_equal(out, reference(rows))
    left, right = (rng.integers(0, 256, size=(6, 32), dtype=np.uint8) for _ in range(2))
    out = np.empty((6, 32), dtype=np.uint8)
    mod.pair_rows(left, right, out)
    assert np.array_equal(out, reference(hashing.order_pairs(left, right)))
