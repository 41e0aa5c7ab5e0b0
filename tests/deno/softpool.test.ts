// softpool-wasm under Deno: the public API (dist/index.js, mapped to 'softpool-wasm' by
// tests/deno/deno.json) with the default init(), which fetches the packaged .wasm through
// `new URL('../build/softpool.wasm', import.meta.url)`. Expected values: tests/reference.ts.
import { backend, init, relaxedSimdSupported, simdSupported, softPool2d, softPool2dBackward, stats } from 'softpool-wasm';
import * as lib from 'softpool-wasm';
import { checkCase, makeCases } from '../runtimes/cases.ts';
import { runCase } from '../runtimes/run-case.js';

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

Deno.test('backend() is null before init(); init() picks the relaxed-SIMD build', async () => {
  assert(backend() === null, `backend() before init: ${backend()}`);
  assert(simdSupported(), 'Deno supports WebAssembly SIMD');
  assert(relaxedSimdSupported(), 'Deno (V8 >= 11.4) supports WebAssembly relaxed SIMD');
  const p = init();
  assert(p instanceof Promise, 'init returns a Promise');
  await p;
  await init(); // idempotent
  assert(backend() === 'relaxed', `backend() = ${backend()}`);
});

Deno.test('a 1x2 window [0, ln 3] pools to 0.75 ln 3; its gradients', async () => {
  await init();
  const x = { data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] };
  const y = softPool2d(x, { kernelSize: [1, 2] });
  assert(JSON.stringify(y.shape) === '[1,1,1]', `shape ${JSON.stringify(y.shape)}`);
  assert(Math.abs(y.data[0] - 0.75 * Math.log(3)) <= 1e-6, `y = ${y.data[0]}`);
  const { gradInput, gradBeta } = softPool2dBackward(x, { data: Float32Array.of(1), shape: y.shape }, { kernelSize: [1, 2] });
  // w = [1/4, 3/4], y = 3/4 ln3: dy/dx_i = w_i (1 + (x_i - y)), dy/dbeta = sum w_i (x_i - y)^2
  const l = Math.log(3), yv = 0.75 * l;
  const want = [0.25 * (1 - yv), 0.75 * (1 + l - yv)];
  const wantBeta = 0.25 * yv * yv + 0.75 * (l - yv) ** 2;
  for (let i = 0; i < 2; i++) assert(Math.abs(gradInput.data[i] - want[i]) <= 1e-6, `gradInput[${i}] = ${gradInput.data[i]}, want ${want[i]}`);
  assert(Math.abs(gradBeta - wantBeta) <= 1e-6, `gradBeta = ${gradBeta}, want ${wantBeta}`);
  assert(stats().inUseBytes === 0, 'nothing left allocated');
});

const cases = makeCases();
Deno.test(`forward and backward match the float64 reference (${cases.length} cases, widths and channels 1..9)`, async (t) => {
  await init();
  for (const c of cases) {
    await t.step(c.name, () => {
      const errors = checkCase(c, runCase(lib, c));
      assert(errors.length === 0, errors.join('\n'));
    });
  }
});
