/**
 * Prints the plain closing line CI reads: `N passed, N failed` (plus skipped), preceded by one
 * `failed: <file> > <test>: <first line of the error>` line per failure, so the tail of a CI log
 * (often all that is kept) names what failed.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

const firstLine = (message: string | undefined) => (message ?? '').split('\n')[0]?.slice(0, 300) ?? '';

export default class CountReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failures: string[] = [];
    for (const mod of modules) {
      const file = relative(process.cwd(), mod.moduleId);
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') {
          failedHere++;
          failures.push(`failed: ${file} > ${test.fullName}: ${firstLine(result.errors?.[0]?.message)}`);
        } else skipped++;
      }
      // A file whose import or beforeAll failed has no failed test of its own, but it failed.
      if (mod.state() === 'failed' && failedHere === 0) {
        failedHere = 1;
        failures.push(`failed: ${file} (the file): ${firstLine(mod.errors()[0]?.message)}`);
      }
      failed += failedHere;
    }
    const listed = failures.map((f) => `${f}\n`).join('');
    process.stdout.write(`\n${listed}${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
