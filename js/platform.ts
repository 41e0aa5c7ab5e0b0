// Where the packaged modules are and how local files are read, for the ESM build in dist/
// (Node, Deno, and browsers that load dist/index.js unbundled). The bundles swap this module
// (scripts/build-bundles.mjs): platform.browser.ts has no Node code, platform.inline.ts
// carries the modules inside the file.

import { deno, fetchBytes, pageUrl, type Backend } from './platform-common.js';

export type { Backend };
export { fetchBytes };

/** The packaged module of a build: a URL next to dist/, fetched or read by the caller. */
export function packagedWasm(backend: Backend): URL | Uint8Array {
  if (backend === 'relaxed') return new URL('../build/softpool.relaxed.wasm', import.meta.url);
  return backend === 'simd'
    ? new URL('../build/softpool.wasm', import.meta.url)
    : new URL('../build/softpool.scalar.wasm', import.meta.url);
}

function isNode(): boolean {
  return deno() === undefined && typeof process === 'object' && process !== null && typeof process.versions?.node === 'string';
}

/**
 * Reads a file path or a `file:` URL: Node reads the file, Deno fetches the URL (or reads
 * the path), elsewhere a path is a URL relative to the page.
 */
export async function readLocal(path: string | URL): Promise<ArrayBuffer | Uint8Array> {
  if (isNode()) {
    const fs = await import('node:fs/promises');
    const bytes = await fs.readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const d = deno();
  if (d !== undefined && typeof path === 'string') return d.readFile(path);
  return fetchBytes(typeof path === 'string' ? pageUrl(path) : path);
}
