// Backends: init() picks the relaxed-SIMD build where relaxed SIMD exists, else the SIMD build
// where WebAssembly SIMD exists, else the scalar build; init({ backend }) forces one;
// backend() says which is loaded (null before init). Under `npm run test:node:scalar` and
// `test:node:relaxed` (SOFTPOOL_TEST_BACKEND, preload tests/setup/backend.ts) this file checks
// that the preload really ran in its own process, i.e. that node's test runner passed --import
// (and --experimental-wasm-relaxed-simd) on to the per-file subprocess and the whole suite ran
// on that build.
// This file must not call init() before its first test. Fresh-process cases run in children.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backend, init, relaxedSimdSupported, simdSupported, softPool2d } from 'softpool-wasm';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FORCED = process.env.SOFTPOOL_TEST_BACKEND;
const MODE = FORCED === 'scalar' || FORCED === 'relaxed' ? FORCED : 'default';
// Node 20 has relaxed SIMD only behind --experimental-wasm-relaxed-simd; later Node has it by default.
const AUTO = relaxedSimdSupported() ? 'relaxed' : 'simd';
const EXPECTED = MODE === 'default' ? AUTO : MODE;
const WANT = Math.fround(0.75 * Math.log(3)); // 1x2 window [0, ln 3], beta 1

describe(`backend() in this process (${MODE} mode)`, () => {
  if (MODE !== 'default') {
    it(`the --import preload already loaded the ${MODE} build before this file ran`, () => {
      assert.ok(process.execArgv.some((a) => a.includes('tests/setup/backend.ts')), `execArgv: ${process.execArgv.join(' ')}`);
      assert.equal(backend(), MODE);
    });
  } else {
    it('backend() is null before init()', () => {
      assert.equal(backend(), null);
    });
  }
  it(`after init(), backend() is '${EXPECTED}'`, async () => {
    assert.equal(simdSupported(), true, 'Node >= 20 supports WebAssembly SIMD');
    if (MODE === 'relaxed') assert.equal(relaxedSimdSupported(), true, 'the relaxed run passes --experimental-wasm-relaxed-simd');
    await init();
    assert.equal(backend(), EXPECTED);
    const y = softPool2d({ data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] }, { kernelSize: [1, 2] });
    assert.ok(Math.abs(y.data[0] - WANT) <= 1e-6);
  });
  it('init() asking for the other backend rejects; asking for the loaded one resolves', async () => {
    const other = backend() === 'scalar' ? 'simd' : 'scalar';
    await assert.rejects(init({ backend: other }), /already initialised with the (relaxed|simd|scalar) build/);
    await init({ backend: backend()! });
    await init({ backend: 'auto' });
    assert.notEqual(backend(), other);
  });
  it('a bad backend option is rejected by name', async () => {
    await assert.rejects(init({ backend: 'fast' as never }), (e: unknown) => e instanceof RangeError && /options\.backend.*'fast'/.test(e.message));
    await assert.rejects(init({ backend: 1 as never }), (e: unknown) => e instanceof TypeError && /options\.backend/.test(e.message));
  });
});

function runChild(script: string, nodeFlags: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { cwd: ROOT });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 20000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const PRELUDE = `
import { init, backend, softPool2d, simdSupported, relaxedSimdSupported } from 'softpool-wasm';
import { readFileSync } from 'node:fs';
const simdPath = 'build/softpool.wasm', scalarPath = 'build/softpool.scalar.wasm', relaxedPath = 'build/softpool.relaxed.wasm';
const expectMessage = async (p, re) => { let m = ''; try { await p; } catch (e) { m = e.message; } if (!re.test(m)) throw new Error('message: ' + m); };
const report = (extra = {}) => {
  const y = softPool2d({ data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] }, { kernelSize: [1, 2] });
  console.log(JSON.stringify({ backend: backend(), y: y.data[0], ...extra }));
};
// Pretend the runtime has no WebAssembly SIMD: the probe (and any module using v128) fails validation.
const noSimd = () => { const v = WebAssembly.validate; WebAssembly.validate = (b) => new Uint8Array(b.buffer ?? b).includes(0xfd) ? false : v(b); };
`;

const RELAXED = ['--experimental-wasm-relaxed-simd'];

describe('backends (fresh child processes)', () => {
  const cases: Array<[string, string, 'relaxed' | 'simd' | 'scalar', string[]?]> = [
    ["init({ backend: 'scalar' }) loads build/softpool.scalar.wasm", "await init({ backend: 'scalar' }); report();", 'scalar'],
    ["init({ backend: 'simd' })", "await init({ backend: 'simd' }); report();", 'simd'],
    ['without relaxed SIMD (Node 20 default), init() picks the SIMD build', 'if (relaxedSimdSupported()) throw new Error("probe"); await init(); report();', 'simd'],
    ['with relaxed SIMD, init() picks the relaxed build', 'if (!relaxedSimdSupported()) throw new Error("probe"); await init(); report();', 'relaxed', RELAXED],
    ["with relaxed SIMD, init({ backend: 'simd' }) still loads the SIMD build", "await init({ backend: 'simd' }); report();", 'simd', RELAXED],
    ['init({ wasm: relaxed path }) detects the relaxed build', 'await init({ wasm: relaxedPath }); report();', 'relaxed', RELAXED],
    ["without relaxed SIMD, init({ backend: 'relaxed' }) rejects clearly, then init() works", `
await expectMessage(init({ backend: 'relaxed' }), /backend 'relaxed' was requested, but this JavaScript runtime does not support WebAssembly relaxed SIMD/);
await init(); report();`, 'simd'],
    ['without relaxed SIMD, init({ wasm: relaxed bytes }) rejects naming the relaxed build, then init() works', `
await expectMessage(init({ wasm: readFileSync(relaxedPath) }), /does not compile here.*relaxed-SIMD build \\(softpool.relaxed.wasm\\)/);
await init(); report();`, 'simd'],
    ["init({ wasm: relaxed bytes, backend: 'simd' }) rejects as a mismatch, then init() works", `
await expectMessage(init({ wasm: readFileSync(relaxedPath), backend: 'simd' }), /options.backend is 'simd' but options.wasm is the relaxed build/);
await init(); report();`, 'relaxed', RELAXED],
    ["init({ wasm: SIMD bytes, backend: 'relaxed' }) rejects as a mismatch, then init() works", `
await expectMessage(init({ wasm: readFileSync(simdPath), backend: 'relaxed' }), /options.backend is 'relaxed' but options.wasm is the simd build/);
await init(); report();`, 'relaxed', RELAXED],
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
  for (const [name, code, want, flags] of cases) {
    it(`${name} -> backend() '${want}'`, async () => {
      const r = await runChild(PRELUDE + code, flags);
      assert.equal(r.code, 0, `child exited with ${r.code}\nstderr: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim());
      assert.equal(out.backend, want);
      assert.ok(Math.abs(out.y - WANT) <= 1e-6, `y = ${out.y}, want ${WANT}`);
    });
  }
});
