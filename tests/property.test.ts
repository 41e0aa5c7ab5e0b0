// Property-based tests (fast-check, fixed seed): random shapes of every rank, batched and not,
// both layouts, kernels, strides, paddings, ceil mode, adaptive sizes, betas and value
// distributions (normal, huge, tiny, ties/constant windows, ±0, subnormals, ±Inf, NaN), for
// every public forward and backward function and the layer classes, against the float64
// reference at the core tolerances. See tests/fuzz/ for the generators and the checks.
//
// A failure prints fast-check's seed and path plus the shrunk case as JSON ("case: {...}"):
// add that JSON to tests/regressions.test.ts. `npm run fuzz` runs the same properties with
// random seeds for as long as you like. Cases in the regime of a known bug (tests/fuzz/known.ts)
// are skipped here; each known bug has a failing regression test.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FAMILIES } from './fuzz/cases.ts';
import { lib } from './fuzz/run.ts';
import { CI_RUNS, CI_SEED, familyProperty, familySeed, type PropertyStats } from './fuzz/property.ts';

before(async () => {
  await lib.init();
});

describe(`property: ${CI_RUNS} random cases per family vs the float64 reference (seed ${CI_SEED})`, () => {
  for (const family of FAMILIES) {
    const seed = familySeed(CI_SEED, family);
    it(`${family}: forward + backward, ${CI_RUNS} cases (seed ${seed})`, () => {
      const stats: PropertyStats = { cases: 0, checks: 0, skippedKnown: 0 };
      fc.assert(familyProperty(family, stats), { seed, numRuns: CI_RUNS, maxSkipsPerRun: 10 });
      assert.ok(stats.cases >= CI_RUNS, `${family}: only ${stats.cases} cases ran`);
    });
  }
});
