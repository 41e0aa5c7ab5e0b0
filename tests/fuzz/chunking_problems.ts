// Problems for tests/chunking.test.ts and its uncapped child (tests/fuzz/chunking_child.ts):
// tensors larger than a 1 MiB memory budget, with deterministic data.
import * as libNs from 'softpool-wasm';

export interface Tensor { data: Float32Array; shape: readonly number[] }
export interface ChunkProblem {
  name: string; fn: string; shape: number[]; opts: Record<string, unknown>; layer?: boolean;
  /** Windows are never split: a problem that cannot be cut within the cap is a RangeError naming maxMemoryBytes. */
  tooBigForCap?: boolean;
}
export interface ChunkResult { y: Float32Array; gi: Float32Array; gradBeta: number }

export const CAP = 1 << 20;

export const PROBLEMS: ChunkProblem[] = [
  { name: '2D channelsFirst, 1 MiB input, overlapping windows', fn: 'softPool2d', shape: [4, 8, 64, 130], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: '2D channelsLast, 1 MiB input', fn: 'softPool2d', shape: [2, 64, 66, 32], opts: { kernelSize: 2, dataFormat: 'channelsLast', beta: 4 } },
  { name: '1D long rows (one row is 256 KiB), ceil mode', fn: 'softPool1d', shape: [2, 4, 65536], opts: { kernelSize: 4, stride: 3, padding: 2, ceilMode: true, beta: -1 } },
  { name: '3D channelsFirst, 1.5 MiB', fn: 'softPool3d', shape: [1, 3, 32, 64, 64], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: '3D channelsLast, 1.5 MiB', fn: 'softPool3d', shape: [1, 12, 32, 32, 32], opts: { kernelSize: [2, 3, 2], stride: [2, 1, 2], dataFormat: 'channelsLast' } },
  { name: 'adaptive 2D, many planes (1.2 MiB)', fn: 'adaptiveSoftPool2d', shape: [2, 16, 100, 100], opts: { outputSize: [7, 9] } },
  { name: 'layer SoftPool2d, 1 MiB input', fn: 'SoftPool2d', shape: [4, 8, 64, 130], opts: { kernelSize: 2, beta: 0.5 }, layer: true },
  { name: 'single huge plane [1,1,2048,2048] (16 MiB), kernel 2', fn: 'softPool2d', shape: [1, 1, 2048, 2048], opts: { kernelSize: 2 } },
  { name: 'single huge plane [1,1,2048,2048], kernel 3 stride 1 padding 1 (overlapping bands)', fn: 'softPool2d', shape: [1, 1, 2048, 2048], opts: { kernelSize: 3, stride: 1, padding: 1, beta: 2 } },
  { name: 'single huge 3D volume [1,1,64,128,128] (4 MiB), kernel 3 stride 2', fn: 'softPool3d', shape: [1, 1, 64, 128, 128], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: 'single huge 1D row [1,1,1048576] (4 MiB)', fn: 'softPool1d', shape: [1, 1, 1 << 20], opts: { kernelSize: 5, stride: 2, padding: 2 } },
  { name: 'single huge plane, adaptive [1,1,1024,1024] to 3x5: one window row needs more than the cap', fn: 'adaptiveSoftPool2d', shape: [1, 1, 1024, 1024], opts: { outputSize: [3, 5] }, tooBigForCap: true },
];

function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function dataFor(i: number, n: number, grad = false): Float32Array {
  const r = rng32(1000 + i * 2 + (grad ? 1 : 0));
  const a = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const u = r();
    a[k] = grad ? 2 * r() - 1 : u < 0.0005 ? Infinity : u < 0.001 ? -Infinity : u < 0.002 ? 1e30 * (r() - 0.5) : 6 * r() - 3;
  }
  return a;
}

type AnyFn = (...a: unknown[]) => unknown;
const lib = libNs as unknown as Record<string, unknown>;

/**
 * Runs forward and backward (or the layer) of problem i. With `whole`, x and gradOutput are
 * wasm tensors (allocTensor): the zero-copy path runs each call as one kernel call, never in
 * pieces, which is the uncapped result to compare with.
 */
export function runProblem(i: number, whole = false): ChunkResult {
  const p = PROBLEMS[i];
  const n = p.shape.reduce((a, b) => a * b, 1);
  const allocTensor = lib.allocTensor as (s: readonly number[]) => Tensor & { dispose(): void };
  const owned: Array<{ dispose(): void }> = [];
  const tensor = (data: Float32Array, shape: readonly number[]): Tensor => {
    if (!whole) return { data, shape };
    const t = allocTensor(shape);
    t.data.set(data);
    owned.push(t);
    return t;
  };
  try {
    const x = tensor(dataFor(i, n), p.shape);
    if (p.layer) {
      const L = lib[p.fn] as new (o: object) => { forward(x: Tensor): Tensor; backward(g: Tensor): Tensor; gradBeta: number };
      const l = new L(p.opts);
      const y = l.forward(x);
      const gi = l.backward(tensor(dataFor(i, y.data.length, true), y.shape));
      return { y: y.data.slice(), gi: gi.data.slice(), gradBeta: l.gradBeta };
    }
    const y = (lib[p.fn] as AnyFn)(x, p.opts) as Tensor;
    const g = tensor(dataFor(i, y.data.length, true), y.shape);
    const b = (lib[`${p.fn}Backward`] as AnyFn)(x, g, p.opts) as { gradInput: Tensor; gradBeta: number };
    return { y: y.data.slice(), gi: b.gradInput.data.slice(), gradBeta: b.gradBeta };
  } finally {
    for (const t of owned) t.dispose();
  }
}
