// Child process of tests/hostile.test.ts: one call with a tensor whose `data` (or `shape`) getter
// returns something else after the argument checks, then checks the module: canary allocations
// placed around the free space the call's own buffers come from are unchanged, nothing is left
// in use, allocation works and normal calls are correct. Prints one JSON line:
//   { threw, message, resultOk, heapOk, followUp }
import * as libNs from 'softpool-wasm';
import { softPoolNdRef, softPoolNdBackwardRef } from '../reference.ts';

interface Tensor { data: Float32Array; shape: readonly number[] }
interface WasmTensor extends Tensor { pointer: number; dispose(): void }
const lib = libNs as unknown as {
  init(o?: object): Promise<void>;
  stats(): { inUseBytes: number };
  allocTensor(s: number[]): WasmTensor;
  softPool2d(x: unknown, o: object): Tensor;
  softPool2dBackward(x: unknown, g: unknown, o: object): { gradInput: Tensor; gradBeta: number };
};

const scenario = process.argv[2];
await lib.init(process.env.SOFTPOOL_TEST_BACKEND ? { backend: process.env.SOFTPOOL_TEST_BACKEND } : {});

const H = 64, W = 64;
const full = Float32Array.from({ length: H * W }, (_, i) => ((i * 7919) % 13) / 4 - 1.5);
const gFull = Float32Array.from({ length: (H / 2) * (W / 2) }, (_, i) => ((i * 31) % 5) / 2 - 1);
const shape = [1, 1, H, W], gShape = [1, 1, H / 2, W / 2];
const opts = { kernelSize: 2 };

/** returns `first` on the first read and `later` afterwards */
function flipping<T>(first: T, later: T): () => T {
  let reads = 0;
  return () => (reads++ === 0 ? first : later);
}

// Grow memory first (so that a stray write does not simply trap at the end of memory), then
// canaries: A, a small hole (allocated, then freed: the call's small buffers land there), B.
const SENT = 0x5a5a5a5a;
const CAN = 16384;
lib.allocTensor([1 << 19]).dispose();
const canA = lib.allocTensor([CAN]);
const hole = lib.allocTensor([64]);
const canB = lib.allocTensor([CAN]);
hole.dispose();
for (const c of [canA, canB]) new Uint32Array(c.data.buffer, c.pointer, CAN).fill(SENT);
const inUse0 = lib.stats().inUseBytes;

let threw: string | null = null, message = '', resultOk: boolean | null = null;
try {
  const dataX = flipping(full, new Float32Array(1));
  switch (scenario) {
    case 'x-shrinks-backward': {
      const r = lib.softPool2dBackward({ get data() { return dataX(); }, shape }, { data: gFull, shape: gShape }, opts);
      const ref = softPoolNdBackwardRef(full, shape, gFull, opts, 2);
      resultOk = r.gradInput.data.length === full.length && r.gradInput.data.every((v, i) => Math.abs(v - ref.gradInput[i]) <= 1e-4 * 4);
      break;
    }
    case 'x-shrinks-forward': {
      const y = lib.softPool2d({ get data() { return dataX(); }, shape }, opts);
      const ref = softPoolNdRef(full, shape, opts, 2);
      resultOk = y.data.length === ref.y.length && y.data.every((v, i) => Math.abs(v - ref.y[i]) <= 1e-5 * ref.scale[i]);
      break;
    }
    case 'gradOutput-shrinks': {
      const dataG = flipping(gFull, new Float32Array(1));
      const r = lib.softPool2dBackward({ data: full, shape }, { get data() { return dataG(); }, shape: gShape }, opts);
      const ref = softPoolNdBackwardRef(full, shape, gFull, opts, 2);
      resultOk = r.gradInput.data.length === full.length && r.gradInput.data.every((v, i) => Math.abs(v - ref.gradInput[i]) <= 1e-4 * 4);
      break;
    }
    case 'x-grows-backward': {
      const bigger = new Float32Array(full.length * 4);
      bigger.set(full);
      const grow = flipping(full, bigger);
      const r = lib.softPool2dBackward({ get data() { return grow(); }, shape }, { data: gFull, shape: gShape }, opts);
      const ref = softPoolNdBackwardRef(full, shape, gFull, opts, 2);
      resultOk = r.gradInput.data.length === full.length && r.gradInput.data.every((v, i) => Math.abs(v - ref.gradInput[i]) <= 1e-4 * 4);
      break;
    }
    case 'shape-changes': {
      const small = [1, 1, 4, 4];
      const sh = flipping<readonly number[]>(shape, small);
      const r = lib.softPool2dBackward({ data: full, get shape() { return sh(); } }, { data: gFull, shape: gShape }, opts);
      const ref = softPoolNdBackwardRef(full, shape, gFull, opts, 2);
      resultOk = r.gradInput.data.length === full.length && r.gradInput.data.every((v, i) => Math.abs(v - ref.gradInput[i]) <= 1e-4 * 4);
      break;
    }
    case 'out-shrinks': {
      const outData = new Float32Array(gFull.length);
      const dataO = flipping(outData, new Float32Array(1));
      const y = lib.softPool2d({ data: full, shape }, { kernelSize: 2, out: { get data() { return dataO(); }, shape: gShape } });
      const ref = softPoolNdRef(full, shape, opts, 2);
      resultOk = (y.data === outData || y.data.length === ref.y.length) && outData.every((v, i) => Math.abs(v - ref.y[i]) <= 1e-5 * ref.scale[i]);
      break;
    }
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
} catch (e) {
  threw = e instanceof Error ? e.constructor.name : typeof e;
  message = e instanceof Error ? e.message : String(e);
}

let heapOk = true;
let followUp: string | null = null;
try {
  for (const c of [canA, canB]) {
    const words = new Uint32Array(c.data.buffer, c.pointer, CAN);
    if (!words.every((w) => w === SENT)) heapOk = false;
  }
  if (lib.stats().inUseBytes !== inUse0) followUp = `inUseBytes ${lib.stats().inUseBytes}, was ${inUse0}`;
  for (let i = 0; i < 3 && followUp === null; i++) {
    const t = lib.allocTensor(shape);
    t.data.set(full);
    const r = lib.softPool2dBackward(t, { data: gFull, shape: gShape }, opts);
    const ref = softPoolNdBackwardRef(full, shape, gFull, opts, 2);
    if (!r.gradInput.data.every((v, k) => Math.abs(v - ref.gradInput[k]) <= 1e-4 * 4)) followUp = 'a normal backward call afterwards is wrong';
    t.dispose();
  }
} catch (e) {
  followUp = `a normal call afterwards threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`;
}
console.log(JSON.stringify({ scenario, threw, message, resultOk, heapOk, followUp }));
