"""The publisher's signing key: from $EPOCHDROP_PRIVATE_KEY or an encrypted keystore file.

The key must never reach stdout, stderr, a log, a run report or an exception message
(acceptance 3 of issue 8 greps for it). So: the key text is validated here with messages
that never quote it; every failure from eth-account is re-raised `from None` (a chained
traceback would print the library's message, which may include the value); and the
object handed around is a `Signer` whose repr shows only the address.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from pathlib import Path

from epochdrop.errors import UserError

KEY_ENV = "EPOCHDROP_PRIVATE_KEY"
SAFE_KEYS_ENV = "EPOCHDROP_SAFE_OWNER_KEYS"  # comma-separated keys of Safe owners (publish --safe --send)
PASSWORD_ENV = "EPOCHDROP_KEYSTORE_PASSWORD"
_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class Signer:
    """Signs transactions; holds the key privately and never shows it."""

    __slots__ = ("_account", "address", "source")

    def __init__(self, account, source: str):
        self._account = account
        self.address = account.address
        self.source = source

    def sign(self, tx: dict) -> bytes:
        try:
            return bytes(self._account.sign_transaction(tx).raw_transaction)
        except Exception as exc:  # noqa: BLE001 - message may carry tx fields, never the key
            raise UserError(f"signing failed ({type(exc).__name__}); check the transaction "
                            "fields") from None

    def sign_typed(self, full_message: dict) -> bytes:
        """65-byte r‖s‖v signature of an EIP-712 message (v = 27/28, as Safe expects)."""
        from eth_account.messages import encode_typed_data  # eth-account loads only to sign

        try:
            return bytes(self._account.sign_message(encode_typed_data(full_message=full_message)).signature)
        except Exception as exc:  # noqa: BLE001 - message may carry fields, never the key
            raise UserError(f"signing failed ({type(exc).__name__}); check the message") from None

    def __repr__(self) -> str:
        return f"Signer({self.address} from {self.source})"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a worker or a cache
        raise TypeError("Signer cannot be pickled")


def load_signer(keystore: Path | None) -> Signer | None:
    """The signer, or None when neither $EPOCHDROP_PRIVATE_KEY nor --keystore is given."""
    from eth_account import Account

    if keystore is not None:
        try:
            data = json.loads(Path(keystore).read_text())
        except (OSError, ValueError) as exc:
            raise UserError(f"--keystore {keystore}: unreadable ({type(exc).__name__})") from None
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            if not sys.stdin.isatty():
                raise UserError(f"--keystore needs its password in ${PASSWORD_ENV} (no terminal "
                                "to ask on)")
            password = getpass.getpass(f"password for {keystore}: ")
        try:
            key = Account.decrypt(data, password)
        except Exception:  # noqa: BLE001
            raise UserError(f"--keystore {keystore}: wrong password or not an Ethereum "
                            "keystore (v3 JSON)") from None
        return Signer(Account.from_key(key), f"keystore {Path(keystore).name}")
    text = os.environ.get(KEY_ENV)
    if text is None or text.strip() == "":
        return None
    return _from_text(text, f"${KEY_ENV}")


def _from_text(text: str, source: str) -> Signer:
    from eth_account import Account

    text = text.strip()
    if not _HEX_KEY.match(text):
        raise UserError(f"{source} is not a private key (expected 64 hex digits, optionally "
                        "after 0x); its value is not shown")
    try:
        account = Account.from_key(text if text.startswith("0x") else "0x" + text)
    except Exception:  # noqa: BLE001 - e.g. zero or above the curve order
        raise UserError(f"{source} is not a valid secp256k1 private key; its value is not "
                        "shown") from None
    return Signer(account, source)


def load_safe_signers() -> list[Signer]:
    """The Safe owners' signers from ${SAFE_KEYS_ENV} (comma-separated), in the given order."""
    text = os.environ.get(SAFE_KEYS_ENV, "")
    parts = [t for t in text.split(",") if t.strip()]
    return [_from_text(t, f"${SAFE_KEYS_ENV} key {i + 1}") for i, t in enumerate(parts)]
