#!/usr/bin/env node
// softpool-wasm scaling benchmark (`npm run bench:scaling`): cost per input element as the work
// grows, to find any cliff where the data leaves a cache.
//
//   node --expose-gc bench/scaling.mjs [--runs N] [--warmup N] [--target-ms T] [--total N]
//
// Two sweeps, N = 1, beta = 1, seeded standard-normal data:
//   planes:   H = W in {16, 32, 64, 112, 128, 224, 256, 512}, C chosen so that C*H*W is about
//             --total elements (default 56*56*1024 = 3,211,264), so every point does the same work
//   channels: C in {1, 4, 16, 64, 256, 1024, 4096} on a 56x56 plane (12 KiB to 49 MiB of input:
//             from L1 to past L3)
//   overhead: the fixed cost of one call, on a 2x2 plane
// Series: window k2s2 and k3s2p1 (channels first; channel sweep also k2s2 channels last),
// pass fwd and fwd+bwd, through the copying public API and zero-copy (allocTensor + options.out).
// A sample repeats the call until it lasts at least --target-ms; the samples of a sweep are
// taken in rounds (one sample of every series of every problem per round) so that a burst of
// load on this shared machine hits all points alike; the median sample is reported. Prints tables, writes bench/scaling.json and
// bench/scaling.svg. See bench/README.md.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

import { init, softPool2d, softPool2dBackward, allocTensor } from 'softpool-wasm';
import { randn, median, pooledSize, count } from './lib/util.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BETA = 1;
const PLANE_SIZES = [16, 32, 64, 112, 128, 224, 256, 512];
// 4096 goes past the issue's 1024: at 56x56 only it takes the working set out of a 32 MiB L3
const CHANNELS = [1, 4, 16, 64, 256, 1024, 4096];
const CHANNEL_PLANE = 56;
const WINDOWS = {
  k2s2: { kernelSize: 2, stride: 2, padding: 0 },
  k3s2p1: { kernelSize: 3, stride: 2, padding: 1 },
};
const PASSES = ['fwd', 'fwd+bwd'];
const MODES = ['copy', 'zero-copy'];

const { values: cli } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2' },
    'target-ms': { type: 'string', default: '3' },
    total: { type: 'string', default: String(56 * 56 * 1024) },
    help: { type: 'boolean', short: 'h' },
  },
});
if (cli.help) {
  console.log('Usage: npm run bench:scaling -- [--runs N (15)] [--warmup N (2)] [--target-ms T (3)] [--total ELEMENTS (3211264)]');
  process.exit(0);
}
const RUNS = +cli.runs, WARMUP = +cli.warmup, TARGET_MS = +cli['target-ms'], TOTAL = +cli.total;
for (const [k, v] of [['runs', RUNS], ['warmup', WARMUP], ['target-ms', TARGET_MS], ['total', TOTAL]]) {
  if (!(v >= 0) || (k !== 'target-ms' && !Number.isInteger(v)) || (k === 'runs' && v < 1)) throw new RangeError(`--${k}: bad value ${v}`);
}

// ---------------------------------------------------------------------------------------------
// machine

/** Data/unified cache sizes of cpu0 in bytes, by level (null when /sys does not say). */
function cacheSizes() {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  const out = { L1: null, L2: null, L3: null, source: dir };
  try {
    for (const name of readdirSync(dir).filter((n) => /^index\d+$/.test(n))) {
      const read = (f) => readFileSync(path.join(dir, name, f), 'utf8').trim();
      const type = read('type');
      if (type === 'Instruction') continue;
      const m = /^(\d+)([KMG]?)$/.exec(read('size'));
      if (!m) continue;
      const bytes = +m[1] * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]];
      let shared = null;
      try { shared = read('shared_cpu_list'); } catch { /* older kernels */ }
      out[`L${read('level')}`] = bytes;
      out[`L${read('level')}SharedCpus`] = shared;
    }
  } catch {
    out.source = null;
  }
  return out;
}

const CACHES = cacheSizes();
const LEVELS = ['L1', 'L2', 'L3'].filter((l) => CACHES[l]);

/** The smallest cache level that holds `bytes`, or 'RAM'. */
const fitsIn = (bytes) => LEVELS.find((l) => bytes <= CACHES[l]) ?? 'RAM';

/** The checkout measured: commit and how many files differ from it. */
function gitState() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: path.join(HERE, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedFiles: git('status', '--porcelain').split('\n').filter(Boolean).length };
  } catch {
    return null;
  }
}

const fmtBytes = (b) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(0)} KiB` : `${b} B`);

// ---------------------------------------------------------------------------------------------
// problems and series

/** The first n values of a seeded standard-normal pool (one for inputs, one for gradOutputs). */
const POOLS = { x: { seed: 1001, data: new Float32Array(0) }, g: { seed: 2002, data: new Float32Array(0) } };
function pooled(which, n) {
  const pool = POOLS[which];
  if (pool.data.length < n) pool.data = randn(n, pool.seed); // same seed: a longer pool keeps its prefix
  return pool.data.subarray(0, n);
}

/**
 * One problem: a shape and window; its series are the (pass, mode) combinations. All buffers
 * (plain arrays for the copying API, wasm tensors for zero-copy) are made here, untimed.
 */
function makeProblem({ sweep, x: xAxis, shape, format, windowName }) {
  const win = WINDOWS[windowName];
  const options = { ...win, beta: BETA, ...(format === 'channelsLast' ? { dataFormat: 'channelsLast' } : {}) };
  const [N, d1, d2, d3] = shape;
  const [C, H, W] = format === 'channelsLast' ? [d3, d1, d2] : [d1, d2, d3];
  const [Ho, Wo] = [H, W].map((s) => pooledSize(s, win.kernelSize, win.stride, win.padding));
  const outShape = format === 'channelsLast' ? [N, Ho, Wo, C] : [N, C, Ho, Wo];
  const n = count(shape), m = count(outShape);
  const x = { data: pooled('x', n), shape };
  const g = { data: pooled('g', m), shape: outShape };
  // zero-copy tensors: allocate all first (allocation may grow memory), then fill through .data
  const xw = allocTensor(shape), gw = allocTensor(outShape), yw = allocTensor(outShape), gxw = allocTensor(shape);
  xw.data.set(x.data);
  gw.data.set(g.data);
  const fwdOut = { ...options, out: yw }, bwdOut = { ...options, out: gxw };
  const fns = {
    'fwd|copy': () => softPool2d(x, options),
    'fwd|zero-copy': () => softPool2d(xw, fwdOut),
    'fwd+bwd|copy': () => { softPool2d(x, options); return softPool2dBackward(x, g, options); },
    'fwd+bwd|zero-copy': () => { softPool2d(xw, fwdOut); return softPool2dBackward(xw, gw, bwdOut); },
  };
  const layout = format === 'channelsLast' ? ' NHWC' : '';
  return {
    sweep, xValue: xAxis, shape, outShape, format, windowName, options, elements: n, outElements: m,
    label: `[${shape.join(',')}] ${windowName}${layout}`,
    seriesPrefix: `${windowName}${layout}`,
    // bytes the kernels touch in wasm memory: forward x + y; fwd+bwd x, y, gradOutput, gradInput.
    // The copying API also reads the caller's arrays and writes fresh ones: about twice that.
    fwdBytes: 4 * (n + m),
    fwdBwdBytes: 4 * (2 * n + 2 * m),
    planeBytes: 4 * (H * W + Ho * Wo) * (format === 'channelsLast' ? C : 1),
    fns,
    /**
     * Zero-copy and copy must agree (a check that the harness uses the API right). Not bit for
     * bit: the copying API may run a large problem in pieces (bands of rows), which rounds
     * differently; the tolerance is bench/run.mjs's, 1e-4 x max(1, |ref|).
     */
    check() {
      const y = fns['fwd|copy']().data;
      fns['fwd|zero-copy']();
      const gxCopy = softPool2dBackward(x, g, options);
      const gz = softPool2dBackward(xw, gw, bwdOut);
      const yz = yw.data, gxz = gxw.data; // views read after the last call: memory may have grown
      const near = (a, b, tol) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
      for (let i = 0; i < m; i++) if (!near(yz[i], y[i], 1e-4)) throw new Error(`${this.label}: zero-copy y[${i}] ${yz[i]} != copy ${y[i]}`);
      for (let i = 0; i < n; i++) {
        if (!near(gxz[i], gxCopy.gradInput.data[i], 1e-4)) throw new Error(`${this.label}: zero-copy gradInput[${i}] ${gxz[i]} != copy ${gxCopy.gradInput.data[i]}`);
      }
      if (!Number.isFinite(gz.gradBeta) || !near(gz.gradBeta, gxCopy.gradBeta, 1e-4)) {
        throw new Error(`${this.label}: zero-copy gradBeta ${gz.gradBeta} != copy ${gxCopy.gradBeta}`);
      }
    },
    dispose() { for (const t of [xw, gw, yw, gxw]) t.dispose(); },
  };
}

/** ms per call of fn over `reps` calls. */
function sample(fn, reps) {
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) fn();
  return (performance.now() - t0) / reps;
}

/** Calls per sample so that one sample lasts at least TARGET_MS. */
function calibrate(fn) {
  let reps = 1;
  for (;;) {
    const t = sample(fn, reps) * reps;
    if (t >= TARGET_MS) return reps;
    reps = Math.min(reps * 64, Math.max(reps * 2, Math.ceil((reps * TARGET_MS * 1.2) / Math.max(t, 1e-3))));
  }
}

/**
 * Measures every series of every problem given. Each sample is one series of one problem; a
 * round takes one sample of every series of every problem (in alternating order), so a burst
 * of load from other work on this machine lands on all points alike instead of bending one.
 */
function measureAll(problems, onRound) {
  const series = problems.flatMap((p) => {
    p.check();
    return Object.keys(p.fns).map((k) => ({ p, k, fn: p.fns[k], reps: calibrate(p.fns[k]), samples: [] }));
  });
  for (let w = 0; w < WARMUP; w++) for (const s of series) sample(s.fn, s.reps);
  for (let r = 0; r < RUNS; r++) {
    globalThis.gc?.();
    for (const s of r % 2 ? [...series].reverse() : series) s.samples.push(sample(s.fn, s.reps));
    onRound?.(r);
  }
  return series.map(({ p, k, reps, samples }) => {
    const [pass, mode] = k.split('|');
    const ms = median(samples);
    const sorted = [...samples].sort((a, b) => a - b);
    const q = (f) => sorted[Math.min(sorted.length - 1, Math.round(f * (sorted.length - 1)))];
    const bytes = pass === 'fwd' ? p.fwdBytes : p.fwdBwdBytes;
    return {
      sweep: p.sweep, x: p.xValue, shape: p.shape, outShape: p.outShape, format: p.format, window: p.windowName,
      options: { ...p.options }, pass, mode, series: `${p.seriesPrefix} ${pass} ${mode}`,
      elements: p.elements, outElements: p.outElements,
      workingSetBytes: bytes, fitsIn: fitsIn(bytes), planeBytes: p.planeBytes, planeFitsIn: fitsIn(p.planeBytes),
      callsPerSample: reps, msPerCall: ms, nsPerElement: (ms * 1e6) / p.elements, minNsPerElement: (sorted[0] * 1e6) / p.elements,
      relativeIqr: (q(0.75) - q(0.25)) / ms,
      samplesMsPerCall: samples.map((v) => +v.toPrecision(5)),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// output

function printTable(title, rows, xName, extra) {
  const series = [...new Set(rows.map((r) => r.series))];
  const xs = [...new Set(rows.map((r) => r.x))];
  const short = (s) => s.replace(' fwd+bwd', ' f+b').replace(' zero-copy', ' zc').replace(' copy', '');
  const head = [xName, ...extra.map((e) => e.head), ...series.map(short)];
  const body = xs.map((xv) => {
    const at = rows.filter((r) => r.x === xv);
    return [String(xv), ...extra.map((e) => e.cell(at)), ...series.map((s) => {
      const r = at.find((q) => q.series === s);
      return r ? r.nsPerElement.toFixed(2) : '–';
    })];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

/** 1, 2, 5, 10, 20, ... from lo to hi. */
function ticks125(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); 10 ** e <= hi; e++) for (const f of [1, 2, 5]) { const v = f * 10 ** e; if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(+v.toPrecision(3)); }
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Series style: colour by window/layout and pass, solid = copying API, dashed = zero-copy. */
const COLORS = {
  'k2s2 fwd': '#1f77b4', 'k2s2 fwd+bwd': '#aec7e8',
  'k3s2p1 fwd': '#d62728', 'k3s2p1 fwd+bwd': '#ff9896',
  'k2s2 NHWC fwd': '#2ca02c', 'k2s2 NHWC fwd+bwd': '#98df8a',
};

/** One panel: ns/element against x, both on log axes, one polyline per series. */
function panel({ rows, x0, y0, w, h, title, xLabel, yRange: [yMin, yMax], markers }) {
  const xs = [...new Set(rows.map((r) => r.x))].sort((a, b) => a - b);
  const lx = (v) => Math.log2(v);
  const [xmin, xmax] = [lx(xs[0]), lx(xs[xs.length - 1])];
  const px = (v) => x0 + ((lx(v) - xmin) / (xmax - xmin)) * w;
  const py = (v) => y0 + h - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * h;
  const parts = [];
  parts.push(`<text x="${x0 + w / 2}" y="${y0 - 12}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const v of ticks125(yMin, yMax)) {
    parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${py(v)}" y2="${py(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 - 6}" y="${py(v) + 4}" text-anchor="end" font-size="11">${+v.toFixed(2)}</text>`);
  }
  let lastLabel = -Infinity, lowered = false;
  for (const v of xs) {
    parts.push(`<line x1="${px(v)}" x2="${px(v)}" y1="${y0}" y2="${y0 + h}" stroke="#f0f0f0"/>`);
    lowered = px(v) - lastLabel < 28 && !lowered; // two close ticks (112, 128): the second a line lower
    parts.push(`<text x="${px(v)}" y="${y0 + h + 16 + (lowered ? 11 : 0)}" text-anchor="middle" font-size="11">${v}</text>`);
    lastLabel = px(v);
  }
  for (const mk of markers) {
    const X = px(mk.x);
    parts.push(`<line x1="${X}" x2="${X}" y1="${y0}" y2="${y0 + h}" stroke="#888" stroke-dasharray="2,3"/>`);
    parts.push(`<text x="${X + 3}" y="${y0 + h - 6 - 12 * mk.row}" font-size="10" fill="#555">${esc(mk.label)}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${x0 + w / 2}" y="${y0 + h + 42}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(${x0 - 44},${y0 + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">ns per input element (median, log scale)</text>`);
  for (const s of [...new Set(rows.map((r) => r.series))]) {
    const pts = rows.filter((r) => r.series === s).sort((a, b) => a.x - b.x);
    const r0 = pts[0];
    const color = COLORS[`${r0.window}${r0.format === 'channelsLast' ? ' NHWC' : ''} ${r0.pass}`] ?? '#7f7f7f';
    const dash = r0.mode === 'zero-copy' ? ' stroke-dasharray="6,4"' : '';
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.nsPerElement).toFixed(1)}`).join(' ')}"><title>${esc(s)}</title></polyline>`);
    for (const p of pts) {
      parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.nsPerElement).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s} ${p.x}: ${p.nsPerElement.toFixed(2)} ns/element`)}</title></circle>`);
    }
  }
  return parts.join('\n');
}

function lineChart(rows, machine) {
  const planeRows = rows.filter((r) => r.sweep === 'planes'), chanRows = rows.filter((r) => r.sweep === 'channels');
  const W = 1100, top = 80, ph = 360, pw = 430, left = 70, gap = 110;
  const all = rows.filter((r) => r.sweep !== 'overhead').map((r) => r.nsPerElement);
  // log y from the 1-2-5 step below the smallest value to the one above the largest
  const steps = ticks125(1e-3, 1e6);
  const yRange = [steps.filter((v) => v <= Math.min(...all)).pop(), steps.find((v) => v >= Math.max(...all))];
  // where the kernels' working set (forward x+y; fwd+bwd x, y, g, gx) outgrows a cache, channel sweep
  const perC = (k) => chanRows.find((r) => r.format === 'channelsFirst' && r.window === 'k2s2' && r.pass === k && r.x === 1)?.workingSetBytes;
  const markers = [];
  for (const [pass, row] of [['fwd', 0], ['fwd+bwd', 1]]) {
    const b = perC(pass);
    if (!b) continue;
    for (const l of LEVELS) {
      const c = CACHES[l] / b; // channels at which the set equals the cache
      if (c > CHANNELS[0] && c < CHANNELS[CHANNELS.length - 1]) markers.push({ x: c, row, label: `${pass === 'fwd' ? 'fwd' : 'f+b'} > ${l}` });
    }
  }
  const series = [...new Set(rows.map((r) => `${r.window}${r.format === 'channelsLast' ? ' NHWC' : ''} ${r.pass}`))];
  const legendY = top + ph + 62;
  const legend = series.map((s, i) => {
    const lx = left + (i % 3) * 300, ly = legendY + Math.floor(i / 3) * 18;
    return `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${COLORS[s] ?? '#7f7f7f'}" stroke-width="3"/><text x="${lx + 30}" y="${ly + 4}" font-size="12">${esc(s)}</text>`;
  }).join('\n') + `\n<text x="${left}" y="${legendY + 44}" font-size="12">solid: public API on plain arrays (copies in and out); dashed: zero-copy (allocTensor + options.out)</text>`;
  const H = legendY + 64;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">softpool-wasm: cost per element as the work grows (lower is better)</text>
<text x="${W / 2}" y="44" text-anchor="middle" font-size="11" fill="#555">${esc(`${machine.cpu}, node ${machine.node}, caches ${LEVELS.map((l) => `${l} ${fmtBytes(CACHES[l])}`).join(' / ')}, ${machine.date.slice(0, 10)}; median of ${RUNS} samples of >= ${TARGET_MS} ms; shared, noisy machine`)}</text>
${panel({ rows: planeRows, x0: left, y0: top, w: pw, h: ph, title: `Plane size (N=1, C*H*W ≈ ${(TOTAL / 1e6).toFixed(1)} M elements)`, xLabel: 'H = W (log scale)', yRange, markers: [] })}
${panel({ rows: chanRows, x0: left + pw + gap, y0: top, w: pw, h: ph, title: `Channels (N=1, ${CHANNEL_PLANE}×${CHANNEL_PLANE} plane)`, xLabel: 'C (log scale); dotted: working set outgrows a cache', yRange, markers })}
${legend}
</svg>
`;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  await init();
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`, caches: CACHES, date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg().map((v) => +v.toFixed(2)),
  };
  console.log(`softpool-wasm scaling benchmark: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`);
  console.log(`caches (cpu0): ${LEVELS.map((l) => `${l} ${fmtBytes(CACHES[l])}${CACHES[`${l}SharedCpus`] ? ` (cpus ${CACHES[`${l}SharedCpus`]})` : ''}`).join(', ') || 'unknown'}`);
  console.log(`ns per input element: median of ${RUNS} samples (each >= ${TARGET_MS} ms, calls repeated) after ${WARMUP} warm-up samples; beta ${BETA}`);
  if (!globalThis.gc) console.log('(run with node --expose-gc to collect garbage before each problem)');

  // overhead last: by then every JS function on the call path has been optimised
  const sweeps = { planes: [], channels: [], overhead: [] };
  // the fixed cost of a call: a 2x2 plane, one window
  sweeps.overhead.push({ sweep: 'overhead', x: 2, shape: [1, 1, 2, 2], format: 'channelsFirst', windowName: 'k2s2' });
  for (const s of PLANE_SIZES) {
    const C = Math.max(1, Math.round(TOTAL / (s * s)));
    for (const windowName of Object.keys(WINDOWS)) sweeps.planes.push({ sweep: 'planes', x: s, shape: [1, C, s, s], format: 'channelsFirst', windowName });
  }
  for (const C of CHANNELS) {
    for (const windowName of Object.keys(WINDOWS)) {
      sweeps.channels.push({ sweep: 'channels', x: C, shape: [1, C, CHANNEL_PLANE, CHANNEL_PLANE], format: 'channelsFirst', windowName });
    }
    sweeps.channels.push({ sweep: 'channels', x: C, shape: [1, CHANNEL_PLANE, CHANNEL_PLANE, C], format: 'channelsLast', windowName: 'k2s2' });
  }

  const rows = [];
  const cpu0 = process.cpuUsage(), wall0 = performance.now();
  for (const [name, specs] of Object.entries(sweeps)) {
    const t0 = performance.now();
    const problems = specs.map(makeProblem);
    process.stdout.write(`${name}: ${problems.length} problem(s), ${problems.length * 4} series; rounds `);
    const got = measureAll(problems, (r) => process.stdout.write(`${r + 1} `));
    for (const p of problems) p.dispose();
    globalThis.gc?.();
    rows.push(...got);
    console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }

  const overhead = rows.filter((r) => r.sweep === 'overhead');
  console.log(`\nFixed cost of one call, [1,1,2,2] k2s2 (µs per call): ${overhead.map((r) => `${r.pass} ${r.mode} ${(r.msPerCall * 1e3).toFixed(2)}`).join(', ')}`);
  const fit = (pass) => ({ head: pass === 'fwd' ? 'x+y set' : 'f+b set', cell: (at) => `${fmtBytes(at.find((r) => r.pass === pass).workingSetBytes)} ${at.find((r) => r.pass === pass).fitsIn}` });
  printTable(`Plane sweep: ns per input element, [1, C, H, H] with C*H*H ≈ ${TOTAL.toLocaleString('en-US')}`, rows.filter((r) => r.sweep === 'planes'), 'H=W',
    [{ head: 'C', cell: (at) => String(at[0].shape[1]) }, { head: 'plane x+y', cell: (at) => `${fmtBytes(at[0].planeBytes)} ${at[0].planeFitsIn}` }, fit('fwd'), fit('fwd+bwd')]);
  printTable(`Channel sweep: ns per input element, [1, C, ${CHANNEL_PLANE}, ${CHANNEL_PLANE}] (NHWC: [1, ${CHANNEL_PLANE}, ${CHANNEL_PLANE}, C])`, rows.filter((r) => r.sweep === 'channels'), 'C',
    [fit('fwd'), fit('fwd+bwd')]);
  console.log('\ncolumns: window [NHWC] pass [zc = zero-copy; otherwise the copying API]. "set" = bytes the kernels touch in wasm memory');
  console.log('(forward x+y; fwd+bwd x, y, gradOutput, gradInput) and the smallest cache that holds it; the copying API touches about twice that.');
  const iqr = median(rows.map((r) => r.relativeIqr));

  const cpu = process.cpuUsage(cpu0);
  // CPU time this process got per second of measuring (main thread + GC/compiler threads):
  // well below 1 means other work took the core from it
  machine.cpuSharePerWallSecond = +((cpu.user + cpu.system) / 1e3 / (performance.now() - wall0)).toFixed(2);
  const seconds = (performance.now() - started) / 1000;
  machine.loadAverageAtEnd = os.loadavg().map((v) => +v.toFixed(2));
  const results = {
    machine,
    config: {
      runs: RUNS, warmup: WARMUP, targetMsPerSample: TARGET_MS, planeSweepTotalElements: TOTAL, planeSizes: PLANE_SIZES,
      channels: CHANNELS, channelPlane: CHANNEL_PLANE, windows: WINDOWS, beta: BETA, data: 'standard normal float32, seeded; gradOutput standard normal',
      statistic: 'median over samples of ms per call; a sample repeats the call until it lasts >= targetMsPerSample; series of a problem sampled round robin',
      workingSet: 'bytes in wasm memory the kernels touch: fwd x+y, fwd+bwd x+y+gradOutput+gradInput (copy mode also reads/writes as many JS bytes)',
    },
    git: gitState(),
    results: rows,
    totalSeconds: +seconds.toFixed(1),
  };
  writeFileSync(path.join(HERE, 'scaling.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(HERE, 'scaling.svg'), lineChart(rows, machine));
  console.log(`noise: median relative interquartile range of the samples ${(100 * iqr).toFixed(1)} %, worst ${(100 * Math.max(...rows.map((r) => r.relativeIqr))).toFixed(1)} %; `
    + `CPU seconds per wall second while measuring ${machine.cpuSharePerWallSecond} (below 1: other work took the core)`);
  console.log(`wrote bench/scaling.json and bench/scaling.svg (${seconds.toFixed(0)} s; load average ${machine.loadAverageAtEnd.join(' ')})`);
}

main().catch((err) => { console.error(err?.stack ?? err); process.exit(1); });
