// as-pect 8.1 test runner config (ESM: as-pect loads it with import(), and
// package.json has "type": "module"). Compiler flags (incl. `--enable simd`)
// do not go here in as-pect 8: they live in as-pect.asconfig.json, which `asp`
// reads by default (override with --as-config).
export default {
  /** AssemblyScript test files. */
  entries: ["tests/assembly/**/*.spec.ts"],
  /** Files added to every test compilation (none yet). */
  include: ["tests/assembly/**/*.include.ts"],
  /** Never treat anything under node_modules as a test. */
  disclude: [/node_modules/],
  /** The test modules need no imports besides as-pect's own. */
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  /** Set to true to write tests/assembly/*.wasm/.wat for debugging. */
  outputBinary: false,
};
