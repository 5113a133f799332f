// Reference trees from npm merkletreejs + keccak256, built the way ENS and Pendle build theirs.
// stdin:  {"mode": "flat" | "ens", "entries": [[address, amount], ...], "shardNybbles": 1,
//          "duplicateOdd": false, "inputOrder": false}   (the last two: "flat" only)
// stdout: {"root": hex, "proofs": [[hex, ...] per entry], "verified": bool}
//
// Leaf (both): keccak256(abi.encodePacked(address, uint256)), packed by hand here (20 bytes
// + 32 big-endian bytes) so the reference shares no code with the Python under test.
// - "flat" (Pendle's merkle distributor script): new MerkleTree(leaves, keccak256,
//   {sortLeaves: true, sortPairs: true}); zero amounts are leaves like any other.
//   `duplicateOdd` pairs an odd last node with itself; `inputOrder` leaves the leaves unsorted.
// - "ens" (ENS EP2, ensdomains/governance-contracts src/merkle.js ShardedMerkleTree.build):
//   entries grouped by address.slice(2, 2 + shardNybbles).toLowerCase(); one
//   MerkleTree(leaves, keccak256, {sort: true}) per shard; a top MerkleTree over the shard
//   roots with {sort: true}; a proof = shard proof concat the shard root's top proof.
const { MerkleTree } = require('merkletreejs');
const keccak256 = require('keccak256');

function leaf([address, amount]) {
  const a = Buffer.from(address.slice(2), 'hex');
  const v = Buffer.from(BigInt(amount).toString(16).padStart(64, '0'), 'hex');
  return keccak256(Buffer.concat([a, v]));
}

const hex = (b) => '0x' + b.toString('hex');

let input = '';
process.stdin.on('data', c => { input += c; });
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const leaves = req.entries.map(leaf);
  let root, proofs, verified = true;
  if (req.mode === 'flat') {
    const tree = new MerkleTree(leaves, keccak256, { sortLeaves: !req.inputOrder, sortPairs: true,
                                                     duplicateOdd: !!req.duplicateOdd });
    root = tree.getRoot();
    proofs = leaves.map(l => tree.getProof(l).map(p => p.data));
    leaves.forEach((l, i) => { verified = verified && tree.verify(tree.getProof(l), l, root); });
  } else {
    const n = req.shardNybbles;
    const shards = {};
    req.entries.forEach((e, i) => {
      const s = e[0].slice(2, 2 + n).toLowerCase();
      (shards[s] = shards[s] || []).push(i);
    });
    const trees = {};
    for (const [s, idx] of Object.entries(shards)) {
      trees[s] = new MerkleTree(idx.map(i => leaves[i]), keccak256, { sort: true });
    }
    const top = new MerkleTree(Object.values(trees).map(t => t.getRoot()), keccak256, { sort: true });
    root = top.getRoot();
    proofs = req.entries.map((e, i) => {
      const s = e[0].slice(2, 2 + n).toLowerCase();
      const sub = trees[s].getProof(leaves[i]).map(p => p.data);
      const up = top.getProof(trees[s].getRoot()).map(p => p.data);
      const full = sub.concat(up);
      verified = verified && top.verify(full.map(d => ({ data: d })), leaves[i], root);
      return full;
    });
  }
  process.stdout.write(JSON.stringify({ root: hex(root), proofs: proofs.map(p => p.map(hex)), verified }));
});
