// The OpenZeppelin side of bench/merkle.py: the same claims through npm
// @openzeppelin/merkle-tree, doing the same work as `epochdrop tree build`:
// the tree, every proof, and the files (standard-v1 dump + one proof per claim).
// usage: node bench/oz_merkle.js claims.csv outdir
const fs = require('fs');
const path = require('path');
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

const [csv, outdir] = process.argv.slice(2);
const lines = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1);
const values = lines.map(l => l.split(','));
const tree = StandardMerkleTree.of(values, ['address', 'uint256']);
fs.mkdirSync(outdir, { recursive: true });
fs.writeFileSync(path.join(outdir, 'tree.json'), JSON.stringify(tree.dump()));
const fd = fs.openSync(path.join(outdir, 'proofs.jsonl'), 'w');
for (const [i, v] of tree.entries()) {
  fs.writeSync(fd, JSON.stringify({ account: v[0], amount: v[1], proof: tree.getProof(i) }) + '\n');
}
fs.closeSync(fd);
process.stdout.write(tree.root + '\n');
