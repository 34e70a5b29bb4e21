/**
 * Builds the CLI and the Functions bundle once, before any test file runs: the CLI, demo and
 * Functions tests run the built files, and files building in parallel would delete each
 * other's output (the build starts by clearing dist/). Always rebuilt, so never stale.
 */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
