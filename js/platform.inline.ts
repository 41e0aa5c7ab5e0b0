// platform.ts for the single-file build (dist/softpool.inline.js, `softpool-wasm/inline`):
// all three modules are embedded as base64 (esbuild's `define` fills the three constants), so
// init() needs no file and no network. It has no `node:` import either, for edge bundlers.

import { deno, fetchBytes, pageUrl, type Backend } from './platform-common.js';

export type { Backend };
export { fetchBytes };

declare const __SOFTPOOL_SIMD_WASM_BASE64__: string;
declare const __SOFTPOOL_SCALAR_WASM_BASE64__: string;
declare const __SOFTPOOL_RELAXED_WASM_BASE64__: string;

export function packagedWasm(backend: Backend): URL | Uint8Array {
  if (typeof __SOFTPOOL_SIMD_WASM_BASE64__ !== 'string') {
    throw new Error('softpool-wasm: platform.inline is only usable through the single-file build (softpool-wasm/inline)');
  }
  const text = backend === 'relaxed' ? __SOFTPOOL_RELAXED_WASM_BASE64__
    : backend === 'simd' ? __SOFTPOOL_SIMD_WASM_BASE64__ : __SOFTPOOL_SCALAR_WASM_BASE64__;
  return decodeBase64(text);
}

export function decodeBase64(text: string): Uint8Array {
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (typeof fromBase64 === 'function') return fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

interface NodeFs { readFile(path: string | URL): Promise<Uint8Array> }
interface NodeProcess { versions?: { node?: string }; getBuiltinModule?(id: string): unknown }

/** Paths and file: URLs: Node (>= 20.16, through process.getBuiltinModule), Deno, or a page-relative URL. */
export async function readLocal(path: string | URL): Promise<ArrayBuffer | Uint8Array> {
  const d = deno();
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (d === undefined && typeof proc?.versions?.node === 'string') {
    const fs = proc.getBuiltinModule?.('node:fs/promises') as NodeFs | undefined;
    if (fs === undefined) {
      throw new Error('init: the single-file build reads files only on Node >= 20.16; pass the bytes (e.g. from fs.readFile) instead');
    }
    return fs.readFile(path);
  }
  if (d !== undefined && typeof path === 'string') return d.readFile(path);
  return fetchBytes(typeof path === 'string' ? pageUrl(path) : path);
}
