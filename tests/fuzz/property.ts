// fast-check properties over the fuzz cases, shared by tests/property.test.ts and scripts/fuzz.ts.
import fc from 'fast-check';
import { caseArb, type Case, type Family } from './cases.ts';
import { runCase } from './run.ts';
import { knownIssueOf } from './known.ts';

/** Fixed seed of the CI run (tests/property.test.ts). */
export const CI_SEED = 0x50f7_9001;
/** Cases per family in CI: every case runs the family's forward and its backward (or a layer's forward and backward). */
export const CI_RUNS = 3000;

export interface PropertyStats { cases: number; checks: number; skippedKnown: number }

export function familyProperty(family: Family, stats?: PropertyStats, includeKnown = false): fc.IPropertyWithHooks<[Case]> {
  return fc.property(caseArb(family), (c) => {
    if (!includeKnown && knownIssueOf(c)) {
      if (stats) stats.skippedKnown++;
      fc.pre(false);
    }
    const r = runCase(c);
    if (stats) { stats.cases++; stats.checks += r.checks; }
  });
}

/** Seed per family, derived from a base seed, so families do not share streams. */
export function familySeed(base: number, family: Family): number {
  let h = base >>> 0;
  for (const ch of family) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h | 0;
}
