// Reference vectors from npm @openzeppelin/merkle-tree (the library under comparison).
// stdin: {"mode": "of", "leafEncoding": [...], "values": [[...], ...], "proofs": [i, ...]}
//    or  {"mode": "load", "dump": {...standard-v1...}, "proofs": [i, ...]}
// stdout: {"root", "dump", "proofs": {i: [hex...]}, "verified": bool}
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

let input = '';
process.stdin.on('data', c => { input += c; });
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const tree = req.mode === 'load'
    ? StandardMerkleTree.load(req.dump)          // load() validates the whole tree
    : StandardMerkleTree.of(req.values, req.leafEncoding);
  const proofs = {};
  let verified = true;
  for (const i of req.proofs || []) {
    const p = tree.getProof(i);
    proofs[i] = p;
    verified = verified && StandardMerkleTree.verify(tree.root, tree.leafEncoding, tree.at(i), p);
  }
  process.stdout.write(JSON.stringify({ root: tree.root, dump: req.mode === 'load' ? null : tree.dump(), proofs, verified }));
});
