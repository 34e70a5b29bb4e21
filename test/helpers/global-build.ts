/**
 * Builds the CLI and the Functions bundle once, before any test file runs, and packages the
 * deployment zip (`npm run package`: build, then dist/deploy.zip): the CLI, demo and Functions
 * tests run the built files, the package test the zip, and files building in parallel would
 * delete each other's output (the build starts by clearing dist/). Always rebuilt, so never stale.
 *
 * Then picks the server binary every test starts: with neither `REDIS_SERVER_BIN` nor a
 * `redis-server` on PATH, the one the demo would use (on Debian fetched into the servers cache
 * folder, src/local/server-binary.ts), passed to the test workers as `REDIS_SERVER_BIN`; elsewhere
 * the run stops saying what to install.
 */
import { execFileSync } from 'node:child_process';
import { findRedisServer, resolveRedisServer } from '../../src/local/server-binary';

export default async function setup(): Promise<void> {
  execFileSync(process.execPath, ['scripts/package.mjs'], { stdio: 'inherit' });
  if (!process.env.REDIS_SERVER_BIN && !findRedisServer(process.env.PATH)) {
    process.env.REDIS_SERVER_BIN = await resolveRedisServer({ env: process.env, say: (line) => console.log(line) });
  }
}
