// PNG <-> channels-first float32 tensor helpers for the demo.
//
// A tensor here is `{ data: Float32Array, shape: [C, H, W] }`, row-major,
// channels first, values in [0, 1].

import { readFileSync, writeFileSync } from 'node:fs';
import pngjs from 'pngjs';

const { PNG } = pngjs;

const COLOR_TYPE_NAMES = {
  0: 'gray',
  2: 'RGB',
  3: 'palette',
  4: 'gray+alpha',
  6: 'RGBA',
};

/**
 * Decode a PNG file into a 3-channel CHW float32 tensor in [0, 1].
 * pngjs always hands back 8-bit RGBA (gray is replicated, palettes are
 * expanded, 16-bit is rescaled); alpha is dropped here.
 * Returns `{ tensor, info }` where `info` describes the source file.
 */
export function readPngAsCHW(path) {
  const png = PNG.sync.read(readFileSync(path));
  const { width: W, height: H, data: rgba } = png;
  const plane = H * W;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const p = 4 * i;
    data[i] = rgba[p] / 255;
    data[plane + i] = rgba[p + 1] / 255;
    data[2 * plane + i] = rgba[p + 2] / 255;
  }
  const kind = COLOR_TYPE_NAMES[png.colorType] ?? `colour type ${png.colorType}`;
  const info = {
    width: W,
    height: H,
    format: `${kind}, ${png.depth}-bit`,
    hadAlpha: Boolean(png.alpha),
  };
  return { tensor: { data, shape: [3, H, W] }, info };
}

/** Float in [0, 1] (NaN -> 0) to a byte: clamp, scale by 255, round. */
function toByte(v) {
  if (!(v > 0)) return 0; // also catches NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/** Encode a 1- or 3-channel CHW tensor as an 8-bit RGB PNG buffer. */
export function encodeCHWAsPng(tensor) {
  const [C, H, W] = tensor.shape;
  if (C !== 1 && C !== 3) throw new Error(`expected 1 or 3 channels, got ${C}`);
  const plane = H * W;
  const src = tensor.data;
  const png = new PNG({ width: W, height: H });
  const out = png.data; // RGBA
  for (let i = 0; i < plane; i++) {
    const p = 4 * i;
    out[p] = toByte(src[i]);
    out[p + 1] = toByte(src[(C === 3 ? plane : 0) + i]);
    out[p + 2] = toByte(src[(C === 3 ? 2 * plane : 0) + i]);
    out[p + 3] = 255;
  }
  // colorType 2: write RGB, dropping the (opaque) alpha channel.
  return PNG.sync.write(png, { colorType: 2 });
}

/** Write a 1- or 3-channel CHW tensor to `path` as an 8-bit RGB PNG. */
export function writeCHWAsPng(tensor, path) {
  writeFileSync(path, encodeCHWAsPng(tensor));
}

/**
 * Place CHW tensors (same channel count) side by side, left to right,
 * separated by `gap` columns of `background`, top-aligned.
 */
export function sideBySide(tensors, gap = 8, background = 1) {
  const C = tensors[0].shape[0];
  const H = Math.max(...tensors.map((t) => t.shape[1]));
  const W =
    tensors.reduce((sum, t) => sum + t.shape[2], 0) + gap * (tensors.length - 1);
  const data = new Float32Array(C * H * W).fill(background);
  let x0 = 0;
  for (const t of tensors) {
    const [c, h, w] = t.shape;
    if (c !== C) throw new Error('sideBySide: channel counts differ');
    for (let ch = 0; ch < C; ch++) {
      for (let y = 0; y < h; y++) {
        const from = (ch * h + y) * w;
        data.set(t.data.subarray(from, from + w), (ch * H + y) * W + x0);
      }
    }
    x0 += w + gap;
  }
  return { data, shape: [C, H, W] };
}
