/**
 * Builds the CLI and the Functions bundle once, before any test file runs, and packages the
 * deployment zip (`npm run package`: build, then dist/deploy.zip): the CLI, demo and Functions
 * tests run the built files, the package test the zip, and files building in parallel would
 * delete each other's output (the build starts by clearing dist/). Always rebuilt, so never stale.
 */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/package.mjs'], { stdio: 'inherit' });
}
