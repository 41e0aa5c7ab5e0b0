#!/usr/bin/env node
// softpool-wasm benchmark (`npm run bench`): this library against naive JavaScript, TF.js
// (wasm backend), ONNX Runtime Web and native C (gcc) on the workloads of the performance issue.
//
//   node --expose-gc bench/run.mjs [--quick] [--runs N] [--warmup N] [--impl a,b] [workload ...]
//
// Every implementation is validated once against this library's output before it is timed;
// all of them run on the same data, in this one process (the native C peers time themselves in a
// child process on a copy of it). Prints a table and writes
// bench/results.json and bench/results.svg. See bench/README.md.

import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

import { implementations, REFERENCE, BASELINE, NATIVE_FAST } from './impls/index.mjs';
import { barChart } from './lib/svg.mjs';
import { randn, median, maxAbsDiff, pooledSize, count } from './lib/util.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const REL_TOL = 1e-4;

// shape and quick are in the library's layout: channelsFirst [N, C, ...spatial] or
// channelsLast [N, ...spatial, C]. W1-W4 are the issue's 2D workloads; W5-W7 its "equivalent
// 1D, 3D and channelsLast" ones, each about as large as W1 (3.2 M input elements).
const WORKLOADS = [
  { name: 'W1', dims: 2, shape: [4, 64, 112, 112], quick: [1, 16, 112, 112], kernel: 2, stride: 2, padding: 0 },
  { name: 'W2', dims: 2, shape: [4, 64, 112, 112], quick: [1, 16, 112, 112], kernel: 3, stride: 2, padding: 1 },
  { name: 'W3', dims: 2, shape: [64, 256, 14, 14], quick: [8, 64, 14, 14], kernel: 2, stride: 2, padding: 0 },
  { name: 'W4', dims: 2, shape: [4, 64, 56, 56], quick: [1, 16, 56, 56], kernel: 3, stride: 1, padding: 0 },
  { name: 'W5', dims: 1, shape: [4, 64, 12544], quick: [1, 16, 12544], kernel: 2, stride: 2, padding: 0 },
  { name: 'W6', dims: 3, shape: [2, 16, 24, 64, 64], quick: [1, 2, 24, 64, 64], kernel: 2, stride: 2, padding: 0 },
  { name: 'W7', dims: 2, channelsLast: true, shape: [4, 112, 112, 64], quick: [1, 112, 112, 16], kernel: 2, stride: 2, padding: 0 },
].map((w) => ({
  ...w,
  channelsLast: !!w.channelsLast,
  kind: `${w.dims}d${w.channelsLast ? ' NHWC' : ''}`,
  tag: `k${w.kernel}s${w.stride}${w.padding ? `p${w.padding}` : ''}`,
}));
const PASSES = ['fwd', 'fwd+bwd'];
const BETA = 1;

const USAGE = `Usage: npm run bench -- [--quick] [--runs N] [--warmup N] [--impl NAME,...] [WORKLOAD ...]

  --quick        smaller shapes (batch and channels cut), 5 runs, 1 warm-up
  --runs N       timed runs per measurement (median reported; default 11)
  --warmup N     untimed runs before timing (default 3)
  --impl a,b     only implementations whose name contains one of these (the reference
                 '${REFERENCE}' and the baseline '${BASELINE}' always run)
  WORKLOAD       only workloads whose name or tag contains it or whose kind it is,
                 e.g. W1, k3s1, 1d, 3d, nhwc (any number)

Workloads: ${WORKLOADS.map((w) => `${w.name} ${w.kind} [${w.shape}] ${w.tag}`).join('; ')}`;

function parseCli() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      impl: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) { console.log(USAGE); process.exit(0); }
  const int = (s, name, min) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < min) { console.error(`--${name} must be an integer >= ${min}, got ${s}\n\n${USAGE}`); process.exit(2); }
    return v;
  };
  const runs = values.runs !== undefined ? int(values.runs, 'runs', 1) : values.quick ? 5 : 11;
  const warmup = values.warmup !== undefined ? int(values.warmup, 'warmup', 0) : values.quick ? 1 : 3;
  const filters = positionals.map((p) => p.toLowerCase());
  const workloads = WORKLOADS.filter((w) => filters.length === 0
    || filters.some((f) => w.name.toLowerCase() === f || w.tag.toLowerCase().includes(f) || w.kind.toLowerCase() === f
      || `${w.name} ${w.kind} ${w.tag}`.toLowerCase().includes(f)));
  if (workloads.length === 0) { console.error(`no workload matches ${positionals.join(', ')}\n\n${USAGE}`); process.exit(2); }
  const implFilter = values.impl ? values.impl.toLowerCase().split(',').filter(Boolean) : null;
  const impls = implementations.filter((i) => i.name === REFERENCE || i.name === BASELINE || !implFilter
    || implFilter.some((f) => i.name.toLowerCase().includes(f)));
  return { quick: values.quick, runs, warmup, workloads, impls, filters: positionals, implFilter: values.impl ?? null };
}

/**
 * A workload as the implementations see it (see impls/index.mjs). x and g are in the library's
 * layout (`shape`, `outShape`); ncShape / ncOutShape give the same tensors channels first.
 */
function makeWorkload(spec, quick, seed) {
  const shape = quick ? spec.quick : spec.shape;
  const d = spec.dims;
  const N = shape[0];
  const C = spec.channelsLast ? shape[d + 1] : shape[1];
  const spatial = spec.channelsLast ? shape.slice(1, d + 1) : shape.slice(2);
  const rep = (v) => Array.from({ length: d }, () => v);
  const geo = { kernel: rep(spec.kernel), stride: rep(spec.stride), padding: rep(spec.padding), beta: BETA };
  const outSize = spatial.map((s, i) => pooledSize(s, geo.kernel[i], geo.stride[i], geo.padding[i]));
  const outShape = spec.channelsLast ? [N, ...outSize, C] : [N, C, ...outSize];
  const options = { kernelSize: spec.kernel, stride: spec.stride, padding: spec.padding, beta: BETA };
  if (spec.channelsLast) options.dataFormat = 'channelsLast';
  return {
    name: spec.name, tag: spec.tag, kind: spec.kind, label: `${spec.name} ${spec.kind} [${shape.join(',')}] ${spec.tag}`,
    dims: d, channelsLast: spec.channelsLast, N, C, spatial,
    shape, outSize, outShape, ncShape: [N, C, ...spatial], ncOutShape: [N, C, ...outSize], geo, options,
    x: { data: randn(count(shape), seed), shape },
    g: { data: randn(count(outShape), seed + 1), shape: outShape },
    elements: count(shape),
  };
}

const call = async (fn) => { const r = fn(); return r && typeof r.then === 'function' ? await r : r; };

const WARMUP_MS = 300;

/**
 * At least `warmup` calls and at least WARMUP_MS: V8 tiers wasm up from its baseline compiler
 * to TurboFan in the background, and three calls are not always enough for that.
 */
async function warmUp(fn, warmup) {
  const until = performance.now() + WARMUP_MS;
  for (let i = 0; i < warmup || (warmup > 0 && performance.now() < until); i++) await call(fn);
}

/** Collects garbage, then waits for V8's background sweeping so it does not compete with timed calls. */
async function settle() {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 250));
}

/** Compares a result with the reference; returns { ok, text, diffs }. */
function validate(pass, got, ref) {
  const checks = [];
  const add = (what, d, scale) => checks.push({ what, diff: d, scale, ok: d <= REL_TOL * scale });
  if (pass === 'fwd') {
    const { diff, scale } = maxAbsDiff(got, ref.y);
    add('y', diff, scale);
  } else {
    const a = maxAbsDiff(got.y, ref.y); add('y', a.diff, a.scale);
    const b = maxAbsDiff(got.gradInput, ref.gradInput); add('gx', b.diff, b.scale);
    add('gβ', Math.abs(got.gradBeta - ref.gradBeta), Math.max(1, Math.abs(ref.gradBeta)));
  }
  return {
    ok: checks.every((c) => c.ok),
    text: checks.map((c) => `${c.what} ${c.diff.toExponential(1)}`).join(' '),
    checks: checks.map(({ what, diff, scale, ok }) => ({ what, maxAbsDiff: diff, scale, ok })),
  };
}

const fmtMs = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const fmtRate = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function printTable(rows) {
  const head = ['workload', 'pass', 'implementation', 'ms (median)', 'Melem/s', 'vs naive JS', 'time ÷ native -ffast-math', 'max|Δ| vs ref'];
  const body = rows.map((r) => [
    r.workload, r.pass, r.impl,
    r.ms != null ? fmtMs(r.ms) : '–',
    r.melemPerSec != null ? fmtRate(r.melemPerSec) : '–',
    r.speedupVsNaive != null ? `${r.speedupVsNaive.toFixed(2)}×` : '–',
    r.timeVsNativeFastMath != null ? r.timeVsNativeFastMath.toFixed(2) : '–',
    r.status === 'ok' ? (r.impl === REFERENCE ? '(reference)' : r.validation.text) : r.status,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([3, 4, 5, 6]);
  const line = (cells) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let prev = null;
  body.forEach((b, i) => {
    const key = `${rows[i].workload}|${rows[i].pass}`;
    if (prev !== null && key !== prev) console.log('');
    prev = key;
    console.log(line(b));
  });
}

/** The checkout being benchmarked: commit and whether the work tree has uncommitted changes. */
function gitState() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedFiles: git('status', '--porcelain').split('\n').filter(Boolean).length };
  } catch {
    return null;
  }
}

function versionOf(pkg) {
  try { return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version; } catch { return null; }
}

async function main() {
  const cfg = parseCli();
  const started = performance.now();
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version, v8: process.versions.v8, platform: `${process.platform} ${process.arch}`, date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg().map((v) => +v.toFixed(2)),
  };
  console.log(`softpool-wasm benchmark: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`);
  console.log(`${cfg.quick ? 'QUICK mode, ' : ''}median of ${cfg.runs} runs after ${cfg.warmup} warm-up(s); beta ${BETA}; data: standard normal (seeded)`);
  if (!globalThis.gc) console.log('(run with node --expose-gc to collect garbage between measurements)');

  // Setting up: a peer that cannot run here is reported with its reason, never faked.
  const setups = new Map();
  for (const impl of cfg.impls) {
    try {
      const info = await impl.setup();
      setups.set(impl.name, { ok: true, info });
    } catch (err) {
      setups.set(impl.name, { ok: false, reason: `could not set up: ${err?.message ?? err}` });
      console.error(`! ${impl.name}: ${err?.stack ?? err}`);
    }
  }
  if (!setups.get(REFERENCE)?.ok) throw new Error(`the reference ${REFERENCE} could not be set up`);
  console.log(`${REFERENCE} runs its '${setups.get(REFERENCE).info.backend}' build${process.execArgv.includes('--experimental-wasm-relaxed-simd') ? ' (node flag --experimental-wasm-relaxed-simd)' : ''}`);
  const refImpl = cfg.impls.find((i) => i.name === REFERENCE);

  const rows = [];
  let failures = 0;
  for (const [wi, spec] of cfg.workloads.entries()) {
    const w = makeWorkload(spec, cfg.quick, 1000 + 17 * wi);
    console.log(`\n${w.label}: ${w.elements.toLocaleString('en-US')} input elements -> [${w.outShape.join(',')}]`);
    const refState = await refImpl.prepare(w);
    const ref = {
      fwd: { y: refImpl.readForward(await call(() => refImpl.forward(refState)), refState) },
      'fwd+bwd': refImpl.readBackward(await call(() => refImpl.forwardBackward(refState)), refState),
    };
    // Every implementation is prepared, validated and warmed up; then the timed calls go round
    // robin (one call of each implementation per round, the order rotating), so that the
    // machine's slow and fast phases fall on all of them alike and the ratios hold.
    const states = new Map();
    for (const pass of PASSES) {
      const live = [];
      for (const impl of cfg.impls) {
        const setup = setups.get(impl.name);
        const row = { workload: w.label, workloadName: w.name, kind: w.kind, tag: w.tag, shape: w.shape, options: w.options, pass, impl: impl.name, elements: w.elements,
          ms: null, samplesMs: null, melemPerSec: null, speedupVsNaive: null, timeVsNativeFastMath: null, status: 'ok', note: null, validation: null };
        rows.push(row);
        const why = !setup.ok ? setup.reason : impl.unsupported(w, pass);
        if (why) { row.status = '–'; row.note = why; continue; }
        try {
          if (!states.has(impl.name)) states.set(impl.name, await impl.prepare(w));
          const state = states.get(impl.name);
          const fn = pass === 'fwd' ? () => impl.forward(state) : () => impl.forwardBackward(state);
          // a self-timed peer (native program) runs one untimed call for this first check
          const once = impl.selfTimed ? (await impl.selfTimed(state, pass, { runs: 1, warmup: 0 })).result : await call(fn);
          const got = pass === 'fwd' ? impl.readForward(once, state) : impl.readBackward(once, state);
          row.validation = validate(pass, got, ref[pass]);
          if (!row.validation.ok) {
            failures++;
            row.status = 'WRONG';
            row.note = `validation failed: ${row.validation.text} (tolerance ${REL_TOL} x max(1, |ref|))`;
            console.error(`\n!!! ${impl.name} ${w.label} ${pass}: WRONG RESULT vs ${REFERENCE}: ${row.validation.text}; not timed\n`);
            continue;
          }
          if (!impl.selfTimed) await warmUp(fn, cfg.warmup);
          live.push({ impl, row, state, fn, samples: [], last: null });
        } catch (err) {
          row.status = 'error';
          row.note = `failed here: ${err?.message ?? err}`;
          failures++;
          console.error(`!!! ${impl.name} ${w.label} ${pass}: ${err?.stack ?? err}`);
        }
      }
      await settle();
      for (let round = 0; round < cfg.runs; round++) {
        for (let k = 0; k < live.length; k++) {
          const m = live[(round + k) % live.length];
          if (m.row.status !== 'ok') continue;
          try {
            if (m.impl.selfTimed) {
              // one timed call per round, after one warm-up call inside the program
              const r = await m.impl.selfTimed(m.state, pass, { runs: 1, warmup: 1 });
              m.samples.push(r.samplesMs[0]);
              m.last = r.result;
            } else {
              const t0 = performance.now();
              m.last = await call(m.fn);
              m.samples.push(performance.now() - t0);
            }
          } catch (err) {
            m.row.status = 'error';
            m.row.note = `failed here: ${err?.message ?? err}`;
            failures++;
            console.error(`!!! ${m.impl.name} ${w.label} ${pass}: ${err?.stack ?? err}`);
          }
        }
      }
      for (const m of live) {
        const { impl, row, state, samples, last } = m;
        if (row.status !== 'ok') continue;
        // the last timed call must still be right (catches state carried between calls)
        const after = validate(pass, pass === 'fwd' ? impl.readForward(last, state) : impl.readBackward(last, state), ref[pass]);
        if (!after.ok) {
          failures++;
          row.status = 'WRONG';
          row.note = `the last timed call was wrong: ${after.text} (the first was right)`;
          console.error(`\n!!! ${impl.name} ${w.label} ${pass}: the last timed call gave a WRONG RESULT: ${after.text}\n`);
          continue;
        }
        row.samplesMs = samples.map((v) => +v.toFixed(3));
        row.ms = median(samples);
        row.melemPerSec = w.elements / (row.ms * 1e3);
        console.log(`  ${pass.padEnd(7)} ${impl.name.padEnd(23)} ${fmtMs(row.ms).padStart(8)} ms  (${row.validation.text})`);
      }
    }
    for (const impl of cfg.impls) if (states.has(impl.name)) await impl.dispose(states.get(impl.name));
    globalThis.gc?.();
  }

  for (const r of rows) {
    const base = rows.find((b) => b.workload === r.workload && b.pass === r.pass && b.impl === BASELINE);
    if (r.ms != null && base?.ms != null) r.speedupVsNaive = base.ms / r.ms;
    const native = rows.find((b) => b.workload === r.workload && b.pass === r.pass && b.impl === NATIVE_FAST);
    if (r.ms != null && native?.ms != null) r.timeVsNativeFastMath = r.ms / native.ms;
  }
  rows.sort((a, b) => cfg.workloads.findIndex((w) => w.name === a.workloadName) - cfg.workloads.findIndex((w) => w.name === b.workloadName)
    || PASSES.indexOf(a.pass) - PASSES.indexOf(b.pass)
    || cfg.impls.findIndex((i) => i.name === a.impl) - cfg.impls.findIndex((i) => i.name === b.impl));

  console.log('');
  printTable(rows);
  const notes = [...new Map(rows.filter((r) => r.note).map((r) => [`${r.impl}: ${r.note}`, r])).keys()];
  if (notes.length) {
    console.log('\nnot measured:');
    for (const n of notes) console.log(`  ${n}`);
  }
  console.log(`\nMelem/s = input elements / median time; "vs naive JS" = naive JS time / this time (higher = faster);`);
  console.log(`"time ÷ native -ffast-math" = this time / ${NATIVE_FAST}'s time (lower = faster; the issue's goal for softpool-wasm: <= 2).`);
  for (const name of [REFERENCE, `${REFERENCE} zero-copy`, `${REFERENCE} SIMD`, `${REFERENCE} SIMD zero-copy`]) {
    const rs = rows.filter((r) => r.impl === name && r.timeVsNativeFastMath != null);
    if (rs.length) console.log(`  ${name}: ${rs.map((r) => `${r.workloadName} ${r.pass} ${r.timeVsNativeFastMath.toFixed(2)}`).join(', ')}`);
  }

  const seconds = (performance.now() - started) / 1000;
  machine.loadAverageAtEnd = os.loadavg().map((v) => +v.toFixed(2));
  const results = {
    machine,
    config: { quick: cfg.quick, runs: cfg.runs, warmup: cfg.warmup, beta: BETA, workloadFilter: cfg.filters, implFilter: cfg.implFilter,
      data: 'standard normal float32, seeded; gradOutput standard normal', relTolerance: REL_TOL, reference: REFERENCE, baseline: BASELINE, nativeFastMath: NATIVE_FAST },
    git: gitState(),
    versions: Object.fromEntries(['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-web', 'assemblyscript'].map((p) => [p, versionOf(p)])),
    implementations: cfg.impls.map((i) => ({ name: i.name, description: i.description, setup: setups.get(i.name) })),
    results: rows,
    totalSeconds: +seconds.toFixed(1),
  };
  writeFileSync(path.join(HERE, 'results.json'), JSON.stringify(results, null, 2) + '\n');

  const series = cfg.impls.map((i) => i.name);
  const panels = PASSES.map((p) => ({
    title: p === 'fwd' ? 'forward (fwd)' : 'forward + backward (fwd+bwd)',
    groups: cfg.workloads.map((w) => {
      const r = rows.find((x) => x.workloadName === w.name && x.pass === p);
      return {
        label: `${w.name} ${w.kind}`, sub: w.tag, detail: `[${r.shape.join(',')}]`,
        values: series.map((name) => rows.find((x) => x.workloadName === w.name && x.pass === p && x.impl === name)?.melemPerSec ?? null),
      };
    }),
  }));
  const svg = barChart({
    title: 'SoftPool throughput (1D, 2D, 3D, channels last): softpool-wasm vs peers (one thread, Node)',
    subtitle: `${machine.cpu}, node ${machine.node}, ${machine.date.slice(0, 10)}; median of ${cfg.runs} runs${cfg.quick ? ' (quick mode)' : ''}; beta ${BETA}`,
    panels, series,
  });
  writeFileSync(path.join(HERE, 'results.svg'), svg);
  console.log(`wrote bench/results.json and bench/results.svg (${seconds.toFixed(0)} s)`);
  if (failures) {
    console.error(`\n${failures} measurement(s) failed validation or errored: see above`);
    process.exitCode = 1;
  }
}

main().catch((err) => { console.error(err?.stack ?? err); process.exit(1); });
