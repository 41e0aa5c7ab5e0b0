// onnxruntime-web, wasm execution provider, numThreads = 1, its .wasm loaded from
// node_modules. The model is the same composite as tfjs's, in NCHW (ONNX's layout), written
// as protobuf bytes by bench/lib/onnx.mjs: ReduceMax / Sub / Mul / Exp / Mul / AveragePool x2 / Div.
// ONNX Runtime Web is an inference runtime: no training graph, so forward only.
// Timing covers making the input ort.Tensor, session.run (copy in, kernels, copy out).

import { createRequire } from 'node:module';
import path from 'node:path';
import { softPoolModel } from '../lib/onnx.mjs';

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
      const model = softPoolModel({ shape: w.shape, kernel: w.geo.kernel, stride: w.geo.stride, padding: w.geo.padding, beta: w.geo.beta });
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      return { session, x: w.x.data, shape: w.shape };
    },
    async forward(s) {
      const r = await s.session.run({ X: new ort.Tensor('float32', s.x, s.shape) });
      return r.Y.data;
    },
    readForward(r) { return r; },
    async dispose(s) { await s.session.release(); },
  };
}
