"""JSON bodies of the proof API, written straight from index bytes.

The claim object is the one shape of DECISIONS D6, shared with `tree proof` and the static
shards (tests compare the three). Bodies are assembled from the stored account and amount
text and the raw proof nodes, so no JSON library runs on the hot path; amounts stay decimal
strings (numbers above 2^53 break JavaScript clients).
"""

from __future__ import annotations

import hashlib

import orjson

from distributor.claims.index import Claim

CLAIM_FORMAT = "epochdrop-claim-v1"


def claim_obj(claim: Claim) -> dict:
    """The D6 claim object as Python data (for composite answers)."""
    return {"account": claim.account, "amount": claim.amount, "index": claim.index,
            "proof": claim.proof_hex()}


def claim_body(claim: Claim) -> bytes:
    """`claim_obj` serialised; the API's hot path."""
    nodes = claim.nodes
    proof = ",".join(['"0x' + nodes[i:i + 32].hex() + '"' for i in range(0, len(nodes), 32)])
    index = "null" if claim.index is None else str(claim.index)
    return (f'{{"account":"{claim.account}","amount":"{claim.amount}","index":{index},'
            f'"proof":[{proof}]}}').encode()


def dumps(obj) -> bytes:
    return orjson.dumps(obj)


def etag(body: bytes) -> str:
    """Strong validator from the body itself: equal bytes, equal tag, whatever the process."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
