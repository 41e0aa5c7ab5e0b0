// Out of memory: when wasm memory cannot grow any further, the call that needed it throws a
// RangeError and the module keeps working (run in a child process: it takes ~4 GiB).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

it('memory.grow failing gives a RangeError and the module keeps working', () => {
  const child = fileURLToPath(new URL('./fuzz/oom_child.ts', import.meta.url));
  const r = spawnSync(process.execPath, [...process.execArgv, child], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  assert.ok(line, `child failed (status ${r.status}): ${r.stderr}`);
  const res = JSON.parse(line) as { error: string | null; held: number; reached: number; afterInUse: number; y: number[] };
  assert.match(res.error ?? '', /^RangeError: allocTensor: not enough WebAssembly memory/, `got ${res.error}`);
  assert.ok(res.held >= 4, `only ${res.held} x 0.75 GiB could be held before the failure`);
  assert.ok(res.reached >= 3 * 2 ** 30, `memory reached ${res.reached} bytes`);
  assert.equal(res.afterInUse, 0, 'everything freed');
  assert.deepEqual(res.y, [2.5], 'a normal call afterwards is correct');
});

it("a buffer larger than the allocator's largest block (1 GiB) is a RangeError before anything is allocated", async () => {
  const { init, allocTensor, stats } = await import('softpool-wasm');
  await init();
  const before = stats();
  assert.throws(() => allocTensor([1 << 28]), (e: Error) => e instanceof RangeError && /allocTensor: .*at most 1073741808 bytes/.test(e.message));
  assert.deepEqual(stats(), before);
});
