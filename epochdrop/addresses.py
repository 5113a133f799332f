"""EVM addresses: the one place an address is parsed, checked and written (EIP-55).

Every stage reads addresses people typed (configs, `--contracts`, claim files, imported
rows) and writes them in one form (DECISIONS D1, D9: EIP-55). The rules, from EIP-55
(https://eips.ethereum.org/EIPS/eip-55) as eth-utils applies them: `0x` + 40 hex digits;
an all-lower or all-upper address carries no checksum; a mixed-case one must carry the
right one (a typo in it is caught). The checksum is keccak256 of the lowercase hex digits
through pysha3, not eth-utils: importing eth-utils costs each claim-server worker ~0.3 s and
~15 MB (distributor/claims/accounts.py), and tests/test_addresses.py holds this to eth-utils'
`to_checksum_address`. One error type (`AddressError`) and one wording (`not_an_address`,
`bad_checksum`) serve every caller; the vectorised tree reader (distributor/trees/accounts.py)
applies the same rules in bulk and raises the same error with the same words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sha3

from epochdrop.errors import InputError

ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
ZERO = "0x0000000000000000000000000000000000000000"


class AddressError(InputError, ValueError):
    """An address that is malformed or fails its EIP-55 checksum (exit 2); located like
    any bad input (file, row, field) when the caller knows where it came from. Also a
    ValueError, so validators (pydantic, the dataset coercion) report it as a bad value."""


def eip55(hex40: str) -> str:
    """The EIP-55 form of 40 hex digits (no `0x`, any case), without the `0x`."""
    lower = hex40.lower()
    digest = sha3.keccak_256(lower.encode()).hexdigest()
    return "".join(c.upper() if d in "89abcdef" else c for c, d in zip(lower, digest))


def mixed_case(value: str) -> bool:
    """True for an address whose case carries an EIP-55 checksum."""
    body = value[2:]
    return not (body.islower() or body.isupper() or body.isdigit())


def not_an_address(value: object) -> str:
    """The one message for a malformed address."""
    return "empty address" if not value else (
        f"{value!r} is not an address (0x followed by 40 hex digits)")


def bad_checksum(value: str, expected: str) -> str:
    """The one message for a mixed-case address whose EIP-55 checksum is wrong."""
    return (f"{value!r} fails its EIP-55 checksum (expected {expected}); check the address "
            f"or write it in lower case")


def checksum(value: object, *, file: str | None = None, row: int | None = None,
             field: str | None = None) -> str:
    """`value` as an EIP-55 address; AddressError (located by file/row/field) otherwise."""
    if not isinstance(value, str) or not ADDRESS_RE.fullmatch(value):
        raise AddressError(not_an_address(value), file=file, row=row, field=field)
    good = "0x" + eip55(value[2:])
    if mixed_case(value) and value != good:
        raise AddressError(bad_checksum(value, good), file=file, row=row, field=field)
    return good


def checksum_all(values: Iterable[object], *, field: str | None = None) -> list[str]:
    """Many addresses (each item may be comma-separated text) → sorted, de-duplicated
    EIP-55 addresses; the first bad one raises AddressError naming `field`."""
    out = set()
    for item in values:
        for part in (item.split(",") if isinstance(item, str) else [item]):
            part = part.strip() if isinstance(part, str) else part
            if part != "":
                out.add(checksum(part, field=field))
    return sorted(out)
