// Child of tests/oom.test.ts: fills wasm memory until memory.grow fails, then checks that the
// failing call is a RangeError and that the module still works. Prints one JSON line.
import { init, allocTensor, softPool2d, stats, type WasmTensor } from 'softpool-wasm';

await init();
const held: WasmTensor[] = [];
let error: string | null = null;
try {
  // 0.75 GiB at a time (one buffer holds at most 1 GiB): wasm32 memory ends at 4 GiB, so the
  // fifth or sixth request cannot grow.
  for (let i = 0; i < 8; i++) held.push(allocTensor([3 << 26]));
} catch (e) {
  error = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
}
const reached = stats().memoryBytes;
for (const t of held) t.dispose();
const x = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 2, 2] };
const y = softPool2d(x, { kernelSize: 2, beta: 0 });
console.log(JSON.stringify({ error, held: held.length, reached, afterInUse: stats().inUseBytes, y: Array.from(y.data) }));
