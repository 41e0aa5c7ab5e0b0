// The implementations the benchmark compares. Adding one is one entry in `implementations`:
// an object with
//   name, description,
//   setup()                      once; may throw (the rows then say why it could not run)
//   unsupported(workload, pass)  null, or the reason this pass cannot run
//   prepare(workload)            untimed: layout changes, sessions, ...; returns a state
//   forward(state)               timed; may be async
//   forwardBackward(state)       timed; may be omitted when unsupported() says so
//   selfTimed(state, pass, { runs, warmup })   instead of forward/forwardBackward, for a peer
//                                that times itself (a native program): does the warm-ups and
//                                the timed runs of pass ('fwd' or 'fwd+bwd') and returns
//                                { samplesMs, result } (result: that of the last timed call)
//   readForward(result, state)   untimed: the output as a Float32Array in the library's layout
//                                (the workload's outShape), for validation
//   readBackward(result, state)  untimed: { y, gradInput (the workload's layout), gradBeta }
//   dispose(state)
// `workload` carries
//   dims (1, 2 or 3 spatial dims), channelsLast (boolean), N, C, spatial, outSize,
//   shape, outShape                the library's layout: [N, C, ...spatial] or [N, ...spatial, C]
//   ncShape, ncOutShape            the same channels first
//   x, g (gradOutput)              { data, shape } in the library's layout
//   options                        the library's options object (dataFormat when channelsLast)
//   geo                            { kernel, stride, padding } (arrays of dims numbers), beta
// REFERENCE is the entry every other one is validated against; BASELINE is the
// denominator of the ratio column; NATIVE_FAST is the native time the "time ÷ native" column
// divides by (the performance issue's goal: softpool-wasm within 2x of it).

import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { softpoolWasm, freshCopy, besideDist } from './softpool-wasm.mjs';
import { naiveJs } from './naive-js.mjs';
import { tfjsWasm } from './tfjs-wasm.mjs';
import { onnxruntimeWeb } from './onnxruntime-web.mjs';
import { nativeC } from './native-c.mjs';

export const REFERENCE = 'softpool-wasm';
export const BASELINE = 'naive JS';
export const NATIVE_FAST = 'native C -ffast-math';

// BENCH_SOFTPOOL=/path/to/dist/index.js benchmarks another build of the library (for
// example a checkout of another commit) instead of this package's own dist/.
const entry = process.env.BENCH_SOFTPOOL
  ? pathToFileURL(path.resolve(process.env.BENCH_SOFTPOOL)).href
  : import.meta.resolve('softpool-wasm');

export const implementations = [
  // init() picks the fastest build the runtime runs: the relaxed-SIMD (FMA) build under
  // `npm run bench`, which passes Node 20 --experimental-wasm-relaxed-simd (Node >= 22, Deno and
  // Chrome have relaxed SIMD by default). The SIMD rows force the build without FMA: what Node 20
  // loads without the flag.
  softpoolWasm({ name: 'softpool-wasm', load: () => import(entry), source: entry }),
  softpoolWasm({ name: 'softpool-wasm zero-copy', load: () => import(entry), source: entry, zeroCopy: true }),
  softpoolWasm({
    name: 'softpool-wasm SIMD', load: () => freshCopy(entry), source: entry,
    initOptions: { wasm: besideDist(entry, 'build', 'softpool.wasm') },
    description: 'this library, public API, the SIMD build without FMA (Node 20 without the relaxed-SIMD flag)',
  }),
  softpoolWasm({
    name: 'softpool-wasm SIMD zero-copy', load: () => freshCopy(entry), source: entry, zeroCopy: true,
    initOptions: { wasm: besideDist(entry, 'build', 'softpool.wasm') },
    description: 'this library, zero-copy API, the SIMD build without FMA',
  }),
  softpoolWasm({
    name: 'softpool-wasm scalar', load: () => freshCopy(entry), source: entry,
    initOptions: { wasm: besideDist(entry, 'build', 'softpool.scalar.wasm') },
    description: 'this library, public API, the scalar (no SIMD) build of the same source',
  }),
  naiveJs(),
  tfjsWasm(),
  onnxruntimeWeb(),
  nativeC({ name: NATIVE_FAST, flags: ['-O3', '-march=native', '-ffast-math'] }),
  nativeC({ name: 'native C', flags: ['-O3', '-march=native'] }),
];
