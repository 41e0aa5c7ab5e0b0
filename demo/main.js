#!/usr/bin/env node
// softpool-wasm demo (`npm start`).
//
// Pools a photograph with SoftPool and writes the result next to max-pooled
// and average-pooled versions, then reports how fast the SoftPool call ran.
// With no arguments it uses the embedded defaults: assets/astronaut.png,
// kernel 2, stride 2, beta 1.
//
//   node demo/main.js [image.png] [--kernel K] [--stride S] [--beta B]

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

import { readPngAsCHW, writeCHWAsPng, sideBySide } from './png.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_IMAGE = path.join(ROOT, 'assets', 'astronaut.png');
const OUT_DIR = path.join(ROOT, 'out');
const DEFAULTS = { kernel: 2, beta: 1 }; // stride defaults to the kernel size
const TIMED_RUNS = 21;
const GAP = 8; // pixels between the panels of the comparison image

const USAGE = `Usage: node demo/main.js [image.png] [--kernel K] [--stride S] [--beta B]

Pools a PNG with SoftPool 2d and writes SoftPool, max-pool and average-pool
results (and a side-by-side comparison) to out/.

  image.png     input PNG (gray, RGB or RGBA; alpha is dropped)
                default: assets/astronaut.png
  --kernel K    pooling window, integer >= 1          (default ${DEFAULTS.kernel})
  --stride S    step between windows, integer >= 1    (default: the kernel size)
  --beta B      SoftPool sharpness, finite number     (default ${DEFAULTS.beta})
                beta 0 is average pooling; large beta approaches max pooling;
                write a negative value as --beta=-1
  -h, --help    show this message`;

// ---------------------------------------------------------------------------
// command line

function usageError(message) {
  console.error(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseIntOption(name, text) {
  if (!/^\s*\d+\s*$/.test(text)) usageError(`--${name} must be a positive integer, got '${text}'`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) usageError(`--${name} must be a positive integer, got '${text}'`);
  return n;
}

function parseFloatOption(name, text) {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) usageError(`--${name} must be a finite number, got '${text}'`);
  return n;
}

function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        kernel: { type: 'string' },
        stride: { type: 'string' },
        beta: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    const ambiguous = /^Option '(--\w+)' argument is ambiguous/.exec(err.message);
    usageError(
      ambiguous
        ? `${ambiguous[1]} needs a value; write a negative number as ${ambiguous[1]}=-1`
        : err.message.split(/\.\s/)[0].replace(/^\w/, (c) => c.toLowerCase()),
    );
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (positionals.length > 1) usageError(`expected at most one image, got ${positionals.length}`);

  const kernel = values.kernel === undefined ? DEFAULTS.kernel : parseIntOption('kernel', values.kernel);
  const stride = values.stride === undefined ? kernel : parseIntOption('stride', values.stride);
  const beta = values.beta === undefined ? DEFAULTS.beta : parseFloatOption('beta', values.beta);
  const image = positionals.length ? path.resolve(positionals[0]) : DEFAULT_IMAGE;
  const imageLabel = positionals.length ? positionals[0] : `${rel(DEFAULT_IMAGE)} (default)`;
  return { image, imageLabel, kernel, stride, beta };
}

// ---------------------------------------------------------------------------
// plain-JS max pooling, only for the comparison image

/** Max pooling of a CHW tensor, no padding, written as a plain JS loop. */
function maxPool2dPlainJS(x, kernel, stride) {
  const [C, H, W] = x.shape;
  const Ho = Math.floor((H - kernel) / stride) + 1;
  const Wo = Math.floor((W - kernel) / stride) + 1;
  const out = new Float32Array(C * Ho * Wo);
  let o = 0;
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let m = -Infinity;
        for (let di = 0; di < kernel; di++) {
          const row = plane + (i * stride + di) * W + j * stride;
          for (let dj = 0; dj < kernel; dj++) {
            const v = x.data[row + dj];
            if (v > m) m = v;
          }
        }
        out[o++] = m;
      }
    }
  }
  return { data: out, shape: [C, Ho, Wo] };
}

// ---------------------------------------------------------------------------
// small helpers

const rel = (p) => path.relative(process.cwd(), p) || p;
const dims = (t) => `${t.shape[2]}×${t.shape[1]}`;
const fmtInt = (n) => n.toLocaleString('en-US');

function fmtRate(perSecond) {
  for (const [scale, prefix] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']]) {
    if (perSecond >= scale) return `${(perSecond / scale).toFixed(2)} ${prefix} elements/s`;
  }
  return `${perSecond.toFixed(0)} elements/s`;
}

function fmtMs(ms) {
  return ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(3) : ms.toFixed(4);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function mean(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** Copy a library result so later calls cannot overwrite it (it may view wasm memory). */
function ownCopy(t) {
  return { data: Float32Array.from(t.data), shape: Array.from(t.shape) };
}

function fail(message, err) {
  console.error(`error: ${message}`);
  if (err) console.error(`  ${err.message ?? err}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------
// main

const opts = parseCommandLine(process.argv.slice(2));

let x, info;
try {
  ({ tensor: x, info } = readPngAsCHW(opts.image));
} catch (err) {
  fail(`cannot read PNG '${opts.imageLabel}'`, err);
}
const [C, H, W] = x.shape;
if (opts.kernel > H || opts.kernel > W) {
  usageError(`--kernel ${opts.kernel} is larger than the ${W}×${H} image`);
}

let lib;
try {
  lib = await import('softpool-wasm');
} catch (err) {
  fail("cannot load 'softpool-wasm' — run `npm run build` first (needs dist/index.js and build/softpool.wasm)", err);
}
try {
  await lib.init();
} catch (err) {
  fail('softpool-wasm init() failed (is build/softpool.wasm built?)', err);
}

const softOptions = { kernelSize: opts.kernel, stride: opts.stride, beta: opts.beta };
const avgOptions = { kernelSize: opts.kernel, stride: opts.stride, beta: 0 }; // beta 0 == average pooling

let soft, avg;
const timesMs = [];
try {
  soft = ownCopy(lib.softPool2d(x, softOptions)); // warm-up, and the result we keep
  for (let r = 0; r < TIMED_RUNS; r++) {
    const t0 = performance.now();
    lib.softPool2d(x, softOptions);
    timesMs.push(performance.now() - t0);
  }
  avg = ownCopy(lib.softPool2d(x, avgOptions));
} catch (err) {
  fail('softPool2d failed', err);
}
const max = maxPool2dPlainJS(x, opts.kernel, opts.stride);

for (const [name, t] of [['softPool2d', soft], ['softPool2d (beta 0)', avg]]) {
  if (t.shape.join() !== max.shape.join()) {
    console.warn(`warning: ${name} returned shape [${t.shape}], plain-JS max pool gives [${max.shape}]`);
  }
}

// -- timing report ----------------------------------------------------------
const elements = C * H * W;
const medMs = median(timesMs);

console.log('softpool-wasm demo');
console.log(`  input    ${opts.imageLabel}: ${info.width}×${info.height} ${info.format}${info.hadAlpha ? ' (alpha dropped)' : ''}`);
console.log(`  tensor   [${x.shape.join(', ')}] → [${soft.shape.join(', ')}]`);
console.log(`  pooling  kernel ${opts.kernel}, stride ${opts.stride}, beta ${opts.beta}`);
console.log('');
console.log(`SoftPool 2d, median of ${TIMED_RUNS} runs after 1 warm-up`);
console.log(`  time     ${fmtMs(medMs)} ms   (min ${fmtMs(Math.min(...timesMs))}, max ${fmtMs(Math.max(...timesMs))})`);
console.log(`  rate     ${fmtRate(elements / (medMs / 1000))}   (${fmtInt(elements)} input elements)`);

// -- sanity check: for beta >= 0 SoftPool lies between average and max ------
console.log('');
console.log(`  mean     max ${mean(max.data).toFixed(4)}   softpool ${mean(soft.data).toFixed(4)}   avg ${mean(avg.data).toFixed(4)}`);
if (opts.beta >= 0 && soft.data.length === max.data.length && avg.data.length === max.data.length) {
  const tol = 1e-5;
  let outside = 0;
  let worst = 0;
  for (let i = 0; i < soft.data.length; i++) {
    const s = soft.data[i];
    const err = Math.max(avg.data[i] - s, s - max.data[i], 0);
    if (!(err <= tol)) {
      outside++;
      worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
    }
  }
  console.log(
    outside === 0
      ? `  check    avg ≤ softpool ≤ max holds for all ${fmtInt(soft.data.length)} outputs`
      : `  check    avg ≤ softpool ≤ max FAILS for ${fmtInt(outside)} of ${fmtInt(soft.data.length)} outputs (worst by ${worst.toExponential(2)})`,
  );
} else if (opts.beta < 0) {
  console.log('  check    skipped (beta < 0 leans towards min pooling, not max)');
}

// -- images -----------------------------------------------------------------
mkdirSync(OUT_DIR, { recursive: true });
const stem = path.basename(opts.image, path.extname(opts.image));
const outPath = (suffix) => path.join(OUT_DIR, `${stem}-${suffix}.png`);
const compare = sideBySide([max, soft, avg], GAP);
const files = [
  [outPath('softpool'), soft, 'SoftPool'],
  [outPath('maxpool'), max, 'max pooling (plain JS)'],
  [outPath('avgpool'), avg, 'average pooling (SoftPool, beta 0)'],
  [outPath('compare'), compare, 'max | softpool | avg'],
];
console.log('');
console.log('wrote');
const width = Math.max(...files.map(([p]) => rel(p).length));
for (const [p, t, what] of files) {
  writeCHWAsPng(t, p);
  console.log(`  ${rel(p).padEnd(width)}  ${dims(t).padEnd(9)}  ${what}`);
}
