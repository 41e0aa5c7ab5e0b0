// init(): must be called first, is idempotent, and accepts the documented wasm sources.
// This file must not call init() before the first test: node's runner gives every test file its
// own process, so nothing has initialised the module yet. Sources that need a fresh process of
// their own are exercised in child processes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { init, softPool2d, softPool2dBackward } from 'softpool-wasm';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WASM_URL = new URL('../build/softpool.wasm', import.meta.url);
const WANT = Math.fround(0.75 * Math.log(3)); // 1x2 window [0, ln 3], beta 1

function smallCall(): number {
  const y = softPool2d({ data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] }, { kernelSize: [1, 2] });
  assert.deepEqual([...y.shape], [1, 1, 1]);
  return y.data[0];
}

describe('init (in this process)', () => {
  it('softPool2d before init() throws an Error mentioning init', () => {
    assert.throws(
      () => softPool2d({ data: new Float32Array(4), shape: [1, 1, 2, 2] }, { kernelSize: 2 }),
      (e: unknown) => e instanceof Error && /init/.test(e.message),
    );
  });
  it('softPool2dBackward before init() throws an Error mentioning init', () => {
    assert.throws(
      () => softPool2dBackward({ data: new Float32Array(4), shape: [1, 1, 2, 2] }, { data: new Float32Array(1), shape: [1, 1, 1, 1] }, { kernelSize: 2 }),
      (e: unknown) => e instanceof Error && /init/.test(e.message),
    );
  });
  it('init({ wasm: bytes of build/softpool.wasm }) works', async () => {
    const bytes = new Uint8Array(readFileSync(WASM_URL));
    const p = init({ wasm: bytes });
    assert.ok(p instanceof Promise, 'init returns a Promise');
    assert.equal(await p, undefined);
    assert.ok(Math.abs(smallCall() - WANT) <= 1e-6, 'correct result after init');
  });
  it('init() again (no options, and with other sources) is a no-op that resolves', async () => {
    await init();
    await init({ wasm: new Uint8Array(readFileSync(WASM_URL)) });
    await Promise.all([init(), init(), init({ wasm: WASM_URL })]);
    assert.ok(Math.abs(smallCall() - WANT) <= 1e-6);
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
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const PRELUDE = `
import { init, softPool2d } from 'softpool-wasm';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const wasmUrl = pathToFileURL(process.cwd() + '/build/softpool.wasm');
const bytes = () => new Uint8Array(readFileSync(wasmUrl));
const check = () => {
  const y = softPool2d({ data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] }, { kernelSize: [1, 2] });
  console.log(JSON.stringify({ y: y.data[0], shape: [...y.shape] }));
};
`;

describe('init (fresh child processes)', () => {
  const sources: Array<[string, string]> = [
    ['default (no options)', 'await init();'],
    ['{ wasm: new URL(file:...build/softpool.wasm) }', 'await init({ wasm: wasmUrl });'],
    ['{ wasm: ArrayBuffer }', 'await init({ wasm: bytes().buffer });'],
    ['{ wasm: Uint8Array view at an offset }', 'const b = bytes(); const big = new Uint8Array(b.length + 8); big.set(b, 8); await init({ wasm: big.subarray(8) });'],
    ['{ wasm: WebAssembly.Module }', 'await init({ wasm: await WebAssembly.compile(bytes()) });'],
    ['{ wasm: Response }', "await init({ wasm: new Response(bytes(), { headers: { 'content-type': 'application/wasm' } }) });"],
    ['concurrent init() calls share one load', 'await Promise.all([init(), init({ wasm: bytes() }), init({ wasm: wasmUrl })]);'],
  ];
  for (const [name, code] of sources) {
    it(`init${name.startsWith('{') ? `(${name})` : `: ${name}`} works in a fresh process`, async () => {
      const r = await runChild(PRELUDE + code + '\ncheck();');
      assert.equal(r.code, 0, `child exited with ${r.code}\nstderr: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim());
      assert.deepEqual(out.shape, [1, 1, 1]);
      assert.ok(Math.abs(out.y - WANT) <= 1e-6, `y = ${out.y}, want ${WANT}`);
    });
  }
  it('init with invalid bytes rejects; a later init with good bytes then succeeds', async () => {
    const r = await runChild(PRELUDE + `
let rejected = false;
try { await init({ wasm: new Uint8Array([0, 1, 2, 3]) }); } catch (e) { rejected = e instanceof Error; }
if (!rejected) { console.error('init did not reject on invalid bytes'); process.exit(3); }
let threw = false;
try { check(); } catch (e) { threw = /init/.test(e.message); }
if (!threw) { console.error('call after failed init did not throw an init error'); process.exit(4); }
await init({ wasm: bytes() });
check();`);
    assert.equal(r.code, 0, `child exited with ${r.code}\nstderr: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim());
    assert.ok(Math.abs(out.y - WANT) <= 1e-6);
  });
});
