// Preload for `npm run test:node:scalar`: `node --import ./tests/setup/scalar.ts --test ...`.
// Node's test runner passes its --import flags on to the process of every test file, so each
// of them starts with the scalar build loaded; the files' own init() calls are then no-ops
// and keep it. tests/backend.test.ts checks that this really happened (SOFTPOOL_TEST_BACKEND).
import { init, backend } from 'softpool-wasm';

await init({ backend: 'scalar' });
if (backend() !== 'scalar') throw new Error(`tests/setup/scalar.ts: backend() is ${backend()} after init({ backend: 'scalar' })`);
