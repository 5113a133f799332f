"""distributor/trees/amounts.py: amounts stay canonical decimal text, and their uint256
words and totals (made in bulk through Arrow's decimal256) equal Python's int arithmetic."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from distributor.trees import jsontext
from distributor.trees.amounts import decimal_words, parse_amounts, words_total
from distributor.trees.claims import Claims
from epochdrop.errors import InputError

U256, U64 = 2**256 - 1, 2**64 - 1

# Values of every digit count, the 76-digit edge of decimal256 and the uint256 maximum.
values = st.lists(st.one_of(st.integers(0, U256), st.integers(0, 10**20),
                            st.sampled_from([0, 10**76 - 1, 10**76, U256])), max_size=60)


def texts(col: pa.Array) -> list[str]:
    return col.view(pa.large_string()).to_pylist()


@settings(max_examples=80, deadline=None)
@given(values, st.integers(0, 5))
def test_words_and_total_equal_python_ints(vals, cut):
    col = jsontext.decimal(vals)
    words = decimal_words(col)
    assert words.tobytes() == b"".join(v.to_bytes(32, "big") for v in vals)
    assert words_total(words) == sum(vals)
    part = col.slice(min(cut, len(vals)))  # a slice starts part-way into its buffers
    assert decimal_words(part).tobytes() == b"".join(v.to_bytes(32, "big") for v in vals[cut:])


def test_total_of_a_million_maximal_amounts_is_exact():
    """Limb sums are taken in chunks: 2^17 rows of 2^256-1 would overflow one uint64 sum."""
    words = decimal_words(jsontext.decimal([U256] * (1 << 17)))
    assert words_total(words) == U256 << 17


def test_canonical_text_is_kept_and_other_forms_are_rewritten():
    kept = pa.array(["0", "7", str(U256)])
    assert texts(parse_amounts(kept, decimals=None, limit=U256, file="x")) == ["0", "7", str(U256)]
    assert texts(parse_amounts(pa.array(["007", "0x10", "5"]), decimals=None, limit=U256,
                               file="x")) == ["7", "16", "5"]
    assert texts(parse_amounts(pa.array(["1.5", "2"]), decimals=2, limit=U256, file="x")) == ["150", "200"]


@pytest.mark.parametrize("limit, top", [(U256, str(U256)), (U64, str(U64)), (2**8 - 1, "255")])
def test_the_limit_is_compared_exactly(limit, top):
    """Equal-length digit strings compare as numbers: the maximum passes, one more fails
    with the row named."""
    assert texts(parse_amounts(pa.array(["1", top]), decimals=None, limit=limit, file="x")) == ["1", top]
    with pytest.raises(InputError, match="above the maximum") as err:
        parse_amounts(pa.array(["1", top, str(limit + 1)]), decimals=None, limit=limit, file="x")
    assert "row 3" in str(err.value)


def test_claims_give_python_values_on_demand():
    c = Claims(jsontext.strings(["a", "b"]), np.zeros((2, 20), np.uint8), jsontext.decimal([5, U256]),
               None, jsontext.decimal([1, 2]))
    assert (c.accounts, c.amounts, c.locked, c.total) == (["a", "b"], [5, U256], [1, 2], U256 + 8)
