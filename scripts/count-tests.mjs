#!/usr/bin/env node
// Sums the vitest JSON reports of every workspace package into the plain closing line CI reads:
// "N passed, N failed, N skipped". A package with test files but no report (the runner crashed)
// counts as one failure, and so does a failed lint, build or typecheck (TEST_STATUS), so a broken
// run can never look green.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['packages', 'apps']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    const report = join(dir, '.vitest-report.json');
    const hasTests = existsSync(join(dir, 'src')) && readdirSync(join(dir, 'src'), { recursive: true }).some((f) => String(f).endsWith('.test.ts'));
    if (!existsSync(report)) {
      if (hasTests) {
        console.log(`${dir}: no test report (the test runner did not finish)`);
        failed += 1;
      }
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    console.log(`${dir}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  }
}
// The README's test command also lints, builds and typechecks. If it failed while every test passed,
// one of those failed: count it, so that a red run can never end with "0 failed".
if (process.env.TEST_STATUS !== undefined && process.env.TEST_STATUS !== '0' && failed === 0) {
  console.log(`pnpm test: exit ${process.env.TEST_STATUS} with every test passing (lint, build or typecheck failed; see above) (failed)`);
  failed += 1;
}
// .ci/run's `scale reproduce --quick` (the README's main job) counts as one check: it must succeed within 3 minutes.
if (process.env.REPRODUCE_STATUS !== undefined) {
  const ok = process.env.REPRODUCE_STATUS === '0' && Number(process.env.REPRODUCE_SECONDS) <= 180;
  console.log(`scale reproduce --quick: exit ${process.env.REPRODUCE_STATUS} in ${process.env.REPRODUCE_SECONDS} s (${ok ? 'passed' : 'failed'})`);
  if (ok) passed += 1;
  else failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
