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
from epochdrop.folder import Manifest

CLAIM_FORMAT = "epochdrop-claim-v1"



def claim_obj(claim: Claim) -> dict:
    """The bare claim (account, amount, index[, locked_amount], proof), as in the shards."""
    out = {"account": claim.account, "amount": claim.amount, "index": claim.index}
    if claim.locked is not None:
        out["locked_amount"] = claim.locked
    if claim.leaf is not None:
        out["leaf"] = orjson.loads(claim.leaf)
    out["proof"] = claim.proof_hex()
    return out


def claim_head(manifest: Manifest) -> bytes:
    """`{"format":…,"scheme":…,…,` — the context `tree proof` puts around a claim, taken
    from the manifest exactly as `distributor.trees.outputs.claim_json` does
    (`Manifest.claim_context`)."""
    ctx = {"format": CLAIM_FORMAT, **manifest.claim_context()}
    return orjson.dumps(ctx)[:-1] + b","


def claim_body(head: bytes, claim: Claim) -> bytes:
    """`tree proof`'s JSON for one claim (D6), assembled from index bytes: the hot path."""
    nodes = claim.nodes
    proof = ",".join(['"0x' + nodes[i:i + 32].hex() + '"' for i in range(0, len(nodes), 32)])
    index = "null" if claim.index is None else str(claim.index)
    locked = "" if claim.locked is None else f'"locked_amount":"{claim.locked}",'
    leaf = "" if claim.leaf is None else f'"leaf":{claim.leaf},'
    return head + (f'"account":"{claim.account}","amount":"{claim.amount}","index":{index},'
                   f'{locked}{leaf}"proof":[{proof}]}}').encode()


def claims_body(head: bytes, claims: list[Claim]) -> bytes:
    """`tree proof`'s JSON for an account holding several claims of a spec'd tree (Merkl:
    one per token): the context, the account, and every claim."""
    return head + b'"account":' + orjson.dumps(claims[0].account) + b',"claims":' + \
        orjson.dumps([claim_obj(c) for c in claims]) + b"}"


def dumps(obj) -> bytes:
    return orjson.dumps(obj)


def etag(body: bytes) -> str:
    """Strong validator from the body itself: equal bytes, equal tag, whatever the process."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
