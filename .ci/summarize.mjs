// Prints "N passed, N failed" (the last line CI reads) from one or more vitest JSON reports,
// each given as label=path; with several, one line per label comes first. A missing report
// (its pass could not run) counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const passes = (args.length > 0 ? args : ['.vitest-report.json']).map((a) => {
  const at = a.indexOf('=');
  return at < 0 ? { label: a, file: a } : { label: a.slice(0, at), file: a.slice(at + 1) };
});
let passed = 0;
let failed = 0;
for (const { label, file } of passes) {
  let p = 0;
  let f = 1;
  if (existsSync(file)) {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    p = report.numPassedTests;
    f = report.numFailedTests + (report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  }
  if (passes.length > 1) console.log(`${label}: ${p} passed, ${f} failed${existsSync(file) ? '' : ' (no report: the pass did not run)'}`);
  passed += p;
  failed += f;
}
console.log(`${passed} passed, ${failed} failed`);
