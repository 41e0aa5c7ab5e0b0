// No leak: 100,000 mixed forward/backward calls of random small sizes (every function, both
// layouts, layers, options.out, wasm tensors, and bad calls that throw in between, including
// errors thrown from inside a call after its buffers were allocated) leave stats().memoryBytes
// and stats().inUseBytes where they were after a warm-up.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { caseArb, FAMILIES, type Case } from './fuzz/cases.ts';
import { lib, libFn, type Tensor } from './fuzz/run.ts';
import { refForwardOf } from './fuzz/run.ts';
import { mulberry32, wasmFlags } from './helpers.ts';

before(async () => {
  await lib.init();
});

const CALLS = 100_000;
const rng = mulberry32(0x1eaf);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)];

interface Prepared { c: Case; x: Tensor; g: Tensor; outShape: number[]; layer: boolean; fwd: string }

function prepare(): Prepared[] {
  const list: Prepared[] = [];
  FAMILIES.forEach((family, i) => {
    for (const c of fc.sample(caseArb(family), { seed: 77 + i, numRuns: 60 })) {
      if (c.x.length > 300) continue;
      const x32 = Float32Array.from(c.x);
      const outShape = refForwardOf(c, x32).shape;
      list.push({
        c, x: { data: x32, shape: c.shape }, g: { data: Float32Array.from(c.g), shape: outShape }, outShape,
        layer: family.endsWith('Layer'), fwd: c.fn,
      });
    }
  });
  // a few medium ones, so that memory grows during the warm-up and has to stay put afterwards
  const medium: Case[] = [
    { fn: 'softPool2d', shape: [2, 3, 32, 33], opts: { kernelSize: 3, stride: 2, padding: 1 }, x: [], g: [], io: 'plain' },
    { fn: 'softPool3d', shape: [1, 8, 8, 8, 12], opts: { kernelSize: 2, dataFormat: 'channelsLast' }, x: [], g: [], io: 'plain' },
    { fn: 'adaptiveSoftPool2d', shape: [4, 40, 41], opts: { outputSize: [7, 5], beta: -1 }, x: [], g: [], io: 'plain' },
  ];
  for (const c of medium) {
    const x32 = Float32Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, () => 4 * rng() - 2);
    const outShape = refForwardOf(c, x32).shape;
    const g32 = Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng() - 0.5);
    list.push({ c, x: { data: x32, shape: c.shape }, g: { data: g32, shape: outShape }, outShape, layer: false, fwd: c.fn });
  }
  return list;
}

type AnyFn = (...a: unknown[]) => unknown;
const f = (name: string) => libFn(name) as AnyFn;

/** One random call (or a few); returns the number of library calls made. Errors are expected only where provoked. */
function oneCall(p: Prepared): number {
  const r = rng();
  const { c, x, g } = p;
  const opts = c.opts;
  if (p.layer) {
    const Layer = libFn(c.fn) as unknown as new (o: object, s?: object) => { forward(x: Tensor): Tensor; backward(g: Tensor): Tensor; dispose?(): void };
    // keepForBackward layers hold wasm memory from forward to dispose() or the next forward
    const keep = rng() < 0.5;
    const l = keep ? new Layer(opts, { keepForBackward: true }) : new Layer(opts);
    l.forward(x);
    if (r < 0.5) l.backward(g);
    if (keep && r < 0.25) { l.forward(x); l.backward(g); }
    if (keep) {
      try {
        l.backward({ data: g.data, shape: [...p.outShape, 1] }); // a bad call while memory is kept
      } catch { /* expected */ }
      l.dispose!();
    }
    return r < 0.25 && keep ? 5 : r < 0.5 ? 2 : 1;
  }
  const bwd = `${p.fwd}Backward`;
  if (r < 0.35) { f(p.fwd)(x, opts); return 1; }
  if (r < 0.65) { f(bwd)(x, g, opts); return 1; }
  if (r < 0.72) { // options.out, plain
    f(p.fwd)(x, { ...opts, out: { data: new Float32Array(g.data.length), shape: p.outShape } });
    f(bwd)(x, g, { ...opts, out: { data: new Float32Array(x.data.length), shape: c.shape } });
    return 2;
  }
  if (r < 0.8) { // wasm tensors in and out
    const xw = lib.allocTensor(c.shape), gw = lib.allocTensor(p.outShape), yw = lib.allocTensor(p.outShape), giw = lib.allocTensor(c.shape);
    try {
      xw.data.set(x.data); gw.data.set(g.data);
      f(p.fwd)(xw, { ...opts, out: yw });
      f(bwd)(xw, gw, { ...opts, out: giw });
      f(bwd)(x, gw, opts);
    } finally {
      xw.dispose(); gw.dispose(); yw.dispose(); giw.dispose();
      xw.dispose(); // idempotent
    }
    return 7;
  }
  // bad calls
  const bad: Array<() => unknown> = [
    () => f(p.fwd)(x, { ...opts, beta: NaN }),
    () => f(p.fwd)(x, { ...opts, bogus: 1 }),
    () => f(bwd)(x, { data: g.data.subarray(1), shape: p.outShape }, opts),
    () => f(bwd)(x, { data: g.data, shape: [...p.outShape, 1] }, opts),
    () => f(p.fwd)({ data: x.data, shape: [...c.shape.slice(0, -1), c.shape[c.shape.length - 1] + 1] }, opts),
    () => f(p.fwd)(x, { ...opts, out: { data: new Float32Array(1), shape: [1] } }),
    () => f(p.fwd)(null, opts),
    () => { const t = lib.allocTensor(c.shape); t.dispose(); return f(p.fwd)(t, opts); },
    // errors from inside the call: the data getter throws after the checks (or at once)
    () => { let n = 0; return f(p.fwd)({ get data() { if (++n > 1) throw new Error('getter'); return x.data; }, shape: c.shape }, opts); },
    () => { let n = 0; return f(bwd)(x, { get data() { if (++n > 1) throw new Error('getter'); return g.data; }, shape: p.outShape }, opts); },
    () => { let n = 0; return f(bwd)(x, g, { ...opts, out: { get data() { if (++n > 1) throw new Error('getter'); return new Float32Array(x.data.length); }, shape: c.shape } }); },
    () => { let n = 0; return f(p.fwd)({ get data() { if (++n > 2) throw new Error('getter'); return x.data; }, shape: c.shape }, opts); },
  ];
  const which = Math.floor(rng() * bad.length);
  try {
    bad[which]();
  } catch {
    return 1;
  }
  if (which < 8) throw new Error(`leak: bad call #${which} on ${p.fwd} ${JSON.stringify(opts)} did not throw`);
  return 1; // a getter that only throws on a later read may not be read again: fine
}

describe(`leak: ${CALLS} mixed calls leave wasm memory where it was`, () => {
  it('memoryBytes and inUseBytes unchanged after the run', () => {
    const problems = prepare();
    assert.ok(problems.length > 100, `${problems.length} problems`);
    // warm-up: every problem through every path once
    for (const p of problems) for (let k = 0; k < 12; k++) oneCall(p);
    const s0 = lib.stats();
    const t0 = Date.now();
    let calls = 0;
    while (calls < CALLS) calls += oneCall(pick(problems));
    const s1 = lib.stats();
    const ms = Date.now() - t0;
    console.log(`leak: ${calls} calls in ${ms} ms; memoryBytes ${s0.memoryBytes} -> ${s1.memoryBytes}, inUseBytes ${s0.inUseBytes} -> ${s1.inUseBytes}, peak ${s1.peakInUseBytes}`);
    assert.equal(s1.inUseBytes, s0.inUseBytes, `inUseBytes ${s0.inUseBytes} -> ${s1.inUseBytes} after ${calls} calls`);
    assert.equal(s1.memoryBytes, s0.memoryBytes, `memoryBytes ${s0.memoryBytes} -> ${s1.memoryBytes} after ${calls} calls`);
  });
});

describe('leak: layers with keepForBackward that are never disposed', () => {
  it('give their wasm memory back when garbage-collected (child process with --expose-gc)', () => {
    const child = fileURLToPath(new URL('./fuzz/gc_child.ts', import.meta.url));
    const r = spawnSync(process.execPath, [...wasmFlags(), '--expose-gc', '--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000 });
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    assert.ok(line, `child failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
    const res = JSON.parse(line) as { keptBytes: number; afterGc: number; rounds: number };
    assert.equal(res.afterGc, 0, `${res.afterGc} of ${res.keptBytes} kept bytes still in use after ${res.rounds} gc rounds`);
  });
});
