// Repeated calls must not grow wasm memory without bound, and every call frees what it allocates.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, softPool2d, softPool2dBackward, stats } from 'softpool-wasm';
import { softPool2dRef } from './reference.ts';
import { mulberry32, randTensor, randFloat32, prod, assertForwardClose } from './helpers.ts';

before(async () => {
  await init();
});

interface Problem { x: { data: Float32Array; shape: number[] }; g: { data: Float32Array; shape: number[] }; opts: object }

const rng = mulberry32(2024);
const specs: Array<[number[], object]> = [
  [[1, 1, 1, 1], { kernelSize: 1 }],
  [[1, 1, 4, 4], { kernelSize: 2 }],
  [[2, 3, 5, 7], { kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 2, 9, 13], { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true, beta: -1 }],
  [[3, 8, 17], { kernelSize: 3, stride: 1, padding: 1, beta: 4 }],
  [[1, 1, 3, 129], { kernelSize: 2, stride: 1, beta: 0 }],
  [[2, 2, 16, 31], { kernelSize: 4, stride: 3, padding: 2, ceilMode: true, beta: 0.5 }],
  [[1, 3, 6, 65], { kernelSize: 3, stride: 2, beta: 30 }],
];
const problems: Problem[] = specs.map(([shape, opts]) => {
  const x = randTensor(rng, shape);
  const outShape = softPool2dRef(x.data, shape, opts as never).shape;
  return { x: { data: x.data, shape }, g: { data: randFloat32(rng, prod(outShape), -1, 1), shape: outShape }, opts };
});

function runOnce(i: number): void {
  const p = problems[i % problems.length];
  softPool2d(p.x, p.opts as never);
  softPool2dBackward(p.x, p.g, p.opts as never);
}

describe('memory', () => {
  it('stats() reports numbers; nothing in use after init', () => {
    const s = stats();
    for (const k of ['inUseBytes', 'peakInUseBytes', 'memoryBytes'] as const) {
      assert.equal(typeof s[k], 'number', `${k} is a number`);
      assert.ok(Number.isInteger(s[k]) && s[k] >= 0, `${k} = ${s[k]}`);
    }
    assert.equal(s.inUseBytes, 0);
    assert.ok(s.memoryBytes > 0 && s.memoryBytes % 65536 === 0, `memoryBytes ${s.memoryBytes} is whole wasm pages`);
  });

  it('10,000 forward+backward calls on varied sizes: memory stays at the warm-up size, inUseBytes returns to 0', () => {
    for (let i = 0; i < 2 * problems.length; i++) runOnce(i); // warm-up, same sizes
    const warm = stats();
    assert.equal(warm.inUseBytes, 0, `inUseBytes after warm-up: ${warm.inUseBytes}`);
    assert.ok(warm.peakInUseBytes > 0, 'peakInUseBytes counts the buffers calls allocated');
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      runOnce(i);
      if (i % 1000 === 999) {
        const s = stats();
        assert.equal(s.inUseBytes, 0, `inUseBytes after ${i + 1} calls: ${s.inUseBytes}`);
        assert.equal(s.memoryBytes, warm.memoryBytes, `memory grew after ${i + 1} calls: ${warm.memoryBytes} -> ${s.memoryBytes}`);
      }
    }
    const elapsed = performance.now() - t0;
    const end = stats();
    assert.equal(end.memoryBytes, warm.memoryBytes, `memoryBytes ${warm.memoryBytes} -> ${end.memoryBytes}`);
    assert.equal(end.inUseBytes, 0);
    assert.equal(end.peakInUseBytes, warm.peakInUseBytes, `peak grew ${warm.peakInUseBytes} -> ${end.peakInUseBytes}: fragmentation?`);
    assert.ok(elapsed < 30_000, `10,000 iterations took ${elapsed.toFixed(0)} ms`);
  });

  it('errors thrown by argument checks in between calls leak nothing', () => {
    const warm = stats();
    const p = problems[2];
    for (let i = 0; i < 500; i++) {
      assert.throws(() => softPool2dBackward(p.x, { data: p.g.data, shape: [9, 9, 9, 9] }, p.opts as never), RangeError);
      assert.throws(() => softPool2d(p.x, { kernelSize: 0 }), RangeError);
      runOnce(i);
    }
    const end = stats();
    assert.equal(end.inUseBytes, 0);
    assert.equal(end.memoryBytes, warm.memoryBytes);
  });

  it('a large call grows memory once; repeating it does not grow it again; results stay correct', () => {
    const shape = [2, 4, 96, 130];
    const x = randTensor(mulberry32(5), shape);
    const opts = { kernelSize: 3, stride: 2, padding: 1, ceilMode: true };
    const y1 = softPool2d(x, opts);
    const afterFirst = stats();
    assert.equal(afterFirst.inUseBytes, 0);
    assert.ok(afterFirst.peakInUseBytes >= x.data.byteLength, `peak ${afterFirst.peakInUseBytes} covers the ${x.data.byteLength}-byte input`);
    for (let i = 0; i < 20; i++) softPool2d(x, opts);
    assert.equal(stats().memoryBytes, afterFirst.memoryBytes);
    const ref = softPool2dRef(x.data, shape, opts);
    assertForwardClose(y1.data, ref.y, ref.scale, ref.shape, 'large call');
    // small calls after a large one still work and do not grow memory
    for (let i = 0; i < 100; i++) runOnce(i);
    assert.equal(stats().memoryBytes, afterFirst.memoryBytes);
    assert.equal(stats().inUseBytes, 0);
  });
});
