// Chunking through a bounded arena: with init({ maxMemoryBytes: 1 MiB }), tensors larger than
// the cap (many planes, long rows, a single 2048x2048 plane, a single 3D volume, adaptive) give
// results identical bit for bit to an uncapped run, the call's wasm buffers stay within the cap
// (stats().peakInUseBytes) and wasm memory stays near it.
//
// init() is once per process, so every capped problem runs in a child process of its own
// (tests/fuzz/chunking_child.ts, same backend as this process), where stats() are its own. The
// uncapped results come from one more child whose x and gradOutput are wasm tensors, so each of
// its calls runs whole (the zero-copy path never splits).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as libNs from 'softpool-wasm';
import { CAP, PROBLEMS } from './fuzz/chunking_problems.ts';
import { wasmFlags } from './helpers.ts';

const lib = libNs as unknown as { backend(): string | null };
const CHILD = fileURLToPath(new URL('./fuzz/chunking_child.ts', import.meta.url));
// the backend this test run uses (the scalar run preloads it); children use the same build
const BACKEND = lib.backend() ?? process.env.SOFTPOOL_TEST_BACKEND ?? 'auto';
let dir = '';

function child(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...wasmFlags(), '--import', 'tsx', CHILD, BACKEND, dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve(code === 0 ? '' : `child ${args.join(' ')} exited with ${code}:\n${out}`));
  });
}

const childErrors: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'softpool-chunking-'));
  const jobs = [['whole'], ...PROBLEMS.map((_, i) => ['capped', String(i)])];
  // two at a time
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const err = await child(jobs[next++]);
      if (err) childErrors.push(err);
    }
  };
  await Promise.all([worker(), worker()]);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Meta { gradBeta?: number; error?: string; initError?: string | null; stats?: { inUseBytes: number; peakInUseBytes: number; memoryBytes: number } }
const meta = (name: string): Meta => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Meta;
const f32 = (file: string) => new Float32Array(new Uint8Array(readFileSync(join(dir, file))).buffer);

function firstDifference(a: Float32Array, b: Float32Array): string {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0, first = -1;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) { n++; if (first < 0) first = i; }
  return n === 0 ? '' : `${n} of ${a.length} differ, first at flat index ${first}: capped ${a[first]}, uncapped ${b[first]}`;
}

describe(`chunking: init({ maxMemoryBytes: ${CAP} }) gives the uncapped results bit for bit, within the cap`, () => {
  it('the child processes ran', () => {
    assert.deepEqual(childErrors, []);
  });
  PROBLEMS.forEach((p, i) => {
    it(`${p.fn} [${p.shape}] ${JSON.stringify(p.opts)}: ${p.name}`, () => {
      const bytes = p.shape.reduce((a, b) => a * b, 1) * 4;
      assert.ok(bytes > CAP, `problem ${i} must be larger than the cap`);
      const whole = meta(`whole-${i}`);
      assert.equal(whole.error, undefined, `the uncapped run failed: ${whole.error}`);
      const capped = meta(`capped-${i}`);
      assert.equal(capped.initError, null, `init({ maxMemoryBytes: ${CAP} }) failed: ${capped.initError}`);
      if (p.tooBigForCap) {
        assert.match(capped.error ?? '', /^RangeError: .*maxMemoryBytes/, 'a problem that cannot be cut within the cap must be a RangeError naming maxMemoryBytes');
        assert.equal(capped.stats!.inUseBytes, 0, 'nothing left allocated after the error');
        assert.ok(capped.stats!.memoryBytes <= CAP + (1 << 20), `wasm memory grew to ${capped.stats!.memoryBytes}`);
        return;
      }
      assert.equal(capped.error, undefined, `the capped run failed: ${capped.error}`);
      const [y, yW] = [f32(`capped-${i}.y.bin`), f32(`whole-${i}.y.bin`)];
      const [gi, giW] = [f32(`capped-${i}.gi.bin`), f32(`whole-${i}.gi.bin`)];
      assert.equal(y.length, yW.length, 'output length');
      assert.equal(gi.length, giW.length, 'gradInput length');
      const problems: string[] = [];
      const dy = firstDifference(y, yW);
      if (dy) problems.push(`forward: ${dy}`);
      const dg = firstDifference(gi, giW);
      if (dg) problems.push(`gradInput: ${dg}`);
      const gb = capped.gradBeta as number, gbW = whole.gradBeta as number;
      if (!(Object.is(gb, gbW) || Math.abs(gb - gbW) <= 1e-9 * Math.max(1, Math.abs(gbW)))) problems.push(`gradBeta: capped ${gb}, uncapped ${gbW}`);
      const s = capped.stats!;
      if (s.inUseBytes !== 0) problems.push(`${s.inUseBytes} wasm bytes left in use`);
      if (s.peakInUseBytes > CAP) problems.push(`the call's wasm buffers took ${s.peakInUseBytes} bytes, over the ${CAP}-byte cap`);
      if (s.memoryBytes > CAP + (1 << 20)) problems.push(`wasm memory grew to ${s.memoryBytes} bytes with a ${CAP}-byte cap`);
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  });
});
