// Preload for `npm run test:node:scalar` and `test:node:relaxed`:
// `SOFTPOOL_TEST_BACKEND=<backend> node --import ./tests/setup/backend.ts --test ...`.
// Node's test runner passes its --import flags (and V8 flags such as
// --experimental-wasm-relaxed-simd) on to the process of every test file, so each of them
// starts with that build loaded; the files' own init() calls are then no-ops and keep it.
// tests/backend.test.ts checks that this really happened.
import { init, backend } from 'softpool-wasm';

const want = process.env.SOFTPOOL_TEST_BACKEND;
if (want !== 'scalar' && want !== 'relaxed' && want !== 'simd') {
  throw new Error(`tests/setup/backend.ts: SOFTPOOL_TEST_BACKEND must be scalar, relaxed or simd, got ${want}`);
}
await init({ backend: want });
if (backend() !== want) throw new Error(`tests/setup/backend.ts: backend() is ${backend()} after init({ backend: '${want}' })`);
