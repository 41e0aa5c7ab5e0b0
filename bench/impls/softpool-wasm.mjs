// This library through its public API: softPool1d / 2d / 3d and their Backward for 1-3
// spatial dims; channelsLast workloads pass dataFormat: 'channelsLast' (in w.options).
//
//   copy mode (default): plain Float32Array tensors in and out; every call copies the input
//     into wasm memory and the result out into a fresh array, exactly as a user pays for it.
//   zeroCopy: x, gradOutput and the outputs are allocTensor() tensors living in wasm memory
//     (filled once, untimed) and results go to options.out: the timing is the kernels plus
//     argument checks, no copies.
//
// init() is per module instance, so another build of the .wasm (e.g. the scalar one) needs its
// own copy of the loader: freshCopy() bundles dist/index.js with esbuild into one module and
// imports it under a new URL, which gives it its own state.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {object} o
 * @param {string} o.name      label in the table
 * @param {() => Promise<any>} o.load  returns the module namespace (init, softPool{1,2,3}d[Backward], allocTensor)
 * @param {object} [o.initOptions]     passed to init(), e.g. { wasm: path } for another build
 * @param {boolean} [o.zeroCopy]       use allocTensor() tensors and options.out
 * @param {string} [o.source]          where the module comes from, recorded in results.json
 */
export function softpoolWasm({ name, load, initOptions, zeroCopy = false, source, description }) {
  let lib;
  return {
    name,
    description: description ?? (zeroCopy
      ? 'this library, zero-copy API: allocTensor() inputs and options.out (no copies timed)'
      : 'this library, public API (copies in and out included)'),
    async setup() {
      lib = await load();
      await lib.init(initOptions);
      if (zeroCopy && typeof lib.allocTensor !== 'function') throw new Error('this build of the library has no allocTensor()');
      return { source: source ?? null, wasm: initOptions?.wasm ? String(initOptions.wasm) : 'default (init() picks)', backend: lib.backend?.() ?? null, zeroCopy };
    },
    unsupported(w) {
      return typeof lib[`softPool${w.dims}d`] === 'function' ? null : `this build of the library has no softPool${w.dims}d`;
    },
    prepare(w) {
      const fns = { fwd: lib[`softPool${w.dims}d`], bwd: lib[`softPool${w.dims}dBackward`] };
      if (!zeroCopy) return { x: w.x, g: w.g, options: w.options, ...fns };
      const tensor = (t) => { const wt = lib.allocTensor(t.shape); wt.data.set(t.data); return wt; };
      // allocate everything first: a later allocation may grow memory (views are re-made by .data)
      const s = { x: tensor(w.x), g: tensor(w.g), y: lib.allocTensor(w.outShape), gx: lib.allocTensor(w.shape), options: w.options, ...fns };
      s.fwdOptions = { ...w.options, out: s.y };
      s.bwdOptions = { ...w.options, out: s.gx };
      return s;
    },
    forward(s) {
      return zeroCopy ? s.fwd(s.x, s.fwdOptions) : s.fwd(s.x, s.options).data;
    },
    forwardBackward(s) {
      if (zeroCopy) {
        s.fwd(s.x, s.fwdOptions);
        const { gradBeta } = s.bwd(s.x, s.g, s.bwdOptions);
        return { gradBeta };
      }
      const y = s.fwd(s.x, s.options);
      const { gradInput, gradBeta } = s.bwd(s.x, s.g, s.options);
      return { y: y.data, gradInput: gradInput.data, gradBeta };
    },
    readForward(r, s) { return zeroCopy ? s.y.data.slice() : r; },
    readBackward(r, s) { return zeroCopy ? { y: s.y.data.slice(), gradInput: s.gx.data.slice(), gradBeta: r.gradBeta } : r; },
    dispose(s) {
      if (zeroCopy) for (const t of [s.x, s.g, s.y, s.gx]) t.dispose();
    },
  };
}

let copies = 0;

/** Imports an independent copy of the library at entryUrl (its own init() state). */
export async function freshCopy(entryUrl) {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [fileURLToPath(entryUrl)], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'error',
  });
  // Modules are cached by URL: a distinct comment per copy gives each copy its own instance.
  const source = `${Buffer.from(out.outputFiles[0].contents).toString()}\n// copy ${++copies}\n`;
  return import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
}

/** A file next to the library's dist/, e.g. build/softpool.scalar.wasm. */
export function besideDist(entryUrl, ...rel) {
  return path.join(path.dirname(fileURLToPath(entryUrl)), '..', ...rel);
}
