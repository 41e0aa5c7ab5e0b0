// Layer classes SoftPool{1,2,3}d and AdaptiveSoftPool{1,2,3}d: forward/backward keep the last
// forward's input, `beta` is a public field read at forward time, backward uses the beta that
// was in force when its forward ran, and gradBeta holds the last backward's beta gradient.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32, randFloat32, prod, assertBitsEqual, assertForwardClose, assertGradInputClose, assertGradBetaClose } from './helpers.ts';
import {
  lib, api, type Op, type AnyOpts, type Layer, fwdName, bwdName, layerName, refForward, refBackward, outShapeOf,
  assertSameResult, shapeStr,
} from './nd_common.ts';
import { toChannelsLast, shapeToChannelsLast } from './reference.ts';

before(async () => {
  await lib.init();
});

interface Spec { op: Op; opts: AnyOpts; shape: number[]; shape2: number[] }
const SPECS: Spec[] = [
  { op: { spatial: 1, adaptive: false }, opts: { kernelSize: 3, stride: 2, padding: 1 }, shape: [2, 3, 17], shape2: [3, 9] },
  { op: { spatial: 2, adaptive: false }, opts: { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0], ceilMode: true }, shape: [2, 3, 5, 9], shape2: [1, 2, 4, 4] },
  { op: { spatial: 3, adaptive: false }, opts: { kernelSize: 2, stride: [1, 2, 2] }, shape: [1, 2, 3, 4, 9], shape2: [2, 2, 2, 5] },
  { op: { spatial: 1, adaptive: true }, opts: { outputSize: 3 }, shape: [2, 3, 7], shape2: [4, 5] },
  { op: { spatial: 2, adaptive: true }, opts: { outputSize: [3, null] }, shape: [2, 3, 7, 5], shape2: [1, 1, 3, 8] },
  { op: { spatial: 3, adaptive: true }, opts: { outputSize: [2, 3, 2] }, shape: [1, 2, 3, 5, 4], shape2: [3, 4, 4, 4] },
];

const make = (s: Spec, extra: object = {}): Layer => new (api(layerName(s.op)))({ ...s.opts, ...extra });

/** The functional result for (x, beta); the layer must agree with it. */
function functional(s: Spec, x: Float32Array, shape: number[], g: Float32Array | null, beta: number, extra: object = {}) {
  const opts = { ...s.opts, ...extra, beta };
  const y = api(fwdName(s.op))({ data: x, shape }, opts);
  const b = g ? api(bwdName(s.op))({ data: x, shape }, { data: g, shape: y.shape }, opts) : null;
  return { y, b };
}

for (const s of SPECS) {
  const name = layerName(s.op);
  describe(`${name} ${JSON.stringify(s.opts)}`, () => {
    it('beta defaults to 1, or options.beta', () => {
      assert.equal(make(s).beta, 1);
      assert.equal(make(s, { beta: 0.5 }).beta, 0.5);
      assert.equal(make(s, { beta: -1 }).beta, -1);
      assert.equal(make(s, { beta: 0 }).beta, 0);
    });

    it('forward/backward equal the functions and the reference; gradBeta after backward', () => {
      const rng = mulberry32(100 + s.op.spatial + (s.op.adaptive ? 10 : 0));
      for (const beta of [1, 0, 0.5, 4, -1]) {
        const layer = make(s, { beta });
        const x = randFloat32(rng, prod(s.shape));
        const xc = x.slice();
        const y = layer.forward({ data: x, shape: s.shape });
        const ref = refForward(s.op, x, s.shape, { ...s.opts, beta });
        assert.ok(y.data instanceof Float32Array);
        assert.deepEqual([...y.shape], ref.shape);
        assertForwardClose(y.data, ref.y, ref.scale, ref.shape, `${name} forward beta=${beta}`);
        const g = randFloat32(rng, y.data.length, -1, 1);
        const gc = g.slice();
        const gi = layer.backward({ data: g, shape: y.shape });
        assert.ok(gi.data instanceof Float32Array, 'backward returns a Tensor with Float32Array data');
        assert.deepEqual([...gi.shape], s.shape, 'gradInput has the input shape');
        const bref = refBackward(s.op, x, s.shape, g, { ...s.opts, beta });
        assertGradInputClose(gi.data, bref.gradInput, s.shape, `${name} backward beta=${beta}`);
        assertGradBetaClose(layer.gradBeta, bref.gradBeta, bref.gradBetaScale, `${name} gradBeta beta=${beta}`);
        const f = functional(s, x, s.shape, g, beta);
        assertSameResult(y.data, f.y.data, y.shape, 'layer forward vs function');
        assertSameResult(gi.data, f.b!.gradInput.data, s.shape, 'layer backward vs function');
        assert.ok(Math.abs(layer.gradBeta - f.b!.gradBeta) <= 1e-6 * Math.max(1, Math.abs(f.b!.gradBeta)), `gradBeta ${layer.gradBeta} vs ${f.b!.gradBeta}`);
        assertBitsEqual(x, xc, 'forward input untouched');
        assertBitsEqual(g, gc, 'gradOutput untouched');
      }
    });

    it('changing layer.beta takes effect on the next forward', () => {
      const rng = mulberry32(200);
      const layer = make(s);
      const x = randFloat32(rng, prod(s.shape));
      const y1 = layer.forward({ data: x, shape: s.shape });
      layer.beta = 4;
      assert.equal(layer.beta, 4);
      const y4 = layer.forward({ data: x, shape: s.shape });
      assertSameResult(y1.data, functional(s, x, s.shape, null, 1).y.data, y1.shape, 'beta 1');
      assertSameResult(y4.data, functional(s, x, s.shape, null, 4).y.data, y4.shape, 'beta 4');
      layer.beta = -1;
      const ym = layer.forward({ data: x, shape: s.shape });
      assertSameResult(ym.data, functional(s, x, s.shape, null, -1).y.data, ym.shape, 'beta -1');
    });

    it('backward uses the beta in force when its forward ran, not the current one', () => {
      const rng = mulberry32(300);
      const layer = make(s, { beta: 1 });
      const x = randFloat32(rng, prod(s.shape));
      const y = layer.forward({ data: x, shape: s.shape });
      const g = randFloat32(rng, y.data.length, -1, 1);
      layer.beta = 4; // changed between forward and backward
      const gi = layer.backward({ data: g, shape: y.shape });
      const f1 = functional(s, x, s.shape, g, 1);
      assertSameResult(gi.data, f1.b!.gradInput.data, s.shape, 'gradInput with the forward-time beta 1');
      assert.ok(Math.abs(layer.gradBeta - f1.b!.gradBeta) <= 1e-6 * Math.max(1, Math.abs(f1.b!.gradBeta)),
        `gradBeta ${layer.gradBeta}, want ${f1.b!.gradBeta} (beta 1), beta-4 value would be ${functional(s, x, s.shape, g, 4).b!.gradBeta}`);
      assert.equal(layer.beta, 4, 'backward does not reset beta');
      // the next forward/backward pair uses beta 4
      layer.forward({ data: x, shape: s.shape });
      const gi4 = layer.backward({ data: g, shape: y.shape });
      const f4 = functional(s, x, s.shape, g, 4);
      assertSameResult(gi4.data, f4.b!.gradInput.data, s.shape, 'gradInput with beta 4');
      assert.ok(Math.abs(layer.gradBeta - f4.b!.gradBeta) <= 1e-6 * Math.max(1, Math.abs(f4.b!.gradBeta)));
    });

    it('backward refers to the last forward input (shapes may change between forwards)', () => {
      const rng = mulberry32(400);
      const layer = make(s, { beta: 0.5 });
      const x1 = randFloat32(rng, prod(s.shape));
      const x2 = randFloat32(rng, prod(s.shape2));
      layer.forward({ data: x1, shape: s.shape });
      const y2 = layer.forward({ data: x2, shape: s.shape2 });
      assert.deepEqual([...y2.shape], outShapeOf(s.op, s.shape2, s.opts));
      const g = randFloat32(rng, y2.data.length, -1, 1);
      const gi = layer.backward({ data: g, shape: y2.shape });
      assert.deepEqual([...gi.shape], s.shape2);
      const f = functional(s, x2, s.shape2, g, 0.5);
      assertSameResult(gi.data, f.b!.gradInput.data, s.shape2, 'gradInput for the second input');
      // same values, different forward: same result; and a second backward after the same forward works too
      const gi2 = layer.backward({ data: g, shape: y2.shape });
      assertSameResult(gi2.data, gi.data, s.shape2, 'second backward after the same forward');
    });

    it('backward with a gradient whose shape is not the last forward output throws (shape named), layer still usable', () => {
      const rng = mulberry32(500);
      const layer = make(s);
      const x1 = randFloat32(rng, prod(s.shape));
      const y1 = layer.forward({ data: x1, shape: s.shape });
      const x2 = randFloat32(rng, prod(s.shape2));
      const y2 = layer.forward({ data: x2, shape: s.shape2 });
      // the first forward's output shape is stale now
      assert.throws(() => layer.backward({ data: randFloat32(rng, y1.data.length), shape: y1.shape }),
        (e: unknown) => e instanceof Error && /shape|forward/i.test(e.message), 'stale gradient shape');
      const wrong = [...y2.shape];
      wrong[wrong.length - 1] += 1;
      assert.throws(() => layer.backward({ data: new Float32Array(prod(wrong)), shape: wrong }),
        (e: unknown) => e instanceof Error && /shape/i.test(e.message), 'one dim off');
      const g = randFloat32(rng, y2.data.length, -1, 1);
      const gi = layer.backward({ data: g, shape: y2.shape });
      assertSameResult(gi.data, functional(s, x2, s.shape2, g, 1).b!.gradInput.data, s.shape2, 'after the errors');
    });

    it('backward before any forward throws an Error mentioning forward', () => {
      const layer = make(s);
      const os = outShapeOf(s.op, s.shape, s.opts);
      assert.throws(() => layer.backward({ data: new Float32Array(prod(os)), shape: os }),
        (e: unknown) => e instanceof Error && /forward/i.test(e.message));
    });

    it('a failed forward (bad input) does not replace the last good forward', () => {
      const rng = mulberry32(600);
      const layer = make(s);
      const x = randFloat32(rng, prod(s.shape));
      const y = layer.forward({ data: x, shape: s.shape });
      assert.throws(() => layer.forward({ data: new Float32Array(3), shape: [3] }), RangeError);
      const g = randFloat32(rng, y.data.length, -1, 1);
      const gi = layer.backward({ data: g, shape: y.shape });
      assertSameResult(gi.data, functional(s, x, s.shape, g, 1).b!.gradInput.data, s.shape, 'backward after a failed forward');
    });

    it('channelsLast layer equals the channels-first layer on the transposed input', () => {
      const rng = mulberry32(700);
      const sp = s.op.spatial;
      const cf = s.shape;
      const cl = shapeToChannelsLast(cf, sp);
      const x = randFloat32(rng, prod(cf));
      const lf = make(s, { beta: 2 }), ll = make(s, { beta: 2, dataFormat: 'channelsLast' });
      const yf = lf.forward({ data: x, shape: cf });
      const yl = ll.forward({ data: toChannelsLast(x, cf, sp), shape: cl });
      assert.deepEqual([...yl.shape], shapeToChannelsLast([...yf.shape], sp));
      assertSameResult(toChannelsLast(yf.data, yf.shape, sp), yl.data, yl.shape, 'forward layouts');
      const g = randFloat32(rng, yf.data.length, -1, 1);
      const gf = lf.backward({ data: g, shape: yf.shape });
      const gl = ll.backward({ data: toChannelsLast(g, yf.shape, sp), shape: yl.shape });
      assertSameResult(toChannelsLast(gf.data, cf, sp), gl.data, cl, 'gradInput layouts');
      assert.ok(Math.abs(lf.gradBeta - ll.gradBeta) <= 1e-6 * Math.max(1, Math.abs(lf.gradBeta)), `gradBeta ${lf.gradBeta} vs ${ll.gradBeta}`);
    });

    it('a few SGD steps on beta via gradBeta match the functional computation', () => {
      const rng = mulberry32(800);
      const layer = make(s, { beta: 1 });
      const x = randFloat32(rng, prod(s.shape));
      let beta = 1;
      for (let step = 0; step < 3; step++) {
        const y = layer.forward({ data: x, shape: s.shape });
        const g = y.data.map((v) => v); // L = sum(y^2)/2 -> dL/dy = y
        layer.backward({ data: g, shape: y.shape });
        const f = functional(s, x, s.shape, g, beta);
        assert.ok(Math.abs(layer.gradBeta - f.b!.gradBeta) <= 1e-5 * Math.max(1, Math.abs(f.b!.gradBeta)), `step ${step}`);
        layer.beta -= 0.1 * layer.gradBeta;
        beta -= 0.1 * f.b!.gradBeta;
        assert.ok(Math.abs(layer.beta - beta) <= 1e-4 * Math.max(1, Math.abs(beta)));
      }
    });

    it(`unbatched input x${shapeStr(s.shape2)} works`, () => {
      const rng = mulberry32(900);
      const shape = s.shape2.length === s.op.spatial + 1 ? s.shape2 : s.shape2.slice(1);
      const layer = make(s, { beta: -1 });
      const x = randFloat32(rng, prod(shape));
      const y = layer.forward({ data: x, shape });
      const ref = refForward(s.op, x, shape, { ...s.opts, beta: -1 });
      assert.deepEqual([...y.shape], ref.shape);
      assertForwardClose(y.data, ref.y, ref.scale, ref.shape, 'unbatched forward');
      const g = randFloat32(rng, y.data.length, -1, 1);
      const gi = layer.backward({ data: g, shape: y.shape });
      const bref = refBackward(s.op, x, shape, g, { ...s.opts, beta: -1 });
      assertGradInputClose(gi.data, bref.gradInput, shape, 'unbatched backward');
      assertGradBetaClose(layer.gradBeta, bref.gradBeta, bref.gradBetaScale, 'unbatched gradBeta');
    });

    it('two layers are independent', () => {
      const rng = mulberry32(1000);
      const a = make(s, { beta: 1 }), b = make(s, { beta: 3 });
      const xa = randFloat32(rng, prod(s.shape)), xb = randFloat32(rng, prod(s.shape2));
      const ya = a.forward({ data: xa, shape: s.shape });
      const yb = b.forward({ data: xb, shape: s.shape2 });
      const ga = randFloat32(rng, ya.data.length, -1, 1);
      const gia = a.backward({ data: ga, shape: ya.shape });
      assertSameResult(gia.data, functional(s, xa, s.shape, ga, 1).b!.gradInput.data, s.shape, 'layer a');
      const gb = randFloat32(rng, yb.data.length, -1, 1);
      const gib = b.backward({ data: gb, shape: yb.shape });
      assertSameResult(gib.data, functional(s, xb, s.shape2, gb, 3).b!.gradInput.data, s.shape2, 'layer b');
      assert.equal(a.beta, 1);
      assert.equal(b.beta, 3);
    });
  });
}
