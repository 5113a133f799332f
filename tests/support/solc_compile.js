// Compile Solidity sources with npm `solc` (solcjs), resolving `@openzeppelin/...` imports
// from node_modules. Reads {"sources": {name: path}} JSON on stdin; prints
// {contractName: {abi, bytecode}} on stdout. Used only by tests and benches.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = path.resolve(__dirname, "..", "..");
const req = JSON.parse(fs.readFileSync(0, "utf8"));
const sources = {};
for (const [name, file] of Object.entries(req.sources)) {
  sources[name] = { content: fs.readFileSync(file, "utf8") };
}
function findImports(p) {
  for (const base of [path.join(root, "node_modules"), path.join(root, "contracts"), root]) {
    const f = path.join(base, p);
    if (fs.existsSync(f)) return { contents: fs.readFileSync(f, "utf8") };
  }
  return { error: "not found: " + p };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "paris",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (out.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  process.stderr.write(errors.map((e) => e.formattedMessage).join("\n"));
  process.exit(1);
}
const result = {};
for (const file of Object.values(out.contracts)) {
  for (const [name, c] of Object.entries(file)) {
    result[name] = { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
  }
}
process.stdout.write(JSON.stringify(result));
