// npm run soak [-- options]: random calls of every public function for a while. A sample of them
// is checked against the float64 reference (tests/fuzz/run.ts: tolerances, untouched inputs,
// options.out, wasm tensors, nothing left in use), the rest only run; bad calls are thrown in
// between. At the end wasm memory must be where it was after the warm-up. Prints calls made,
// checks passed and peak memory; exits 1 on the first failure (printing the case as JSON for
// tests/regressions.test.ts).
//
//   --seconds N       duration (default 30; 600 for a 10-minute run)
//   --seed S          seed (default: random)
//   --check-every K   check one call in K against the reference (default 8)
//   --large P         probability of a medium/large problem (up to ~1.5M elements, i.e. through the
//                     streaming pieces; default 0.05)
import fc from 'fast-check';
import { FAMILIES, caseArb, encodeCase, type Case, type Family } from '../tests/fuzz/cases.ts';
import { lib, libFn, runCase, refForwardOf, type Tensor } from '../tests/fuzz/run.ts';
import { knownIssueOf } from '../tests/fuzz/known.ts';

function parseArgs(argv: string[]) {
  const o = { seconds: 30, seed: (Math.random() * 2 ** 31) | 0, checkEvery: 8, large: 0.05 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (v === undefined) throw new Error(`soak: ${a} needs a value`);
    i++;
    if (a === '--seconds') o.seconds = Number(v);
    else if (a === '--seed') o.seed = Number(v) | 0;
    else if (a === '--check-every') o.checkEvery = Math.max(1, Number(v) | 0);
    else if (a === '--large') o.large = Number(v);
    else throw new Error(`soak: unknown argument ${a}`);
  }
  if (!(o.seconds > 0)) throw new Error('soak: --seconds must be positive');
  return o;
}

/** mulberry32 */
function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type AnyFn = (...a: unknown[]) => unknown;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await lib.init();
  const rng = rng32(o.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)];

  /** A medium or large random problem (plain functions only), data normal with a few specials. */
  function largeCase(): Case {
    const spatial = int(1, 3) as 1 | 2 | 3;
    const adaptive = rng() < 0.3;
    const fn = `${adaptive ? 'adaptiveSoftPool' : 'softPool'}${spatial}d`;
    const budget = rng() < 0.2 ? int(250_000, 1_500_000) : int(2_000, 250_000); // some above 4 MiB: streamed in pieces
    const C = pick([1, 3, 4, 8, 16, 17]);
    const N = int(1, 2);
    const per = Math.max(2, Math.floor((budget / (N * C)) ** (1 / spatial)));
    const sizes = Array.from({ length: spatial }, () => int(Math.max(2, per >> 1), per));
    const last = rng() < 0.4;
    const cf = [N, C, ...sizes];
    const shape = last ? [N, ...sizes, C] : cf;
    const opts: Record<string, unknown> = adaptive
      ? { outputSize: sizes.map((n) => int(1, Math.min(n, 12))) }
      : (() => {
        const k = int(1, 4), s = int(1, 3), p = int(0, k >> 1);
        return { kernelSize: k, stride: s, padding: p, ceilMode: rng() < 0.5 };
      })();
    opts.beta = pick([1, 0, -1, 4, 0.25, 20]);
    if (last) opts.dataFormat = 'channelsLast';
    const n = shape.reduce((a, b) => a * b, 1);
    const x = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const r = rng();
      x[i] = Math.fround(r < 0.001 ? Infinity : r < 0.002 ? -Infinity : r < 0.0025 ? NaN : 6 * rng() - 3);
    }
    const outShape = refForwardOf({ fn, shape, opts, x: [], g: [], io: 'plain' }, new Float32Array(n)).shape;
    const m = outShape.reduce((a, b) => a * b, 1);
    const g = Array.from({ length: m }, () => Math.fround(2 * rng() - 1));
    return { fn, shape, opts, x, g, io: pick(['plain', 'wasmAll', 'out', 'wasmX'] as const) };
  }

  // a stream of small cases from the property generators, refilled in batches
  let pool: Case[] = [];
  let poolSeed = o.seed;
  const nextSmall = (): Case => {
    if (pool.length === 0) {
      const family: Family = FAMILIES[(poolSeed >>> 0) % FAMILIES.length];
      pool = fc.sample(caseArb(family), { seed: poolSeed++, numRuns: 200 }).filter((c) => !knownIssueOf(c));
    }
    return pool.pop() ?? nextSmall();
  };

  function runUnchecked(c: Case): number {
    const x = { data: Float32Array.from(c.x), shape: c.shape };
    if (/^[A-Z]/.test(c.fn)) {
      const L = libFn(c.fn) as unknown as new (o: object) => { forward(x: Tensor): Tensor; backward(g: Tensor): Tensor };
      const l = new L(c.opts);
      const y = l.forward(x);
      l.backward({ data: Float32Array.from(c.g), shape: y.shape });
      return 2;
    }
    const y = (libFn(c.fn) as AnyFn)(x, c.opts) as Tensor;
    (libFn(`${c.fn}Backward`) as AnyFn)(x, { data: Float32Array.from(c.g), shape: y.shape }, c.opts);
    return 2;
  }

  function badCall(c: Case): void {
    const f = libFn(/^[A-Z]/.test(c.fn) ? c.fn.replace(/^A/, 'a').replace(/^S/, 's') : c.fn) as AnyFn;
    const bad = pick([{ ...c.opts, beta: Infinity }, { ...c.opts, typo: 1 }, null]);
    try {
      f({ data: Float32Array.from(c.x), shape: c.shape }, bad);
    } catch (e) {
      if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
      return;
    }
    throw new Error(`soak: bad options ${JSON.stringify(bad)} were accepted by ${c.fn}`);
  }

  // warm-up
  for (let i = 0; i < 200; i++) runUnchecked(nextSmall());
  const s0 = lib.stats();
  let calls = 0, checks = 0, checkedCases = 0, large = 0, errors = 0, maxMemory = s0.memoryBytes, maxRss = process.memoryUsage().rss;
  const t0 = Date.now();
  let lastPrint = t0;
  let stop = false;
  process.on('SIGINT', () => { stop = true; });
  console.log(`soak: seed ${o.seed}, ${o.seconds} s, checking 1 call in ${o.checkEvery}, large problems ${o.large * 100}%`);
  for (let i = 0; !stop; i++) {
    const isLarge = rng() < o.large;
    const c = isLarge ? largeCase() : nextSmall();
    if (isLarge) large++;
    // reference checks on large problems are slow: check them less often
    const check = isLarge ? i % (o.checkEvery * 4) === 0 && c.x.length <= 60_000 : i % o.checkEvery === 0;
    try {
      if (check) {
        const r = runCase(c);
        checks += r.checks;
        checkedCases++;
        calls += 2;
      } else {
        calls += runUnchecked(c);
      }
      if (rng() < 0.05) { badCall(c); errors++; calls++; }
    } catch (e) {
      console.log(`\nsoak: FAILURE after ${calls} calls (seed ${o.seed}, iteration ${i})`);
      console.log(`  case (add to tests/regressions.test.ts): ${encodeCase(c).slice(0, 20_000)}`);
      console.log(`  ${e instanceof Error ? e.message.split('\n').filter((l) => !l.startsWith('  case: ')).slice(0, 10).join('\n  ') : String(e)}`);
      process.exitCode = 1;
      return;
    }
    const s = lib.stats();
    maxMemory = Math.max(maxMemory, s.memoryBytes);
    const now = Date.now();
    if (now - lastPrint > 10_000) {
      lastPrint = now;
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      console.log(`soak: ${((now - t0) / 1000).toFixed(0)} s, ${calls} calls, ${checks} checks passed, wasm memory ${s.memoryBytes} bytes, peak in use ${s.peakInUseBytes} bytes`);
    }
    if ((now - t0) / 1000 >= o.seconds) break;
    if (i % 64 === 0) await new Promise((r) => setImmediate(r)); // let Ctrl-C in
  }
  const s1 = lib.stats();
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  const secs = (Date.now() - t0) / 1000;
  console.log(`\nsoak: ${secs.toFixed(1)} s, seed ${o.seed}`);
  console.log(`  calls made           ${calls} (${large} medium/large problems, ${errors} bad calls)`);
  console.log(`  checks passed        ${checks} (on ${checkedCases} cases checked against the reference)`);
  console.log(`  peak wasm in use     ${s1.peakInUseBytes} bytes`);
  console.log(`  peak wasm memory     ${maxMemory} bytes (now ${s1.memoryBytes})`);
  console.log(`  peak process RSS     ${(maxRss / 2 ** 20).toFixed(1)} MiB`);
  if (s1.inUseBytes !== s0.inUseBytes) {
    console.log(`soak: FAILURE: ${s1.inUseBytes - s0.inUseBytes} wasm bytes still in use at the end (was ${s0.inUseBytes})`);
    process.exitCode = 1;
  } else {
    console.log(`  in use at the end    ${s1.inUseBytes} bytes (as after the warm-up): no leak`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
