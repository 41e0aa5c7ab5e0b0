// platform.ts for the browser bundle (dist/softpool.browser.js): no Node or Deno code, so
// bundlers and browsers never see a `node:` import. The packaged module is fetched from
// `../build/` next to the bundle, written as `new URL(literal, import.meta.url)` so that
// bundlers (Vite, webpack, Parcel, esbuild's file loader) can find and copy it.

import { fetchBytes, pageUrl, type Backend } from './platform-common.js';

export type { Backend };
export { fetchBytes };

export function packagedWasm(backend: Backend): URL | Uint8Array {
  if (backend === 'relaxed') return new URL('../build/softpool.relaxed.wasm', import.meta.url);
  return backend === 'simd'
    ? new URL('../build/softpool.wasm', import.meta.url)
    : new URL('../build/softpool.scalar.wasm', import.meta.url);
}

/** In a browser a path is a URL relative to the page. */
export async function readLocal(path: string | URL): Promise<ArrayBuffer | Uint8Array> {
  return fetchBytes(typeof path === 'string' ? pageUrl(path) : path);
}
