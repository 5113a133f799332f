"""The tree schemes, one line each: name -> class (DESIGN "Distribution")."""

from __future__ import annotations

from distributor.trees.schemes.base import Built, Scheme
from distributor.trees.schemes.oz import OZ
from distributor.trees.schemes.packed import Packed
from distributor.trees.schemes.solana import Solana
from distributor.trees.schemes.uniswap import Uniswap
from epochdrop.errors import UserError

SCHEMES: dict[str, type[Scheme]] = {"oz": OZ, "uniswap": Uniswap, "packed": Packed, "solana": Solana}


def get_scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]()
    except KeyError:
        from distributor.trees.spec import PRESETS  # the presets that are specs (issue 16)
        raise UserError(f"unknown scheme {name!r}; choose one of "
                        f"{', '.join([*SCHEMES, *PRESETS])}, or give --spec FILE") from None


__all__ = ["SCHEMES", "Built", "Scheme", "get_scheme"]
