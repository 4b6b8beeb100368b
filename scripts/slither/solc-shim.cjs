// Makes solc-js answer the two solc command lines crytic-compile (and so Slither) uses:
//   solc --version
//   solc --standard-json [--allow-paths DIR]     (standard JSON on stdin, on stdout)
// No native solc can be installed on our machines, so this stands in for it. Imports resolve against
// the working directory (the repo root), where the @openzeppelin/ remapping points into node_modules/.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const solc = require("solc");

const args = process.argv.slice(2);

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write(`solc-js shim: only --version and --standard-json are supported, got: ${args.join(" ")}\n`);
  process.exit(2);
}

const root = process.cwd();
function findImports(importPath) {
  const resolved = path.resolve(root, importPath);
  if (!resolved.startsWith(root + path.sep)) return { error: `outside the repository: ${importPath}` };
  if (!fs.existsSync(resolved)) return { error: `not found: ${importPath}` };
  return { contents: fs.readFileSync(resolved, "utf8") };
}

const input = JSON.parse(fs.readFileSync(0, "utf8"));
input.settings = input.settings || {};
// Match scripts/compile_contracts.mjs. crytic-compile sends the optimizer off and no viaIR, but
// Dataset.initialize only compiles through the IR pipeline (stack too deep otherwise), and solc 0.8.37
// would default to osaka.
input.settings.evmVersion = "cancun";
input.settings.viaIR = true;
input.settings.optimizer = { enabled: true, runs: 200 };
process.stdout.write(solc.compile(JSON.stringify(input), { import: findImports }));
