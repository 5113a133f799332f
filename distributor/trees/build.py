"""`tree build`: claims file -> output folder, written whole or not at all (D7).

Validation happens before the output folder exists, and the folder is built in a sibling
temp folder (`epochdrop.fsio.atomic_dir`), so bad input leaves nothing behind.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from distributor.trees import outputs
from distributor.trees.accounts import parse_accounts
from distributor.trees.forked import Forked, SharedRange
from distributor.trees.claims import Claims, add_previous, load_claims
from distributor.trees.schemes import Built, get_scheme
from epochdrop.errors import UserError
from epochdrop.folder import (EpochSection, InputEntry, Manifest, PreviousTree, Token,
                              Tree, read_manifest, write_manifest)
from epochdrop.folder.manifest import MANIFEST
from epochdrop.folder.proofs import cumulative_amounts
from epochdrop.fsio import EarlyWriteback, atomic_dir, sha256_file


FORK_MIN = 50_000  # claims; below this a fork costs more than the overlap saves


@dataclass
class BuildOptions:
    scheme: str
    leaf: str | None = None
    decimals: int | None = None
    previous: Path | None = None
    merge_duplicates: bool = False
    token: str | None = None
    chain_id: int | None = None
    token_symbol: str | None = None
    token_decimals: int | None = None
    program: str | None = None
    epoch: str | None = None
    expiry: str | None = None
    spec: Path | None = None


def tree_spec(opts: BuildOptions):
    """The declared leaf and tree of this build (`--spec FILE` or a preset such as
    `--scheme merkl`), or None for the four built-in schemes."""
    from distributor.trees.spec import PRESETS, load_spec, preset

    if opts.spec is None and opts.scheme not in PRESETS:
        return None
    if opts.spec is not None and opts.scheme:
        raise UserError("give --scheme NAME or --spec FILE, not both")
    for flag, value in (("--leaf", opts.leaf), ("--previous", opts.previous),
                        ("--merge-duplicates", opts.merge_duplicates)):
        if value:
            hint = {"--leaf": "the spec's [leaf] fields declare the leaf",
                    "--merge-duplicates": "the spec's [claims] sum_by says what is summed",
                    "--previous": "cumulative epochs take the built-in schemes; give the "
                                  "cumulative amounts in the input"}[flag]
            raise UserError(f"{flag} does not apply to a spec'd tree: {hint}")
    return load_spec(opts.spec) if opts.spec is not None else preset(opts.scheme)


def build_tree(input_path: Path, opts: BuildOptions,
               step=lambda what: None) -> tuple[Built, PreviousTree | None]:
    """Read, validate and build in memory; raises before anything is written.
    `step(description)` is called as each phase starts (for a progress display)."""
    step("reading claims")
    if opts.decimals is not None and not 0 <= opts.decimals <= 77:
        raise UserError(f"--decimals {opts.decimals}: give a number from 0 to 77")
    spec = tree_spec(opts)
    if spec is not None:
        from distributor.trees.spec_build import build_spec, read_rows

        cells = read_rows(input_path, spec)
        step(f"building {spec.name} tree and proofs")
        token_section(opts)  # a flag conflict is an error before anything is built
        return build_spec(cells, spec, file=Path(input_path).name, decimals=opts.decimals), None
    if not opts.scheme:
        raise UserError("give --scheme NAME (oz, uniswap, packed, solana, merkl) or --spec FILE")
    scheme = get_scheme(opts.scheme)
    types = scheme.leaf_types(opts.leaf)
    kind, limit = scheme.account_kind(types), scheme.amount_limit(types)
    claims = load_claims(input_path, kind=kind, limit=limit, decimals=opts.decimals,
                         merge_duplicates=opts.merge_duplicates, allow_locked=scheme.allow_locked)
    prev_info = None
    token_section(opts)  # a flag conflict is an error before anything is built
    if opts.previous is not None:
        prev_claims, prev_info = read_previous(Path(opts.previous), scheme.name, types, kind)
        claims = add_previous(claims, prev_claims, limit=limit)
    step(f"building {scheme.name} tree and proofs")
    built = scheme.build(claims, types)
    return built, prev_info


def read_previous(folder: Path, scheme: str, types: list[str], kind) -> tuple[Claims, PreviousTree]:
    """The previous epoch's cumulative amounts, from its proofs.parquet (D5)."""
    man = read_manifest(folder)
    tree = man.tree
    if tree is None:
        raise UserError(f"--previous {folder}: holds no tree ({man.tree_note or 'no root'}); "
                        "give the previous epoch's tree folder")
    if tree.scheme != scheme or tree.leaf != types:
        raise UserError(f"--previous {folder}: built with scheme {tree.scheme} "
                        f"({','.join(tree.leaf)}), not {scheme} "
                        f"({','.join(types)}); cumulative epochs must use one scheme")
    accounts, amounts, locked = cumulative_amounts(folder, man)
    keys = parse_accounts(pa.array(accounts, pa.string()), kind,
                          file=f"{folder / outputs.PROOFS} (previous epoch)")[0]
    return Claims.of(accounts, keys, amounts, None, locked), PreviousTree(
        label=man.label, root=tree.root, manifest_sha256=sha256_file(folder / MANIFEST),
        total=tree.total, count=tree.count)


def token_section(opts: BuildOptions) -> Token | None:
    """`--token --chain-id --token-symbol --token-decimals` (the token's decimals default to
    `--decimals`: amounts given in token units were scaled by the token's decimals)."""
    decimals = opts.token_decimals if opts.token_decimals is not None else opts.decimals
    if opts.token is None and opts.chain_id is None and opts.token_symbol is None \
            and decimals is None:
        return None
    if (opts.token_decimals is not None and opts.decimals is not None
            and opts.token_decimals != opts.decimals):
        raise UserError(f"--token-decimals {opts.token_decimals} and --decimals {opts.decimals} "
                        "differ: --decimals scales token units to base units of this token")
    return Token(address=opts.token, symbol=opts.token_symbol, decimals=decimals,
                 chain_id=opts.chain_id)


def tree_section(built: Built, opts: BuildOptions, prev: PreviousTree | None,
                 digits: int, native: str | None) -> Tree:
    spec = built.extra.get("spec")
    return Tree(scheme=built.scheme, leaf=list(built.leaf_types), root="0x" + built.root.hex(),
                count=len(built.claims), total=None if built.total is None else str(built.total),
                cumulative=prev is not None, previous=prev, expiry=opts.expiry,
                decimals=opts.decimals, merge_duplicates=opts.merge_duplicates,
                shard_digits=digits, native_file=native, order=_order_note(built),
                # the whole spec, so check and verify rebuild from the folder
                spec=spec.to_dict() if spec is not None else None)


def write_outputs(built: Built, out: Path, input_path: Path, opts: BuildOptions,
                  prev_info: PreviousTree | None) -> Manifest:
    spec = built.extra.get("spec")
    scheme = None if spec is not None else get_scheme(built.scheme)
    root = "0x" + built.root.hex()
    token = token_section(opts)
    head = {"scheme": built.scheme, "root": root, "chain_id": opts.chain_id, "token": opts.token}
    with atomic_dir(out) as tmp, EarlyWriteback(tmp):
        # Two processes share the work (`forked.py` says why not threads): a forked child
        # writes the native file, this one proofs.parquet, then both take shards from one
        # queue until it is empty.
        (tmp / outputs.SHARDS).mkdir()
        # Made once, before the fork, so both processes share them. The node cells are
        # numpy work that releases the GIL: a thread makes them while this one makes the
        # claims' text (interpreter-bound) and the shard plan.
        with ThreadPoolExecutor(1) as pool:
            cells = pool.submit(lambda: built.node_cells)
            built.text
            plan = outputs.ShardPlan(built, tmp, head)
            cells.result()
        shards = SharedRange(len(plan.groups))
        native = scheme.native_file if scheme is not None else None

        def child() -> dict[str, str]:
            own = outputs.OutputSink(tmp)
            if native:
                own.add({native: outputs.write_native(scheme, built, tmp)})
            plan.write(own, shards)
            return own.hashes(check=False)

        job = Forked(child, inline=len(built.claims) < FORK_MIN)
        sink = outputs.OutputSink(tmp)
        sink.add({outputs.PROOFS: outputs.write_parquet(built, tmp / outputs.PROOFS)})
        plan.write(sink, shards)
        plan.write_index(sink)
        sink.add(job.result())
        manifest = Manifest(
            kind="tree", program=opts.program,
            epoch=EpochSection(label=str(opts.epoch)) if opts.epoch else None,
            inputs=[InputEntry(name=Path(input_path).name, sha256=sha256_file(input_path))],
            tree=tree_section(built, opts, prev_info, plan.digits, native), token=token)
        manifest = write_manifest(tmp, manifest, outputs=sink.hashes())
    return manifest


def _order_note(built: Built) -> str:
    spec = built.extra.get("spec")
    if spec is not None:
        return ("input order ([tree] leaves = \"input\")" if spec.leaves == "input"
                else "by leaf bytes (the tree's leaf order)")
    return ("input order (Jito roots depend on leaf order, D2)" if built.scheme == "solana"
            else "by index if given, else by EIP-55 account (D1)")
