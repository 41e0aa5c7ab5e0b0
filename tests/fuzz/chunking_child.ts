// Child of tests/chunking.test.ts. Usage: chunking_child.ts <backend> <dir> <mode> [i]
//   mode 'whole':  every problem of chunking_problems.ts with x and gradOutput as wasm tensors
//                  (the zero-copy path runs each call whole, never in pieces), no cap
//   mode 'capped': problem i with init({ maxMemoryBytes: CAP }) and plain arrays (so it must run
//                  in pieces), alone in this process so that stats() are its own
// Results go to <dir>/<mode>-<i>.{y,gi}.bin and <dir>/<mode>-<i>.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as libNs from 'softpool-wasm';
import { CAP, PROBLEMS, runProblem } from './chunking_problems.ts';

const lib = libNs as unknown as {
  init(o?: object): Promise<void>;
  backend(): string | null;
  stats(): { inUseBytes: number; peakInUseBytes: number; memoryBytes: number };
};
const [backend, dir, mode, which] = process.argv.slice(2);
const capped = mode === 'capped';
let initError: string | null = null;
try {
  await lib.init({ backend, maxMemoryBytes: capped ? CAP : 2 ** 32 });
} catch (e) {
  initError = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  await lib.init({ backend });
}
const list = capped ? [Number(which)] : PROBLEMS.map((_, i) => i);
for (const i of list) {
  const base = join(dir, `${mode}-${i}`);
  try {
    const r = runProblem(i, !capped);
    writeFileSync(`${base}.y.bin`, new Uint8Array(r.y.buffer, r.y.byteOffset, r.y.byteLength));
    writeFileSync(`${base}.gi.bin`, new Uint8Array(r.gi.buffer, r.gi.byteOffset, r.gi.byteLength));
    writeFileSync(`${base}.json`, JSON.stringify({ gradBeta: r.gradBeta, backend: lib.backend(), stats: lib.stats(), initError }));
  } catch (e) {
    writeFileSync(`${base}.json`, JSON.stringify({ error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e), stats: lib.stats(), initError }));
  }
}
