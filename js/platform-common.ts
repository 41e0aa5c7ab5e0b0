// Helpers shared by platform.ts and its bundle variants (platform.browser.ts, platform.inline.ts).

export type { Backend } from './types.js';

export async function fetchBytes(url: URL): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`init: fetching ${url.href} failed with HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** A path outside Node and Deno: a URL relative to the page (or worker) that runs the code. */
export function pageUrl(path: string): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (base === undefined) {
    throw new TypeError(`init: options.wasm '${path}' is a path, but this runtime has no file system or page URL; pass a URL, the bytes, a Response or a WebAssembly.Module`);
  }
  return new URL(path, base);
}

export interface DenoLike { readFile(path: string | URL): Promise<Uint8Array> }
export const deno = (): DenoLike | undefined => (globalThis as { Deno?: DenoLike }).Deno;
