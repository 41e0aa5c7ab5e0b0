// Native C peer: bench/native/softpool.c compiled with gcc (the performance issue's "native C"
// lines), run as a child process that times its own calls. Node cannot call C without a native
// addon, so this is a self-timed implementation (see impls/index.mjs): prepare() writes the
// workload's x and gradOutput as raw float32 files, selfTimed() runs the program, which does the
// warm-ups and the timed runs itself (clock_gettime(CLOCK_MONOTONIC) around the kernels only:
// data already in memory, outputs preallocated, no copies), and reads back the last call's
// outputs for validation. Works in the workload's own layout: channels first, or channels last
// (W7) with its own NDHWC loops.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('../native/softpool.c', import.meta.url));

/** The first C compiler found ($CC, gcc, cc) and its version line, or null. */
function findCompiler() {
  for (const cc of [process.env.CC, 'gcc', 'cc'].filter(Boolean)) {
    try {
      const v = execFileSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return { cc, version: v.split('\n')[0] };
    } catch { /* try the next one */ }
  }
  return null;
}

/** A file's bytes as a Float32Array (copied: a Buffer's offset need not be 4-aligned). */
function readFloats(file) {
  const b = readFileSync(file);
  const a = new Float32Array(b.byteLength / 4);
  new Uint8Array(a.buffer).set(b);
  return a;
}

/**
 * @param {object} o
 * @param {string} o.name
 * @param {string[]} o.flags  compiler flags, e.g. ['-O3', '-march=native', '-ffast-math']
 */
export function nativeC({ name, flags }) {
  let tmp, exe;
  return {
    name,
    description: `bench/native/softpool.c, ${flags.join(' ')}: single-threaded C loops auto-vectorized by the compiler, per-window max subtraction, exact backward; self-timed, kernels only (no copies)`,
    async setup() {
      const compiler = findCompiler();
      if (!compiler) throw new Error('no C compiler (gcc) found; apt-get install gcc');
      tmp = mkdtempSync(path.join(os.tmpdir(), 'softpool-native-'));
      process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
      exe = path.join(tmp, 'softpool');
      const args = [...flags, '-std=c11', '-o', exe, SOURCE, '-lm'];
      try {
        execFileSync(compiler.cc, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        throw new Error(`${compiler.cc} failed: ${String(err.stderr || err.message).trim().split('\n').slice(0, 5).join(' | ')}`);
      }
      return { compiler: compiler.version, command: `${compiler.cc} ${[...flags, '-std=c11', '-o', 'softpool', 'bench/native/softpool.c', '-lm'].join(' ')}` };
    },
    unsupported() { return null; },
    prepare(w) {
      const dir = mkdtempSync(path.join(tmp, `${w.name}-`));
      writeFileSync(path.join(dir, 'x.bin'), w.x.data); // host byte order, as the C program reads it
      writeFileSync(path.join(dir, 'g.bin'), w.g.data);
      // spatial dims padded to D, H, W with leading 1s (kernel 1, stride 1, padding 0)
      const pad3 = (a, fill) => [...Array(3 - a.length).fill(fill), ...a];
      const geometry = [w.channelsLast ? 'cl' : 'cf', w.N, w.C, ...pad3(w.spatial, 1),
        ...pad3(w.geo.kernel, 1), ...pad3(w.geo.stride, 1), ...pad3(w.geo.padding, 0), w.geo.beta].map(String);
      return { dir, geometry };
    },
    async selfTimed(s, pass, { runs, warmup }) {
      const { stdout } = await run(exe, [pass === 'fwd' ? 'fwd' : 'fwdbwd', ...s.geometry, String(runs), String(warmup), s.dir]);
      const { samplesMs, gradBeta } = JSON.parse(stdout);
      const y = readFloats(path.join(s.dir, 'y.bin'));
      const result = pass === 'fwd' ? y : { y, gradInput: readFloats(path.join(s.dir, 'gx.bin')), gradBeta };
      return { samplesMs, result };
    },
    readForward(r) { return r; },
    readBackward(r) { return r; },
    dispose(s) { rmSync(s.dir, { recursive: true, force: true }); },
  };
}
