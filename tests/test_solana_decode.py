"""Decoding checked against independent bytes (issue 5, acceptance 2).

Every Jet event and the spl-governance VoteRecordV2 (and ProposalV2) are encoded by
@coral-xyz/anchor 0.29 from npm (its own Borsh layouts and its own event discriminators,
tests/support/anchor_vectors.js): our decoder must read anchor's bytes back to the values,
our encoder must produce the same bytes, and anchor must decode ours.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from indexer.solana import governance as gov
from indexer.solana.anchor_events import EventDecoder, discriminator, events_in_logs
from indexer.solana.borsh import BorshError
from tests.support.solana_ledger import invoke_logs, pubkey

ROOT = Path(__file__).resolve().parents[1]
JET_IDL = ROOT / "contracts_abi" / "jet_fixed_term.json"
GOV_IDL = ROOT / "contracts_abi" / "spl_governance_accounts.json"
INT64 = {"u64", "i64", "u128", "i128"}


def plain(types: dict, ty, v):
    """Our Python value → the JSON the node script takes (big ints as strings, bytes as lists)."""
    if isinstance(ty, str):
        return str(v) if ty in INT64 else v
    if "option" in ty:
        return None if v is None else plain(types, ty["option"], v)
    if "vec" in ty:
        return [plain(types, ty["vec"], x) for x in v]
    if "array" in ty:
        return [plain(types, ty["array"][0], x) for x in v]
    d = types[ty["defined"]]
    if d["kind"] == "struct":
        return {f["name"]: plain(types, f["type"], v[f["name"]]) for f in d["fields"]}
    var = next(x for x in d["variants"] if x["name"] == v["kind"])
    out = {"kind": v["kind"]}
    for i, f in enumerate(var.get("fields", [])):
        name, fty = (f["name"], f["type"]) if isinstance(f, dict) and "name" in f else (str(i), f)
        out[name] = plain(types, fty, v[name])
    return out


def anchor(idl: Path, kind: str, items: list[dict]) -> list[dict]:
    proc = subprocess.run(["node", str(ROOT / "tests" / "support" / "anchor_vectors.js")],
                          input=json.dumps({"idl": str(idl), "kind": kind, "items": items}),
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


PK = [pubkey(f"k{i}") for i in range(6)]
EVENTS = [
    ("MarketInitialized", {"version": 2, "address": PK[0], "airspace": PK[1],
                           "underlyingTokenMint": PK[2], "underlyingOracle": PK[3],
                           "ticketOracle": PK[4], "borrowTenor": 604_800, "lendTenor": -5}),
    ("OrderPlaced", {"market": PK[0], "authority": PK[1], "marginUser": PK[2],
                     "orderTag": 2 ** 127 + 12345, "orderType": {"kind": "MarginSellTickets"},
                     "orderSummary": {"postedOrderId": 2 ** 100 + 1, "totalBaseQty": 2 ** 64 - 1,
                                      "totalQuoteQty": 7, "totalBaseQtyPosted": 2 ** 53 + 1},
                     "limitPrice": 4_200_000_000, "autoStake": True, "postOnly": False,
                     "postAllowed": True, "autoRoll": True}),
    ("OrderPlaced", {"market": PK[0], "authority": PK[1], "marginUser": None, "orderTag": 0,
                     "orderType": {"kind": "Lend"},
                     "orderSummary": {"postedOrderId": None, "totalBaseQty": 1,
                                      "totalQuoteQty": 0, "totalBaseQtyPosted": 0},
                     "limitPrice": 1, "autoStake": False, "postOnly": True,
                     "postAllowed": False, "autoRoll": False}),
    ("OrderFilled", {"market": PK[0], "makerAuthority": PK[1], "takerAuthority": PK[5],
                     "makerOrderTag": 99, "takerOrderTag": 2 ** 128 - 1,
                     "orderType": {"kind": "MarginBorrow"}, "sequenceNumber": 17,
                     "baseFilled": 10 ** 12, "quoteFilled": 999, "fillTimestamp": 1_690_000_000,
                     "maturationTimestamp": -1}),
    ("OrderRemoved", {"market": PK[0], "authority": PK[1], "orderTag": 5, "baseRemoved": 3,
                      "quoteRemoved": 4}),
    ("OrderCancelled", {"market": PK[3], "authority": PK[4], "orderTag": 2 ** 64}),
]


def test_jet_events_match_anchor_both_ways():
    dec = EventDecoder()
    idl = json.loads(JET_IDL.read_text())
    types = {t["name"]: t["type"] for t in idl["types"]}
    fields = {e["name"]: e["fields"] for e in idl["events"]}
    items = []
    for name, value in EVENTS:
        pv = {f["name"]: plain(types, f["type"], value[f["name"]]) for f in fields[name]}
        items.append({"name": name, "value": pv,
                      "b64": base64.b64encode(dec.encode(name, value)).decode()})
    out = anchor(JET_IDL, "event", items)
    for (name, value), item, res in zip(EVENTS, items, out):
        theirs = base64.b64decode(res["encoded"])
        assert theirs[:8] == discriminator(name)
        assert dec.decode(theirs) == (name, value)          # anchor's bytes → our values
        assert dec.encode(name, value) == theirs             # our bytes == anchor's bytes
        assert res["decoded"] == {"name": name, "value": item["value"]}   # anchor reads ours


def _vote(kind: str, rel: bool, weight: int) -> dict:
    vote = {"kind": kind}
    if kind == "Approve":
        vote["0"] = [{"rank": 0, "weightPercentage": 60}, {"rank": 1, "weightPercentage": 40}]
    return {"accountType": gov.VOTE_RECORD_V2, "proposal": PK[0], "governingTokenOwner": PK[1],
            "isRelinquished": rel, "voterWeight": weight, "vote": vote,
            "reservedV2": bytes(range(8))}


def test_vote_record_v2_and_proposal_match_anchor():
    idl = json.loads(GOV_IDL.read_text())
    types = {t["name"]: t["type"] for t in idl["types"]}
    records = [_vote("Approve", False, 2 ** 64 - 1), _vote("Deny", True, 1_000_000_000_000),
               _vote("Veto", False, 0)]
    from tests.support.solana_ledger import governance_scenario
    lg, _, _, _ = governance_scenario(3, n_props=1, n_voters=1)
    prop_bytes = next(a["data"] for a in lg.accounts.values() if a["data"][0] == gov.PROPOSAL_V2)
    proposal = gov.decode_proposal(prop_bytes)
    values = [("VoteRecordV2", r) for r in records] + [("ProposalV2", proposal)]
    items = [{"name": n, "value": plain(types, {"defined": n}, v),
              "b64": base64.b64encode(gov.encode(n, v)).decode()} for n, v in values]
    out = anchor(GOV_IDL, "type", items)
    for (name, value), item, res in zip(values, items, out):
        theirs = base64.b64decode(res["encoded"])
        decoded = gov.decode_vote_record(theirs) if name == "VoteRecordV2" else gov.decode_proposal(theirs)
        assert decoded == value
        assert gov.encode(name, value) == theirs
        assert res["decoded"] == item["value"]
    assert base64.b64decode(out[0]["encoded"])[0] == 12      # GovernanceAccountType::VoteRecordV2


def test_log_parsing_attributes_top_level_instruction_and_emitter():
    dec = EventDecoder()
    a = dec.encode(*EVENTS[5])
    b = dec.encode(*EVENTS[4])
    logs = (invoke_logs("MARGIN1", "JET1", [a]) + ["Program log: noise"]
            + invoke_logs(None, "OTHER1", [b]) + invoke_logs(None, "JET1", [b, a]))
    got = [(e.program_id, e.instruction_index, e.data) for e in events_in_logs(logs)]
    assert got == [("JET1", 0, a), ("OTHER1", 1, b), ("JET1", 2, b), ("JET1", 2, a)]


def test_truncated_or_padded_event_is_not_decoded():
    dec = EventDecoder()
    good = dec.encode(*EVENTS[3])
    assert dec.decode(good) is not None
    assert dec.decode(good[:-1]) is None
    assert dec.decode(good + b"\x00") is None
    assert dec.decode(b"\x00" * 8 + good[8:]) is None
    with pytest.raises(BorshError):
        gov.decode_vote_record(gov.encode("VoteRecordV2", _vote("Deny", False, 1))[:40])
