// TensorFlow.js with its WebAssembly backend, single-threaded SIMD build, SoftPool
// as a composite of ops in NHWC (TF.js pooling is channels-last):
//
//   m = max(x, axes=spatial)           per-plane max, a constant shift: y does not depend on it
//   e = exp(beta * (x - m))
//   y = avgPool(e * x) / avgPool(e)    the divisors cancel; padded cells add 0 to both sums
//
// 1D runs as 2D with H = 1 ([N, 1, L, C], kernel [1, k]: tfjs has no 1D pooling op); 3D uses
// tf.avgPool3d on [N, D, H, W, C] (the wasm backend has AvgPool3D and AvgPool3DGrad kernels).
//
// Padding: the forward pass uses avgPool's own explicit padding. Its gradient does not match
// it: the forward AvgPool divides each window by the cells inside the input, AvgPoolGrad by the
// full kernel area, so edge gradients come out scaled (measured: max error 1.4 on W2). The
// fwd+bwd pass therefore zero-pads e*x and e with tf.pad and pools 'valid': both divisors are
// then the kernel area and cancel, and padded cells add 0 to both sums.
//
// The per-plane max (not a per-window one) is the simple composite: a per-cell max over all
// windows containing the cell has no single op. Its weakness: if a plane's values span more
// than ~87/|beta|, every e in a window far below the plane max underflows to 0 and that window
// gives 0/0 = NaN; this library subtracts each window's own pivot and cannot underflow so.
// The benchmark data (standard normal, beta 1) stays far from that.
//
// Input arrives already channels last (channels-first workloads are transposed outside the
// timing; channelsLast ones are tfjs's native layout and used as is); timing covers making the
// input tensor (copy in), the ops, and dataSync() (copy out). The backward pass is
// tf.valueAndGrads over (x, beta) with gradOutput as dy; m is computed outside the
// differentiated function (as a constant), which is exact because y is invariant to it.
//
// Gradients: tfjs-core's Node build (dist/tf-core.node.js) ships without the gradient
// definitions; they live in dist/register_all_gradients.js, an ES module with extensionless
// imports that Node cannot load as is (the @tensorflow/tfjs union package imports it for
// bundlers). setup() bundles that file with esbuild (a devDependency already) and imports the
// bundle: the definitions register in tfjs's global gradient registry, which every copy of
// tfjs-core shares. Those are tfjs's own gradients; the kernels (AvgPoolGrad, ...) are the
// wasm backend's.

import { createRequire } from 'node:module';
import path from 'node:path';
import { toChannelsLast, toChannelsFirst } from '../lib/util.mjs';

/** Registers tfjs-core's own gradient definitions (see above). */
async function registerGradients(require) {
  const { build } = await import('esbuild');
  const core = path.dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
  const out = await build({
    entryPoints: [path.join(core, 'dist', 'register_all_gradients.js')],
    bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'warning',
  });
  const code = Buffer.from(out.outputFiles[0].contents).toString('base64');
  await import(`data:text/javascript;base64,${code}`);
}

export function tfjsWasm() {
  let tf;
  return {
    name: 'tfjs-wasm',
    description: 'TF.js 4 wasm backend (SIMD build, 1 thread), composite of ops in NHWC',
    async setup() {
      tf = await import('@tensorflow/tfjs-core');
      const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      // The backend's .wasm files ship inside the npm package: load them from node_modules.
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
      setWasmPaths(dir + path.sep);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // single-threaded build
      const ok = await tf.setBackend('wasm');
      if (!ok || tf.getBackend() !== 'wasm') throw new Error('the wasm backend did not initialise');
      if (!tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) throw new Error('the SIMD build is not in use');
      if (!tf.getGradient('RealDiv')) await registerGradients(require);
      if (!tf.getGradient('AvgPool')) throw new Error('tfjs gradient definitions are not registered');
      return { build: 'tfjs-backend-wasm-simd.wasm', threads: 1, gradients: 'tfjs-core dist/register_all_gradients.js, bundled with esbuild' };
    },
    unsupported(w) {
      const p = w.geo.padding;
      if (w.dims === 3 && p.some((v) => v !== p[0])) return 'tf.avgPool3d takes one padding number for all three dims';
      return null;
    },
    prepare(w) {
      const { N, C, dims } = w;
      // tfjs view of the spatial dims: 1D as [1, L]
      const sp = dims === 1 ? [1, ...w.spatial] : w.spatial;
      const osp = dims === 1 ? [1, ...w.outSize] : w.outSize;
      const lift = (a, v) => (dims === 1 ? [v, ...a] : a);
      const k = lift(w.geo.kernel, 1), st = lift(w.geo.stride, 1), pd = lift(w.geo.padding, 0);
      const rank = sp.length + 2;
      const zero = pd.every((v) => v === 0);
      const explicit = [[0, 0], ...pd.map((v) => [v, v]), [0, 0]];
      return {
        rank,
        xShape: [N, ...sp, C],
        gShape: [N, ...osp, C],
        // channels last in, untimed; a channelsLast workload is already in tfjs's layout
        x: w.channelsLast ? w.x.data : toChannelsLast(w.x.data, w.ncShape),
        g: w.channelsLast ? w.g.data : toChannelsLast(w.g.data, w.ncOutShape),
        channelsLast: w.channelsLast,
        ncShape: w.ncShape,
        ncOutShape: w.ncOutShape,
        axes: sp.map((_, i) => i + 1),
        k, s: st, beta: w.geo.beta,
        // forward: the pooling op's own padding (pad cells excluded from its divisor, which cancels)
        pad: zero ? 'valid' : rank === 5 || pd.every((v) => v === pd[0]) ? pd[0] : explicit,
        // backward: explicit zero padding of e*x and e, then 'valid' pooling (see the header)
        zeroPad: zero ? null : explicit,
      };
    },
    forward(s) {
      let out;
      tf.tidy(() => {
        const x = tf.tensor(s.x, s.xShape, 'float32');
        const m = tf.max(x, s.axes, true);
        const e = tf.exp(tf.mul(tf.sub(x, m), tf.scalar(s.beta)));
        const pool = (t) => (s.rank === 5 ? tf.avgPool3d(t, s.k, s.s, s.pad) : tf.avgPool(t, s.k, s.s, s.pad));
        const y = tf.div(pool(tf.mul(e, x)), pool(e));
        out = y.dataSync();
      });
      return out;
    },
    forwardBackward(s) {
      let out;
      tf.tidy(() => {
        const x = tf.tensor(s.x, s.xShape, 'float32');
        const dy = tf.tensor(s.g, s.gShape, 'float32');
        const b = tf.scalar(s.beta);
        const m = tf.max(x, s.axes, true);
        const valid = (t) => (s.rank === 5 ? tf.avgPool3d(t, s.k, s.s, 'valid') : tf.avgPool(t, s.k, s.s, 'valid'));
        const pool = s.zeroPad ? (t) => valid(tf.pad(t, s.zeroPad)) : valid;
        const f = (xx, bb) => {
          const e = tf.exp(tf.mul(tf.sub(xx, m), bb));
          return tf.div(pool(tf.mul(e, xx)), pool(e));
        };
        const { value, grads } = tf.valueAndGrads(f)([x, b], dy);
        out = { y: value.dataSync(), gradInput: grads[0].dataSync(), gradBeta: grads[1].dataSync()[0] };
      });
      return out;
    },
    // back to the library's layout for validation (untimed)
    readForward(r, s) { return s.channelsLast ? r : toChannelsFirst(r, s.ncOutShape); },
    readBackward(r, s) {
      if (s.channelsLast) return r;
      return { y: toChannelsFirst(r.y, s.ncOutShape), gradInput: toChannelsFirst(r.gradInput, s.ncShape), gradBeta: r.gradBeta };
    },
    dispose() {
      const n = tf.memory().numTensors;
      if (n !== 0) console.warn(`tfjs: ${n} tensors leaked`);
    },
  };
}
