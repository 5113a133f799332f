"""URL flags checked at the edge: a bad `--rpc` / `--feed` is one line naming the flag.

Why here: without it the first use of the URL fails deep in a library with its own words
(`RPC :// did not answer (MissingSchema)`, issue 20); a scheme and a host are all a URL
needs to be tried at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from epochdrop.errors import UserError


def check_url(value: str, flag: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """`value` when it is a `scheme://host[:port]/…` URL with an allowed scheme, else
    UserError naming `flag`."""
    try:
        parts = urlsplit(value)
        port = parts.port           # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise UserError(f"{flag} {value!r}: not a URL ({exc})") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        want = " or ".join(f"{s}://" for s in schemes)
        raise UserError(f"{flag} {value!r}: give a {want}host[:port] URL")
    _ = port
    return value
