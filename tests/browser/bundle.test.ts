// The browser bundles in headless Chromium: a page served from 127.0.0.1 imports
// dist/softpool.browser.js (which fetches build/*.wasm next to itself) or the single-file
// dist/softpool.inline.js, runs forward and backward on the shared cases (output widths and
// channel counts 1..9, so every SIMD tail) and the results are checked against the float64
// reference (tests/reference.ts). One page per configuration: the module loads once per page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCase, makeCases } from '../runtimes/cases.ts';
import { openSession, type Session } from './chromium.ts';

const cases = makeCases();
let s: Session;

before(async () => {
  s = await openSession(['dist', 'build', 'tests']);
});
after(async () => {
  await s?.close();
});

const configs: Array<[string, string, Record<string, unknown>, 'relaxed' | 'simd' | 'scalar', string]> = [
  ['browser bundle, init() (Chromium has relaxed SIMD)', 'browser', {}, 'relaxed', '/build/softpool.relaxed.wasm'],
  ["browser bundle, init({ backend: 'simd' })", 'browser', { backend: 'simd' }, 'simd', '/build/softpool.wasm'],
  ["browser bundle, init({ backend: 'scalar' })", 'browser', { backend: 'scalar' }, 'scalar', '/build/softpool.scalar.wasm'],
  ["browser bundle, init({ wasm: '/build/softpool.scalar.wasm' }) (a path is page-relative)", 'browser', { wasm: '/build/softpool.scalar.wasm' }, 'scalar', '/build/softpool.scalar.wasm'],
  ['single-file build, init() (embedded, fetches nothing)', 'inline', {}, 'relaxed', ''],
  ["single-file build, init({ backend: 'scalar' })", 'inline', { backend: 'scalar' }, 'scalar', ''],
];

describe('browser bundles in headless Chromium', () => {
  for (const [label, bundle, options, want, wasmPath] of configs) {
    it(`${label}: backend ${want}, ${cases.length} cases match the reference`, async () => {
      const wasmRequests: string[] = [];
      const onRequest = (r: { url(): string }) => { if (r.url().endsWith('.wasm')) wasmRequests.push(new URL(r.url()).pathname); };
      s.page.on('request', onRequest);
      try {
        await s.page.goto(`${s.base}tests/browser/page.html?bundle=${bundle}`);
        await s.page.waitForFunction(() => typeof (window as { runSuite?: unknown }).runSuite === 'function');
        const r = await s.page.evaluate(([o, c]) => (window as unknown as { runSuite(o: unknown, c: unknown): Promise<never> }).runSuite(o, c), [options, cases] as const);
        const out = r as { before: unknown; backend: string; simd: boolean; results: never[]; stats: { inUseBytes: number } };
        assert.equal(out.simd, true, 'Chromium supports WebAssembly SIMD');
        assert.equal(out.before, null);
        assert.equal(out.backend, want);
        const errors = cases.flatMap((c, i) => checkCase(c, out.results[i]));
        assert.equal(errors.length, 0, errors.slice(0, 10).join('\n'));
        assert.equal(out.stats.inUseBytes, 0);
        assert.deepEqual(wasmRequests, wasmPath ? [wasmPath] : [], 'the .wasm files fetched');
        assert.deepEqual(s.pageErrors, []);
        assert.deepEqual(s.outside, []);
      } finally {
        s.page.off('request', onRequest);
      }
    });
  }
});
