import type { Case, CaseResult } from './cases.ts';
export function runCase(lib: object, c: Case): CaseResult;
export function runCases(lib: object, cases: Case[]): Array<CaseResult | { error: string }>;
