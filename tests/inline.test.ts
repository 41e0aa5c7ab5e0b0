// The single-file build (dist/softpool.inline.js, `softpool-wasm/inline`) under Node: copied
// alone into an empty temp folder and imported from there by a child process whose working
// directory is that folder, so no packaged .wasm can be found next to it; init() must use the
// embedded modules. Results are checked against the float64 reference (tests/runtimes/cases.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkCase, makeCases, type Case } from './runtimes/cases.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const cases = makeCases();

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 30000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

async function runInline(options: object): Promise<{ before: unknown; backend: unknown; results: never[] }> {
  const bundleDir = mkdtempSync(path.join(tmpdir(), 'softpool-inline-'));
  const driverDir = mkdtempSync(path.join(tmpdir(), 'softpool-driver-'));
  try {
    copyFileSync(path.join(ROOT, 'dist/softpool.inline.js'), path.join(bundleDir, 'softpool.inline.js'));
    for (const f of ['inline-driver.js', 'run-case.js']) copyFileSync(path.join(ROOT, 'tests/runtimes', f), path.join(driverDir, f));
    writeFileSync(path.join(driverDir, 'cases.js'), `export const cases = ${JSON.stringify(cases)};\n`);
    writeFileSync(path.join(driverDir, 'package.json'), '{ "type": "module" }\n');
    const bundleUrl = pathToFileURL(path.join(bundleDir, 'softpool.inline.js')).href;
    const r = await run([path.join(driverDir, 'inline-driver.js'), bundleUrl, JSON.stringify(options)], bundleDir);
    assert.equal(r.code, 0, `child exited with ${r.code}\nstderr: ${r.stderr}`);
    assert.deepEqual(readdirSync(bundleDir), ['softpool.inline.js'], 'the bundle was alone in its folder');
    return JSON.parse(r.stdout);
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
    rmSync(driverDir, { recursive: true, force: true });
  }
}

function assertAllMatch(results: never[]): void {
  const errors = cases.flatMap((c: Case, i) => checkCase(c, results[i]));
  assert.equal(errors.length, 0, errors.slice(0, 10).join('\n'));
}

describe('softpool-wasm/inline (single file, alone in a temp folder)', () => {
  it(`init() with no argument uses the embedded SIMD build; ${cases.length} reference cases`, async () => {
    const r = await runInline({});
    assert.equal(r.before, null);
    assert.equal(r.backend, 'simd');
    assertAllMatch(r.results);
  });
  it(`init({ backend: 'scalar' }) uses the embedded scalar build; ${cases.length} reference cases`, async () => {
    const r = await runInline({ backend: 'scalar' });
    assert.equal(r.backend, 'scalar');
    assertAllMatch(r.results);
  });
  it('init({ wasm: path }) still reads a file (Node >= 20.16: process.getBuiltinModule)', async (t) => {
    if (typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule !== 'function') {
      t.skip('this Node has no process.getBuiltinModule');
      return;
    }
    const r = await runInline({ wasm: path.join(ROOT, 'build/softpool.scalar.wasm') });
    assert.equal(r.backend, 'scalar');
    assertAllMatch(r.results);
  });
});

describe('the runtime cases check what they should', () => {
  it('checkCase accepts a correct result and reports a wrong output, gradient and gradBeta', async () => {
    const { runCase } = await import('./runtimes/run-case.js');
    const lib = await import('softpool-wasm');
    await lib.init();
    const c = cases[5];
    const good = runCase(lib, c);
    assert.deepEqual(checkCase(c, good), []);
    const badY = { ...good, y: good.y.map((v: number, i: number) => (i === 0 ? v + 1e-3 : v)) };
    assert.match(checkCase(c, badY).join('\n'), /y\[0\]/);
    const badG = { ...good, gradInput: good.gradInput.map((v: number, i: number) => (i === 1 ? v + 1e-2 : v)) };
    assert.match(checkCase(c, badG).join('\n'), /gradInput\[1\]/);
    assert.match(checkCase(c, { ...good, gradBeta: good.gradBeta + 1 }).join('\n'), /gradBeta/);
    assert.match(checkCase(c, { error: 'boom' }).join('\n'), /threw boom/);
  });
});
