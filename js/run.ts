// Running a validated pooling problem: put the input into wasm memory (or use it in place
// when it already lives there), call the kernel that fits the layout and window kind, and
// deliver the result (a new tensor, options.out, or in place in a wasm tensor).

import { splitProblem, type Piece } from './chunks.js';
import type { PoolGeometry } from './geometry.js';
import { wasmTensorOf } from './tensor.js';
import type { BackwardResult, Tensor } from './types.js';
import { allocAll, backend, f32View, freeAll, maxMemoryBytes, READ_SLACK, wasm, type Exports } from './wasm.js';

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Copied problems above this size stream through wasm memory in pieces of about
 * STREAM_PIECE_BYTES: each piece stays in cache from copy-in through kernel to copy-out,
 * and wasm memory stays small.
 */
const STREAM_ABOVE_BYTES = 4 * 2 ** 20;
const STREAM_PIECE_BYTES = 2 ** 20;

/**
 * Pieces for a copied (not wasm-resident) problem that is large or over the budget, or null
 * to run it whole. A problem over maxMemoryBytes that cannot be cut within it (an adaptive
 * window, or one output row, is larger than the budget) is a RangeError, not a bigger arena.
 */
function piecesFor(fn: string, g: PoolGeometry, tensors: (Tensor | undefined)[], bytes: number[], inBytes: number, outBytes: number): Piece[] | null {
  if (tensors.some((t) => wasmTensorOf(t))) return null;
  const total = bytes.reduce((a, b) => a + b, 0);
  if (total <= Math.min(maxMemoryBytes(), STREAM_ABOVE_BYTES)) return null;
  const budget = Math.min(maxMemoryBytes(), STREAM_PIECE_BYTES) - 2 * READ_SLACK;
  // Shared-exponential scratch costs up to 4 more bytes per input element.
  const pieces = splitProblem(g, inBytes + (scratchBytes(g) ? 4 : 0), outBytes, budget);
  if (!pieces && total > maxMemoryBytes()) {
    throw new RangeError(`${fn}: this call needs ${total} bytes of wasm memory and cannot be cut into pieces within init's maxMemoryBytes (windows are never split), got maxMemoryBytes ${maxMemoryBytes()}`);
  }
  return pieces;
}

/**
 * Bytes of scratch for shared exponentials (one plane of E), used by channels-first kernels
 * when windows overlap; 0 otherwise.
 */
function scratchBytes(g: PoolGeometry): number {
  const overlap = g.kernel.some((k, i) => k > g.stride[i]);
  return g.format === 'channelsFirst' && !g.adaptive && overlap ? count(g.inSize) * 4 + READ_SLACK : 0;
}

/** Where shared exponentials go: one reused scratch plane (stride 0) or every plane, with validity flags. */
interface SharedExp {
  ptr: number;
  stride: number;
  flags: number;
}

const scratchOnly = (ptr: number): SharedExp => ({ ptr, stride: 0, flags: 0 });

/** Max and min of a unit (NaN skipped), for a band that must share its unit's pivot. */
function unitRange(data: Float32Array, pc: Piece): [number, number] {
  if (!pc.unit) return [NaN, NaN];
  let top = -Infinity, bottom = Infinity;
  const end = pc.unit.start + pc.unit.length;
  for (let i = pc.unit.start; i < end; i++) {
    const v = data[i];
    if (v > top) top = v;
    if (v < bottom) bottom = v;
  }
  return [top, bottom];
}

const NO_RANGE: [number, number] = [NaN, NaN];

function runForwardKernel(e: Exports, g: PoolGeometry, xp: number, yp: number, sh: SharedExp, range = NO_RANGE): void {
  const sizes = [...g.inSize, ...g.outSize];
  const windows = [...g.kernel, ...g.stride, ...g.padding];
  if (g.format === 'channelsLast') {
    const [D, H, W] = g.inSize;
    e.softpool_fwd_ndhwc(xp, yp, g.batch, D, H, W, g.channels, ...g.outSize, ...windows, g.beta, g.adaptive ? 1 : 0);
  } else if (g.adaptive) {
    e.softpool_adaptive_fwd_ncdhw(xp, yp, g.batch * g.channels, ...sizes, g.beta);
  } else {
    e.softpool_fwd_ncdhw(xp, yp, sh.ptr, sh.stride, sh.flags, g.batch * g.channels, ...sizes, ...windows, g.beta, ...range);
  }
}

/** Adds the input gradient into the buffer at gxp (zeros, or the sums to continue). */
function runBackwardKernel(e: Exports, g: PoolGeometry, xp: number, gp: number, gxp: number, sh: SharedExp, range = NO_RANGE): number {
  const sizes = [...g.inSize, ...g.outSize];
  const windows = [...g.kernel, ...g.stride, ...g.padding];
  if (g.format === 'channelsLast') {
    const [D, H, W] = g.inSize;
    return e.softpool_bwd_ndhwc(xp, gp, gxp, g.batch, D, H, W, g.channels, ...g.outSize, ...windows, g.beta, g.adaptive ? 1 : 0);
  }
  if (g.adaptive) return e.softpool_adaptive_bwd_ncdhw(xp, gp, gxp, g.batch * g.channels, ...sizes, g.beta);
  return e.softpool_bwd_ncdhw(xp, gp, gxp, sh.ptr, sh.stride, sh.flags, g.batch * g.channels, ...sizes, ...windows, g.beta, ...range);
}

/**
 * Wasm addresses for the given tensors: a wasm tensor's own, or a fresh buffer (of
 * `bytes[i]`) for the others. All buffers are allocated before any view is made.
 */
function place(fn: string, e: Exports, tensors: (Tensor | undefined)[], bytes: number[], scratch: number) {
  const own = tensors.map((t) => wasmTensorOf(t));
  const sizes = bytes.filter((_, i) => own[i] === null);
  const fresh = allocAll(fn, e, scratch ? [...sizes, scratch] : sizes);
  let next = 0;
  const ptrs = own.map((w) => (w ? w.pointer : fresh[next++]));
  return { ptrs, fresh, copied: own.map((w) => w === null), sp: scratch ? fresh[next] : 0 };
}

/** Copies the result at ptr out: into out (unless it is that wasm tensor), or into a new tensor. */
function deliver(e: Exports, ptr: number, length: number, shape: number[], out: Tensor | undefined): Tensor {
  if (out && wasmTensorOf(out)) return out;
  const view = f32View(e, ptr, length);
  if (out) {
    out.data.set(view);
    return out;
  }
  return { data: view.slice(), shape };
}

export function forward(fn: string, x: Tensor, g: PoolGeometry, out?: Tensor): Tensor {
  const e = wasm(fn);
  const n = x.data.length, m = count(g.outShape);
  const scratch = scratchBytes(g);
  const pieces = piecesFor(fn, g, [x, out], [n * 4 + READ_SLACK, m * 4, scratch], 4, 4);
  if (pieces) return forwardInPieces(fn, e, x, g, out, pieces);
  const { ptrs: [xp, yp], fresh, copied, sp } = place(fn, e, [x, out], [n * 4 + READ_SLACK, m * 4], scratch);
  try {
    if (copied[0]) f32View(e, xp, n).set(x.data);
    runForwardKernel(e, g, xp, yp, scratchOnly(sp));
    return deliver(e, yp, m, g.outShape, out);
  } finally {
    freeAll(e, fresh);
  }
}

export function backward(fn: string, x: Tensor, gradOutput: Tensor, g: PoolGeometry, out?: Tensor): BackwardResult {
  const e = wasm(fn);
  const n = x.data.length, m = gradOutput.data.length;
  const scratch = scratchBytes(g);
  const pieces = piecesFor(fn, g, [x, gradOutput, out], [n * 4 + READ_SLACK, m * 4, n * 4, scratch], 8, 4);
  if (pieces) return backwardInPieces(fn, e, x, gradOutput, g, out, pieces);
  const { ptrs: [xp, gp, gxp], fresh, copied, sp } = place(fn, e, [x, gradOutput, out], [n * 4 + READ_SLACK, m * 4, n * 4], scratch);
  try {
    if (copied[0]) f32View(e, xp, n).set(x.data);
    if (copied[1]) f32View(e, gp, m).set(gradOutput.data);
    f32View(e, gxp, n).fill(0);
    const gradBeta = runBackwardKernel(e, g, xp, gp, gxp, scratchOnly(sp));
    return { gradInput: deliver(e, gxp, n, x.shape.slice(), out), gradBeta };
  } finally {
    freeAll(e, fresh);
  }
}

/** Buffers big enough for every piece, allocated once: [input, output or gradOutput, (gradInput), scratch]. */
function pieceBuffers(fn: string, e: Exports, pieces: Piece[], withGradInput: boolean): number[] {
  const most = (f: (pc: Piece) => number) => Math.max(...pieces.map(f));
  const inLen = most((pc) => pc.inLength), outLen = most((pc) => pc.outLength), scratch = most((pc) => scratchBytes(pc.g));
  return allocAll(fn, e, [inLen * 4 + READ_SLACK, outLen * 4, ...(withGradInput ? [inLen * 4] : []), Math.max(scratch, 16)]);
}

function forwardInPieces(fn: string, e: Exports, x: Tensor, g: PoolGeometry, out: Tensor | undefined, pieces: Piece[]): Tensor {
  const y = out ? out.data : new Float32Array(count(g.outShape));
  const ptrs = pieceBuffers(fn, e, pieces, false);
  const [xp, yp, sp] = ptrs;
  try {
    for (const pc of pieces) {
      f32View(e, xp, pc.inLength).set(x.data.subarray(pc.inStart, pc.inStart + pc.inLength));
      const shared = scratchBytes(pc.g) ? sp : 0;
      runForwardKernel(e, pc.g, xp, yp, scratchOnly(shared), shared ? unitRange(x.data, pc) : NO_RANGE);
      y.set(f32View(e, yp, pc.outLength), pc.outStart);
    }
  } finally {
    freeAll(e, ptrs);
  }
  return out ?? { data: y, shape: g.outShape };
}

function backwardInPieces(
  fn: string, e: Exports, x: Tensor, gradOutput: Tensor, g: PoolGeometry, out: Tensor | undefined, pieces: Piece[],
): BackwardResult {
  const gx = out ? out.data.fill(0) : new Float32Array(x.data.length);
  let gradBeta = 0;
  const ptrs = pieceBuffers(fn, e, pieces, true);
  const [xp, gp, gxp, sp] = ptrs;
  try {
    for (const pc of pieces) {
      f32View(e, xp, pc.inLength).set(x.data.subarray(pc.inStart, pc.inStart + pc.inLength));
      f32View(e, gp, pc.outLength).set(gradOutput.data.subarray(pc.outStart, pc.outStart + pc.outLength));
      // Bands of one unit share their boundary input rows: the kernel goes on adding onto the
      // sums so far there (zeros elsewhere), in the same order as one whole run would.
      f32View(e, gxp, pc.inLength).set(gx.subarray(pc.inStart, pc.inStart + pc.inLength));
      const shared = scratchBytes(pc.g) ? sp : 0;
      gradBeta += runBackwardKernel(e, pc.g, xp, gp, gxp, scratchOnly(shared), shared ? unitRange(x.data, pc) : NO_RANGE);
      gx.set(f32View(e, gxp, pc.inLength), pc.inStart);
    }
  } finally {
    freeAll(e, ptrs);
  }
  return { gradInput: out ?? { data: gx, shape: x.shape.slice() }, gradBeta };
}

/**
 * What a layer's forward leaves in wasm memory for its backward: the input and every plane's
 * shared exponentials (with validity flags), so that the backward copies no input and computes
 * no exp. Costs 2 × the input's bytes (plus one byte per plane) until released.
 */
export interface Kept {
  g: PoolGeometry;
  shape: number[];
  xp: number;
  sh: SharedExp;
  ptrs: number[];
}

/** A forward that keeps what backwardKept needs, or null where it cannot (then use forward). */
export function forwardKeeping(fn: string, x: Tensor, g: PoolGeometry): { y: Tensor; kept: Kept } | null {
  const e = wasm(fn);
  if (backend() === 'scalar' || g.format !== 'channelsFirst' || g.adaptive || wasmTensorOf(x)) return null;
  const n = x.data.length, m = count(g.outShape), planes = g.batch * g.channels;
  const planeBytes = count(g.inSize) * 4;
  const bytes = [n * 4 + READ_SLACK, n * 4 + READ_SLACK, planes, m * 4];
  if (bytes.reduce((a, b) => a + b, 0) > maxMemoryBytes()) return null;
  const ptrs = allocAll(fn, e, bytes);
  const [xp, ep, fp, yp] = ptrs;
  const kept: Kept = { g, shape: x.shape.slice(), xp, sh: { ptr: ep, stride: planeBytes, flags: fp }, ptrs: ptrs.slice(0, 3) };
  try {
    f32View(e, xp, n).set(x.data);
    runForwardKernel(e, g, xp, yp, kept.sh);
    return { y: { data: f32View(e, yp, m).slice(), shape: g.outShape }, kept };
  } catch (err) {
    freeAll(e, ptrs.slice(0, 3));
    throw err;
  } finally {
    freeAll(e, [yp]);
  }
}

export function backwardKept(fn: string, kept: Kept, gradOutput: Tensor): BackwardResult {
  const e = wasm(fn);
  const n = count(kept.shape), m = gradOutput.data.length;
  const ptrs = allocAll(fn, e, [m * 4, n * 4]);
  const [gp, gxp] = ptrs;
  try {
    f32View(e, gp, m).set(gradOutput.data);
    f32View(e, gxp, n).fill(0);
    const gradBeta = runBackwardKernel(e, kept.g, kept.xp, gp, gxp, kept.sh);
    return { gradInput: { data: f32View(e, gxp, n).slice(), shape: kept.shape.slice() }, gradBeta };
  } finally {
    freeAll(e, ptrs);
  }
}

export function releaseKept(kept: Kept): void {
  freeAll(wasm('release'), kept.ptrs);
}
