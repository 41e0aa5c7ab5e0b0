// Naive JavaScript: a straightforward loop per output window, float64 arithmetic, the
// window's largest beta*x subtracted before exp, padding cells skipped. Forward, and the
// exact backward (weights differentiated too), which recomputes each window's weights.

function forward(x, [N, C, H, W], { kernel: [kH, kW], stride: [sH, sW], padding: [pH, pW], beta }, [OH, OW]) {
  const y = new Float32Array(N * C * OH * OW);
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const base = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(oh * sH - pH, 0), h1 = Math.min(oh * sH - pH + kH, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(ow * sW - pW, 0), w1 = Math.min(ow * sW - pW + kW, W);
        let m = -Infinity;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) m = Math.max(m, beta * x[base + h * W + w]);
        let se = 0, sex = 0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const v = x[base + h * W + w];
            const e = Math.exp(beta * v - m);
            se += e;
            sex += e * v;
          }
        }
        y[o] = sex / se;
      }
    }
  }
  return y;
}

function backward(x, g, [N, C, H, W], { kernel: [kH, kW], stride: [sH, sW], padding: [pH, pW], beta }, [OH, OW]) {
  const gx = new Float32Array(x.length);
  let gBeta = 0;
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const base = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(oh * sH - pH, 0), h1 = Math.min(oh * sH - pH + kH, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(ow * sW - pW, 0), w1 = Math.min(ow * sW - pW + kW, W);
        let m = -Infinity;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) m = Math.max(m, beta * x[base + h * W + w]);
        let se = 0, sex = 0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const v = x[base + h * W + w];
            const e = Math.exp(beta * v - m);
            se += e;
            sex += e * v;
          }
        }
        const y = sex / se, go = g[o];
        let var_ = 0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const i = base + h * W + w, v = x[i];
            const wi = Math.exp(beta * v - m) / se;
            gx[i] += go * wi * (1 + beta * (v - y));
            var_ += wi * v * (v - y);
          }
        }
        gBeta += go * var_;
      }
    }
  }
  return { gradInput: gx, gradBeta: gBeta };
}

export function naiveJs() {
  return {
    name: 'naive JS',
    description: 'plain per-window loops, float64 math, max subtraction, exact backward',
    async setup() { return {}; },
    unsupported() { return null; },
    prepare(w) { return w; },
    forward(s) { return forward(s.x.data, s.shape, s.geo, s.outSize); },
    forwardBackward(s) {
      const y = forward(s.x.data, s.shape, s.geo, s.outSize);
      return { y, ...backward(s.x.data, s.g.data, s.shape, s.geo, s.outSize) };
    },
    readForward(r) { return r; },
    readBackward(r) { return r; },
    dispose() {},
  };
}
