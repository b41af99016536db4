// Sums the vitest JSON reports that each workspace writes to test-results.json and prints the closing
// line CI reads: "N passed, N failed" (and skipped, when any). Exits non-zero when a report is missing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];

for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const manifest = join(dir, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const { scripts = {} } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (!scripts.test) continue;
    const report = join(dir, name, 'test-results.json');
    if (!existsSync(report)) {
      missing.push(`${group}/${name}`);
      continue;
    }
    // a package may also write test-results.browser.json (its browser project); both count
    const extra = join(dir, name, 'test-results.browser.json');
    for (const file of existsSync(extra) ? [report, extra] : [report]) {
      const results = JSON.parse(readFileSync(file, 'utf8'));
      passed += results.numPassedTests;
      failed += results.numFailedTests;
      skipped += results.numPendingTests + (results.numTodoTests ?? 0);
      // a test file that fails to load has no test results of its own; count it as one failure
      failed += results.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
    }
  }
}

if (missing.length > 0) console.error(`test-summary: no test-results.json in ${missing.join(', ')}; did their tests run?`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
