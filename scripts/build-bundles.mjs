#!/usr/bin/env node
// Builds the two bundles of the package (after `tsc` and the .wasm builds):
//   dist/softpool.browser.js  ESM for browsers and static file servers (the `browser`
//                             condition of the exports map); fetches ../build/softpool.wasm
//                             (or softpool.relaxed.wasm / softpool.scalar.wasm) relative to itself.
//   dist/softpool.inline.js   one file with all three .wasm builds embedded as base64
//                             (`softpool-wasm/inline`), for serverless/edge functions.
// Both come from js/index.ts; only js/platform.ts is swapped for a variant.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JS = path.join(ROOT, 'js');

/** Resolves js/*'s `./platform.js` to another file of js/. */
function platform(file) {
  return {
    name: `platform:${file}`,
    setup(build) {
      build.onResolve({ filter: /^\.\/platform\.js$/ }, (args) =>
        path.dirname(args.importer) === JS ? { path: path.join(JS, file) } : undefined);
    },
  };
}

const base64 = (file) => readFileSync(path.join(ROOT, 'build', file)).toString('base64');

const common = {
  absWorkingDir: ROOT,
  entryPoints: ['js/index.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

await esbuild.build({
  ...common,
  platform: 'browser',
  outfile: 'dist/softpool.browser.js',
  sourcemap: 'linked',
  plugins: [platform('platform.browser.ts')],
});

await esbuild.build({
  ...common,
  platform: 'neutral',
  outfile: 'dist/softpool.inline.js',
  plugins: [platform('platform.inline.ts')],
  define: {
    __SOFTPOOL_SIMD_WASM_BASE64__: JSON.stringify(base64('softpool.wasm')),
    __SOFTPOOL_SCALAR_WASM_BASE64__: JSON.stringify(base64('softpool.scalar.wasm')),
    __SOFTPOOL_RELAXED_WASM_BASE64__: JSON.stringify(base64('softpool.relaxed.wasm')),
  },
});
