"""One address module (epochdrop/addresses.py): held to eth-utils, and the vectorised tree
reader (distributor/trees/accounts.py) held to it — same answers, same error, same words."""

from __future__ import annotations

import pyarrow as pa
import pytest
from eth_utils import is_checksum_address, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from distributor.claims.accounts import BadAccount, parse_account
from distributor.trees.accounts import parse_evm
from epochdrop.addresses import AddressError, checksum, checksum_all
from epochdrop.errors import InputError

hex40 = st.text("0123456789abcdef", min_size=40, max_size=40)
cases = st.lists(st.sampled_from([str.lower, str.upper, str.swapcase, lambda s: s]),
                 min_size=40, max_size=40)


def _mangle(digits: str, how: list) -> str:
    return "0x" + "".join(f(c) for f, c in zip(how, digits))


@settings(max_examples=300, deadline=None)
@given(hex40, cases)
def test_shared_checker_agrees_with_eth_utils(digits, how) -> None:
    text = _mangle(digits, how)
    good = to_checksum_address("0x" + digits)
    body = text[2:]
    carries_checksum = not (body.islower() or body.isupper() or body.isdigit())
    if carries_checksum and not is_checksum_address(text):
        with pytest.raises(AddressError, match="fails its EIP-55 checksum"):
            checksum(text)
    else:
        assert checksum(text) == good


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(hex40, cases), min_size=1, max_size=20))
def test_vectorised_reader_matches_the_shared_one(rows) -> None:
    cells = [_mangle(d, how) for d, how in rows]
    expected, first_error = [], None
    for i, c in enumerate(cells):
        try:
            expected.append(checksum(c, file="in.csv", row=i + 1, field="account"))
        except AddressError as exc:
            first_error = first_error or str(exc)
    if first_error is None:
        _, text = parse_evm(pa.array(cells), file="in.csv")
        assert [v.decode() for v in text.to_pylist()] == expected
    else:
        with pytest.raises(AddressError) as err:
            parse_evm(pa.array(cells), file="in.csv")
        assert str(err.value) == first_error


@pytest.mark.parametrize("bad", ["", "0x12", "0xZZ00000000000000000000000000000000000000",
                                 "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"])
def test_malformed_addresses_give_one_error_and_one_message(bad) -> None:
    with pytest.raises(AddressError) as shared:
        checksum(bad, file="in.csv", row=1, field="account")
    with pytest.raises(AddressError) as vector:
        parse_evm(pa.array([bad]), file="in.csv")
    assert str(shared.value) == str(vector.value)
    assert isinstance(shared.value, InputError) and shared.value.exit_code == 2
    with pytest.raises(BadAccount) as api:
        parse_account(bad, "address")
    assert str(api.value) == shared.value.detail


def test_checksum_all_sorts_dedupes_and_names_the_field() -> None:
    a, b = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
    assert checksum_all([f"{b.lower()},{a}", a.upper().replace("0X", "0x")]) == sorted([a, b])
    with pytest.raises(AddressError, match="field '--contracts'.*'0x12' is not an address"):
        checksum_all(["0x12"], field="--contracts")
