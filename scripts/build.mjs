// Bundles the CLI and the Functions app to CommonJS. The Functions worker provides
// `@azure/functions-core` to `require` only, so it stays external.
import { build, context } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const entryPoints = { 'cli/index': 'src/cli/index.ts' };
if (existsSync('functions/index.ts')) entryPoints['functions/index'] = 'functions/index.ts';

const options = {
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  loader: { '.lua': 'text' },
  external: ['@azure/functions-core'],
  logLevel: 'warning',
};
// `--watch` (npm run watch): rebuild on every change, for `func start` in another terminal.
if (process.argv.includes('--watch')) await (await context({ ...options, logLevel: 'info' })).watch();
else await build(options);
