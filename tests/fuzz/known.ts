// Known library bugs, each with a minimal failing case in tests/regressions.test.ts (which fails
// until it is fixed). The property tests and `npm run fuzz` skip cases in the narrow regime of a
// known bug, so that they keep looking for new ones; `npm run fuzz -- --include-known` does not
// skip. Remove an entry once its regression test passes.
import type { Case } from './cases.ts';

export interface KnownIssue {
  id: string;
  summary: string;
  /** true when the case is in the bug's regime */
  applies(c: Case): boolean;
}

export function finiteRange(xs: readonly number[]): { lo: number; hi: number } | null {
  let lo = Infinity, hi = -Infinity;
  for (const v of xs) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return lo <= hi ? { lo, hi } : null;
}

export const betaOf = (c: Case) => (c.opts.beta as number | undefined) ?? 1;
export const betas = (c: Case) => (c.newBeta === undefined ? [betaOf(c)] : [betaOf(c), c.newBeta]);

/**
 * Open bugs. Empty: the three found so far are fixed; their cases are in
 * tests/regressions.test.ts (with \`bug:\` set to these ids):
 *  - simd-group-spread-overflow: SIMD interior windows got wrong weights when the inputs of one
 *    group of 4 windows differed by more than the float32 max and |beta| was tiny
 *    (softPool1d [-2e38,0,0,0,2e38] k2 s1 beta 1e-38: y[0] was 0, want -2.38e37).
 *  - gradbeta-weight-underflow: gradBeta dropped w*d^2 of entries whose float32 weight underflowed
 *    although d^2 was huge (softPool1dBackward x [0,1e30] k2 beta 1e-28 g [1]: gradBeta 0, want 3.72e16).
 *  - simd-tiny-inputs-huge-beta: channels-first SIMD windows on inputs near the float32 minimum
 *    with a huge beta got wrong weights (softPool1d [0,4.85e-38,8.356e-40,0,0] k2 s1 beta FMAX:
 *    y[2] was 8.356e-40, want 4.768e-40; gradInput[2] 0.571, want 0.640).
 * Example entry:
 *   { id: 'simd-group-spread-overflow', summary: '...', applies: (c) => finiteRange(c.x) ... }
 */
export const KNOWN_ISSUES: KnownIssue[] = [];

export function knownIssueOf(c: Case): KnownIssue | null {
  return KNOWN_ISSUES.find((k) => k.applies(c)) ?? null;
}
