// Layer classes for training loops: forward remembers its input and the beta it used;
// backward returns the input gradient and keeps the beta gradient in `gradBeta`. `beta` is
// public. The input is remembered by reference (don't change x.data before the matching
// backward). With { keepForBackward: true }, channels-first fixed-window layers on the SIMD
// builds (SIMD and relaxed) instead keep a copy of the input and its shared exponentials in wasm memory from
// forward to backward (2 × the input's bytes), so the backward copies no input and computes
// no exp; dispose() (or the next forward, or garbage collection of the layer) frees that.

import { adaptiveGeometry, adaptiveOptions, poolGeometry, poolOptions, type PoolGeometry } from './geometry.js';
import { backward, backwardKept, forward, forwardKeeping, releaseKept, type Kept } from './run.js';
import { readOnce } from './softpool.js';
import { checkBeta, checkGradOutput } from './validate.js';
import type { AdaptiveSoftPoolOptions, SoftPoolOptions, Tensor } from './types.js';

type Geometry = (fn: string, x: unknown, options: unknown, spatial: number) => PoolGeometry;

// Frees what a forgotten layer kept; release() unregisters first, so nothing is freed twice.
const orphans = new FinalizationRegistry<Kept>((kept) => releaseKept(kept));

/** How a layer runs, beside the pooling options. */
export interface LayerSettings {
  /** Keep the input and its exponentials in wasm memory for a faster backward (see above). */
  keepForBackward?: boolean;
}

abstract class SoftPoolLayer<O extends { beta?: number }> {
  /** Temperature used by the next forward; a training loop may update it. */
  beta: number;
  #gradBeta = 0;
  #last: { x: Tensor; geometry: PoolGeometry; kept: Kept | null } | null = null;
  readonly #options: O;
  readonly #keep: boolean;

  protected constructor(
    private readonly name: string,
    private readonly spatial: number,
    private readonly geometry: Geometry,
    options: O,
    settings: LayerSettings = {},
  ) {
    if (typeof settings !== 'object' || settings === null) throw new TypeError(`${name}: settings must be an object, got ${String(settings)}`);
    for (const key of Object.keys(settings)) {
      if (key !== 'keepForBackward') throw new TypeError(`${name}: settings has an unknown key "${key}" (known: keepForBackward), got "${key}"`);
    }
    const keep = settings.keepForBackward ?? false;
    if (typeof keep !== 'boolean') throw new TypeError(`${name}: settings.keepForBackward must be a boolean, got ${String(keep)}`);
    this.#keep = keep;
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
    const keeping = this.#keep ? forwardKeeping(fn, x, geometry) : null;
    const y = keeping ? keeping.y : forward(fn, x, geometry);
    this.dispose();
    const kept = keeping ? keeping.kept : null;
    if (kept) orphans.register(this, kept, kept);
    this.#last = { x, geometry, kept };
    return y;
  }

  /** Frees what the last forward kept in wasm memory; a later backward then recomputes it. */
  dispose(): void {
    const kept = this.#last?.kept;
    if (!kept || !this.#last) return;
    orphans.unregister(kept);
    releaseKept(kept);
    this.#last.kept = null;
  }

  /** Input gradient for the last forward's input, with the beta that forward used. */
  backward(gradOut: Tensor): Tensor {
    const fn = `${this.name}.backward`;
    if (!this.#last) throw new Error(`${fn}: call forward() before backward()`);
    const gradOutput = readOnce(gradOut);
    const { x, geometry, kept } = this.#last;
    checkGradOutput(fn, gradOutput, geometry.outShape);
    const { gradInput, gradBeta } = kept ? backwardKept(fn, kept, gradOutput) : backward(fn, x, gradOutput, geometry);
    this.#gradBeta = gradBeta;
    return gradInput;
  }
}

export class SoftPool1d extends SoftPoolLayer<SoftPoolOptions> {
  constructor(options: SoftPoolOptions, settings?: LayerSettings) { super('SoftPool1d', 1, poolGeometry, options, settings); }
}
export class SoftPool2d extends SoftPoolLayer<SoftPoolOptions> {
  constructor(options: SoftPoolOptions, settings?: LayerSettings) { super('SoftPool2d', 2, poolGeometry, options, settings); }
}
export class SoftPool3d extends SoftPoolLayer<SoftPoolOptions> {
  constructor(options: SoftPoolOptions, settings?: LayerSettings) { super('SoftPool3d', 3, poolGeometry, options, settings); }
}
export class AdaptiveSoftPool1d extends SoftPoolLayer<AdaptiveSoftPoolOptions> {
  constructor(options: AdaptiveSoftPoolOptions, settings?: LayerSettings) { super('AdaptiveSoftPool1d', 1, adaptiveGeometry, options, settings); }
}
export class AdaptiveSoftPool2d extends SoftPoolLayer<AdaptiveSoftPoolOptions> {
  constructor(options: AdaptiveSoftPoolOptions, settings?: LayerSettings) { super('AdaptiveSoftPool2d', 2, adaptiveGeometry, options, settings); }
}
export class AdaptiveSoftPool3d extends SoftPoolLayer<AdaptiveSoftPoolOptions> {
  constructor(options: AdaptiveSoftPoolOptions, settings?: LayerSettings) { super('AdaptiveSoftPool3d', 3, adaptiveGeometry, options, settings); }
}
