// init() sources and backends under Deno, each in a fresh `deno run` (the module loads once
// per process). The child imports the public API through tests/deno/deno.json's import map.
const ROOT = new URL('../../', import.meta.url);
const CONFIG = new URL('tests/deno/deno.json', ROOT).pathname;
const WANT = Math.fround(0.75 * Math.log(3)); // 1x2 window [0, ln 3], beta 1

const PRELUDE = `
import { init, backend, softPool2d } from 'softpool-wasm';
const simdUrl = new URL('build/softpool.wasm', ${JSON.stringify(ROOT.href)});
const scalarUrl = new URL('build/softpool.scalar.wasm', ${JSON.stringify(ROOT.href)});
const report = () => {
  const y = softPool2d({ data: Float32Array.of(0, Math.log(3)), shape: [1, 1, 2] }, { kernelSize: [1, 2] });
  console.log(JSON.stringify({ backend: backend(), y: y.data[0] }));
};
`;

async function child(code: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', '--no-prompt', '--config', CONFIG, '--allow-read', '-'],
    cwd: new URL('.', ROOT).pathname,
    env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    stdin: 'piped', stdout: 'piped', stderr: 'piped',
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(PRELUDE + code));
  await w.close();
  const r = await out.output();
  return { ok: r.success, stdout: new TextDecoder().decode(r.stdout), stderr: new TextDecoder().decode(r.stderr) };
}

const sources: Array<[string, string, 'relaxed' | 'simd' | 'scalar']> = [
  ['no options (the fastest build: relaxed SIMD)', 'await init();', 'relaxed'],
  ["backend 'relaxed'", "await init({ backend: 'relaxed' });", 'relaxed'],
  ['the relaxed build by path (detected)', "await init({ wasm: 'build/softpool.relaxed.wasm' });", 'relaxed'],
  ['a path string', "await init({ wasm: 'build/softpool.wasm' });", 'simd'],
  ['a file: URL', 'await init({ wasm: simdUrl });', 'simd'],
  ['a file: URL string', 'await init({ wasm: simdUrl.href });', 'simd'],
  ['bytes (Uint8Array)', 'await init({ wasm: await Deno.readFile(simdUrl) });', 'simd'],
  ['an ArrayBuffer of the scalar build (detected)', 'await init({ wasm: (await Deno.readFile(scalarUrl)).buffer });', 'scalar'],
  ['a Response from fetch()', 'await init({ wasm: await fetch(simdUrl) });', 'simd'],
  ['a compiled WebAssembly.Module', 'await init({ wasm: await WebAssembly.compile(await Deno.readFile(simdUrl)) });', 'simd'],
  ["backend 'scalar' (packaged scalar build)", "await init({ backend: 'scalar' });", 'scalar'],
  ["backend 'simd'", "await init({ backend: 'simd' });", 'simd'],
  ['a scalar Module with backend scalar', "await init({ wasm: await WebAssembly.compile(await Deno.readFile(scalarUrl)), backend: 'scalar' });", 'scalar'],
];

for (const [label, code, want] of sources) {
  Deno.test(`init with ${label} -> backend ${want}, correct result`, async () => {
    const r = await child(code + '\nreport();');
    if (!r.ok) throw new Error(`child failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim());
    if (out.backend !== want) throw new Error(`backend() = ${out.backend}, want ${want}`);
    if (!(Math.abs(out.y - WANT) <= 1e-6)) throw new Error(`y = ${out.y}, want ${WANT}`);
  });
}

Deno.test('without WebAssembly SIMD, init() falls back to the scalar build and backend simd is refused clearly', async () => {
  const r = await child(`
const validate = WebAssembly.validate;
WebAssembly.validate = (bytes) => { const b = new Uint8Array(bytes.buffer ?? bytes); return b.includes(0xfd) ? false : validate(bytes); };
let message = '';
try { await init({ backend: 'simd' }); } catch (e) { message = e.message; }
if (!/does not support WebAssembly SIMD/.test(message)) throw new Error('no clear error: ' + message);
await init();
report();`);
  if (!r.ok) throw new Error(`child failed:\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim());
  if (out.backend !== 'scalar') throw new Error(`backend() = ${out.backend}`);
  if (!(Math.abs(out.y - WANT) <= 1e-6)) throw new Error(`y = ${out.y}`);
});
