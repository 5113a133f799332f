"""The optional C extension only; everything else about the package is in pyproject.toml.

`distributor/trees/_keccak.c` is bulk keccak256 for the Merkle trees. `optional=True`: with
no C compiler the install still succeeds and `distributor/trees/hashing.py` falls back to
safe-pysha3 (same bytes, slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("distributor.trees._keccak", ["distributor/trees/_keccak.c"],
                             extra_compile_args=["-O3"], optional=True)])
