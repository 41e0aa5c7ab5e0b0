// Layers with { keepForBackward: true }: the forward keeps the input and its shared
// exponentials in wasm memory so the backward reuses them. Results must equal the plain
// functions' exactly, and the kept memory must be freed by dispose() and the next forward.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, stats, backend, softPool2d, softPool2dBackward, softPool3dBackward, SoftPool2d, SoftPool3d, SoftPool1d, softPool1dBackward } from 'softpool-wasm';
import { mulberry32, randFloat32 } from './helpers.ts';

before(async () => { await init(); });

describe('layers keeping what forward computed', () => {
  const cases: [string, number[], object][] = [
    ['2d k2s2', [2, 3, 9, 13], { kernelSize: 2 }],
    ['2d k3s1p1 beta 4', [1, 2, 11, 17], { kernelSize: 3, stride: 1, padding: 1, beta: 4 }],
    ['2d k3s2p1 beta -1', [2, 2, 10, 9], { kernelSize: 3, stride: 2, padding: 1, beta: -1 }],
    ['2d beta 0, ceil mode', [1, 3, 7, 7], { kernelSize: [3, 2], stride: [2, 1], ceilMode: true, beta: 0 }],
  ];
  for (const [name, shape, opts] of cases) {
    it(`${name}: same results as the plain functions within float32 rounding`, () => {
      const r = mulberry32(shape.reduce((a, b) => a + b, 7));
      const x = { data: randFloat32(r, shape.reduce((a, b) => a * b)), shape };
      const layer = new SoftPool2d(opts as never, { keepForBackward: true });
      const y = layer.forward(x);
      // The kept path shares exponentials where the plain path may use each window's own
      // pivot: equal within float32 rounding, not always bit for bit.
      const yWant = softPool2d(x, opts as never).data;
      y.data.forEach((v, i) => assert.ok(Math.abs(v - yWant[i]) <= 1e-6 * Math.max(1, Math.abs(yWant[i])), `forward[${i}]: ${v} vs ${yWant[i]}`));
      const g = { data: randFloat32(r, y.data.length), shape: y.shape };
      const want = softPool2dBackward(x, g, opts as never);
      for (const round of [1, 2]) {
        const gi = layer.backward(g);
        gi.data.forEach((v, i) => assert.ok(Math.abs(v - want.gradInput.data[i]) <= 1e-5 * Math.max(1, Math.abs(want.gradInput.data[i])), `round ${round} gradInput[${i}]: ${v} vs ${want.gradInput.data[i]}`));
        assert.ok(Math.abs(layer.gradBeta - want.gradBeta) <= 1e-5 * Math.max(1, Math.abs(want.gradBeta)), `round ${round} gradBeta ${layer.gradBeta} vs ${want.gradBeta}`);
      }
      layer.dispose();
    });
  }

  it('special values and wide ranges fall back correctly (NaN, ±Infinity, 3e38 next to -3e38)', () => {
    const data = new Float32Array(4 * 4 * 4).map((_, i) => Math.sin(i) * 3);
    data[5] = NaN; data[20] = Infinity; data[41] = 3e38; data[42] = -3e38; data[60] = -Infinity;
    const x = { data, shape: [4, 4, 4] };
    const opts = { kernelSize: 2, stride: 1 };
    const layer = new SoftPool2d(opts, { keepForBackward: true });
    const y = layer.forward(x);
    const yWant = softPool2d(x, opts).data;
    y.data.forEach((v, i) => assert.ok(Object.is(v, yWant[i]) || Math.abs(v - yWant[i]) <= 1e-6 * Math.max(1, Math.abs(yWant[i])), `forward[${i}]: ${v} vs ${yWant[i]}`));
    const g = { data: new Float32Array(y.data.length).fill(1), shape: y.shape };
    const gi = layer.backward(g), want = softPool2dBackward(x, g, opts);
    gi.data.forEach((v, i) => {
      const w = want.gradInput.data[i];
      assert.ok(Object.is(v, w) || Math.abs(v - w) <= 1e-5 * Math.max(1, Math.abs(w)), `gradInput[${i}]: ${v} vs ${w}`);
    });
    layer.dispose();
  });

  it('1D and 3D layers keep too', () => {
    const x1 = { data: new Float32Array(2 * 3 * 40).map((_, i) => Math.cos(i * 0.7)), shape: [2, 3, 40] };
    const l1 = new SoftPool1d({ kernelSize: 4, stride: 2, padding: 1 }, { keepForBackward: true });
    const y1 = l1.forward(x1);
    const g1 = { data: new Float32Array(y1.data.length).fill(0.5), shape: y1.shape };
    const w1 = softPool1dBackward(x1, g1, { kernelSize: 4, stride: 2, padding: 1 });
    l1.backward(g1).data.forEach((v, i) => assert.ok(Math.abs(v - w1.gradInput.data[i]) <= 1e-5));
    const x3 = { data: new Float32Array(2 * 5 * 6 * 7).map((_, i) => Math.sin(i * 0.3) * 2), shape: [2, 5, 6, 7] };
    const l3 = new SoftPool3d({ kernelSize: [2, 3, 3], stride: 1 }, { keepForBackward: true });
    const y3 = l3.forward(x3);
    const g3 = { data: new Float32Array(y3.data.length).fill(1), shape: y3.shape };
    const w3 = softPool3dBackward(x3, g3, { kernelSize: [2, 3, 3], stride: 1 });
    l3.backward(g3).data.forEach((v, i) => assert.ok(Math.abs(v - w3.gradInput.data[i]) <= 1e-5 * Math.max(1, Math.abs(w3.gradInput.data[i]))));
    l1.dispose(); l3.dispose();
  });

  it('kept memory: 2 x input (+ a byte per plane) held from forward, released by the next forward and by dispose()', () => {
    const shape = [2, 4, 16, 16];
    const x = { data: new Float32Array(2 * 4 * 16 * 16).fill(1), shape };
    const start = stats().inUseBytes;
    const layer = new SoftPool2d({ kernelSize: 2 }, { keepForBackward: true });
    layer.forward(x);
    const held = stats().inUseBytes - start;
    if (backend() !== 'scalar') assert.ok(held >= 2 * x.data.length * 4, `held ${held} bytes (${backend()} build)`);
    else assert.equal(held, 0, 'the scalar build keeps nothing');
    layer.forward(x);
    assert.equal(stats().inUseBytes - start, held, 'a second forward replaces, not adds');
    layer.dispose();
    assert.equal(stats().inUseBytes, start, 'dispose() frees it');
    const gi = layer.backward({ data: new Float32Array(2 * 4 * 8 * 8).fill(1), shape: [2, 4, 8, 8] });
    assert.equal(gi.data.length, x.data.length, 'backward after dispose() still works (recomputes)');
    assert.equal(stats().inUseBytes, start);
  });

  it('settings are checked', () => {
    assert.throws(() => new SoftPool2d({ kernelSize: 2 }, { keepForBackward: 'yes' as never }), (e: Error) => e instanceof TypeError && /keepForBackward/.test(e.message));
    assert.throws(() => new SoftPool2d({ kernelSize: 2 }, null as never), TypeError);
  });
});
