"""A small Solana ledger built with solders, for the loopback JSON-RPC server (solana_rpc.py).

Transactions are real solders Transactions (signed by their owners' keypairs; compiled
messages), their logs carry real Anchor event bytes (sha256("event:Name")[..8] + Borsh from
contracts_abi/jet_fixed_term.json) and the governance accounts are real spl-governance Borsh
(VoteRecordV2, ProposalV2; GovernanceV2's first 33 bytes). `jet_scenario` makes a seeded set of
placements, fills (by the taker or by a crank), removals and cancels, failed transactions and
events of another program, and returns the rows the listener must decode from them.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone

import base58
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction

from indexer.solana import governance as gov
from indexer.solana.anchor_events import EventDecoder

JET = "JBond79m9K6HqYwngCjiJHb311GTXggo46kGcT2GijUc"
MARGIN = "JPMRGNgRk3w2pzBM1RLNBnpGxQYsFQ3yXKpuz7MdGUU"
OTHER = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
GOV = "GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw"
SIDE_TYPES = {"lend": ["MarginLend", "Lend"], "borrow": ["MarginBorrow", "MarginSellTickets"]}


def keypair(name: str) -> Keypair:
    return Keypair.from_seed(hashlib.sha256(name.encode()).digest())


def pubkey(name: str) -> str:
    return str(keypair(name).pubkey())


@dataclass
class Ledger:
    txs: list[dict] = field(default_factory=list)          # in ledger order
    accounts: dict[str, dict] = field(default_factory=dict)  # pubkey → {owner, data}
    slot: int = 1000

    def block_time(self, slot: int) -> int:
        return 1_690_000_000 + (slot - 1000) * 2 // 5          # 400 ms slots

    def add_tx(self, slot: int, signer: Keypair, ixs: list[tuple[str, list[str], list[list[str]]]],
               failed: bool = False) -> str:
        """ixs: (program, extra account pubkeys, per-instruction log lines). Returns the signature."""
        instructions = []
        for program, accounts, lines in ixs:
            metas = [AccountMeta(signer.pubkey(), True, True)]
            metas += [AccountMeta(Pubkey.from_string(a), False, True) for a in accounts]
            # Anchor-style ix discriminator + arguments (here: a digest of what it logs), so
            # that two different transactions never share a signature
            data = (hashlib.sha256(f"global:{program}".encode()).digest()[:8]
                    + hashlib.sha256("\n".join(lines).encode()).digest()[:16])
            instructions.append(Instruction(Pubkey.from_string(program), data, metas))
        bh = Hash(hashlib.sha256(f"slot{slot}".encode()).digest())
        msg = Message.new_with_blockhash(instructions, signer.pubkey(), bh)
        tx = Transaction([signer], msg, bh)
        keys = [str(k) for k in msg.account_keys]
        logs = []
        for program, _, lines in ixs:
            logs += lines
        sig = str(tx.signatures[0])
        json_tx = {
            "slot": slot, "blockTime": self.block_time(slot), "version": "legacy",
            "meta": {"err": {"InstructionError": [0, {"Custom": 6000}]} if failed else None,
                     "status": {"Err": {"InstructionError": [0, {"Custom": 6000}]}} if failed
                     else {"Ok": None},
                     "fee": 5000, "preBalances": [10 ** 9] * len(keys),
                     "postBalances": [10 ** 9] * len(keys), "innerInstructions": [],
                     "logMessages": logs, "preTokenBalances": [], "postTokenBalances": [],
                     "rewards": [], "loadedAddresses": {"writable": [], "readonly": []},
                     "computeUnitsConsumed": 20_000},
            "transaction": {"signatures": [str(s) for s in tx.signatures], "message": {
                "accountKeys": keys,
                "header": {"numRequiredSignatures": msg.header.num_required_signatures,
                           "numReadonlySignedAccounts": msg.header.num_readonly_signed_accounts,
                           "numReadonlyUnsignedAccounts": msg.header.num_readonly_unsigned_accounts},
                "recentBlockhash": str(bh),
                "instructions": [{"programIdIndex": ci.program_id_index,
                                  "accounts": list(ci.accounts),
                                  "data": base58.b58encode(bytes(ci.data)).decode(),
                                  "stackHeight": None} for ci in msg.instructions]}}}
        self.txs.append({"signature": sig, "slot": slot, "keys": set(keys), "err": failed,
                         "json": json_tx})
        return sig


def invoke_logs(outer: str | None, emitter: str, payloads: list[bytes]) -> list[str]:
    """Logs of one top-level instruction: `outer` (if any) invoking `emitter`, which logs
    one "Program data:" line per payload (Anchor's emit!)."""
    depth = 2 if outer else 1
    lines = [f"Program {outer} invoke [1]", "Program log: Instruction: AdapterInvoke"] if outer else []
    lines += [f"Program {emitter} invoke [{depth}]", "Program log: Instruction: Order"]
    lines += ["Program data: " + base64.b64encode(d).decode() for d in payloads]
    lines += [f"Program {emitter} consumed 12000 of 200000 compute units", f"Program {emitter} success"]
    if outer:
        lines += [f"Program {outer} consumed 30000 of 200000 compute units", f"Program {outer} success"]
    return lines


def _ts(ledger: Ledger, slot: int) -> datetime:
    return datetime.fromtimestamp(ledger.block_time(slot), timezone.utc)


def jet_scenario(seed: int = 0, n_steps: int = 300, n_owners: int = 8
                 ) -> tuple[Ledger, list[dict], list[dict]]:
    """(ledger, expected clob_order_events rows, expected clob_markets rows)."""
    rng = random.Random(seed)
    dec = EventDecoder()
    lg = Ledger()
    events: list[dict] = []
    markets: list[dict] = []
    admin, crank = keypair("admin"), keypair("crank")
    owners = [keypair(f"owner-{seed}-{i}") for i in range(n_owners)]
    margin = [pubkey(f"margin-{seed}-{i}") for i in range(n_owners)]
    mkeys = [pubkey(f"market-{seed}-{i}") for i in range(2)]
    slot = 1000
    for i, m in enumerate(mkeys):
        f = {"version": 1, "address": m, "airspace": pubkey("airspace"),
             "underlyingTokenMint": pubkey(f"mint{i}"), "underlyingOracle": pubkey(f"uo{i}"),
             "ticketOracle": pubkey(f"to{i}"), "borrowTenor": 604_800 * (i + 1),
             "lendTenor": 604_800 * (i + 1)}
        sig = lg.add_tx(slot, admin, [(JET, [m], invoke_logs(None, JET, [dec.encode("MarketInitialized", f)]))])
        markets.append({"slot": slot, "block_time": _ts(lg, slot), "signature": sig, "event_index": 0,
                        "program_id": JET, "market": m, "version": 1, "airspace": f["airspace"],
                        "underlying_token_mint": f["underlyingTokenMint"],
                        "underlying_oracle": f["underlyingOracle"], "ticket_oracle": f["ticketOracle"],
                        "borrow_tenor": f["borrowTenor"], "lend_tenor": f["lendTenor"]})
        slot += 1
    live: dict[tuple, dict] = {}                 # (market, tag) → order
    for _ in range(n_steps):
        slot += rng.choice([0, 0, 1, 1, 2])
        r = rng.random()
        base_row = {"slot": slot, "block_time": _ts(lg, slot), "program_id": JET}
        if r < 0.45 or not live:                 # placements by an owner, 1-2 instructions
            o = rng.randrange(n_owners)
            failed = rng.random() < 0.08
            ixs, rows = [], []
            for k in range(rng.choice([1, 1, 2])):
                m = rng.choice(mkeys)
                side = rng.choice(["lend", "borrow"])
                tag = rng.getrandbits(128)
                posted = rng.random() > 0.1
                base_qty = rng.randrange(1, 10 ** 12)
                price = rng.randrange(2 ** 31, 2 ** 32)
                f = {"market": m, "authority": margin[o],
                     "marginUser": pubkey(f"mu-{o}") if rng.random() < 0.5 else None,
                     "orderTag": tag, "orderType": {"kind": rng.choice(SIDE_TYPES[side])},
                     "orderSummary": {"postedOrderId": rng.getrandbits(128) if posted else None,
                                      "totalBaseQty": base_qty, "totalQuoteQty": base_qty // 2,
                                      "totalBaseQtyPosted": base_qty if posted else 0},
                     "limitPrice": price, "autoStake": rng.random() < 0.5, "postOnly": False,
                     "postAllowed": True, "autoRoll": False}
                ixs.append((MARGIN, [margin[o], JET], invoke_logs(MARGIN, JET, [dec.encode("OrderPlaced", f)])))
                rows.append(dict(base_row, event_index=k, instruction_index=k, market=m, event="placed",
                                 order_id=str(tag), maker=str(owners[o].pubkey()), authority=margin[o],
                                 side=side, price=str(price), size=str(base_qty if posted else 0)))
                if posted and not failed:
                    live[(m, tag)] = {"owner": o, "remaining": base_qty}
            sig = lg.add_tx(slot, owners[o], ixs, failed=failed)
            if not failed:
                events += [dict(x, signature=sig) for x in rows]
        elif r < 0.75:                           # a crank fills 1-3 resting orders
            payloads, rows = [], []
            for k, key in enumerate(rng.sample(sorted(live), min(len(live), rng.choice([1, 2, 3])))):
                o = live[key]
                qty = rng.randrange(1, o["remaining"] + 1)
                f = {"market": key[0], "makerAuthority": margin[o["owner"]],
                     "takerAuthority": pubkey("taker"), "makerOrderTag": key[1],
                     "takerOrderTag": rng.getrandbits(128), "orderType": {"kind": "Lend"},
                     "sequenceNumber": rng.getrandbits(64), "baseFilled": qty, "quoteFilled": qty // 2,
                     "fillTimestamp": lg.block_time(slot), "maturationTimestamp": lg.block_time(slot) + 604_800}
                payloads.append(dec.encode("OrderFilled", f))
                rows.append(dict(base_row, event_index=k, instruction_index=0, market=key[0],
                                 event="filled", order_id=str(key[1]),
                                 maker=str(owners[o["owner"]].pubkey()),
                                 authority=margin[o["owner"]], side=None, price=None, size=str(qty)))
                o["remaining"] -= qty
                if o["remaining"] == 0:
                    del live[key]
            sig = lg.add_tx(slot, crank, [(JET, [], invoke_logs(None, JET, payloads))])
            events += [dict(x, signature=sig) for x in rows]
        elif r < 0.92:                           # cancel by the owner, or removal by the crank
            key = rng.choice(sorted(live))
            o = live.pop(key)
            own = str(owners[o["owner"]].pubkey())
            if rng.random() < 0.7:
                f = {"market": key[0], "authority": margin[o["owner"]], "orderTag": key[1]}
                sig = lg.add_tx(slot, owners[o["owner"]],
                                [(MARGIN, [margin[o["owner"]], JET], invoke_logs(MARGIN, JET, [dec.encode("OrderCancelled", f)]))])
                events.append(dict(base_row, signature=sig, event_index=0, instruction_index=0, market=key[0],
                                   event="cancelled", order_id=str(key[1]), maker=own,
                                   authority=margin[o["owner"]], side=None, price=None, size=None))
            else:
                f = {"market": key[0], "authority": margin[o["owner"]], "orderTag": key[1],
                     "baseRemoved": o["remaining"], "quoteRemoved": 1}
                sig = lg.add_tx(slot, crank, [(JET, [], invoke_logs(None, JET, [dec.encode("OrderRemoved", f)]))])
                events.append(dict(base_row, signature=sig, event_index=0, instruction_index=0, market=key[0],
                                   event="removed", order_id=str(key[1]), maker=own,
                                   authority=margin[o["owner"]], side=None, price=None,
                                   size=str(o["remaining"])))
        else:                                    # another program logs a Jet-looking event
            f = {"market": mkeys[0], "authority": margin[0], "orderTag": 1}
            lg.add_tx(slot, admin, [(OTHER, [JET], invoke_logs(None, OTHER, [dec.encode("OrderCancelled", f)]))])
    lg.slot = slot
    pos, seen = {}, {}
    for t in lg.txs:                            # position among the slot's JET transactions
        if JET in t["keys"]:
            pos[t["signature"]] = seen.get(t["slot"], 0)
            seen[t["slot"]] = pos[t["signature"]] + 1
    for r in events:
        r["tx_index"] = pos[r["signature"]]
    return lg, events, markets


def governance_scenario(seed: int = 0, n_props: int = 5, n_voters: int = 12
                        ) -> tuple[Ledger, str, list[dict], list[dict]]:
    """(ledger with accounts, realm, expected proposal rows (sans slot), expected vote rows)."""
    rng = random.Random(seed)
    lg = Ledger()
    realm, other_realm = pubkey(f"realm-{seed}"), pubkey("other-realm")
    govs = [pubkey(f"gov-{seed}-{i}") for i in range(2)] + [pubkey("gov-other")]
    for i, gk in enumerate(govs):
        r = other_realm if i == 2 else realm
        lg.accounts[gk] = {"owner": GOV, "data": bytes([gov.GOVERNANCE_V2]) + base58.b58decode(r)
                           + base58.b58decode(pubkey(f"governed-{i}")) + bytes(60)}
    props, votes = [], []
    for i in range(n_props + 1):
        pk = pubkey(f"prop-{seed}-{i}")
        g = govs[2] if i == n_props else govs[i % 2]          # the last one is another realm's
        draft = 1_680_000_000 + i * 86_400
        voting = draft + 3600 if rng.random() < 0.8 else None
        done = voting + 3 * 86_400 if voting and rng.random() < 0.7 else None
        name = f"{rng.choice(['Asset Onboarding', 'Parameter Change'])}: item {i}"
        state = rng.choice(["Voting", "Succeeded", "Defeated", "Completed"])
        value = {"accountType": gov.PROPOSAL_V2, "governance": g, "governingTokenMint": pubkey("JET"),
                 "state": {"kind": state}, "tokenOwnerRecord": pubkey(f"tor-{i}"),
                 "signatoriesCount": 1, "signatoriesSignedOffCount": 1,
                 "voteType": {"kind": "SingleChoice"},
                 "options": [{"label": "Approve", "voteWeight": rng.getrandbits(40),
                              "voteResult": {"kind": "None"}, "transactionsExecutedCount": 0,
                              "transactionsCount": 1, "transactionsNextIndex": 1}],
                 "denyVoteWeight": rng.getrandbits(40), "vetoVoteWeight": None, "abstainVoteWeight": None,
                 "startVotingAt": None, "draftAt": draft, "signingOffAt": draft + 60,
                 "votingAt": voting, "votingAtSlot": 5000 + i if voting else None,
                 "votingCompletedAt": done, "executingAt": None, "closedAt": None,
                 "executionFlags": 0, "maxVoteWeight": None, "maxVotingTime": None,
                 "voteThresholdPercentage": {"kind": "YesVote", "0": 60}, "reserved": bytes(8),
                 "name": name, "descriptionLink": f"https://example.invalid/{i}"}
        lg.accounts[pk] = {"owner": GOV, "data": gov.encode("ProposalV2", value)}
        ts = (lambda v: None if v is None else datetime.fromtimestamp(v, timezone.utc))
        if i < n_props:
            props.append({"proposal": pk, "governance": g, "name": name,
                          "category": name.split(":")[0], "state": state, "draft_at": ts(draft),
                          "voting_at": ts(voting), "voting_completed_at": ts(done), "time": ts(voting)})
        for v in range(n_voters):
            if rng.random() < 0.6:
                vr = pubkey(f"vr-{seed}-{i}-{v}")
                weight = rng.randrange(1, 10 ** 16)
                kind = rng.choice(["Approve", "Approve", "Deny", "Abstain", "Veto"])
                vote = {"kind": kind, "0": [{"rank": 0, "weightPercentage": 100}]} if kind == "Approve" else {"kind": kind}
                rel = rng.random() < 0.2
                value = {"accountType": gov.VOTE_RECORD_V2, "proposal": pk,
                         "governingTokenOwner": str(keypair(f"voter-{v}").pubkey()),
                         "isRelinquished": rel, "voterWeight": weight, "vote": vote,
                         "reservedV2": bytes(8)}
                lg.accounts[vr] = {"owner": GOV, "data": gov.encode("VoteRecordV2", value)}
                if i < n_props:
                    votes.append({"vote_record": vr, "voter": value["governingTokenOwner"], "proposal": pk,
                                  "voter_weight": str(weight), "raw": weight, "vote": kind.lower(),
                                  "is_relinquished": rel, "time": ts(voting)})
    lg.accounts[pubkey("legacy-vr")] = {"owner": GOV, "data": bytes([7]) + bytes(80)}
    return lg, realm, props, votes
