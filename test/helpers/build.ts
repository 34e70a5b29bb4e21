/** The build output the CLI and Functions tests run; test/helpers/global-build.ts makes it once per test run. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureBuilt(): void {
  if (!existsSync('dist/cli/index.js') || process.env.REBUILD === '1') {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  }
}
