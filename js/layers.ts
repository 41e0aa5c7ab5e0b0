// Layer classes for training loops: forward remembers its input (by reference, not a copy:
// don't change x.data before the matching backward) and the beta it used; backward returns
// the input gradient and keeps the beta gradient in `gradBeta`. `beta` is public.

import { adaptiveGeometry, adaptiveOptions, poolGeometry, poolOptions, type PoolGeometry } from './geometry.js';
import { backward, forward } from './run.js';
import { readOnce } from './softpool.js';
import { checkBeta, checkGradOutput } from './validate.js';
import type { AdaptiveSoftPoolOptions, SoftPoolOptions, Tensor } from './types.js';

type Geometry = (fn: string, x: unknown, options: unknown, spatial: number) => PoolGeometry;

abstract class SoftPoolLayer<O extends { beta?: number }> {
  /** Temperature used by the next forward; a training loop may update it. */
  beta: number;
  #gradBeta = 0;
  #last: { x: Tensor; geometry: PoolGeometry } | null = null;
  readonly #options: O;

  protected constructor(
    private readonly name: string,
    private readonly spatial: number,
    private readonly geometry: Geometry,
    options: O,
  ) {
    const o = readOnce(options);
    // Check the options now, not only at the first forward.
    this.beta = (geometry === adaptiveGeometry ? adaptiveOptions : poolOptions)(name, o, spatial).beta;
    this.#options = { ...o };
  }

  /** The beta gradient of the last backward (0 before any). */
  get gradBeta(): number {
    return this.#gradBeta;
  }

  forward(input: Tensor): Tensor {
    const fn = `${this.name}.forward`;
    const x = readOnce(input);
    const beta = checkBeta(fn, this.beta, 'beta');
    const geometry = this.geometry(fn, x, { ...this.#options, beta }, this.spatial);
    const y = forward(fn, x, geometry);
    this.#last = { x, geometry };
    return y;
  }

  /** Input gradient for the last forward's input, with the beta that forward used. */
  backward(gradOut: Tensor): Tensor {
    const fn = `${this.name}.backward`;
    if (!this.#last) throw new Error(`${fn}: call forward() before backward()`);
    const gradOutput = readOnce(gradOut);
    const { x, geometry } = this.#last;
    checkGradOutput(fn, gradOutput, geometry.outShape);
    const { gradInput, gradBeta } = backward(fn, x, gradOutput, geometry);
    this.#gradBeta = gradBeta;
    return gradInput;
  }
}

export class SoftPool1d extends SoftPoolLayer<SoftPoolOptions> {
  constructor(options: SoftPoolOptions) { super('SoftPool1d', 1, poolGeometry, options); }
}
export class SoftPool2d extends SoftPoolLayer<SoftPoolOptions> {
  constructor(options: SoftPoolOptions) { super('SoftPool2d', 2, poolGeometry, options); }
}
export class SoftPool3d extends SoftPoolLayer<SoftPoolOptions> {
  constructor(options: SoftPoolOptions) { super('SoftPool3d', 3, poolGeometry, options); }
}
export class AdaptiveSoftPool1d extends SoftPoolLayer<AdaptiveSoftPoolOptions> {
  constructor(options: AdaptiveSoftPoolOptions) { super('AdaptiveSoftPool1d', 1, adaptiveGeometry, options); }
}
export class AdaptiveSoftPool2d extends SoftPoolLayer<AdaptiveSoftPoolOptions> {
  constructor(options: AdaptiveSoftPoolOptions) { super('AdaptiveSoftPool2d', 2, adaptiveGeometry, options); }
}
export class AdaptiveSoftPool3d extends SoftPoolLayer<AdaptiveSoftPoolOptions> {
  constructor(options: AdaptiveSoftPoolOptions) { super('AdaptiveSoftPool3d', 3, adaptiveGeometry, options); }
}
