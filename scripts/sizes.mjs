#!/usr/bin/env node
// Prints the size of each artefact, raw and gzipped (zlib level 9), as a Markdown table
// (`npm run sizes`; the README's "Runtimes and bundles" section quotes it).
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ARTEFACTS = [
  ['build/softpool.relaxed.wasm', 'relaxed-SIMD module (FMA; the default where supported)'],
  ['build/softpool.wasm', 'SIMD module (the default elsewhere)'],
  ['build/softpool.scalar.wasm', 'scalar module (no SIMD)'],
  ['dist/softpool.browser.js', 'browser ESM bundle (fetches a .wasm)'],
  ['dist/softpool.inline.js', 'single file, all three modules embedded'],
];

export function sizes() {
  return ARTEFACTS.map(([file, what]) => {
    const p = path.join(ROOT, file);
    if (!existsSync(p)) return { file, what, raw: NaN, gzip: NaN };
    const bytes = readFileSync(p);
    return { file, what, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log('| file | what | raw | gzipped |\n|---|---|---|---|');
  for (const s of sizes()) console.log(`| \`${s.file}\` | ${s.what} | ${kb(s.raw)} | ${kb(s.gzip)} |`);
}
