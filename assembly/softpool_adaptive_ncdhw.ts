// Adaptive SoftPool, channels first (NCW, NCHW, NCDHW), forward and backward, for output
// sizes that do not divide the input (the loader sends divisible ones to the fixed-window
// kernels, where the windows are a plain kernel = stride = in/out). Windows differ in size
// and start, so each goes through the scalar twin; PyTorch's rule places them:
// start = floor(o*in/out), end = ceil((o+1)*in/out).

import { adaptiveStart, adaptiveEnd } from "./pool_geometry";
import { softpoolWindowF32, softpoolWindowBwdF32 } from "./window_f32";

/** x: planes × D × H × W, y: planes × OD × OH × OW. */
export function softpool_adaptive_fwd_ncdhw(
  x: usize, y: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32, beta: f32,
): void {
  let rowB = <usize>W << 2, sliceB = <usize>H * rowB;
  let out = y;
  for (let pl = 0; pl < planes; pl++) {
    let xPlane = x + <usize>pl * <usize>D * sliceB;
    for (let od = 0; od < OD; od++) {
      let d0 = adaptiveStart(od, D, OD), nd = adaptiveEnd(od, D, OD) - d0;
      for (let oh = 0; oh < OH; oh++) {
        let r0 = adaptiveStart(oh, H, OH), nr = adaptiveEnd(oh, H, OH) - r0;
        for (let ow = 0; ow < OW; ow++) {
          let c0 = adaptiveStart(ow, W, OW), nc = adaptiveEnd(ow, W, OW) - c0;
          let p = xPlane + <usize>d0 * sliceB + <usize>r0 * rowB + (<usize>c0 << 2);
          store<f32>(out, softpoolWindowF32(p, nd, nr, nc, sliceB, rowB, 4, beta));
          out += 4;
        }
      }
    }
  }
}

/** Adds the input gradient into gx (zeros, or sums to continue) and returns gradBeta. */
export function softpool_adaptive_bwd_ncdhw(
  x: usize, g: usize, gx: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32, beta: f32,
): f64 {
  let rowB = <usize>W << 2, sliceB = <usize>H * rowB;
  let gradBeta = 0.0;
  let gv = g;
  for (let pl = 0; pl < planes; pl++) {
    let planeOff = <usize>pl * <usize>D * sliceB;
    for (let od = 0; od < OD; od++) {
      let d0 = adaptiveStart(od, D, OD), nd = adaptiveEnd(od, D, OD) - d0;
      for (let oh = 0; oh < OH; oh++) {
        let r0 = adaptiveStart(oh, H, OH), nr = adaptiveEnd(oh, H, OH) - r0;
        for (let ow = 0; ow < OW; ow++) {
          let c0 = adaptiveStart(ow, W, OW), nc = adaptiveEnd(ow, W, OW) - c0;
          let off = planeOff + <usize>d0 * sliceB + <usize>r0 * rowB + (<usize>c0 << 2);
          gradBeta += softpoolWindowBwdF32(x + off, gx + off, nd, nr, nc, sliceB, rowB, 4, beta, load<f32>(gv));
          gv += 4;
        }
      }
    }
  }
  return gradBeta;
}
