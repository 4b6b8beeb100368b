// Compile every contract under contracts/ in one solc-js run (loading solc takes about a second)
// and write one artifact per contract, ABI plus bytecode, into the Python package.
//
//   node scripts/compile_contracts.mjs            write src/sebrus/chain/artifacts/*.json
//   node scripts/compile_contracts.mjs --out DIR  write elsewhere (the drift test compares the two)
//
// evmVersion is pinned to cancun: solc 0.8.37 defaults to osaka, which py-evm cannot run.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const contractsDir = path.join(root, "contracts");
const outFlag = process.argv.indexOf("--out");
const outDir = outFlag >= 0 ? path.resolve(process.argv[outFlag + 1]) : path.join(root, "src/sebrus/chain/artifacts");
const extraDirs = process.argv.includes("--with-benchmarks") ? [path.join(root, "benchmarks/contracts")] : [];

function solidityFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".sol")).sort().map((f) => path.join(dir, f));
}

const sources = {};
for (const file of [...solidityFiles(contractsDir), ...extraDirs.flatMap(solidityFiles)]) {
  sources[path.relative(root, file)] = { content: fs.readFileSync(file, "utf8") };
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    viaIR: true,
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};

function findImports(importPath) {
  for (const base of [path.join(root, "node_modules"), root]) {
    const candidate = path.join(base, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `not found: ${importPath}` };
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

fs.mkdirSync(outDir, { recursive: true });
let written = 0;
for (const [source, contracts] of Object.entries(output.contracts)) {
  if (!Object.hasOwn(sources, source)) continue; // libraries pulled in from node_modules
  for (const [name, compiled] of Object.entries(contracts)) {
    if (!compiled.evm.bytecode.object) continue; // interfaces and abstract contracts
    const artifact = {
      contractName: name,
      sourceName: source,
      compiler: { name: "solc-js", version: solc.version(), evmVersion: "cancun", viaIR: true, optimizerRuns: 200 },
      abi: compiled.abi,
      bytecode: "0x" + compiled.evm.bytecode.object,
      deployedBytecode: "0x" + compiled.evm.deployedBytecode.object,
    };
    fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(artifact, null, 2) + "\n");
    written += 1;
  }
}
console.log(`wrote ${written} artifacts to ${path.relative(root, outDir) || outDir}`);
