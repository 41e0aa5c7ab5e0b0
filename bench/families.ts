// Per-family figures: the largest error against the float64 reference (relative to the
// tolerance scales of the tests) and the speed on ~3M-element inputs, for 1D, 2D, 3D,
// channels-last and adaptive SoftPool, forward and forward+backward.
// Run: npm run bench:families (writes bench/families.json).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as lib from 'softpool-wasm';
import { softPoolNdRef, softPoolNdBackwardRef, adaptiveSoftPoolNdRef, adaptiveSoftPoolNdBackwardRef } from '../tests/reference.ts';

type Fn = (x: lib.Tensor, o: never) => lib.Tensor;
type Bwd = (x: lib.Tensor, g: lib.Tensor, o: never) => lib.BackwardResult;
interface Family { name: string; spatial: number; fwd: Fn; bwd: Bwd; adaptive?: boolean; opts: object; small: number[]; big: number[] }

const families: Family[] = [
  { name: '1D k3 s2 p1', spatial: 1, fwd: lib.softPool1d as Fn, bwd: lib.softPool1dBackward as Bwd, opts: { kernelSize: 3, stride: 2, padding: 1 }, small: [2, 8, 517], big: [8, 64, 6144] },
  { name: '2D k2 s2', spatial: 2, fwd: lib.softPool2d as Fn, bwd: lib.softPool2dBackward as Bwd, opts: { kernelSize: 2 }, small: [2, 4, 37, 41], big: [4, 64, 112, 112] },
  { name: '2D k3 s2 p1', spatial: 2, fwd: lib.softPool2d as Fn, bwd: lib.softPool2dBackward as Bwd, opts: { kernelSize: 3, stride: 2, padding: 1 }, small: [2, 4, 37, 41], big: [4, 64, 112, 112] },
  { name: '3D k2 s2', spatial: 3, fwd: lib.softPool3d as Fn, bwd: lib.softPool3dBackward as Bwd, opts: { kernelSize: 2 }, small: [1, 3, 9, 13, 17], big: [2, 16, 24, 64, 64] },
  { name: '3D k3 s1 p1', spatial: 3, fwd: lib.softPool3d as Fn, bwd: lib.softPool3dBackward as Bwd, opts: { kernelSize: 3, stride: 1, padding: 1 }, small: [1, 3, 9, 13, 17], big: [2, 16, 24, 64, 64] },
  { name: '2D channelsLast k2 s2', spatial: 2, fwd: lib.softPool2d as Fn, bwd: lib.softPool2dBackward as Bwd, opts: { kernelSize: 2, dataFormat: 'channelsLast' }, small: [2, 37, 41, 13], big: [4, 112, 112, 64] },
  { name: '2D channelsLast k3 s2 p1', spatial: 2, fwd: lib.softPool2d as Fn, bwd: lib.softPool2dBackward as Bwd, opts: { kernelSize: 3, stride: 2, padding: 1, dataFormat: 'channelsLast' }, small: [2, 37, 41, 13], big: [4, 112, 112, 64] },
  { name: 'adaptive 2D 112->7', spatial: 2, fwd: lib.adaptiveSoftPool2d as Fn, bwd: lib.adaptiveSoftPool2dBackward as Bwd, adaptive: true, opts: { outputSize: 7 }, small: [2, 4, 37, 41], big: [4, 64, 112, 112] },
  { name: 'adaptive 2D 112->5 (uneven)', spatial: 2, fwd: lib.adaptiveSoftPool2d as Fn, bwd: lib.adaptiveSoftPool2dBackward as Bwd, adaptive: true, opts: { outputSize: 5 }, small: [2, 4, 37, 41], big: [4, 64, 112, 112] },
];

function rng(seed: number) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function accuracy(f: Family): { fwd: number; grad: number; gradBeta: number } {
  let fwd = 0, grad = 0, gradBeta = 0;
  const r = rng(prod(f.small));
  for (const beta of [0, 0.5, 1, 4, -1]) {
    for (const spread of [3, 300, 3e30]) {
      const x = { data: Float32Array.from({ length: prod(f.small) }, () => (r() * 2 - 1) * spread), shape: f.small };
      const opts = { ...f.opts, beta } as never;
      const y = f.fwd(x, opts);
      const ref = f.adaptive ? adaptiveSoftPoolNdRef(x.data, x.shape, opts, f.spatial) : softPoolNdRef(x.data, x.shape, opts, f.spatial);
      ref.y.forEach((v, i) => { fwd = Math.max(fwd, Math.abs(y.data[i] - v) / ref.scale[i]); });
      const g = { data: Float32Array.from({ length: y.data.length }, () => r() * 2 - 1), shape: y.shape };
      const b = f.bwd(x, g, opts);
      const rb = f.adaptive ? adaptiveSoftPoolNdBackwardRef(x.data, x.shape, g.data, opts, f.spatial) : softPoolNdBackwardRef(x.data, x.shape, g.data, opts, f.spatial);
      let gmax = 1;
      rb.gradInput.forEach((v) => { gmax = Math.max(gmax, Math.abs(v)); });
      rb.gradInput.forEach((v, i) => { grad = Math.max(grad, Math.abs(b.gradInput.data[i] - v) / gmax); });
      gradBeta = Math.max(gradBeta, Math.abs(b.gradBeta - rb.gradBeta) / rb.gradBetaScale);
    }
  }
  return { fwd, grad, gradBeta };
}

function median(run: () => void, reps = 9): number {
  for (let i = 0; i < 3; i++) run();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) { const t = performance.now(); run(); ts.push(performance.now() - t); }
  return ts.sort((a, b) => a - b)[reps >> 1];
}

await lib.init();
const rows = [];
console.log(`softpool-wasm families: ${os.cpus()[0]?.model}, node ${process.version}, backend ${lib.backend()}, load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log('family                         input shape          max err fwd  grad      gradBeta  | fwd Melem/s  fwd+bwd Melem/s');
for (const f of families) {
  const acc = accuracy(f);
  const n = prod(f.big);
  const r = rng(7);
  const x = { data: Float32Array.from({ length: n }, () => r() * 6 - 3), shape: f.big };
  const y = f.fwd(x, f.opts as never);
  const g = { data: Float32Array.from({ length: y.data.length }, () => r() * 2 - 1), shape: y.shape };
  const tf = median(() => f.fwd(x, f.opts as never));
  const tb = median(() => { f.fwd(x, f.opts as never); f.bwd(x, g, f.opts as never); });
  const row = { family: f.name, shape: f.big, elements: n, maxErr: acc, fwdMelemPerS: n / tf / 1e3, fwdBwdMelemPerS: n / tb / 1e3 };
  rows.push(row);
  console.log(`${f.name.padEnd(30)} ${JSON.stringify(f.big).padEnd(20)} ${acc.fwd.toExponential(1).padStart(8)} ${acc.grad.toExponential(1).padStart(9)} ${acc.gradBeta.toExponential(1).padStart(9)}  | ${row.fwdMelemPerS.toFixed(0).padStart(8)} ${row.fwdBwdMelemPerS.toFixed(0).padStart(13)}`);
}
console.log('errors: forward |y - ref| / max(1, max|x| in window); grad |g - ref| / max(1, max|ref|); gradBeta relative to its scale (tolerances 1e-5, 1e-4, 1e-4)');
writeFileSync(new URL('./families.json', import.meta.url), JSON.stringify({ machine: { cpu: os.cpus()[0]?.model, node: process.version, backend: lib.backend(), date: new Date().toISOString() }, rows }, null, 2) + '\n');
