// Package layout: the exports map (Node, `browser` condition, `./inline`), what `npm pack` ships,
// what each bundle may contain, and the size budget of the SIMD module.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (f: string) => readFileSync(path.join(ROOT, f));
const pkg = JSON.parse(read('package.json').toString());

describe('package layout', () => {
  it("exports map: '.' (types, browser bundle, Node/Deno ESM) and './inline'", () => {
    const dot = pkg.exports['.'];
    assert.deepEqual(Object.keys(dot), ['types', 'browser', 'default'], 'types first, browser before default');
    assert.equal(dot.browser, './dist/softpool.browser.js');
    assert.equal(dot.default, './dist/index.js');
    assert.deepEqual(pkg.exports['./inline'], { types: './dist/index.d.ts', default: './dist/softpool.inline.js' });
    for (const f of [dot.types, dot.browser, dot.default, pkg.exports['./inline'].default]) assert.ok(existsSync(path.join(ROOT, f)), `${f} exists`);
  });
  it("Node resolves 'softpool-wasm' and 'softpool-wasm/inline' through the map", () => {
    assert.equal(fileURLToPath(import.meta.resolve('softpool-wasm')), path.join(ROOT, 'dist/index.js'));
    assert.equal(fileURLToPath(import.meta.resolve('softpool-wasm/inline')), path.join(ROOT, 'dist/softpool.inline.js'));
  });
  it('npm pack ships the loader, both bundles, both .wasm builds and the types', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const files = new Set<string>(JSON.parse(out)[0].files.map((f: { path: string }) => f.path));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/softpool.browser.js', 'dist/softpool.inline.js',
      'build/softpool.wasm', 'build/softpool.scalar.wasm', 'package.json']) {
      assert.ok(files.has(f), `${f} is in the package`);
    }
  });
});

describe('bundles', () => {
  const browser = read('dist/softpool.browser.js').toString();
  const inline = read('dist/softpool.inline.js').toString();
  const NODE_IMPORT = /(?:import\s*\(\s*|from\s*|import\s*)["']node:/;
  it('the browser bundle has no Node import and finds both builds next to itself', () => {
    assert.doesNotMatch(browser, NODE_IMPORT);
    assert.match(browser, /new URL\("\.\.\/build\/softpool\.wasm",import\.meta\.url\)/);
    assert.match(browser, /new URL\("\.\.\/build\/softpool\.scalar\.wasm",import\.meta\.url\)/);
    assert.match(browser, /new URL\("\.\.\/build\/softpool\.relaxed\.wasm",import\.meta\.url\)/);
  });
  it('the single-file build embeds all three builds and refers to no file and no Node import', () => {
    assert.doesNotMatch(inline, NODE_IMPORT);
    assert.doesNotMatch(inline, /build\/softpool/);
    assert.doesNotMatch(inline, /import\.meta/);
    assert.ok(inline.includes(read('build/softpool.wasm').toString('base64')), 'SIMD build embedded');
    assert.ok(inline.includes(read('build/softpool.scalar.wasm').toString('base64')), 'scalar build embedded');
    assert.ok(inline.includes(read('build/softpool.relaxed.wasm').toString('base64')), 'relaxed build embedded');
  });
  for (const file of ['build/softpool.wasm', 'build/softpool.relaxed.wasm']) {
    it(`${file} stays under 20 KB gzipped`, () => {
      const gz = gzipSync(new Uint8Array(read(file)), { level: 9 }).length;
      assert.ok(gz < 20 * 1024, `${file} is ${gz} bytes gzipped`);
    });
  }
});
