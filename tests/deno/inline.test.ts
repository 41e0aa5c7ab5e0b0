// The single-file build (dist/softpool.inline.js) under Deno: copied alone into an empty temp
// folder and imported from there by a child `deno run` that may read only that folder and the
// driver's (no --allow-net, no other files): init() must use the embedded .wasm.
import { checkCase, makeCases } from '../runtimes/cases.ts';

const ROOT = new URL('../../', import.meta.url);
const cases = makeCases();

async function prepare(): Promise<{ bundleDir: string; driverDir: string }> {
  const bundleDir = await Deno.makeTempDir({ prefix: 'softpool-inline-' });
  const driverDir = await Deno.makeTempDir({ prefix: 'softpool-driver-' });
  await Deno.copyFile(new URL('dist/softpool.inline.js', ROOT), `${bundleDir}/softpool.inline.js`);
  for (const f of ['inline-driver.js', 'run-case.js']) await Deno.copyFile(new URL(`tests/runtimes/${f}`, ROOT), `${driverDir}/${f}`);
  await Deno.writeTextFile(`${driverDir}/cases.js`, `export const cases = ${JSON.stringify(cases)};\n`);
  return { bundleDir, driverDir };
}

async function runInline(options: object) {
  const { bundleDir, driverDir } = await prepare();
  try {
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ['run', '--no-prompt', '--no-config', `--allow-read=${bundleDir},${driverDir}`,
        `${driverDir}/inline-driver.js`, `file://${bundleDir}/softpool.inline.js`, JSON.stringify(options)],
      cwd: bundleDir,
      env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
      stdout: 'piped',
      stderr: 'piped',
    });
    const out = await cmd.output();
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`deno run exited with ${out.code}\n${stderr}`);
    const entries = [...Deno.readDirSync(bundleDir)].map((e) => e.name);
    if (entries.length !== 1) throw new Error(`the bundle folder holds ${entries.join(', ')}`);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(bundleDir, { recursive: true });
    await Deno.remove(driverDir, { recursive: true });
  }
}

for (const [label, options, want] of [
  ['init() with no argument (embedded relaxed-SIMD build)', {}, 'relaxed'],
  ["init({ backend: 'simd' }) (embedded SIMD build)", { backend: 'simd' }, 'simd'],
  ["init({ backend: 'scalar' }) (embedded scalar build)", { backend: 'scalar' }, 'scalar'],
] as const) {
  Deno.test(`softpool-wasm/inline, alone in a temp folder: ${label}; ${cases.length} reference cases`, async () => {
    const r = await runInline(options);
    if (r.before !== null) throw new Error(`backend() before init: ${r.before}`);
    if (r.backend !== want) throw new Error(`backend() = ${r.backend}, want ${want}`);
    const errors = cases.flatMap((c, i) => checkCase(c, r.results[i]));
    if (errors.length) throw new Error(errors.slice(0, 10).join('\n'));
  });
}
