// onnxruntime-web, wasm execution provider, numThreads = 1, its .wasm loaded from
// node_modules. The model is the same composite as tfjs's, in NCHW (ONNX's layout), written
// as protobuf bytes by bench/lib/onnx.mjs: ReduceMax / Sub / Mul / Exp / Mul / AveragePool x2 / Div.
// AveragePool and ReduceMax take 1 to 3 spatial dims, so the graph is the same for 1D ([N,C,L])
// and 3D ([N,C,D,H,W]). ONNX pooling is channels first only: a channelsLast workload's input is
// transposed to channels first outside the timing and the output back for validation (as tfjs
// gets its NHWC input for free on channels-first workloads).
// ONNX Runtime Web is an inference runtime: no training graph, so forward only.
// Timing covers making the input ort.Tensor, session.run (copy in, kernels, copy out).

import { createRequire } from 'node:module';
import path from 'node:path';
import { softPoolModel } from '../lib/onnx.mjs';
import { toChannelsFirst, toChannelsLast } from '../lib/util.mjs';

export function onnxruntimeWeb() {
  let ort;
  return {
    name: 'onnxruntime-web',
    description: 'ONNX Runtime Web, wasm EP (SIMD, 1 thread), composite graph in NCHW, forward only',
    async setup() {
      ort = await import('onnxruntime-web');
      const require = createRequire(import.meta.url);
      const dist = path.dirname(require.resolve('onnxruntime-web'));
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.simd = true;
      ort.env.wasm.wasmPaths = dist + path.sep;
      ort.env.logLevel = 'error';
      return { threads: 1 };
    },
    unsupported(w, pass) {
      return pass === 'fwd+bwd' ? 'onnxruntime-web runs inference graphs only (no gradients)' : null;
    },
    async prepare(w) {
      const model = softPoolModel({ shape: w.ncShape, kernel: w.geo.kernel, stride: w.geo.stride, padding: w.geo.padding, beta: w.geo.beta });
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      // channels first in, untimed
      const x = w.channelsLast ? toChannelsFirst(w.x.data, w.ncShape) : w.x.data;
      return { session, x, shape: w.ncShape, channelsLast: w.channelsLast, ncOutShape: w.ncOutShape };
    },
    async forward(s) {
      const r = await s.session.run({ X: new ort.Tensor('float32', s.x, s.shape) });
      return r.Y.data;
    },
    // back to the library's layout for validation (untimed)
    readForward(r, s) { return s.channelsLast ? toChannelsLast(r, s.ncOutShape) : r; },
    async dispose(s) { await s.session.release(); },
  };
}
