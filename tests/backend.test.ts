// Backends: init() picks the SIMD build where WebAssembly SIMD exists and the scalar build
// otherwise; init({ backend }) forces one; backend() says which is loaded (null before init).
// Under `npm run test:node:scalar` (SOFTPOOL_TEST_BACKEND=scalar, preload tests/setup/scalar.ts)
// this file checks that the preload really ran in its own process, i.e. that node's test runner
// passed --import on to the per-file subprocess and the whole suite ran on the scalar build.
// This file must not call init() before its first test. Fresh-process cases run in children.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backend, init, simdSupported, softPool2d } from 'softpool-wasm';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODE = process.env.SOFTPOOL_TEST_BACKEND === 'scalar' ? 'scalar' : 'default';
const WANT = Math.fround(0.75 * Math.log(3)); // 1x2 window [0, ln 3], beta 1

describe(`backend() in this process (${MODE} mode)`, () => {
  if (MODE === 'scalar') {
    it('the --import preload already loaded the scalar build before this file ran', () => {
      assert.ok(process.execArgv.some((a) => a.includes('tests/setup/scalar.ts')), `execArgv: ${process.execArgv.join(' ')}`);
      assert.equal(backend(), 'scalar');
    });
  } else {
    it('backend() is null before init()', () => {
      assert.equal(backend(), null);
    });
  }
  it(`after init(), backend() is '${MODE === 'scalar' ? 'scalar' : 'simd'}'`, async () => {
    assert.equal(simdSupported(), true, 'Node >= 20 supports WebAssembly SIMD');
    await init();
    assert.equal(backend(), MODE === 'scalar' ? 'scalar' : 'simd');
    const y = softPool2d({ data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] }, { kernelSize: [1, 2] });
    assert.ok(Math.abs(y.data[0] - WANT) <= 1e-6);
  });
  it('init() asking for the other backend rejects; asking for the loaded one resolves', async () => {
    const other = backend() === 'simd' ? 'scalar' : 'simd';
    await assert.rejects(init({ backend: other }), /already initialised with the (simd|scalar) build/);
    await init({ backend: backend()! });
    await init({ backend: 'auto' });
    assert.notEqual(backend(), other);
  });
  it('a bad backend option is rejected by name', async () => {
    await assert.rejects(init({ backend: 'fast' as never }), (e: unknown) => e instanceof RangeError && /options\.backend.*'fast'/.test(e.message));
    await assert.rejects(init({ backend: 1 as never }), (e: unknown) => e instanceof TypeError && /options\.backend/.test(e.message));
  });
});

function runChild(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 20000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const PRELUDE = `
import { init, backend, softPool2d, simdSupported } from 'softpool-wasm';
import { readFileSync } from 'node:fs';
const simdPath = 'build/softpool.wasm', scalarPath = 'build/softpool.scalar.wasm';
const report = (extra = {}) => {
  const y = softPool2d({ data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] }, { kernelSize: [1, 2] });
  console.log(JSON.stringify({ backend: backend(), y: y.data[0], ...extra }));
};
// Pretend the runtime has no WebAssembly SIMD: the probe (and any module using v128) fails validation.
const noSimd = () => { const v = WebAssembly.validate; WebAssembly.validate = (b) => new Uint8Array(b.buffer ?? b).includes(0xfd) ? false : v(b); };
`;

describe('backends (fresh child processes)', () => {
  const cases: Array<[string, string, 'simd' | 'scalar']> = [
    ["init({ backend: 'scalar' }) loads build/softpool.scalar.wasm", "await init({ backend: 'scalar' }); report();", 'scalar'],
    ["init({ backend: 'simd' })", "await init({ backend: 'simd' }); report();", 'simd'],
    ['init({ wasm: scalar bytes }) detects the scalar build', 'await init({ wasm: readFileSync(scalarPath) }); report();', 'scalar'],
    ['init({ wasm: scalar path }) detects the scalar build', 'await init({ wasm: scalarPath }); report();', 'scalar'],
    ["init({ wasm: scalar Module, backend: 'scalar' })", "await init({ wasm: await WebAssembly.compile(readFileSync(scalarPath)), backend: 'scalar' }); report();", 'scalar'],
    ['without SIMD, init() falls back to the scalar build', 'noSimd(); if (simdSupported()) throw new Error("probe"); await init(); report();', 'scalar'],
    ["without SIMD, init({ backend: 'simd' }) rejects clearly, then init() works", `noSimd();
let m = ''; try { await init({ backend: 'simd' }); } catch (e) { m = e.message; }
if (!/backend 'simd' was requested, but this JavaScript runtime does not support WebAssembly SIMD/.test(m)) throw new Error('message: ' + m);
await init(); report();`, 'scalar'],
    ['without SIMD, init({ wasm: SIMD bytes }) rejects clearly, then the scalar bytes work', `noSimd();
let m = ''; try { await init({ wasm: readFileSync(simdPath) }); } catch (e) { m = e.message; }
if (!/SIMD build, but this JavaScript runtime does not support WebAssembly SIMD/.test(m)) throw new Error('message: ' + m);
await init({ wasm: readFileSync(scalarPath) }); report();`, 'scalar'],
    ["init({ wasm: SIMD bytes, backend: 'scalar' }) rejects as a mismatch, then init() works", `
let m = ''; try { await init({ wasm: readFileSync(simdPath), backend: 'scalar' }); } catch (e) { m = e.message; }
if (!/options.backend is 'scalar' but options.wasm is the SIMD build/.test(m)) throw new Error('message: ' + m);
await init(); report();`, 'simd'],
  ];
  for (const [name, code, want] of cases) {
    it(`${name} -> backend() '${want}'`, async () => {
      const r = await runChild(PRELUDE + code);
      assert.equal(r.code, 0, `child exited with ${r.code}\nstderr: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim());
      assert.equal(out.backend, want);
      assert.ok(Math.abs(out.y - WANT) <= 1e-6, `y = ${out.y}, want ${WANT}`);
    });
  }
});
