// Child-process driver of the single-file build tests (tests/inline.test.ts under Node,
// tests/deno/inline.test.ts under Deno). The test copies this file, run-case.js and a
// generated cases.js into one temp folder and dist/softpool.inline.js alone into another,
// then runs: <runtime> inline-driver.js <bundle file URL> <init options as JSON>.
// Prints {before, backend, results} as JSON on stdout.
import { runCases } from './run-case.js';
import { cases } from './cases.js';

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const [bundleUrl, optionsJson] = args;
const lib = await import(bundleUrl);
const before = lib.backend();
await lib.init(JSON.parse(optionsJson));
console.log(JSON.stringify({ before, backend: lib.backend(), results: runCases(lib, cases) }));
