// The SIMD exp's accuracy in BOTH SIMD builds: scripts/exp-error/run.mjs compiles
// assembly/exp_f32x4.ts with and without relaxed SIMD (FMA) and sweeps every 1009th f32 in
// [XMIN, XMAX] (2.2 M inputs per build) against f64 exp. The bound is the one stated in the
// header of exp_f32x4.ts; the exhaustive figures (every f32) are in scripts/exp-error/README.md.
// as-pect's tests/assembly/exp_f32x4.spec.ts covers the plain SIMD build with 1e8 points; as-pect
// cannot build relaxed-SIMD test modules, so the relaxed build is checked here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_REL = 1.0e-7;
const SCRIPT = fileURLToPath(new URL('../scripts/exp-error/run.mjs', import.meta.url));

interface Row { build: string; fn: string; inputs: number; maxRel: number; atX: number; mismatches: number }

describe('exp_f32x4 accuracy, plain SIMD and relaxed-SIMD (FMA) builds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'softpool-exp-'));
  const json = join(dir, 'exp.json');
  const r = spawnSync(process.execPath, [SCRIPT, '--step', '1009', '--json', json], { encoding: 'utf8', timeout: 300_000 });
  const parsed = r.status === 0 ? (JSON.parse(readFileSync(json, 'utf8')) as { rows: Row[]; nonposVsFull: { build: string; mismatches: number }[] }) : null;
  rmSync(dir, { recursive: true, force: true });

  it('the sweep ran for both builds', () => {
    assert.equal(r.status, 0, `run.mjs exited with ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.deepEqual([...new Set(parsed!.rows.map((row) => row.build))].sort(), ['relaxed', 'simd']);
  });
  for (const build of ['simd', 'relaxed']) {
    it(`${build}: max relative error <= ${MAX_REL} for exp_f32x4, exp_nonpos_f32x4 and their scalar twins, which give the same bits`, () => {
      const rows = parsed!.rows.filter((row) => row.build === build);
      assert.equal(rows.length, 4);
      for (const row of rows) {
        assert.ok(row.inputs > 1e6, `${row.fn}: ${row.inputs} inputs`);
        assert.ok(row.maxRel <= MAX_REL, `${build} ${row.fn}: max relative error ${row.maxRel} at x = ${row.atX}`);
        assert.equal(row.mismatches, 0, `${build} ${row.fn}: ${row.mismatches} results differ from its twin`);
      }
      const nonpos = parsed!.nonposVsFull.find((m) => m.build === build);
      assert.equal(nonpos?.mismatches, 0, 'exp_nonpos_f32x4 == exp_f32x4 for x <= 0');
    });
  }
});
