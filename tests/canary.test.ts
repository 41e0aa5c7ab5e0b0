// Heap safety: canary allocations around every input and output in wasm memory are unchanged
// after every function, for all SIMD tail cases (widths and channel counts that are not a
// multiple of 4, overlapping last groups, padding-clipped windows, every rank and layout,
// adaptive windows). x, gradOutput and out are wasm tensors (allocTensor), so the kernels work
// on them in place.
//
// Layout in wasm memory: c0 | x | c1 | gradOutput | c2 | y | c3 | gradInput | c4, allocated in
// that order. Every byte from the start of c0 to the end of c4 (canaries, the 16 bytes of read
// slack after each tensor, the allocator's block headers, x and gradOutput themselves) must be
// unchanged after each call, except the data bytes of the one output the call writes. Kernels
// may read up to 16 bytes past an input, never write outside an output.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { lib, libFn, type Tensor } from './fuzz/run.ts';
import {
  softPoolNdRef, softPoolNdBackwardRef, adaptiveSoftPoolNdRef, adaptiveSoftPoolNdBackwardRef, shapeToChannelsLast,
  type RefOptionsNd, type AdaptiveRefOptions,
} from './reference.ts';
import { assertForwardClose, assertGradInputClose, mulberry32 } from './helpers.ts';

before(async () => {
  await lib.init();
});

interface WasmTensor extends Tensor { readonly pointer: number; dispose(): void }
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const SLACK = 16;
const CANARY_WORDS = 12;
const rng = mulberry32(0xca7a);

function randomData(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng();
    a[i] = r < 0.02 ? Infinity : r < 0.04 ? -Infinity : r < 0.05 ? NaN : r < 0.08 ? 3e38 * (rng() - 0.5) : 6 * rng() - 3;
  }
  return a;
}

interface Problem { fn: string; spatial: 1 | 2 | 3; adaptive: boolean; shape: number[]; opts: Record<string, unknown>; outShape: number[] }

function outShapeOf(p: Omit<Problem, 'outShape'>): number[] | null {
  const x = new Float32Array(prod(p.shape));
  try {
    return p.adaptive ? adaptiveSoftPoolNdRef(x, p.shape, p.opts as unknown as AdaptiveRefOptions, p.spatial).shape
      : softPoolNdRef(x, p.shape, p.opts as unknown as RefOptionsNd, p.spatial).shape;
  } catch {
    return null; // kernel does not fit this size
  }
}

// ---------------------------------------------------------------------------------------------
// the problems: every SIMD tail

const PLAIN: Array<Record<string, unknown>> = [
  { kernelSize: 2 }, { kernelSize: 2, stride: 1 }, { kernelSize: 3, stride: 1, padding: 1 },
  { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }, { kernelSize: 1 }, { kernelSize: 4, stride: 3, padding: 2, ceilMode: true },
  { kernelSize: 5, stride: 1, padding: 2, beta: -2 }, { kernelSize: 2, stride: 2, beta: 0 },
];
const ADAPTIVE = (n: number): Array<number | null> => [1, 2, 3, 5, n + 1, null];

function problems(): Problem[] {
  const list: Problem[] = [];
  const push = (p: Omit<Problem, 'outShape'>) => {
    const outShape = outShapeOf(p);
    if (outShape) list.push({ ...p, outShape });
  };
  for (const spatial of [1, 2, 3] as const) {
    const lead = (w: number): number[] => (spatial === 1 ? [w] : spatial === 2 ? [3, w] : [2, 3, w]);
    const widths = spatial === 3 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 31, 34];
    for (const adaptive of [false, true]) {
      const fn = `${adaptive ? 'adaptiveSoftPool' : 'softPool'}${spatial}d`;
      // channels first: the SIMD runs along W
      for (const w of widths) {
        const shape = [w % 2 ? 1 : 2, 2, ...lead(w)];
        if (adaptive) for (const o of ADAPTIVE(w)) push({ fn, spatial, adaptive, shape, opts: { outputSize: o === null ? new Array(spatial).fill(null) : o, beta: 1.5 } });
        else for (const o of PLAIN) push({ fn, spatial, adaptive, shape, opts: o });
      }
      // channels last: the SIMD runs across C
      for (const C of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13]) {
        const cf = [2, C, ...lead(C % 3 === 0 ? 5 : 4)];
        const shape = C % 2 ? shapeToChannelsLast(cf.slice(1), spatial) : shapeToChannelsLast(cf, spatial);
        const w = cf[cf.length - 1];
        if (adaptive) for (const o of ADAPTIVE(w)) push({ fn, spatial, adaptive, shape, opts: { outputSize: o === null ? new Array(spatial).fill(null) : o, dataFormat: 'channelsLast' } });
        else for (const o of PLAIN) push({ fn, spatial, adaptive, shape, opts: { ...o, dataFormat: 'channelsLast' } });
      }
    }
  }
  return list;
}

// ---------------------------------------------------------------------------------------------

function sentinel(i: number): number {
  return (0xa5000000 | ((i * 2654435761) & 0xffffff)) >>> 0;
}

function fillCanary(t: WasmTensor, salt: number): void {
  const words = new Uint32Array(t.data.buffer, t.pointer, CANARY_WORDS + SLACK / 4);
  for (let i = 0; i < words.length; i++) words[i] = sentinel(salt * 1000 + i);
}

interface Span { start: number; end: number; bytes: Uint8Array }

/** The bytes from the first allocation's start to the last one's end (slack included). */
function span(ts: WasmTensor[]): Span {
  const buf = ts[0].data.buffer;
  const sorted = [...ts].sort((a, b) => a.pointer - b.pointer);
  const start = sorted[0].pointer;
  const last = sorted[sorted.length - 1];
  const end = last.pointer + prod(last.shape) * 4 + SLACK;
  // the allocations must be near each other for the span to be meaningful
  for (let i = 1; i < sorted.length; i++) {
    const prevEnd = sorted[i - 1].pointer + prod(sorted[i - 1].shape) * 4 + SLACK;
    assert.ok(sorted[i].pointer - prevEnd <= 64, `canary layout: allocations are not adjacent (gap ${sorted[i].pointer - prevEnd} bytes)`);
  }
  return { start, end, bytes: new Uint8Array(buf, start, end - start).slice() };
}

/** Every byte of the span unchanged except [allowed.pointer, +allowedBytes). */
function checkSpan(s: Span, ts: WasmTensor[], allowed: WasmTensor, label: string): void {
  const now = new Uint8Array(ts[0].data.buffer, s.start, s.end - s.start);
  const a0 = allowed.pointer - s.start, a1 = a0 + prod(allowed.shape) * 4;
  for (let i = 0; i < now.length; i++) {
    if (i >= a0 && i < a1) continue;
    if (now[i] !== s.bytes[i]) {
      const addr = s.start + i;
      const owner = ts.find((t) => addr >= t.pointer - 64 && addr < t.pointer + prod(t.shape) * 4 + SLACK);
      const where = owner ? `${addr - owner.pointer} bytes from the start of the ${names.get(owner) ?? '?'} allocation` : 'between allocations';
      assert.fail(`${label}: wasm byte ${addr} (${where}) changed from 0x${s.bytes[i].toString(16)} to 0x${now[i].toString(16)}`);
    }
  }
}

const names = new WeakMap<WasmTensor, string>();

function runProblem(p: Problem): number {
  const label = `${p.fn} x[${p.shape}] ${JSON.stringify(p.opts)}`;
  const n = prod(p.shape), m = prod(p.outShape);
  const alloc = (shape: number[], name: string) => {
    const t = lib.allocTensor(shape);
    names.set(t, name);
    return t;
  };
  const all: WasmTensor[] = [];
  try {
    const c0 = alloc([CANARY_WORDS], 'c0'); all.push(c0);
    const x = alloc(p.shape, 'x'); all.push(x);
    const c1 = alloc([CANARY_WORDS], 'c1'); all.push(c1);
    const g = alloc(p.outShape, 'gradOutput'); all.push(g);
    const c2 = alloc([CANARY_WORDS], 'c2'); all.push(c2);
    const y = alloc(p.outShape, 'y'); all.push(y);
    const c3 = alloc([CANARY_WORDS], 'c3'); all.push(c3);
    const gi = alloc(p.shape, 'gradInput'); all.push(gi);
    const c4 = alloc([CANARY_WORDS], 'c4'); all.push(c4);
    [c0, c1, c2, c3, c4].forEach((c, i) => fillCanary(c, i));
    const xd = randomData(n), gd = Float32Array.from({ length: m }, () => 2 * rng() - 1);
    x.data.set(xd);
    g.data.set(gd);
    // slack after x, g, y, gi and the outputs themselves: sentinels too
    for (const [t, salt] of [[x, 11], [g, 12], [y, 13], [gi, 14]] as const) {
      const len = prod(t.shape);
      const words = new Uint32Array(t.data.buffer, t.pointer, len + SLACK / 4);
      for (let i = t === x || t === g ? len : 0; i < words.length; i++) words[i] = sentinel(salt * 1000 + i);
    }

    const s1 = span(all);
    const out = (libFn(p.fn) as (x: Tensor, o: object) => Tensor)(x, { ...p.opts, out: y });
    checkSpan(s1, all, y, `${label} forward`);
    assert.ok(out === y || out.data.buffer === y.data.buffer, `${label}: forward with a wasm out must return it`);
    const rf = p.adaptive ? adaptiveSoftPoolNdRef(xd, p.shape, p.opts as unknown as AdaptiveRefOptions, p.spatial)
      : softPoolNdRef(xd, p.shape, p.opts as unknown as RefOptionsNd, p.spatial);
    assertForwardClose(y.data, rf.y, rf.scale, rf.shape, `${label} forward`);

    const s2 = span(all);
    const b = (libFn(`${p.fn}Backward`) as (x: Tensor, g: Tensor, o: object) => { gradInput: Tensor; gradBeta: number })(x, g, { ...p.opts, out: gi });
    checkSpan(s2, all, gi, `${label} backward`);
    assert.ok(b.gradInput === gi || b.gradInput.data.buffer === gi.data.buffer, `${label}: backward with a wasm out must return it`);
    const rb = p.adaptive ? adaptiveSoftPoolNdBackwardRef(xd, p.shape, gd, p.opts as unknown as AdaptiveRefOptions, p.spatial)
      : softPoolNdBackwardRef(xd, p.shape, gd, p.opts as unknown as RefOptionsNd, p.spatial);
    assertGradInputClose(gi.data, rb.gradInput, p.shape, `${label} backward`);

    // results must not depend on the bytes past an input (kernels may read them, never use them)
    const y0 = y.data.slice(), gi0 = gi.data.slice(), gb0 = b.gradBeta;
    for (const junk of [NaN, -Infinity, 3e38, -1e-39]) {
      for (const t of [x, g]) new Float32Array(t.data.buffer, t.pointer + prod(t.shape) * 4, SLACK / 4).fill(junk);
      (libFn(p.fn) as (x: Tensor, o: object) => Tensor)(x, { ...p.opts, out: y });
      const bj = (libFn(`${p.fn}Backward`) as (x: Tensor, g: Tensor, o: object) => { gradBeta: number })(x, g, { ...p.opts, out: gi });
      assert.deepEqual(new Uint32Array(y.data.slice().buffer), new Uint32Array(y0.buffer), `${label}: forward depends on the ${junk} bytes after x`);
      assert.deepEqual(new Uint32Array(gi.data.slice().buffer), new Uint32Array(gi0.buffer), `${label}: gradInput depends on the ${junk} bytes after x/gradOutput`);
      assert.ok(Object.is(bj.gradBeta, gb0), `${label}: gradBeta depends on the ${junk} bytes after x/gradOutput (${bj.gradBeta} vs ${gb0})`);
    }

    // the layer: x and gradOutput in wasm memory, fresh outputs
    const Layer = libFn(`${p.adaptive ? 'AdaptiveSoftPool' : 'SoftPool'}${p.spatial}d`) as unknown as
      new (o: object, s?: object) => { forward(x: Tensor): Tensor; backward(g: Tensor): Tensor; dispose(): void };
    const layer = new Layer(p.opts);
    const kept = new Layer(p.opts, { keepForBackward: true });
    const s3 = span(all);
    layer.forward(x);
    layer.backward(g);
    kept.forward(x);
    const giKept = kept.backward(g);
    kept.dispose();
    assertGradInputClose(giKept.data, rb.gradInput, p.shape, `${label} layer with keepForBackward`);
    checkSpan(s3, all, c4 /* nothing may change: c4 is checked as a whole below */, `${label} layer`);
    new Uint32Array(c4.data.buffer, c4.pointer, CANARY_WORDS + SLACK / 4).forEach((w, i) => assert.equal(w, sentinel(4000 + i), `${label} layer: c4 changed`));
    return 3;
  } finally {
    for (const t of all) t.dispose();
  }
}

const PROBLEMS = problems();

describe(`canary: ${PROBLEMS.length} problems x (forward, backward, layer) with wasm tensors in place; nothing outside the output changes`, () => {
  for (const fn of ['softPool1d', 'softPool2d', 'softPool3d', 'adaptiveSoftPool1d', 'adaptiveSoftPool2d', 'adaptiveSoftPool3d']) {
    for (const layout of ['channelsFirst', 'channelsLast']) {
      const mine = PROBLEMS.filter((p) => p.fn === fn && ((p.opts.dataFormat ?? 'channelsFirst') === layout));
      it(`${fn} ${layout}: ${mine.length} shapes/options`, () => {
        const inUse0 = lib.stats().inUseBytes;
        let calls = 0;
        for (const p of mine) calls += runProblem(p);
        assert.ok(calls > 0);
        assert.equal(lib.stats().inUseBytes, inUse0, 'every canary and tensor was disposed');
      });
    }
  }
});

describe('canary: the checker itself', () => {
  it('notices one byte written just past an output (into its read slack) and one into a block header', () => {
    const a = lib.allocTensor([5]), b = lib.allocTensor([7]), c = lib.allocTensor([3]);
    try {
      const all = [a, b, c];
      let s = span(all);
      new Uint8Array(b.data.buffer, b.pointer + 7 * 4, 1)[0] ^= 0xff; // first slack byte after b
      assert.throws(() => checkSpan(s, all, b, 'self-test'), /changed/);
      s = span(all);
      new Uint8Array(c.data.buffer, c.pointer - 1, 1)[0] ^= 0x01; // the allocator's header before c
      assert.throws(() => checkSpan(s, all, b, 'self-test'), /changed/);
      new Uint8Array(c.data.buffer, c.pointer - 1, 1)[0] ^= 0x01;
      s = span(all);
      b.data[6] = 42; // inside the allowed output: fine
      checkSpan(s, all, b, 'self-test');
    } finally {
      a.dispose(); b.dispose(); c.dispose();
    }
  });
});
