/** Integration tests of the CLI and the Functions bundle need the build output. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureBuilt(): void {
  if (!existsSync('dist/cli/index.js') || process.env.REBUILD === '1') {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  }
}
