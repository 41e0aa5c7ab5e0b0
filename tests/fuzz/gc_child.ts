// Child of tests/leak.test.ts (run with --expose-gc): layers with { keepForBackward: true } that
// are dropped without dispose() must give their wasm memory back once garbage-collected.
// Prints one JSON line: { keptBytes, afterGc, rounds }.
import * as libNs from 'softpool-wasm';

interface Tensor { data: Float32Array; shape: readonly number[] }
const lib = libNs as unknown as {
  init(o?: object): Promise<void>;
  stats(): { inUseBytes: number };
  SoftPool2d: new (o: object, s?: object) => { forward(x: Tensor): Tensor; backward(g: Tensor): Tensor };
};
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
await lib.init(process.env.SOFTPOOL_TEST_BACKEND ? { backend: process.env.SOFTPOOL_TEST_BACKEND } : {});
const x = { data: Float32Array.from({ length: 2 * 3 * 16 * 17 }, (_, i) => Math.sin(i)), shape: [2, 3, 16, 17] };
const base = lib.stats().inUseBytes;
(function make() {
  for (let i = 0; i < 50; i++) new lib.SoftPool2d({ kernelSize: 3, stride: 1, padding: 1 }, { keepForBackward: true }).forward(x);
})();
const keptBytes = lib.stats().inUseBytes - base;
let rounds = 0;
while (lib.stats().inUseBytes !== base && rounds < 100) {
  gc();
  await new Promise((r) => setTimeout(r, 5));
  rounds++;
}
console.log(JSON.stringify({ keptBytes, afterGc: lib.stats().inUseBytes - base, rounds }));
