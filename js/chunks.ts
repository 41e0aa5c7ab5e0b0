// Splitting a pooling problem that does not fit the memory budget into pieces that do.
// Pieces are whole units (a channels-first plane, or a channels-last batch item) when one
// unit fits; otherwise a unit is cut along its outermost spatial dim into bands of output
// rows, each with the input rows its windows need. Every piece's input and output are
// contiguous ranges of the full tensors. Bands of one unit overlap in their input rows; the
// runner makes each band continue the gradient sums there, so results match a one-shot run.

import type { PoolGeometry } from './geometry.js';

export interface Piece {
  /** The sub-problem, as the kernels take it. */
  g: PoolGeometry;
  /** For a band: where its whole unit's input lies (the band shares that unit's pivot). */
  unit?: { start: number; length: number };
  inStart: number;
  inLength: number;
  outStart: number;
  outLength: number;
}

const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);

/**
 * Pieces whose buffers need at most `budget` bytes, given the bytes each input element and
 * each output element costs in wasm memory; null when one output row alone exceeds it.
 */
export function splitProblem(g: PoolGeometry, inBytes: number, outBytes: number, budget: number): Piece[] | null {
  const lanes = g.format === 'channelsFirst' ? 1 : g.channels;
  const units = g.format === 'channelsFirst' ? g.batch * g.channels : g.batch;
  const unitIn = prod(g.inSize) * lanes, unitOut = prod(g.outSize) * lanes;
  const unitBytes = unitIn * inBytes + unitOut * outBytes;
  const pieces: Piece[] = [];
  if (unitBytes <= budget) {
    const per = Math.floor(budget / unitBytes);
    for (let u = 0; u < units; u += per) {
      const k = Math.min(per, units - u);
      const sub = g.format === 'channelsFirst' ? { ...g, batch: k, channels: 1 } : { ...g, batch: k };
      pieces.push({ g: sub, inStart: u * unitIn, inLength: k * unitIn, outStart: u * unitOut, outLength: k * unitOut });
    }
    return pieces;
  }
  if (g.adaptive) return null; // adaptive windows depend on the whole dim: not cut
  // Cut along the outermost spatial dim that has more than one output.
  const d = g.outSize.findIndex((o) => o > 1);
  // Rows along d are contiguous only when the dims before it are single.
  if (d < 0 || g.inSize.slice(0, d).some((size) => size > 1)) return null;
  const [n, k, s, p, out] = [g.inSize[d], g.kernel[d], g.stride[d], g.padding[d], g.outSize[d]];
  const rowIn = prod(g.inSize.slice(d + 1)) * lanes, rowOut = prod(g.outSize.slice(d + 1)) * lanes;
  // A band of r output rows reads (r - 1)*s + k input rows.
  const perRow = s * rowIn * inBytes + rowOut * outBytes;
  let rows = Math.floor((budget - (k - s) * rowIn * inBytes) / perRow);
  // Bands of a row (cut along W) keep the whole row's groups of four windows: whole groups,
  // starting where the first interior group does, so that every sum runs in the same order.
  const groupStart = d === 2 ? Math.ceil(p / s) : 0;
  if (d === 2) rows -= rows % 4;
  if (rows < 1) return null;
  const starts = [0];
  for (let o = groupStart + rows; o < out; o += rows) starts.push(o);
  for (let u = 0; u < units; u++) {
    for (let b = 0; b < starts.length; b++) {
      const o0 = starts[b], o1 = b + 1 < starts.length ? starts[b + 1] : out;
      const i0 = Math.max(o0 * s - p, 0);
      const i1 = Math.min((o1 - 1) * s - p + k, n);
      const set = (list: number[], v: number) => list.map((x, i) => (i === d ? v : x));
      const sub: PoolGeometry = {
        ...g,
        batch: 1, channels: g.format === 'channelsFirst' ? 1 : g.channels,
        inSize: set(g.inSize, i1 - i0), outSize: set(g.outSize, o1 - o0),
        padding: set(g.padding, Math.max(p - o0 * s, 0)),
      };
      pieces.push({
        g: sub,
        unit: { start: u * unitIn, length: unitIn },
        inStart: u * unitIn + i0 * rowIn, inLength: (i1 - i0) * rowIn,
        outStart: u * unitOut + o0 * rowOut, outLength: (o1 - o0) * rowOut,
      });
    }
  }
  return pieces;
}
