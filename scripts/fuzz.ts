// npm run fuzz [-- options]: the property tests of tests/property.test.ts with random seeds, for
// as long as you like (Ctrl-C or --seconds). On a failure it prints the family, seed and path
// (to replay it), the shrunk case as JSON (paste it into tests/regressions.test.ts) and the
// error, saves them to out/fuzz/, and exits with status 1.
//
//   --seconds N        stop after N seconds (default: run until Ctrl-C)
//   --seed S           first seed (default: random); batch i uses S + i
//   --family F[,F...]  only these families (default: all): softPool1d softPool2d softPool3d
//                      adaptiveSoftPool1d adaptiveSoftPool2d adaptiveSoftPool3d SoftPoolLayer AdaptiveSoftPoolLayer
//   --runs N           cases per batch (default 200)
//   --path P           replay: with --seed and one --family, run exactly the failing case
//   --include-known    do not skip cases in the regime of a known bug (tests/fuzz/known.ts)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { FAMILIES, encodeCase, type Case, type Family } from '../tests/fuzz/cases.ts';
import { lib, fallbackStats } from '../tests/fuzz/run.ts';
import { familyProperty, type PropertyStats } from '../tests/fuzz/property.ts';

function parseArgs(argv: string[]) {
  const o = { seconds: Infinity, seed: undefined as number | undefined, families: [...FAMILIES] as Family[], runs: 200, path: undefined as string | undefined, includeKnown: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`fuzz: ${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--seconds': o.seconds = Number(next()); break;
      case '--seed': o.seed = Number(next()) | 0; break;
      case '--family': case '--families': {
        const list = next().split(',').filter(Boolean);
        for (const f of list) if (!(FAMILIES as readonly string[]).includes(f)) throw new Error(`fuzz: unknown family ${f} (known: ${FAMILIES.join(', ')})`);
        o.families = list as Family[];
        break;
      }
      case '--runs': o.runs = Math.max(1, Number(next()) | 0); break;
      case '--path': o.path = next(); break;
      case '--include-known': o.includeKnown = true; break;
      case '-h': case '--help':
        console.log('usage: npm run fuzz -- [--seconds N] [--seed S] [--family F[,F]] [--runs N] [--path P] [--include-known]');
        process.exit(0);
        break;
      default: throw new Error(`fuzz: unknown argument ${a}`);
    }
  }
  if (!(o.seconds > 0)) throw new Error('fuzz: --seconds must be a positive number');
  if (o.path !== undefined && (o.seed === undefined || o.families.length !== 1)) throw new Error('fuzz: --path needs --seed and exactly one --family');
  return o;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function report(family: Family, seed: number, details: fc.RunDetails<[Case]>): void {
  const c = details.counterexample?.[0];
  const json = c ? encodeCase(c) : '(no counterexample)';
  const err = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const replay = `npm run fuzz -- --family ${family} --seed ${seed} --path "${details.counterexamplePath}"`;
  const dir = join(root, 'out', 'fuzz');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `failure-${family}-${seed >>> 0}.json`);
  writeFileSync(file, JSON.stringify({ family, seed, path: details.counterexamplePath, replay, case: JSON.parse(json), error: err }, null, 2) + '\n');
  console.log(`\nFAILURE in ${family} after ${details.numRuns} cases of this batch (shrunk ${details.numShrinks} times)`);
  console.log(`  seed ${seed}  path ${details.counterexamplePath}`);
  console.log(`  replay: ${replay}`);
  console.log(`  saved:  ${file}`);
  console.log(`  regression case (add to tests/regressions.test.ts):\n${json}`);
  console.log(`  error: ${err.split('\n').filter((l) => !l.startsWith('  case: ')).slice(0, 12).join('\n  ')}`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await lib.init();
  const baseSeed = o.seed ?? ((Math.random() * 2 ** 32) | 0);
  const stats: Record<string, PropertyStats> = {};
  for (const f of o.families) stats[f] = { cases: 0, checks: 0, skippedKnown: 0 };

  if (o.path !== undefined) {
    const family = o.families[0];
    console.log(`fuzz: replaying ${family} seed ${baseSeed} path ${o.path}`);
    const d = fc.check(familyProperty(family, stats[family], o.includeKnown), { seed: baseSeed, path: o.path, endOnFailure: true });
    if (d.failed) { report(family, baseSeed, d); process.exitCode = 1; } else console.log('fuzz: the case passes now');
    return;
  }

  let stop = false;
  process.on('SIGINT', () => { stop = true; });
  const t0 = Date.now();
  let lastPrint = t0;
  console.log(`fuzz: base seed ${baseSeed}, families ${o.families.join(', ')}, ${o.runs} cases per batch, ` +
    `${Number.isFinite(o.seconds) ? `${o.seconds} s` : 'until Ctrl-C'}${o.includeKnown ? ', known bugs included' : ''}`);
  for (let batch = 0; !stop; batch++) {
    const family = o.families[batch % o.families.length];
    const seed = (baseSeed + batch) | 0;
    const d = fc.check(familyProperty(family, stats[family], o.includeKnown), { seed, numRuns: o.runs, maxSkipsPerRun: 10 });
    if (d.failed) {
      report(family, seed, d);
      process.exitCode = 1;
      break;
    }
    const now = Date.now();
    if (now - lastPrint > 10_000) {
      lastPrint = now;
      const total = Object.values(stats).reduce((a, s) => a + s.cases, 0);
      console.log(`fuzz: ${((now - t0) / 1000).toFixed(0)} s, ${total} cases, last seed ${seed}, wasm memory ${lib.stats().memoryBytes} bytes`);
    }
    if ((now - t0) / 1000 >= o.seconds) break;
    await new Promise((r) => setImmediate(r)); // let Ctrl-C in
  }
  const elapsed = (Date.now() - t0) / 1000;
  console.log(`\nfuzz: ${elapsed.toFixed(1)} s, base seed ${baseSeed}`);
  for (const [f, s] of Object.entries(stats)) {
    console.log(`  ${f.padEnd(22)} ${String(s.cases).padStart(8)} cases ${String(s.checks).padStart(9)} checks ${String(s.skippedKnown).padStart(6)} skipped (known bugs)`);
  }
  console.log(`  backward judged by the centred float64 evaluation (reference.ts cancellation): ${fallbackStats.used}`);
  if (!process.exitCode) console.log('fuzz: no failure');
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
