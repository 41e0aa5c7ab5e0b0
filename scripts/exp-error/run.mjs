#!/usr/bin/env node
// Exhaustive error measurement of assembly/exp_f32x4.ts, for the plain SIMD build and the
// relaxed-SIMD (FMA) build. See scripts/exp-error/README.md.
//
//   node scripts/exp-error/run.mjs              every f32 in [XMIN, XMAX] (~2.2e9 values)
//   node scripts/exp-error/run.mjs --step 1009  every 1009th bit pattern (quick check)
//
// Options:
//   --step K      sweep bit patterns lo, lo+K, lo+2K, ... of each half (default 1 = all)
//   --chunk N     values per wasm call (default 4194304); progress is printed between calls
//   --json FILE   also write the results as JSON
//
// It compiles scripts/exp-error/sweep.ts twice with `npx asc` into a temp dir:
//   simd:    --runtime stub --optimizeLevel 3 --noAssert --enable simd
//   relaxed: the same plus --enable relaxed-simd   (madd4/nmadd4 -> f32x4.relaxed_madd/nmadd)
// with --config pointing at an empty asconfig.json there, so the repo's asconfig.json
// (whose default target writes build/softpool.wat) is not applied.
//
// Node 20 (V8 11.3) validates relaxed-SIMD modules only with --experimental-wasm-relaxed-simd;
// if the running node cannot, the script re-runs itself with that flag.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

// Smallest module using f32x4.relaxed_madd (0xfd 0x105): (v128, v128, v128) -> v128.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section
  0x03, 0x02, 0x01, 0x00, // function section
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code
]);

if (!WebAssembly.validate(RELAXED_PROBE)) {
  if (process.execArgv.includes(RELAXED_FLAG)) {
    console.error('This node cannot run relaxed-SIMD wasm even with ' + RELAXED_FLAG + '.');
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [RELAXED_FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

// ---- options -------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = { step: 1, chunk: 1 << 22, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--step') o.step = Number(val());
    else if (a === '--chunk') o.chunk = Number(val());
    else if (a === '--json') o.json = path.resolve(val());
    else if (a === '-h' || a === '--help') {
      console.log('usage: node scripts/exp-error/run.mjs [--step K] [--chunk N] [--json FILE]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.step) || o.step < 1 || o.step > 0x3fffffff) throw new Error('--step must be an integer >= 1');
  if (!Number.isInteger(o.chunk) || o.chunk < 4 || o.chunk > 1 << 26) throw new Error('--chunk must be an integer in [4, 2^26]');
  return o;
}
const opts = parseArgs(process.argv.slice(2));

// ---- build -----------------------------------------------------------------------------------
const COMMON = ['--runtime', 'stub', '--optimizeLevel', '3', '--noAssert', '--enable', 'simd'];
const BUILDS = [
  { name: 'simd', flags: COMMON },
  { name: 'relaxed', flags: [...COMMON, '--enable', 'relaxed-simd'] },
];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'exp-error-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const emptyConfig = path.join(tmp, 'asconfig.json');
writeFileSync(emptyConfig, '{}\n');

for (const b of BUILDS) {
  const out = path.join(tmp, `sweep.${b.name}.wasm`);
  execFileSync('npx', ['--no-install', 'asc', 'scripts/exp-error/sweep.ts', '--config', emptyConfig, ...b.flags, '--outFile', out],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const bytes = readFileSync(out);
  if (!WebAssembly.validate(bytes)) throw new Error(`${b.name} module does not validate`);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { abort() { throw new Error('abort'); } },
  });
  b.x = inst.exports;
  if (b.x.relaxedBuild() !== (b.name === 'relaxed' ? 1 : 0)) throw new Error(`${b.name}: unexpected ASC_FEATURE_RELAXED_SIMD`);
  // madd4(1+2^-12, 1+2^-12, -1): exact 2^-11 + 2^-24; a*b rounded to f32 first gives 2^-11.
  const a = 1 + 2 ** -12;
  const got = b.x.maddProbe(a, a, -1);
  const unfused = Math.fround(Math.fround(a * a) - 1);
  b.fused = got !== unfused;
  if (b.name === 'simd' && b.fused) throw new Error('simd build fused a multiply-add?');
  b.x.reset();
  if (!b.x.reserve(opts.chunk)) throw new Error('cannot grow wasm memory');
}
const [simd, relaxed] = BUILDS;

// ---- sweep -----------------------------------------------------------------------------------
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsToF32 = (b) => { u32[0] = b >>> 0; return f32[0]; };
const hex = (b) => '0x' + (b >>> 0).toString(16).padStart(8, '0');

const XMIN_BITS = 0xc2aeac4f; // -87.33654
const XMAX_BITS = 0x42b17217; // 88.72283
const HALVES = [
  { name: 'x <= -0', lo: 0x80000000, hi: XMIN_BITS },
  { name: 'x >= +0', lo: 0x00000000, hi: XMAX_BITS },
];
for (const h of HALVES) h.count = Math.floor((h.hi - h.lo) / opts.step) + 1;
const total = HALVES.reduce((s, h) => s + h.count, 0);

console.error(`exp-error: ${total} inputs (step ${opts.step}) per build; builds: ` +
  BUILDS.map((b) => `${b.name} (madd ${b.fused ? 'FUSED' : 'unfused'})`).join(', '));

const t0 = performance.now();
let done = 0;
let lastPrint = t0;
for (const h of HALVES) {
  for (let k = 0; k < h.count; k += opts.chunk) {
    const n = Math.min(opts.chunk, h.count - k);
    const start = h.lo + k * opts.step; // < 2^32, passed to an i32 parameter (wraps)
    simd.x.sweep(start, n, opts.step);
    relaxed.x.sweep(start, n, opts.step);
    // relaxed vs simd, bit for bit: copy simd's exp_f32x4 results next to relaxed's.
    new Uint8Array(relaxed.x.memory.buffer, relaxed.x.refPtr(), n * 4)
      .set(new Uint8Array(simd.x.memory.buffer, simd.x.outPtr(), n * 4));
    relaxed.x.diff(start, n, opts.step);
    done += n;
    const now = performance.now();
    if (now - lastPrint > 5000) {
      lastPrint = now;
      const s = (now - t0) / 1000;
      console.error(`  ${(100 * done / total).toFixed(1).padStart(5)}%  ${done} / ${total}  ` +
        `${(done / s / 1e6).toFixed(1)} M inputs/s  elapsed ${s.toFixed(0)} s  eta ${((total - done) / (done / s)).toFixed(0)} s`);
    }
  }
}
const seconds = (performance.now() - t0) / 1000;

// ---- report ----------------------------------------------------------------------------------
const FNS = [
  { fn: 0, name: 'exp_f32x4', twin: 0, twinName: 'exp_f32' },
  { fn: 1, name: 'exp_f32', twin: 0, twinName: 'exp_f32x4' },
  { fn: 2, name: 'exp_nonpos_f32x4', twin: 1, twinName: 'exp_nonpos_f32' },
  { fn: 3, name: 'exp_nonpos_f32', twin: 1, twinName: 'exp_nonpos_f32x4' },
];
const rows = [];
for (const b of BUILDS) {
  for (const f of FNS) {
    const argBits = b.x.maxRelArgBits(f.fn);
    const mis = b.x.mismatches(f.twin);
    rows.push({
      build: b.name, fused: b.fused, fn: f.name, inputs: b.x.evaluated(f.fn),
      maxRel: b.x.maxRel(f.fn), atX: bitsToF32(argBits), atBits: hex(argBits), maxUlp: b.x.maxUlp(f.fn),
      twin: f.twinName, mismatches: mis, firstMismatch: mis ? hex(b.x.mismatchFirstBits(f.twin)) : null,
    });
  }
}
const nonposVsFull = BUILDS.map((b) => ({ build: b.name, mismatches: b.x.mismatches(2), first: b.x.mismatches(2) ? hex(b.x.mismatchFirstBits(2)) : null }));
const cross = {
  differing: relaxed.x.diffs(), maxUlp: relaxed.x.diffMaxUlps(),
  first: relaxed.x.diffs() ? hex(relaxed.x.diffFirst()) : null,
};

const cpu = (() => {
  try { return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model; } catch { return os.cpus()[0]?.model; }
})();
const gitBlob = (p) => { try { return execFileSync('git', ['hash-object', p], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return '?'; } };

console.log(`\nexp_f32x4.ts error sweep: ${opts.step === 1 ? 'EVERY f32' : `every ${opts.step}th f32 bit pattern`} in ` +
  `[${bitsToF32(XMIN_BITS)}, ${bitsToF32(XMAX_BITS)}] (${hex(XMIN_BITS)} .. ${hex(XMAX_BITS)}), ${total} inputs, ${seconds.toFixed(0)} s`);
console.log(`node ${process.version} (V8 ${process.versions.v8}), ${cpu}, ${new Date().toISOString()}`);
console.log(`assembly/exp_f32x4.ts blob ${gitBlob('assembly/exp_f32x4.ts')}, assembly/simd_fma.ts blob ${gitBlob('assembly/simd_fma.ts')}`);
console.log(`reference: f64 Math.exp (AssemblyScript NativeMath); relative error |y - e| / e; ulp: |bits(y) - bits(f32(e))|\n`);
console.log('| build | FMA used | function | inputs | max rel error | at x | x bits | max ulp | mismatches vs twin |');
console.log('|---|---|---|---:|---:|---:|---|---:|---|');
for (const r of rows) {
  console.log(`| ${r.build} | ${r.fused ? 'yes' : 'no'} | ${r.fn} | ${r.inputs} | ${r.maxRel.toPrecision(5)} | ${r.atX.toPrecision(9)} | ${r.atBits} | ${r.maxUlp} | ` +
    `${r.mismatches} (vs ${r.twin})${r.firstMismatch ? `, first at ${r.firstMismatch}` : ''} |`);
}
console.log('');
for (const m of nonposVsFull) {
  console.log(`${m.build}: exp_nonpos_f32x4 != exp_f32x4 for x <= 0: ${m.mismatches}${m.first ? ` (first at ${m.first})` : ''}`);
}
console.log(`relaxed vs simd, exp_f32x4 results differing: ${cross.differing} of ${total} inputs` +
  (cross.differing ? ` (${(100 * cross.differing / total).toFixed(2)}%, max ${cross.maxUlp} ulp apart, first at ${cross.first} = ${bitsToF32(parseInt(cross.first, 16)).toPrecision(9)})` : '') +
  `; relaxed_madd probe: ${relaxed.fused ? 'fused (one rounding): this V8 uses FMA' : 'not fused: this V8 lowers relaxed_madd to mul + add'}`);

if (opts.json) {
  writeFileSync(opts.json, JSON.stringify({
    step: opts.step, inputs: total, seconds, node: process.version, v8: process.versions.v8, cpu,
    date: new Date().toISOString(), rows, nonposVsFull, relaxedVsSimd: cross,
  }, null, 2) + '\n');
}
