// Bundles the CLI and the Functions app to CommonJS. The Functions worker provides
// `@azure/functions-core` to `require` only, so it stays external. The library (src/index.ts,
// package.json `exports`) is built beside them with its dependencies left to the embedding
// program's node_modules.
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
const library = { ...options, entryPoints: { 'lib/index': 'src/index.ts' }, packages: 'external' };
if (process.argv.includes('--watch')) await (await context({ ...options, logLevel: 'info' })).watch();
else await Promise.all([build(options), build(library)]);
